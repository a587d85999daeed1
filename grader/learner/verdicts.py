"""Verdicts kept between runs: ``kata status`` re-checks only the katas whose inputs changed.

A kata's verdict is keyed by everything that decides it:

- the implementation: the bytes of the kata's module, of every module of the folder it imports
  (transitively, as its source says) and of the folder's ``__init__.py``;
- the checks' version: the sources of ``grader/`` and ``solutions/``, ``katas.toml`` and torch's
  version;
- the seed policy: the ``--seed`` given, or "random" (a verdict found with one random seed stands
  for the next, as a rerun would draw another);
- the language its messages were judged in (``grader.core.i18n``) and, for a translation, its
  catalogue: a verdict judged in English is not shown to a learner who now reads Chinese.

They are kept in ``.kata/verdicts.json`` beside the implementation's folder (with the hints seen),
by folder; a file that cannot be read is ignored and written anew.
"""
from __future__ import annotations

import ast
import hashlib
from pathlib import Path

from grader.core.i18n import LANGUAGES, catalogue_path, language
from grader.core.manifest import Kata
from grader.core.paths import MANIFEST_PATH, REPO_ROOT, SOLUTIONS_DIR, sources_digest
from grader.core.scoring import Status
from grader.learner.progress import Verdict
from grader.learner.state_files import read_state, write_state

GRADER_DIR = REPO_ROOT / "grader"
FORMAT = 1


def checks_version() -> str:
    """A digest of what the checks are: the grader's and the reference's sources, the manifest, torch."""
    return sources_digest([*GRADER_DIR.rglob("*.py"), *GRADER_DIR.rglob("*.toml"), *SOLUTIONS_DIR.glob("*.py"),
                           MANIFEST_PATH])


def messages_version(code: str) -> str:
    """What the messages of language ``code`` are: the code and, for a translation, a digest of its
    catalogue (a verdict keeps its messages as they were judged)."""
    if LANGUAGES.get(code) is None:
        return code
    po, mo = catalogue_path(code), catalogue_path(code, ".mo")
    catalogue = po if po.is_file() else mo
    return f"{code} {hashlib.sha256(catalogue.read_bytes()).hexdigest() if catalogue.is_file() else '-'}"


def imported_modules(root: Path, module: str) -> set[str]:
    """``module`` and the modules of folder ``root`` it imports, transitively (as named in the source;
    a file that does not parse imports nothing)."""
    found, todo = set(), [module]
    while todo:
        name = todo.pop()
        path = root / f"{name}.py"
        if name in found or not path.is_file():
            continue
        found.add(name)
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                todo += [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                todo += [node.module.split(".")[0]] if node.module else [alias.name for alias in node.names]
    return found


class VerdictCache:
    """The verdicts of the katas of the implementation in ``root``, for one seed policy."""

    def __init__(self, root: Path, seed: int | None):
        self.root = root
        self.path = root.parent / ".kata" / "verdicts.json"
        self.policy = "random" if seed is None else f"seed {seed}"
        self._version: str | None = None
        self._messages: dict[str, str] = {}

    def key(self, kata: Kata) -> str:
        """The digest of everything that decides ``kata``'s verdict now, in the language spoken now."""
        if self._version is None:
            self._version = checks_version()
        code = language()
        if code not in self._messages:
            self._messages[code] = messages_version(code)
        digest = hashlib.sha256(f"{FORMAT}\0{self._version}\0{self.policy}\0{self._messages[code]}\0{kata.id}\0"
                                .encode())
        for name in sorted(imported_modules(self.root, kata.module) | {"__init__"}):
            path = self.root / f"{name}.py"
            digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"-") + b"\0")
        return digest.hexdigest()

    def _load(self) -> dict:
        """The file's verdicts, by implementation folder and kata ({} when it cannot be read)."""
        data = read_state(self.path)
        folders = data.get("verdicts") if data.get("format") == FORMAT else None
        return folders if isinstance(folders, dict) else {}

    def _entries(self, folders: dict) -> dict:
        """This implementation's verdicts, by kata, in ``folders`` (what ``_load`` read)."""
        entries = folders.get(str(self.root))
        return entries if isinstance(entries, dict) else {}

    def get(self, kata: Kata, key: str) -> Verdict | None:
        """The kept verdict of ``kata``, if it was kept under ``key`` (nothing that decides it changed)."""
        entry = self._entries(self._load()).get(kata.id)
        try:
            if entry["key"] == key:
                return Verdict(kata, Status(entry["status"]), int(entry["passed"]), int(entry["applicable"]),
                               float(entry["score"]), str(entry["first_problem"]))
        except (KeyError, TypeError, ValueError):
            pass
        return None

    def put(self, verdict: Verdict, key: str) -> Verdict:
        """Keep ``verdict`` under ``key`` (taken before the kata ran); return it."""
        folders = self._load()
        entries = folders[str(self.root)] = self._entries(folders)
        entries[verdict.kata.id] = {"key": key, "status": verdict.status.value, "passed": verdict.passed,
                                    "applicable": verdict.applicable, "score": verdict.score,
                                    "first_problem": verdict.first_problem}
        write_state(self.path, {"format": FORMAT, "verdicts": folders})
        return verdict
