"""Probing: run one check's probe on the code under test and record what happened as plain data.

This is the half of a check that runs beside the submission — in the sandboxed child, or in the
learner's own process for ``kata check`` — and it holds nothing of the reference: the verdict is
``grader.checks.runner.Runner.verdict``'s, on the grader's side.
"""
from __future__ import annotations

import traceback
import warnings

from grader.checks.base import Check, plain
from grader.core.implementation import CodeUnderTest, ImplementationImportError


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


def probe(check: Check, impl: CodeUnderTest, module_name: str, seed: int) -> dict:
    """Run one check's probe on ``impl``; what happened, as plain data for ``Runner.verdict``:
    ``{"outcome": "data", "data": ..., "warnings": [...]}``, or ``"pending"``, ``"error"`` or
    ``"import_error"`` with a ``"message"`` in the learner's terms."""
    try:
        module = impl.module(module_name)
    except ImplementationImportError as exc:
        return {"outcome": "import_error", "message": str(exc)}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # recorded, never raised: a warning does not fail a learner
            data = plain(check.probe(module, seed))
    except Exception as exc:
        pending = stub_message(exc, impl)
        if pending is not None:
            return {"outcome": "pending", "message": pending}
        return {"outcome": "error", "message": impl.format_exception(exc)}
    notes = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return {"outcome": "data", "data": data, "warnings": notes}
