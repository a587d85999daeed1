"""Seeded input generators shared by the checks. Every generator is a pure function of its seed,
so a judge can regenerate the inputs a probe saw (for an independent oracle), and a failure
reproduces from the seed it prints."""
from __future__ import annotations

import zlib

import torch

from grader.core.i18n import N_


def make_rng(seed: int, stream: str) -> torch.Generator:
    """A generator for one named stream of draws: different streams of one seed are independent
    (inputs never correlate with, say, the upstream gradient a check applies to them)."""
    return torch.Generator().manual_seed(zlib.crc32(f"{seed}:{stream}".encode()))


def randint(rng: torch.Generator, low: int, high: int) -> int:
    """A uniform int in [low, high]."""
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def as_pair(value: int | tuple[int, int]) -> tuple[int, int]:
    """An int-or-pair argument (a size, kernel, padding or stride) as an (h, w) pair."""
    return (value, value) if isinstance(value, int) else tuple(value)


def normal(rng: torch.Generator, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(shape, generator=rng, dtype=torch.float64).to(dtype)


def small_ints(rng: torch.Generator, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Integers in [-4, 4] as floats: sums of their products are exact, so results compare exactly."""
    return torch.randint(-4, 5, shape, generator=rng).to(dtype)


def _kernel_within(rng: torch.Generator, h: int, w: int) -> tuple[int, int, int, int]:
    return h, w, randint(rng, 1, h), randint(rng, 1, w)


def image_and_kernel_sizes(seed: int, count: int, *, max_size: int = 12) -> list[tuple[int, int, int, int]]:
    """``count`` (h, w, kh, kw) with 1 <= kh <= h, 1 <= kw <= w: first one drawn from the seed (at
    least 2×2), then the edge cases — a 1×1 kernel, a kernel as large as the input, a single row and
    a single column, a non-square input and kernel, a square kernel — then more drawn from the seed.
    The drawn one leads so that a check that takes only the first few cases (dtype and device,
    gradients) still sees sizes nobody knew in advance: its data, even shapes alone, cannot be a
    constant."""
    rng = make_rng(seed, "sizes")
    sizes = [_kernel_within(rng, randint(rng, 2, max_size), randint(rng, 2, max_size)),
             (5, 7, 1, 1), (4, 6, 4, 6), (1, 9, 1, 3), (9, 1, 3, 1), (6, 11, 3, 2), (7, 5, 3, 3)]
    while len(sizes) < count:
        sizes.append(_kernel_within(rng, randint(rng, 1, max_size), randint(rng, 1, max_size)))
    return sizes[:count]


def spatial_cases(seed: int, count: int, *, max_size: int = 12) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(X (h, w), K (kh, kw)) pairs of normal values over image_and_kernel_sizes."""
    rng = make_rng(seed, "spatial")
    return [(normal(rng, h, w), normal(rng, kh, kw)) for h, w, kh, kw in image_and_kernel_sizes(seed, count,
                                                                                               max_size=max_size)]


def channel_counts(rng: torch.Generator, count: int, *, most: int) -> list[tuple[int, int]]:
    """``count`` (ci, co) in [1, most]: one input channel in the first, one output channel in the second,
    the rest drawn."""
    counts = [(1, randint(rng, 1, most)), (randint(rng, 2, most), 1)]
    while len(counts) < count:
        counts.append((randint(rng, 1, most), randint(rng, 1, most)))
    return counts[:count]


def channel_cases(seed: int, count: int, *, out_channels: bool) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(X (ci, h, w), K (ci, kh, kw)) pairs — or K (co, ci, kh, kw) with ``out_channels``."""
    rng = make_rng(seed, "channels")
    cases = []
    for (h, w, kh, kw), (ci, co) in zip(image_and_kernel_sizes(seed, count, max_size=9),
                                        channel_counts(rng, count, most=4)):
        kernel_shape = (co, ci, kh, kw) if out_channels else (ci, kh, kw)
        cases.append((normal(rng, ci, h, w), normal(rng, *kernel_shape)))
    return cases


def one_by_one_cases(seed: int, count: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(X (ci, h, w), K (co, ci, 1, 1)) pairs for the 1×1 convolution."""
    rng = make_rng(seed, "one_by_one")
    cases = []
    for (h, w, _, _), (ci, co) in zip(image_and_kernel_sizes(seed, count, max_size=9),
                                      channel_counts(rng, count, most=5)):
        cases.append((normal(rng, ci, h, w), normal(rng, co, ci, 1, 1)))
    return cases


def pool_cases(seed: int, count: int) -> list[tuple[torch.Tensor, tuple[int, int]]]:
    """(X (h, w), (ph, pw)) pairs; X's values are distinct (so the max of a window is unique) and of
    both signs (so a max that starts from zero is wrong)."""
    rng = make_rng(seed, "pool")
    cases = []
    for h, w, ph, pw in image_and_kernel_sizes(seed, count):
        values = (torch.randperm(h * w, generator=rng).to(torch.float32).reshape(h, w) - h * w / 2) / (h * w)
        cases.append((values, (ph, pw)))
    return cases


def edge_image(height: int = 6, width: int = 8, dark_columns: slice = slice(2, 6)) -> torch.Tensor:
    """The book's image: ones with a band of zero columns, which makes two vertical edges."""
    X = torch.ones((height, width))
    X[:, dark_columns] = 0
    return X


def seeded_edge_image(rng: torch.Generator, *, max_height: int = 8, max_width: int = 10) -> torch.Tensor:
    """An edge_image of seeded size (at least 4×6) whose band of zero columns starts and ends at
    seeded places inside it, bright columns on both sides: both vertical edges are there."""
    height, width = randint(rng, 4, max_height), randint(rng, 6, max_width)
    start = randint(rng, 1, width - 2)
    return edge_image(height, width, slice(start, randint(rng, start + 1, width - 1)))


def odd_kernel_sizes(seed: int, count: int, *, max_size: int = 15) -> list:
    """``count`` odd kernel sizes in [1, max_size], as ints and (kh, kw) pairs: led by 1, then a
    drawn int, then a drawn pair of two different sizes, then a seeded mix."""
    rng = make_rng(seed, "odd kernels")

    def odd() -> int:
        return 2 * randint(rng, 0, (max_size - 1) // 2) + 1

    sizes: list = [1, odd()]
    kh, kw = odd(), odd()
    while kw == kh:
        kw = odd()
    sizes.append((kh, kw))
    while len(sizes) < count:
        sizes.append(odd() if randint(rng, 0, 1) else (odd(), odd()))
    return sizes[:count]


def transposed_view(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor``'s values as the transpose of a contiguous tensor, as ``X.t()`` gives: not contiguous."""
    return tensor.transpose(-2, -1).contiguous().transpose(-2, -1)


def stepped_view(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor``'s values as every other column of a tensor twice as wide, as ``X[:, ::2]`` gives."""
    wide = torch.zeros(*tensor.shape[:-1], 2 * tensor.shape[-1], dtype=tensor.dtype)
    wide[..., ::2] = tensor
    return wide[..., ::2]


def expanded_rows(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor``'s first row, repeated by ``expand`` to its shape: new values, read-only (every row is
    the same memory)."""
    return tensor[..., :1, :].expand(tensor.shape)


#: Memory layouts a correct function must read like any other: (how the inputs are given, make). The
#: texts are English: ``_(text)`` where a label shows them.
LAYOUTS = (
    # Translators: how a check lays out a kata's input tensors in memory, after their names ("X and K transposed (...)")
    (N_("transposed (views as X.t() gives: not contiguous)"), transposed_view),
    (N_("stepped (slices as X[:, ::2] gives: not contiguous)"), stepped_view),
    (N_("expanded (one row repeated by .expand: read-only)"), expanded_rows),
)


def with_dtype_device(args: tuple, *, dtype: torch.dtype | None = None, device: str | None = None) -> tuple:
    """``args`` with every floating tensor moved to ``dtype`` and/or ``device``."""
    return tuple(a.to(dtype=dtype or a.dtype, device=device or a.device)
                 if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in args)
