"""Benchmarks of the channel katas (multiple input channels, multiple output channels, 1×1) by
the implementation under test and the reference, against F.conv2d; one group per kata, image
side and device."""
import pytest

from .workloads import CHANNEL_KATAS, CHANNEL_SIZES, CHANNEL_VARIANTS, channel_call, device_params, time_call


@pytest.mark.parametrize("device", device_params())
@pytest.mark.parametrize("size", CHANNEL_SIZES)
@pytest.mark.parametrize("kata", CHANNEL_KATAS)
@pytest.mark.parametrize("variant", CHANNEL_VARIANTS)
def test_channel_kata(bench, implementations, measurable, variant, kata, size, device):
    bench.group = f"{kata} on {size}x{size} ({device})"
    with measurable(variant):
        call = channel_call(kata, variant, implementations, size, device)
    time_call(bench, call, device)
