"""What a check is: a probe that runs the code under test and returns plain data, and a judge that
compares that data with the reference's and explains any difference to the learner.

Probe data is built only from None, bool, int, float, str, lists, tuples, dicts with str keys and
plain CPU ``torch.Tensor``s, so that it can cross a process boundary without running code
(the sandboxed grader relies on this). ``plain`` enforces it.
"""
from __future__ import annotations

import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import torch

#: Kinds of checks, in the order a kata's report lists them.
KINDS = (
    "example", "shape", "numeric", "gradient", "dtype_device", "structure", "rules", "errors", "training", "gpu")
#: Kinds whose inputs come from the check's secret seed and whose data the judge compares with the
#: reference's on those inputs, data that no constant can match (tested over seeds: a shape sweep
#: draws many shapes). Each earns points on its own.
SEEDED_KINDS = ("shape", "numeric", "gradient", "gpu")
#: Seeded kinds whose data are values computed from the inputs (not only their shape or dtype):
#: passing one is solving the kata, on inputs nobody knew in advance.
VALUE_KINDS = ("numeric", "gradient", "gpu")
#: Kinds a submission could pass without computing the kata's answer: fixed inputs (the book's
#: printed examples, the architecture, the arguments that must be refused), data judged against
#: thresholds, not the reference's (how the code computes, whether it trains), or data too small to
#: need computing (a result's dtype, device and shape on a few seeded inputs: ``torch.empty`` of the
#: right shape passes, and one constant answer matched 1–10% of seeds). The submission's code runs
#: in the process that records them, so it could forge them; they earn points only in a kata where a
#: check of VALUE_KINDS passes too.
CREDITED_BESIDE_KINDS = ("example", "dtype_device", "structure", "errors", "rules", "training")

Probe = Callable[[ModuleType, int], Any]
Judge = Callable[[Any, Any, int], None]


class Mismatch(AssertionError):
    """Raised by a judge: the message tells the learner what differs from the reference, and
    ``mistakes`` names the known mistakes (grader/core/mistakes.toml) the data matches, if any.

    ``figures`` describe pictures of the difference, for wherever HTML can be shown (the terminal
    shows the message alone): plain-data dicts, each with a ``kind`` that grader.grading.pictures
    renders — ``maps`` (a 2-D slice of the expected and the learner's tensor, see
    judges.maps_figure), ``edges`` (an image and its edge maps), ``blocks`` (a network's block
    table) or ``curves`` (training curves). The judges build them without matplotlib; they never
    go into grading records."""

    def __init__(self, message: str, *mistakes: str, figures: tuple[dict, ...] = ()):
        super().__init__(message)
        self.mistakes = mistakes
        self.figures = tuple(figures)

    def naming(self, *mistakes: str) -> Mismatch:
        """The same mismatch, also naming ``mistakes``."""
        return Mismatch(str(self), *self.mistakes, *mistakes, figures=self.figures)

    def showing(self, *figures: dict | None) -> Mismatch:
        """The same mismatch, with ``figures`` (None: none) shown before its own."""
        return Mismatch(str(self), *self.mistakes, figures=(*(f for f in figures if f), *self.figures))


class NotPlainData(TypeError):
    """A probe returned something that is not plain data (a bug in the probe, not in the learner's code)."""


@dataclass(frozen=True)
class Check:
    """One check of one kata: ``probe(module, seed)`` runs the learner's module, ``judge(got, want,
    seed)`` compares with the reference probe's data and raises Mismatch on a difference."""

    kata: str
    name: str
    kind: str
    probe: Probe = field(repr=False)
    judge: Judge = field(repr=False)
    needs_cuda: bool = False
    #: A convergence run on another device (a ``gpu`` check that trains like a ``training`` one).
    convergence: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"check {self.kata}::{self.name}: unknown kind {self.kind!r}")

    @property
    def id(self) -> str:
        return f"{self.kata}::{self.name}"

    @property
    def trains(self) -> bool:
        """Whether the check is a convergence run (``training``, or its CUDA twin): the costliest
        reference data, computed once per run."""
        return self.kind == "training" or self.convergence

    @property
    def runnable(self) -> bool:
        """Whether this machine can run the check (a CUDA check needs a CUDA device)."""
        return not self.needs_cuda or torch.cuda.is_available()

    def seed_for(self, run_seed: int) -> int:
        """The check's own seed, derived from the run's seed so that checks draw independent inputs."""
        return zlib.crc32(f"{run_seed}:{self.id}".encode()) & 0x7FFFFFFF


def plain(value: Any) -> Any:
    """A detached, CPU, exact-``torch.Tensor`` copy of probe data; NotPlainData for anything else."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, torch.Tensor):
        if value.device.type == "meta":
            raise NotPlainData("a meta tensor has no values: describe it with tensor_info() instead")
        return _cpu_copy(value)
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: plain(v) for k, v in value.items()}
    raise NotPlainData(f"probe data may not hold {type(value).__qualname__}")


def _cpu_copy(tensor: torch.Tensor) -> torch.Tensor:
    """A detached CPU copy that is an exact torch.Tensor (no subclass behaviour survives)."""
    return tensor.detach().to("cpu").clone().as_subclass(torch.Tensor)


def outcome(value: Any) -> Any:
    """What the learner's code returned, as plain data: a tensor stays a tensor, anything else is
    recorded as ``{"not_a_tensor": type name, "repr": short repr}`` for the judge to explain."""
    if isinstance(value, torch.Tensor):
        return tensor_info(value) if value.device.type == "meta" else _cpu_copy(value)
    return {"not_a_tensor": type(value).__module__ + "." + type(value).__qualname__, "repr": repr(value)[:200]}


def tensor_info(value: Any) -> dict:
    """Shape, dtype and device of a result (no values), or what it was if not a tensor."""
    if not isinstance(value, torch.Tensor):
        return outcome(value)
    return {"shape": list(value.shape), "dtype": str(value.dtype), "device": value.device.type,
            "requires_grad": bool(value.requires_grad)}


def info_of(call: Callable[[], Any]) -> dict:
    """tensor_info of ``call()``."""
    return tensor_info(call())


@contextmanager
def _dynamo_stand_in() -> Iterator[None]:
    """torch's Python meta kernels are wrapped by ``torch._disable_dynamo``, whose first call imports
    torch._dynamo — a second here, a third of a cold ``kata check`` — only to keep torch.compile from
    tracing them, and the checks never compile. Until torch._dynamo is imported for real, a stand-in
    answers that one call (each kernel keeps itself as its "disabled" version); anything else asked
    of it raises ImportError, and ``meta_info`` runs the call again with the real module."""
    if "torch._dynamo" in sys.modules:
        yield
        return
    stand_in = ModuleType("torch._dynamo")
    stand_in.disable = lambda fn=None, recursive=True, **_: fn
    sys.modules["torch._dynamo"] = stand_in
    try:
        yield
    finally:
        if sys.modules.get("torch._dynamo") is stand_in:
            del sys.modules["torch._dynamo"]


def meta_info(call: Callable[[], Any]) -> dict:
    """tensor_info of ``call()`` run on meta inputs (``call`` makes them: it may run twice, see
    ``_dynamo_stand_in``). An error about meta tensors — what mixing in a tensor created on the CPU
    gives — is recorded as ``{"meta_error": ...}`` for the judge to explain."""
    try:
        try:
            with _dynamo_stand_in():
                return tensor_info(call())
        except ImportError:
            return tensor_info(call())
    except (NotImplementedError, RuntimeError) as exc:
        if "meta" not in str(exc).lower():
            raise
        return {"meta_error": f"{type(exc).__name__}: {exc}"}


def raised(call: Callable[[], Any], *expected: type[BaseException]) -> dict:
    """Run ``call`` expecting one of ``expected`` exceptions; record what happened as plain data.

    NotImplementedError (a stub) is never recorded: it propagates, so the check shows as pending.
    """
    try:
        value = call()
    except NotImplementedError:
        raise
    except expected as exc:
        return {"raised": type(exc).__name__, "message": str(exc)}
    return {"raised": None, "returned": repr(value)[:200]}


def _layout(tensor: torch.Tensor) -> tuple:
    return tuple(tensor.shape), tensor.stride(), tensor.storage_offset()


def watched(call: Callable[[], Any], arguments: dict[str, Any]) -> tuple[Any, list[str]]:
    """``call()``'s result, and the names of the tensors among ``arguments`` (name → the value the
    call gets) that it changed in place: their values, shape or strides."""
    before = {name: (_layout(value), value.clone()) for name, value in arguments.items()
              if isinstance(value, torch.Tensor)}
    result = call()
    changed = [name for name, (layout, values) in before.items()
               if _layout(arguments[name]) != layout or not torch.equal(arguments[name], values)]
    return result, changed


def diagnosed(compare: Judge, recognise: Callable[[Any, int], list[str]]) -> Judge:
    """A judge that runs ``compare`` and, on a mismatch, names the known mistakes ``recognise(got,
    seed)`` finds in the learner's data."""
    def judge(got, want, seed):
        try:
            compare(got, want, seed)
        except Mismatch as exc:
            raise exc.naming(*recognise(got, seed)) from None
    return judge


def kata_checks(kata: str) -> Callable[..., Check]:
    """A Check constructor with the kata filled in: ``check = kata_checks("corr2d"); check(name, ...)``."""
    def make(name: str, kind: str, probe: Probe, judge: Judge, *, needs_cuda: bool = False) -> Check:
        return Check(kata, name, kind, probe, judge, needs_cuda)
    return make
