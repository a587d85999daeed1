"""What ``kata bench`` times, and the timing probes that time it inside the sandbox.

The corr2d family is the katas whose function *is* a cross-correlation, so that the reference and
``F.conv2d`` compute the very same thing on the same inputs: corr2d (X n×n, K 3×3),
corr2d_multi_in (X 3×n×n, K 3×3×3), corr2d_multi_in_out (X 3×n×n, K 2×3×3×3) and corr2d_1x1
(X 3×n×n, K 2×3×1×1 — its kernel is 1×1 by definition). Conv2D and detect_vertical_edges only
wrap corr2d, and the other katas are layers and networks, so they are left out.

A timing probe quacks like a Check for ``runner.probe`` (an ``id``, ``probe(module, seed)``) and
returns plain data, so a sandboxed child runs it exactly as it runs a check's probe. Its child
also holds a private copy of the reference (see ``timing_probes``), so the submission, the
reference and ``F.conv2d`` are timed in one process, interleaved.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import torch

from grader.checks.channels import MULTI_IN, MULTI_IN_OUT, ONE_BY_ONE
from grader.checks.conv_layer import CORR2D
from grader.checks.functions import TensorFunction
from grader.core.implementation import Implementation

from .timing import device_sync, sweep

#: The contenders of every sweep, in the order of its first round.
CONTENDERS = ("submission", "reference", "conv2d")
KERNEL = 3
CHANNELS_IN, CHANNELS_OUT = 3, 2


@dataclass(frozen=True)
class Benchmarked:
    """A kata of the corr2d family: its function (with torch's own version, the ``oracle``) and the
    shapes of X and K for an image side n (an int, or "n" to describe them)."""

    function: TensorFunction
    shapes: Callable[[int | str], tuple[tuple, tuple]]

    @property
    def kata(self) -> str:
        return self.function.kata

    @property
    def probe_id(self) -> str:
        return f"bench::{self.kata}"

    def inputs_text(self) -> str:
        """``X 3×n×n, K 2×3×3×3``: the inputs at side n."""
        x, k = self.shapes("n")
        return f"X {'×'.join(map(str, x))}, K {'×'.join(map(str, k))}"


FAMILY = (
    Benchmarked(CORR2D, lambda n: ((n, n), (KERNEL, KERNEL))),
    Benchmarked(MULTI_IN, lambda n: ((CHANNELS_IN, n, n), (CHANNELS_IN, KERNEL, KERNEL))),
    Benchmarked(MULTI_IN_OUT, lambda n: ((CHANNELS_IN, n, n), (CHANNELS_OUT, CHANNELS_IN, KERNEL, KERNEL))),
    Benchmarked(ONE_BY_ONE, lambda n: ((CHANNELS_IN, n, n), (CHANNELS_OUT, CHANNELS_IN, 1, 1))),
)


@dataclass(frozen=True)
class SweepSettings:
    """How a timing probe sweeps: image sides (smallest first), interleaved rounds per side, and
    its budgets (see ``timing.sweep``), and the device the inputs go to. Crosses to the sandbox as a
    dict (``asdict``). ``kata bench`` times on the CPU: the sandbox lets no child open a GPU."""

    sides: tuple[int, ...]
    rounds: int
    budget_seconds: float
    call_seconds: float
    device: str = "cpu"


@dataclass(frozen=True)
class TimingProbe:
    """Times one kata's function of a submission against the reference's and ``F.conv2d``."""

    benchmarked: Benchmarked
    reference: ModuleType
    settings: SweepSettings

    @property
    def id(self) -> str:
        return self.benchmarked.probe_id

    def probe(self, module: ModuleType, seed: int) -> dict:
        """``timing.sweep``'s plain data (sides, ns samples per contender, what was skipped and
        why), and the torch threads it ran on."""
        name = self.benchmarked.function.function
        function, reference = getattr(module, name), getattr(self.reference, name)
        oracle = self.benchmarked.function.oracle
        generator = torch.Generator().manual_seed(seed)
        device = self.settings.device

        def contenders_at(side: int) -> dict[str, Callable[[], object]]:
            x_shape, k_shape = self.benchmarked.shapes(side)
            X = torch.randn(x_shape, generator=generator).to(device)
            K = torch.randn(k_shape, generator=generator).to(device)
            return dict(zip(CONTENDERS, (lambda: function(X, K), lambda: reference(X, K), lambda: oracle(X, K))))

        result = sweep(self.settings.sides, contenders_at, rounds=self.settings.rounds,
                       budget_seconds=self.settings.budget_seconds, call_seconds=self.settings.call_seconds,
                       sync=device_sync(device))
        return {**result, "threads": torch.get_num_threads()}


def timing_probes(reference: Implementation, module: str, settings: dict) -> dict[str, TimingProbe]:
    """The timing probes of the family katas in ``module``, by id, timing against ``reference``
    (imported here, before the submission is). ``settings``: a SweepSettings as a dict."""
    sweep_settings = SweepSettings(**{**settings, "sides": tuple(settings["sides"])})
    reference_module = reference.module(module)
    return {b.probe_id: TimingProbe(b, reference_module, sweep_settings)
            for b in FAMILY if hasattr(reference_module, b.function.function)}
