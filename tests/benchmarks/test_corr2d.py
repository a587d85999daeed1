"""corr2d benchmarks: d2l's per-pixel loop (small images only), the implementation under test,
the reference, unfold (im2col) and F.conv2d, for every image side in SIZES and kernel side in
KERNELS; one group per kernel, image and device."""
import pytest

from .workloads import corr2d_call, corr2d_function, corr2d_params, time_call


@pytest.mark.parametrize("variant, size, kernel, device", corr2d_params())
def test_corr2d(bench, implementations, measurable, variant, size, kernel, device):
    bench.group = f"corr2d {kernel}x{kernel} on {size}x{size} ({device})"
    with measurable(variant):
        call = corr2d_call(corr2d_function(variant, implementations), size, kernel, device)
    time_call(bench, call, device)
