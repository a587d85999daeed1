"""Benchmarks of one training pass (forward and backward) of every network kata's network, at
the reduced size its checks use, built by the implementation under test and by the reference;
one group per kata and device."""
import pytest

from .workloads import NETWORK_VARIANTS, NETWORKS, device_params, network_call, time_call


@pytest.mark.parametrize("device", device_params())
@pytest.mark.parametrize("kata", NETWORKS)
@pytest.mark.parametrize("variant", NETWORK_VARIANTS)
def test_network_training_pass(bench, implementations, measurable, variant, kata, device):
    workload = NETWORKS[kata]
    bench.group = f"{kata} forward+backward on {workload.input_shape} ({device})"
    with measurable(variant):
        call = network_call(workload, implementations[variant].module(workload.module), device)
    time_call(bench, call, device)
