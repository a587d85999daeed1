"""Fixtures of the benchmarks: the implementations they compare, and ``bench`` (pytest-benchmark's
fixture with torch's thread count set and the run described in extra_info). A run without
--benchmark-only (pyproject's addopts has --benchmark-skip: a plain `pytest`, `make test`)
deselects the benchmarks; the smoke test stays.

$KATA_BENCH_THREADS sets torch's intra-op threads (default 1, as the grader runs the checks).
"""
from __future__ import annotations

import os
import platform
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

from grader.core.implementation import load_implementation
from grader.learner.pytest_plugin import runner_for

from .workloads import SEED_LOOP, Implementations, device_name, skipped_if_pending

HERE = Path(__file__).parent


def bench_threads() -> int:
    return int(os.environ.get("KATA_BENCH_THREADS", "1"))


def pytest_collection_modifyitems(config, items):
    if not config.getoption("benchmark_skip") or config.getoption("benchmark_only"):
        return
    benchmarks = {item for item in items
                  if "benchmark" in getattr(item, "fixturenames", ()) and item.path.is_relative_to(HERE)}
    if benchmarks:
        config.hook.pytest_deselected(items=[item for item in items if item in benchmarks])
        items[:] = [item for item in items if item not in benchmarks]


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["torch"] = torch.__version__
    machine_info["torch_threads"] = bench_threads()
    machine_info["cpu_model"] = device_name("cpu")
    if torch.cuda.is_available():
        machine_info["cuda_device"] = device_name("cuda")


@pytest.fixture(scope="session")
def implementations(pytestconfig) -> Implementations:
    """``impl`` (the implementation under test, --impl), ``reference`` (solutions/) and
    ``seed_loop`` (the book-style exemplar, for its per-pixel corr2d)."""
    runner = runner_for(pytestconfig)
    return {"impl": runner.impl, "reference": runner.reference, "seed_loop": load_implementation(SEED_LOOP)}


@pytest.fixture
def measurable(implementations):
    """``with measurable(variant):`` around preparing a benchmark's call: skips it when the variant
    is ``impl`` and --impl is the reference (its rows would repeat the reference's), or when the
    variant's kata is still a stub."""
    @contextmanager
    def guard(variant: str):
        if variant == "impl" and implementations["impl"].root == implementations["reference"].root:
            pytest.skip("--impl is the reference: see the reference's rows")
        with skipped_if_pending(variant):
            yield
    return guard


@pytest.fixture
def bench(benchmark, pytestconfig):
    """pytest-benchmark's ``benchmark``, run with bench_threads() torch threads, and with the
    machine, torch and the implementation under test in its extra_info (saved in the run's JSON)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(bench_threads())
    benchmark.extra_info.update(torch=torch.__version__, torch_threads=torch.get_num_threads(),
                                machine=f"{platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs)",
                                cpu=device_name("cpu"), impl=str(runner_for(pytestconfig).impl.root))
    yield benchmark
    torch.set_num_threads(threads)
