"""The benchmarks' smoke test, part of `make test`: every workload runs on tiny inputs and gives
torch's answer, once more through time_call with a one-round stand-in for pytest-benchmark's
fixture (its CUDA path where there is a GPU). Each network's training pass runs once (its own
check: every parameter gets a gradient) on the meta device, shapes only (on the CPU they take
seconds), or on CUDA."""
import pytest

from .ratios import corr2d_times, kernel_table, markdown_table
from .workloads import (
    CHANNEL_KATAS,
    CHANNEL_VARIANTS,
    KERNELS,
    NETWORK_VARIANTS,
    NETWORKS,
    channel_call,
    corr2d_call,
    corr2d_function,
    corr2d_params,
    device_params,
    network_call,
    time_call,
)

TINY = 9


class OneRound:
    """pytest-benchmark's fixture as --benchmark-disable makes it: the timed function runs once."""

    def __init__(self):
        self.extra_info = {}
        self.rounds = 0

    def __call__(self, function):
        self.rounds += 1
        return function()

    def pedantic(self, function, *, setup=None, warmup_rounds=0, rounds=1):
        if setup is not None:
            setup()
        return self(function)


def run_once(call, device):
    bench = OneRound()
    time_call(bench, call, device)
    assert bench.rounds == 1 and bench.extra_info["device"]


@pytest.mark.parametrize("variant, size, kernel, device", corr2d_params(sizes=(TINY,), kernels=KERNELS))
def test_corr2d_workload(implementations, measurable, variant, size, kernel, device):
    with measurable(variant):
        run_once(corr2d_call(corr2d_function(variant, implementations), size, kernel, device), device)


@pytest.mark.parametrize("device", device_params())
@pytest.mark.parametrize("variant", CHANNEL_VARIANTS)
def test_channel_workloads(implementations, measurable, variant, device):
    for kata in CHANNEL_KATAS:
        with measurable(variant):
            run_once(channel_call(kata, variant, implementations, TINY, device), device)


@pytest.mark.parametrize("device", device_params(("meta", "cuda")))
@pytest.mark.parametrize("variant", NETWORK_VARIANTS)
def test_network_workloads(implementations, measurable, variant, device):
    for workload in NETWORKS.values():
        with measurable(variant):
            network_call(workload, implementations[variant].module(workload.module), device)


def test_ratio_table_compares_each_size_with_the_reference():
    def bench(variant, size, seconds, kernel=3):
        return {"name": f"test_corr2d[{variant}-{kernel}x{kernel}-{size}-cpu]", "stats": {"min": seconds},
                "params": {"variant": variant, "size": size, "kernel": kernel, "device": "cpu"}}
    run = {"benchmarks": [bench("reference", 64, 2e-5), bench("F.conv2d", 64, 1e-5), bench("reference", 32, 1e-3),
                          bench("F.conv2d", 32, 3e-3), bench("F.conv2d", 32, 1.0, kernel=5)]}
    times = corr2d_times(run, kernel=3, device="cpu", stat="min")
    assert times == {32: {"reference": 1e-3, "F.conv2d": 3e-3}, 64: {"reference": 2e-5, "F.conv2d": 1e-5}}
    assert markdown_table(times).splitlines()[2:] == ["| 32² | 1.00 ms | 3.00 ms | 0.33× |",
                                                      "| 64² | 20.0 µs | 10.0 µs | 2.0× |"]
    assert kernel_table(run, [3, 5], "cpu", "min").splitlines()[2:] == ["| 32² | 0.33× | — |", "| 64² | 2.0× | — |"]
