"""Timing and its statistics: interleaved calls, medians, a size sweep within a time budget, and
the growth exponent of time in the image side.

Everything here is plain Python over callables and numbers (torch only to synchronise a CUDA
device), so the sandboxed child can time with it and the report can analyse with it.

    samples = interleaved({"a": f, "b": g}, rounds=5)      # name -> [nanoseconds per call] * rounds
    result = sweep([32, 64, 128], contenders_at, rounds=5, budget_seconds=40, call_seconds=1)
    growth_exponent([32, 64, 128], [1e-4, 4e-4, 1.6e-3])    # 2.0: time ∝ side², i.e. ∝ pixels
"""
from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence

from grader.core.i18n import _

#: Captured when the module is imported (the fork server does, before any submission runs).
_clock_ns = time.perf_counter_ns


def no_sync() -> None:
    """What ``device_sync`` gives for the CPU: nothing to wait for."""


def device_sync(device: str) -> Callable[[], None]:
    """A function that waits until ``device`` has finished its queued work (CUDA runs kernels
    asynchronously: without it a timer measures only the launch)."""
    if not device.startswith("cuda"):
        return no_sync
    import torch

    return lambda: torch.cuda.synchronize(device)


def timed_call(call: Callable[[], object], sync: Callable[[], None] = no_sync) -> int:
    """Nanoseconds one ``call()`` takes, the device synchronised before and after."""
    sync()
    start = _clock_ns()
    call()
    sync()
    return _clock_ns() - start


def interleaved(contenders: Mapping[str, Callable[[], object]], rounds: int, *, warmup: int = 1,
                sync: Callable[[], None] = no_sync) -> dict[str, list[int]]:
    """``rounds`` timings (ns) of each contender, taken in turn: every round calls each contender
    once, so that drift (clock scaling, other load) falls on all of them alike, and the rounds go
    through every order of the contenders in turn, so that none always runs first or always runs
    after the same one (whose freed memory or cache state it would inherit). ``warmup`` untimed
    rounds come first (allocator, caches, lazy initialisation)."""
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    for _warmup_round in range(warmup):
        for call in contenders.values():
            timed_call(call, sync)
    samples: dict[str, list[int]] = {name: [] for name in contenders}
    for _round, order in zip(range(rounds), itertools.cycle(itertools.permutations(contenders))):
        for name in order:
            samples[name].append(timed_call(contenders[name], sync))
    return samples


def median_seconds(samples_ns: Sequence[int]) -> float:
    """The median of nanosecond samples, in seconds."""
    if not samples_ns:
        raise ValueError("no samples to take the median of")
    return statistics.median(samples_ns) / 1e9


def relative_spread(samples_ns: Sequence[int]) -> float:
    """The interquartile range over the median (0 for a single sample): how far to trust a median
    — on a machine busy with other work it grows well past 10%."""
    if len(samples_ns) < 2:
        return 0.0
    first, _, third = statistics.quantiles(samples_ns, n=4, method="inclusive")
    return (third - first) / statistics.median(samples_ns)


def growth_exponent(sides: Sequence[float], seconds: Sequence[float]) -> float | None:
    """The least-squares slope of log(time) against log(side): k in time ≈ c · side^k.

    2 means time proportional to the pixel count (side²); below 2, fixed per-call overhead still
    dominates; above 2, the work grows faster than the image. None with fewer than two sizes."""
    if len(sides) != len(seconds):
        raise ValueError(f"{len(sides)} sides but {len(seconds)} times")
    if len(set(sides)) < 2:
        return None
    if min(sides) <= 0 or min(seconds) <= 0:
        raise ValueError("sides and times must be positive to fit on a log-log scale")
    xs, ys = [math.log(s) for s in sides], [math.log(t) for t in seconds]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / spread


def sweep(sides: Sequence[int], contenders_at: Callable[[int], Mapping[str, Callable[[], object]]], *,
          rounds: int, budget_seconds: float, call_seconds: float, sync: Callable[[], None] = no_sync) -> dict:
    """Time the contenders at each side in turn (``interleaved``), smallest first, until the budget
    says stop: after a side where the slowest contender's median call took over ``call_seconds``,
    or before a side that would not fit in what is left of ``budget_seconds`` (each call
    predicted from the last side's medians, as time proportional to the pixels).

    Returns plain data: ``{"sides": [timed sides], "samples": {name: [[ns] * rounds per side]},
    "skipped": [sides not timed], "stopped": why they were not, or None}``.
    """
    started = time.monotonic()
    timed, samples, stopped = [], {}, None
    for index, side in enumerate(sides):
        if timed:
            last = {name: median_seconds(runs[-1]) for name, runs in samples.items()}
            slowest = max(last, key=last.get)
            if last[slowest] > call_seconds:
                # Translators: {name} is "submission", "reference" or "conv2d" (a contender, translated as the
                # report names it); {side}×{side} the image size timed last
                stopped = _("{name} took {seconds:.3g} s a call at {side}×{side}, over the {limit:g} s a call may "
                            "take").format(name=_(slowest), seconds=last[slowest], side=timed[-1], limit=call_seconds)
            else:
                predicted = (rounds + 1) * sum(last.values()) * (side / timed[-1]) ** 2
                left = budget_seconds - (time.monotonic() - started)
                if predicted > left:
                    stopped = _("{side}×{side} would take about {seconds:.3g} s, over the {left:.3g} s left of the "
                                "time budget").format(side=side, seconds=predicted, left=max(left, 0))
        if stopped:
            return {"sides": timed, "samples": samples, "skipped": list(sides[index:]), "stopped": stopped}
        for name, runs in interleaved(contenders_at(side), rounds, sync=sync).items():
            samples.setdefault(name, []).append(runs)
        timed.append(side)
    return {"sides": timed, "samples": samples, "skipped": [], "stopped": None}
