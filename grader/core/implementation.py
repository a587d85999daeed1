"""Load an implementation — a folder laid out like ``exercises/`` — as an isolated package.

Each folder is imported under its own package name, so the reference and a learner's code can be
loaded side by side, and modules inside it can import each other relatively. Modules are imported
lazily, one at a time: a module that fails to import fails only the katas that live in it.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import sys
import traceback
import warnings
from pathlib import Path
from types import ModuleType

from .i18n import _


class ImplementationImportError(Exception):
    """A module of the implementation could not be imported; the message shows where and why."""


class CodeUnderTest:
    """What the runner needs of the code it checks: its modules (``module(name)``), which source
    files are its own (``owns``), and tracebacks in its own terms."""

    def owns(self, filename: str) -> bool:
        return False

    def shown_frame(self, frame: traceback.FrameSummary) -> traceback.FrameSummary:
        """A traceback frame of this code as the learner should read it."""
        return frame

    def format_exception(self, exc: BaseException) -> str:
        """The exception with only the frames in this code's own files (all if none)."""
        frames = [self.shown_frame(f) for f in traceback.extract_tb(exc.__traceback__) if self.owns(f.filename)]
        lines = traceback.format_list(frames) if frames else []
        detail = traceback.format_exception_only(type(exc), exc)
        return "".join(lines + detail).rstrip()


class Implementation(CodeUnderTest):
    """A folder laid out like ``exercises/``. ``shown_as`` names the folder in tracebacks instead
    of its path (the sandbox's private copy of a submission is shown under the student's name)."""

    def __init__(self, root: Path, shown_as: str | None = None):
        self.root = Path(root).resolve()
        self.shown_as = shown_as
        if not self.root.is_dir():
            raise FileNotFoundError(_("implementation folder {folder} does not exist").format(folder=self.root))
        digest = hashlib.sha1(str(self.root).encode()).hexdigest()[:10]
        self.package = f"convkata_impl_{self.root.name}_{digest}"
        self._modules: dict[str, ModuleType | ImplementationImportError] = {}

    def __repr__(self):
        return f"Implementation({str(self.root)!r})"

    def _ensure_package(self) -> None:
        if self.package in sys.modules:
            return
        init = self.root / "__init__.py"
        if init.exists():
            spec = importlib.util.spec_from_file_location(self.package, init, submodule_search_locations=[str(self.root)])
        else:  # a namespace-like package: its modules are the folder's files
            spec = importlib.machinery.ModuleSpec(self.package, None, is_package=True)
            spec.submodule_search_locations = [str(self.root)]
        package = importlib.util.module_from_spec(spec)
        sys.modules[self.package] = package
        if init.exists():
            spec.loader.exec_module(package)

    def module(self, name: str) -> ModuleType:
        """Import ``<root>/<name>.py`` (once); raise ImplementationImportError with the learner's traceback."""
        if name not in self._modules:
            self._modules[name] = self._import(name)
        result = self._modules[name]
        if isinstance(result, ImplementationImportError):
            raise result
        return result

    def _import(self, name: str) -> ModuleType | ImplementationImportError:
        path = self.root / f"{name}.py"
        if not path.is_file():
            return ImplementationImportError(_("{path} is missing: the kata module {file} must be in {folder}").format(
                path=path, file=f"{name}.py", folder=self.root))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("default")  # shown, never raised: a warning at import fails no kata
                self._ensure_package()
                return importlib.import_module(f"{self.package}.{name}")
        except Exception as exc:  # the learner's module raised while importing: report, don't crash
            sys.modules.pop(f"{self.package}.{name}", None)
            # Translators: {traceback} is the learner's traceback
            return ImplementationImportError(_("{file} could not be imported:\n{traceback}").format(
                file=f"{name}.py", traceback=self.format_exception(exc)))

    def reload(self) -> None:
        """Forget every imported module, so the next ``module()`` reads the files again (and no
        stale bytecode is used for them)."""
        for name in [n for n in sys.modules if n == self.package or n.startswith(self.package + ".")]:
            del sys.modules[name]
        self._modules.clear()
        for cached in (self.root / "__pycache__").glob("*.pyc"):
            cached.unlink(missing_ok=True)
        importlib.invalidate_caches()

    def owns(self, filename: str) -> bool:
        """Whether a traceback frame's file belongs to this implementation."""
        try:
            return Path(filename).resolve().is_relative_to(self.root)
        except (OSError, ValueError):
            return False

    def shown_frame(self, frame: traceback.FrameSummary) -> traceback.FrameSummary:
        if self.shown_as is None:
            return frame
        relative = Path(frame.filename).resolve().relative_to(self.root)
        return traceback.FrameSummary(f"{self.shown_as}/{relative.as_posix()}", frame.lineno, frame.name, line=frame.line)


_CACHE: dict[Path, Implementation] = {}


def load_implementation(root: str | Path) -> Implementation:
    """One Implementation per folder and process."""
    root = Path(root).resolve()
    if root not in _CACHE:
        _CACHE[root] = Implementation(root)
    return _CACHE[root]
