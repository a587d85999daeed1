"""Probing: run one check's probe on the code under test and record what happened as plain data.

This is the half of a check that runs beside the submission — in the sandboxed child, or in the
learner's own process for ``kata check`` — and it holds nothing of the reference: the verdict is
``grader.checks.runner.Runner.verdict``'s, on the grader's side.
"""
from __future__ import annotations

import ast
import functools
import inspect
import re
import sys
import traceback
import types
import warnings

from grader.checks.base import Check, plain
from grader.core.i18n import _
from grader.core.implementation import CodeUnderTest, ImplementationImportError
from grader.core.text import clip, clip_all


def stub_message(exc: BaseException, impl: CodeUnderTest) -> str | None:
    """The stub's message when ``exc`` is the NotImplementedError a stub raises — raised by a
    ``raise NotImplementedError`` statement in the implementation's own files — else None.
    (torch raises NotImplementedError too, e.g. when copying out of a meta tensor: that is a
    failure of the learner's code, not a pending kata.)"""
    if not isinstance(exc, NotImplementedError):
        return None
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames or not impl.owns(frames[-1].filename):
        return None
    if not (frames[-1].line or "").lstrip().startswith("raise NotImplementedError"):
        return None
    innermost = exc.__traceback__
    while innermost.tb_next is not None:
        innermost = innermost.tb_next
    # Translators: {name} is the stub's function, such as "corr2d" or "Conv2D.forward"
    return str(exc) or _("{name} is not implemented yet").format(name=innermost.tb_frame.f_code.co_qualname)


#: What a probe keeps of the learner's warnings and error messages (the grader bounds them again).
MAX_WARNINGS, MAX_WARNING_BYTES, MAX_ERROR_BYTES = 16, 400, 8000


def _own_code(value, impl: CodeUnderTest, depth: int = 0) -> bool:
    """Whether ``value`` — a function, a class, a callable object — was written in ``impl``'s own
    files: a function's code, a class's own methods (or, for an instance, its class's)."""
    value = inspect.unwrap(value) if callable(value) else value
    code = getattr(value, "__code__", None)
    if isinstance(code, types.CodeType):
        return impl.owns(code.co_filename)
    if isinstance(value, functools.partial):
        return depth < 8 and _own_code(value.func, impl, depth + 1)
    if isinstance(value, type):
        members = [inspect.unwrap(getattr(m, "__func__", getattr(m, "fget", m))) for m in vars(value).values()]
        return any(isinstance(getattr(m, "__code__", None), types.CodeType) and impl.owns(m.__code__.co_filename)
                   for m in members)
    return depth < 8 and _own_code(type(value), impl, depth + 1)


def foreign_symbol(module, symbols: tuple[str, ...] | list[str], impl: CodeUnderTest) -> str | None:
    """Why one of the kata's ``symbols`` in ``module`` is not the learner's own — it was imported from
    d2l, torch or another installed package — or None when they all are (a missing one is the
    probe's to report)."""
    for name in symbols:
        value = getattr(module, name, None)
        if not callable(value) or _own_code(value, impl):
            continue
        # Translators: {origin} is where the function comes from, such as "d2l.torch.corr2d"; {file} a kata file
        return _("{name} is not your own code: it is {origin}, imported from an installed package. This kata asks "
                 "you to write {name} yourself in {file} (the book's version is there to read, not to import).").format(
            name=name, origin=_origin(value, name), file=f"{module.__name__.rsplit('.', 1)[-1]}.py")
    return None


def borrowed_requirements(module, required: tuple[str, ...] | list[str], impl: CodeUnderTest) -> list[str]:
    """The symbols of the katas this one builds on that ``module`` takes from a library instead of the
    learner's own: imported by name (``from d2l.torch import corr2d``), or called through an imported
    module (``d2l.corr2d(...)``), at the top of the module or inside a function. Each as
    "how it is reached (where it comes from)". Run after the probe, when its imports have happened."""
    try:
        text = inspect.getsource(module)
        tree = ast.parse(text)
    except (OSError, TypeError, SyntaxError, ValueError):
        text, tree = "", ast.Module(body=[], type_ignores=[])
    bound = {alias: value for alias, value in vars(module).items() if not alias.startswith("__")}
    for node in ast.walk(tree):  # imports inside functions bind names the module's globals lack
        if isinstance(node, ast.Import):
            bound.update({a.asname or a.name.split(".")[0]: sys.modules.get(a.name if a.asname else a.name.split(".")[0])
                          for a in node.names})
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            library = sys.modules.get(node.module)
            bound.update({a.asname or a.name: getattr(library, a.name, None) for a in node.names})
    found = []
    for alias, value in bound.items():
        for name in required:
            if isinstance(value, types.ModuleType):
                borrowed = getattr(value, name, None)
                if not re.search(rf"\b{re.escape(alias)}\s*\.\s*{re.escape(name)}\b", text):
                    continue
                how = f"{alias}.{name}"
            else:
                borrowed, how = (value, name) if alias == name else (None, "")
            if callable(borrowed) and not _own_code(borrowed, impl):
                found.append(f"{how} ({_origin(borrowed, name)})")
    return list(dict.fromkeys(found))


def _origin(value, name: str) -> str:
    return f"{getattr(value, '__module__', None) or type(value).__module__}.{getattr(value, '__qualname__', name)}"


def probe(check: Check, impl: CodeUnderTest, module_name: str, seed: int, symbols: tuple[str, ...] = (),
          required: tuple[str, ...] = ()) -> dict:
    """Run one check's probe on ``impl``; what happened, as plain data for ``Runner.verdict``:
    ``{"outcome": "data", "data": ..., "warnings": [...]}``, or ``"pending"``, ``"error"``,
    ``"import_error"`` or ``"not_own"`` (one of the kata's ``symbols`` is imported, not written)
    with a ``"message"`` in the learner's terms. Data and errors carry ``"borrowed"`` when the
    module takes a ``required`` symbol (of a kata this one builds on) from a library."""
    try:
        module = impl.module(module_name)
    except ImplementationImportError as exc:
        return {"outcome": "import_error", "message": clip(str(exc), MAX_ERROR_BYTES)}
    try:
        foreign = foreign_symbol(module, symbols, impl)
    except Exception as exc:  # an object that breaks on inspection is no function the learner wrote
        # Translators: {symbols} are the kata's functions or classes, {error} an exception type such as TypeError
        foreign = _("{symbols} could not be inspected ({error}); define it with def or class").format(
            symbols=", ".join(symbols), error=type(exc).__name__)
    if foreign is not None:
        return {"outcome": "not_own", "message": foreign}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # recorded, never raised: a warning does not fail a learner
            data = plain(check.probe(module, seed))
    except Exception as exc:
        pending = stub_message(exc, impl)
        if pending is not None:
            return {"outcome": "pending", "message": clip(pending, MAX_ERROR_BYTES)}
        return {"outcome": "error", "message": clip(impl.format_exception(exc), MAX_ERROR_BYTES),
                **_borrowed(module, required, impl)}
    notes = clip_all((f"{w.category.__name__}: {w.message}" for w in caught), MAX_WARNINGS, MAX_WARNING_BYTES)
    return {"outcome": "data", "data": data, "warnings": list(notes), **_borrowed(module, required, impl)}


def _borrowed(module, required: tuple[str, ...], impl: CodeUnderTest) -> dict:
    """``{"borrowed": [...]}`` for a probe's record when the module borrows a required symbol, else {}."""
    try:
        borrowed = clip_all(borrowed_requirements(module, required, impl), MAX_WARNINGS, MAX_WARNING_BYTES)
    except Exception:  # globals that break on inspection: the checks say what is wrong with the code
        borrowed = []
    return {"borrowed": list(borrowed)} if borrowed else {}
