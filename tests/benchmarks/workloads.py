"""What the benchmarks time, shared by the benchmarks and their smoke test: the corr2d variants,
the channel katas and the network katas' training passes, and how a call is timed (on CUDA too).

Each ``*_call`` builds seeded float32 inputs, checks the result once (which also warms up) and
returns the zero-argument call to time. ``implementations`` maps ``impl`` (--impl), ``reference``
(solutions/) and ``seed_loop`` (the book-style exemplar) to their Implementation.
"""
from __future__ import annotations

import importlib
import platform
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.checks.batch_norm import LENET_BN
from grader.checks.generators import make_rng, normal
from grader.checks.modules import NetworkKata
from grader.core.implementation import Implementation
from grader.core.manifest import load_manifest

#: Sides of the square images and kernels of the corr2d benchmarks.
SIZES = (32, 64, 128, 256, 512, 1024, 2048)
KERNELS = (2, 3, 5, 7)
#: d2l's per-pixel loop takes seconds on larger images.
SEED_LOOP_MAX_SIZE = 128
#: d2l 7.2's corr2d as the book (and the seed notes) write it: a Python loop over output pixels.
SEED_LOOP = Path(__file__).resolve().parent.parent / "exemplars" / "book_style"

Implementations = dict[str, Implementation]

#: Where the benchmarks run; the CUDA ones are marked gpu and skipped cleanly without a GPU.
DEVICES = ("cpu", "cuda")
GPU_MARKS = (pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"))


def on_device(*values, device: str, id: str = ""):
    """``pytest.param(*values, device)``, with GPU_MARKS on CUDA."""
    return pytest.param(*values, device, id="-".join(filter(None, [id, device])),
                        marks=GPU_MARKS if device == "cuda" else ())


def device_params(devices=DEVICES) -> list:
    return [on_device(device=device) for device in devices]


def conv2d_corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """corr2d by torch's convolution (which, like corr2d, does not flip the kernel)."""
    return F.conv2d(X[None, None], K[None, None])[0, 0]


def unfold_corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """corr2d as im2col: every kh×kw window of X (h, w) a column of (kh·kw, out_h·out_w), then one
    product with K."""
    (h, w), (kh, kw) = X.shape, K.shape
    windows = F.unfold(X[None, None], K.shape)[0]
    return torch.einsum("k,kp->p", K.flatten(), windows).reshape(h - kh + 1, w - kw + 1)


#: The corr2d variants that torch provides; the others are the kata modules of ``implementations``.
TORCH_CORR2D = {"unfold": unfold_corr2d, "F.conv2d": conv2d_corr2d}
CORR2D_VARIANTS = ("seed_loop", "impl", "reference", "unfold", "F.conv2d")


def corr2d_params(sizes=SIZES, kernels=KERNELS) -> list:
    """pytest params (variant, size, kernel, device); d2l's loop only on small images, on the CPU
    (on a GPU it is one tiny kernel launch per output pixel)."""
    return [on_device(variant, size, kernel, device=device, id=f"{variant}-{kernel}x{kernel}-{size}")
            for device in DEVICES for kernel in kernels for size in sizes for variant in CORR2D_VARIANTS
            if variant != "seed_loop" or (device == "cpu" and size <= SEED_LOOP_MAX_SIZE)]


def corr2d_function(variant: str, implementations: Implementations) -> Callable:
    """The corr2d(X, K) that ``variant`` (one of CORR2D_VARIANTS) names."""
    if variant in TORCH_CORR2D:
        return TORCH_CORR2D[variant]
    return implementations[variant].module("conv_layer").corr2d


@contextmanager
def skipped_if_pending(variant: str):
    """Skip the test when ``variant``'s kata raises NotImplementedError (still the stub)."""
    try:
        yield
    except NotImplementedError as exc:
        pytest.skip(f"{variant}: not implemented yet ({exc})")


def checked(call: Callable[[], torch.Tensor], expected: torch.Tensor, what: str) -> Callable[[], torch.Tensor]:
    """``call``, once it has returned ``expected`` (float32 sums in another order; on CUDA, cuDNN may
    use TF32)."""
    tolerance = 1e-2 if expected.device.type == "cuda" else 1e-4
    torch.testing.assert_close(call(), expected, rtol=tolerance, atol=tolerance, msg=lambda m: f"{what}: {m}")
    return call


def corr2d_call(corr2d: Callable, size: int, kernel: int, device: str = "cpu") -> Callable[[], torch.Tensor]:
    """``corr2d(X, K)`` with X (size, size) and K (kernel, kernel), checked against F.conv2d."""
    rng = make_rng(0, f"corr2d {size} {kernel}")
    X, K = normal(rng, size, size).to(device), normal(rng, kernel, kernel).to(device)
    return checked(lambda: corr2d(X, K), conv2d_corr2d(X, K), f"corr2d on {size}×{size} with a {kernel}×{kernel} kernel")


@dataclass(frozen=True)
class ChannelKata:
    """A kata of channels.py: its function, K's shape for ci input and co output channels, and the
    same computation by F.conv2d on X (ci, h, w)."""

    symbol: str
    kernel_shape: Callable[[int, int], tuple[int, ...]]
    conv2d: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


CHANNEL_KATAS = {
    "corr2d_multi_in": ChannelKata("corr2d_multi_in", lambda ci, co: (ci, 3, 3),
                                   lambda X, K: F.conv2d(X[None], K[None])[0, 0]),
    "corr2d_multi_in_out": ChannelKata("corr2d_multi_in_out", lambda ci, co: (co, ci, 3, 3),
                                       lambda X, K: F.conv2d(X[None], K)[0]),
    "corr2d_1x1": ChannelKata("corr2d_multi_in_out_1x1", lambda ci, co: (co, ci, 1, 1),
                              lambda X, K: F.conv2d(X[None], K)[0]),
}
CHANNEL_SIZES = (32, 128, 512)
IN_CHANNELS, OUT_CHANNELS = 4, 8
CHANNEL_VARIANTS = ("impl", "reference", "F.conv2d")


def channel_call(kata: str, variant: str, implementations: Implementations, size: int,
                 device: str = "cpu") -> Callable[[], torch.Tensor]:
    """The channel kata on X (IN_CHANNELS, size, size) — by ``variant``'s channels.py, or by
    F.conv2d — checked against F.conv2d."""
    spec = CHANNEL_KATAS[kata]
    rng = make_rng(0, f"{kata} {size}")
    X = normal(rng, IN_CHANNELS, size, size).to(device)
    K = normal(rng, *spec.kernel_shape(IN_CHANNELS, OUT_CHANNELS)).to(device)
    function = spec.conv2d if variant == "F.conv2d" else getattr(implementations[variant].module("channels"), spec.symbol)
    return checked(lambda: function(X, K), spec.conv2d(X, K), f"{kata} on {tuple(X.shape)} with K {tuple(K.shape)}")


@dataclass(frozen=True)
class NetworkWorkload:
    """A network kata's network, built from its kata module, and the input shape it is timed on."""

    kata: str
    module: str
    build: Callable[[ModuleType], nn.Module]
    input_shape: tuple[int, ...]


def network_workloads() -> dict[str, NetworkWorkload]:
    """Every network kata, in manifest order, at the reduced size its checks use: the first numeric
    case of its NetworkKata spec; for batch_norm_module, the LeNet its training check trains, on one
    of that check's batches."""
    module_of = {kata.id: kata.module for kata in load_manifest()}
    found = {LENET_BN.kata: NetworkWorkload(LENET_BN.kata, module_of[LENET_BN.kata], LENET_BN.build,
                                            (LENET_BN.batch_size, 1, LENET_BN.size, LENET_BN.size))}
    for module in dict.fromkeys(module_of.values()):
        for spec in vars(importlib.import_module(f"grader.checks.{module}")).values():
            if isinstance(spec, NetworkKata):
                case = spec.numeric_cases[0]
                found[spec.kata] = NetworkWorkload(spec.kata, module, lambda m, s=spec, c=case: s.build(m, c)[0],
                                                   case.input_shape)
    return {kata: found[kata] for kata in module_of if kata in found}


NETWORKS = network_workloads()
NETWORK_VARIANTS = ("impl", "reference")


def network_call(workload: NetworkWorkload, module: ModuleType, device: str = "cpu") -> Callable[[], None]:
    """One training pass, forward and backward (no optimizer step), of the network built from
    ``module`` on ``device`` (``meta`` runs only the shapes), in training mode and float32; checked
    once to give every parameter a gradient."""
    with torch.device(device):
        net = workload.build(module)
    net.train()
    x = normal(make_rng(0, workload.kata), *workload.input_shape).to(device)

    def forward_backward():
        net.zero_grad(set_to_none=True)
        net(x).sum().backward()
    forward_backward()
    no_gradient = [name for name, p in net.named_parameters() if p.grad is None]
    assert not no_gradient, f"{workload.kata}: no gradient reaches {', '.join(no_gradient[:5])}"
    return forward_backward


#: CUDA timing: untimed rounds first (CUDA context, cuDNN's choice of algorithm, the caching
#: allocator), then timed rounds of one call each.
CUDA_WARMUP_ROUNDS = 5
CUDA_ROUNDS = 30


def device_name(device: str) -> str:
    """The GPU's name for a CUDA device, else the CPU's model name."""
    if torch.device(device).type == "cuda":
        return torch.cuda.get_device_name(torch.device(device))
    cpuinfo = Path("/proc/cpuinfo")
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
              if line.startswith("model name")] if cpuinfo.exists() else []
    return models[0] if models else platform.processor() or platform.machine()


def time_call(benchmark, call: Callable[[], object], device: str = "cpu") -> None:
    """Time ``call`` with pytest-benchmark. CUDA kernels run asynchronously, so there every timed
    round starts after a synchronize (no earlier work counts) and ends with one (all of its own work
    does), after CUDA_WARMUP_ROUNDS; the GPU's own time per call (CUDA events) goes to extra_info."""
    benchmark.extra_info["device"] = device_name(device)
    if torch.device(device).type != "cuda":
        benchmark(call)
        return

    def call_and_wait():
        call()
        torch.cuda.synchronize()
    benchmark.pedantic(call_and_wait, setup=torch.cuda.synchronize, warmup_rounds=CUDA_WARMUP_ROUNDS,
                       rounds=CUDA_ROUNDS)
    benchmark.extra_info["cuda_event_ms"] = cuda_event_ms(call)


def cuda_event_ms(call: Callable[[], object], repeats: int = CUDA_ROUNDS) -> float:
    """GPU time per call in ms: between CUDA events recorded before and after ``repeats`` calls."""
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    for _ in range(repeats):
        call()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / repeats
