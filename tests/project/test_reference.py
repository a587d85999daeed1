"""The reference against independent oracles (torch's layers, d2l's own corr2d), on
Hypothesis-drawn inputs, and the reference corr2d family's promise not to loop over pixels."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.checks.tracing import torch_calls
from solutions import batch_norm, channels, conv_layer, googlenet, nin, padding_strides, pooling, resnet, vgg

FAST = settings(max_examples=40, deadline=None)


@st.composite
def image_and_kernel(draw, max_size=10):
    h, w = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    kh, kw = draw(st.integers(1, h)), draw(st.integers(1, w))
    seed = draw(st.integers(0, 2**16))
    g = torch.Generator().manual_seed(seed)
    return torch.randn(h, w, generator=g, dtype=torch.float64), torch.randn(kh, kw, generator=g, dtype=torch.float64)


@FAST
@given(image_and_kernel())
def test_corr2d_equals_torch_and_d2l(case):
    from d2l import torch as d2l
    X, K = case
    expected = F.conv2d(X[None, None], K[None, None])[0, 0]
    torch.testing.assert_close(conv_layer.corr2d(X, K), expected)
    torch.testing.assert_close(conv_layer.corr2d(X.float(), K.float()), d2l.corr2d(X.float(), K.float()))


@FAST
@given(image_and_kernel(max_size=7), st.integers(1, 4), st.integers(1, 4))
def test_channel_katas_equal_torch(case, ci, co):
    X, K = case
    X, Kin = X.expand(ci, *X.shape) * torch.arange(1, ci + 1)[:, None, None], K.expand(ci, *K.shape).clone()
    Kout = torch.stack([Kin * (o + 1) for o in range(co)])
    torch.testing.assert_close(channels.corr2d_multi_in(X, Kin), F.conv2d(X[None], Kin[None])[0, 0])
    torch.testing.assert_close(channels.corr2d_multi_in_out(X, Kout), F.conv2d(X[None], Kout)[0])
    K1 = Kout[:, :, :1, :1].contiguous()
    torch.testing.assert_close(channels.corr2d_multi_in_out_1x1(X, K1), F.conv2d(X[None], K1)[0])


@FAST
@given(image_and_kernel(), st.sampled_from(["max", "avg"]))
def test_pool2d_equals_torch_pooling(case, mode):
    X, K = case
    pool = torch.nn.MaxPool2d(K.shape, stride=1) if mode == "max" else torch.nn.AvgPool2d(K.shape, stride=1)
    torch.testing.assert_close(pooling.pool2d(X, K.shape, mode), pool(X[None, None])[0, 0])


@FAST
@given(st.integers(1, 30), st.integers(1, 7), st.integers(0, 3), st.integers(1, 4))
def test_conv_output_shape_equals_nn_conv2d(n, k, p, s):
    if k > n + 2 * p:
        return
    conv = torch.nn.Conv2d(1, 1, (k, 1), stride=(s, 1), padding=(p, 0), device="meta")
    expected = tuple(conv(torch.empty(1, 1, n, 3, device="meta")).shape[2:])
    assert padding_strides.conv_output_shape((n, 3), (k, 1), (p, 0), (s, 1)) == expected


@FAST
@given(st.integers(2, 6), st.integers(1, 5), st.sampled_from([2, 4]), st.integers(0, 2**16))
def test_batch_norm_equals_torch_in_training(n, c, dims, seed):
    g = torch.Generator().manual_seed(seed)
    shape = (n, c) if dims == 2 else (n, c, 3, 2)
    X = torch.randn(shape, generator=g, dtype=torch.float64) * 3 + 1
    layer = batch_norm.BatchNorm(c, dims).double()
    oracle = (torch.nn.BatchNorm1d if dims == 2 else torch.nn.BatchNorm2d)(c).double()
    torch.testing.assert_close(layer(X), oracle(X))
    torch.testing.assert_close(layer.moving_mean.flatten(), oracle.running_mean)
    with torch.no_grad():  # moving variance is biased here, unbiased in torch: compare the formula
        biased = X.var(dim=(0,) if dims == 2 else (0, 2, 3), unbiased=False)
        torch.testing.assert_close(layer.moving_var.flatten(), 0.9 + 0.1 * biased)


@pytest.mark.parametrize("call", [
    lambda X: conv_layer.corr2d(X, torch.ones(3, 3)),
    lambda X: channels.corr2d_multi_in(torch.stack([X, X]), torch.ones(2, 3, 3)),
    lambda X: channels.corr2d_multi_in_out_1x1(torch.stack([X, X]), torch.ones(4, 2, 1, 1)),
    lambda X: pooling.pool2d(X, (3, 3), "max"),
], ids=["corr2d", "corr2d_multi_in", "corr2d_multi_in_out_1x1", "pool2d"])
def test_reference_does_not_loop_over_output_pixels(call):
    """The number of torch operations does not grow with the image size."""
    assert len(torch_calls(lambda: call(torch.ones(4, 4)))) == len(torch_calls(lambda: call(torch.ones(64, 64))))


# Shapes as the seed notes (and d2l) print them: `for layer in net: X = layer(X); print(...)`.
SEED_LAYOUTS = {
    "vgg": (lambda: vgg.vgg(vgg.VGG11_ARCH), 224, [
        ("Sequential", (1, 64, 112, 112)), ("Sequential", (1, 128, 56, 56)), ("Sequential", (1, 256, 28, 28)),
        ("Sequential", (1, 512, 14, 14)), ("Sequential", (1, 512, 7, 7)), ("Flatten", (1, 25088)),
        ("Linear", (1, 4096)), ("ReLU", (1, 4096)), ("Dropout", (1, 4096)), ("Linear", (1, 4096)),
        ("ReLU", (1, 4096)), ("Dropout", (1, 4096)), ("Linear", (1, 10))]),
    "nin": (nin.nin, 224, [
        ("Sequential", (1, 96, 54, 54)), ("MaxPool2d", (1, 96, 26, 26)), ("Sequential", (1, 256, 26, 26)),
        ("MaxPool2d", (1, 256, 12, 12)), ("Sequential", (1, 384, 12, 12)), ("MaxPool2d", (1, 384, 5, 5)),
        ("Dropout", (1, 384, 5, 5)), ("Sequential", (1, 10, 5, 5)), ("AdaptiveAvgPool2d", (1, 10, 1, 1)),
        ("Flatten", (1, 10))]),
    "googlenet": (googlenet.googlenet, 96, [
        ("Sequential", (1, 64, 24, 24)), ("Sequential", (1, 192, 12, 12)), ("Sequential", (1, 480, 6, 6)),
        ("Sequential", (1, 832, 3, 3)), ("Sequential", (1, 1024)), ("Linear", (1, 10))]),
    "resnet18": (resnet.resnet18, 224, [
        ("Sequential", (1, 64, 56, 56)), ("Sequential", (1, 64, 56, 56)), ("Sequential", (1, 128, 28, 28)),
        ("Sequential", (1, 256, 14, 14)), ("Sequential", (1, 512, 7, 7)), ("AdaptiveAvgPool2d", (1, 512, 1, 1)),
        ("Flatten", (1, 512)), ("Linear", (1, 10))]),
}


@pytest.mark.parametrize("name", SEED_LAYOUTS)
def test_reference_networks_print_the_seeds_shapes(name):
    build, size, expected = SEED_LAYOUTS[name]
    with torch.device("meta"):
        net = build()
        X = torch.empty(1, 1, size, size)
        layout = []
        for layer in net:
            X = layer(X)
            layout.append((type(layer).__name__, tuple(X.shape)))
    assert layout == expected


def test_reference_residual_prints_the_seeds_shapes():
    X = torch.rand(4, 3, 6, 6)
    assert resnet.Residual(3, 3)(X).shape == (4, 3, 6, 6)
    assert resnet.Residual(3, 6, use_1x1conv=True, strides=2)(X).shape == (4, 6, 3, 3)


def test_reference_functions_pass_gradcheck():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(5, 6, generator=g, dtype=torch.float64, requires_grad=True)
    K = torch.randn(2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(conv_layer.corr2d, (X, K))
    Xc = torch.randn(3, 5, 4, generator=g, dtype=torch.float64, requires_grad=True)
    Kc = torch.randn(2, 3, 2, 2, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(channels.corr2d_multi_in_out, (Xc, Kc))
    assert torch.autograd.gradcheck(lambda x: pooling.pool2d(x, (2, 3), "avg"), (X,))
    assert torch.autograd.gradcheck(lambda x: pooling.pool2d(x, (2, 3), "max"), (X,))
    Xb = torch.randn(4, 3, 2, 2, generator=g, dtype=torch.float64, requires_grad=True)
    gamma = torch.rand(1, 3, 1, 1, generator=g, dtype=torch.float64, requires_grad=True)
    beta = torch.rand(1, 3, 1, 1, generator=g, dtype=torch.float64, requires_grad=True)
    stats = torch.zeros(1, 3, 1, 1, dtype=torch.float64), torch.ones(1, 3, 1, 1, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x, a, b: batch_norm.batch_norm(x, a, b, *stats, 1e-5, 0.1)[0],
                                    (Xb, gamma, beta))
