"""Probing: run one check's probe on the code under test and record what happened as plain data.

This is the half of a check that runs beside the submission — in the sandboxed child, or in the
learner's own process for ``kata check`` — and it holds nothing of the reference: the verdict is
``grader.checks.runner.Runner.verdict``'s, on the grader's side.
"""
from __future__ import annotations

import functools
import inspect
import traceback
import types
import warnings

from grader.checks.base import Check, plain
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
    return str(exc) or f"{innermost.tb_frame.f_code.co_qualname} is not implemented yet"


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
        origin = getattr(value, "__module__", None) or type(value).__module__
        return (f"{name} is not your own code: it is {origin}.{getattr(value, '__qualname__', name)}, "
                f"imported from an installed package. This kata asks you to write {name} yourself in "
                f"{module.__name__.rsplit('.', 1)[-1]}.py (the book's version is there to read, not to import).")
    return None


def probe(check: Check, impl: CodeUnderTest, module_name: str, seed: int, symbols: tuple[str, ...] = ()) -> dict:
    """Run one check's probe on ``impl``; what happened, as plain data for ``Runner.verdict``:
    ``{"outcome": "data", "data": ..., "warnings": [...]}``, or ``"pending"``, ``"error"``,
    ``"import_error"`` or ``"not_own"`` (one of the kata's ``symbols`` is imported, not written)
    with a ``"message"`` in the learner's terms."""
    try:
        module = impl.module(module_name)
    except ImplementationImportError as exc:
        return {"outcome": "import_error", "message": clip(str(exc), MAX_ERROR_BYTES)}
    try:
        foreign = foreign_symbol(module, symbols, impl)
    except Exception as exc:  # an object that breaks on inspection is no function the learner wrote
        foreign = f"{', '.join(symbols)} could not be inspected ({type(exc).__name__}); define it with def or class"
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
        return {"outcome": "error", "message": clip(impl.format_exception(exc), MAX_ERROR_BYTES)}
    notes = clip_all((f"{w.category.__name__}: {w.message}" for w in caught), MAX_WARNINGS, MAX_WARNING_BYTES)
    return {"outcome": "data", "data": data, "warnings": list(notes)}
