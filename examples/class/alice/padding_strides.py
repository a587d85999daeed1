"""d2l 7.3 — Padding and stride: output shapes, the book's comp_conv2d helper, 'same' padding.

Without padding, a k×k kernel shrinks the image by k - 1 rows and columns; padding adds a border of
zeros so that deep networks keep their size. A stride s moves the window s pixels at a time and
divides the output by about s. With padding p on each side, a side of n gives
floor((n + 2p - k) / s) + 1 outputs.
"""
import torch
from torch import nn

from ._args import as_pair


def conv_output_shape(input_size, kernel_size, padding=0, stride=1) -> tuple[int, int]:
    """Output (h, w) of a convolution, as ``nn.Conv2d`` computes it.

    Each argument is an int or an (h, w) pair; padding is added on every side, so along one axis
    out = floor((n + 2 * p - k) / s) + 1. Raises ValueError when the kernel does not fit the
    padded input or an argument is out of range (sizes, kernel, stride >= 1; padding >= 0).
    """
    size = as_pair(input_size, "input_size", minimum=1)
    kernel = as_pair(kernel_size, "kernel_size", minimum=1)
    pad = as_pair(padding, "padding", minimum=0)
    step = as_pair(stride, "stride", minimum=1)
    shape = tuple((n + 2 * p - k) // s + 1 for n, k, p, s in zip(size, kernel, pad, step))
    if min(shape) < 1:
        raise ValueError(f"kernel {kernel} does not fit input {size} padded by {pad}")
    return shape


def comp_conv2d(conv2d: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Apply a one-in, one-out channel ``conv2d`` layer to a single 2-D X (h, w) → (h', w').

    Adds batch and channel dimensions of size 1 before the layer and removes them after it.
    """
    Y = conv2d(X.reshape((1, 1) + X.shape))
    return Y.reshape(Y.shape[2:])


def same_padding(kernel_size):
    """Padding per side that keeps the input size at stride 1: (k - 1) / 2 along each axis.

    Returns an int for an int kernel size and an (h, w) tuple for a pair. Raises ValueError for an
    even kernel size, which no symmetric padding can keep the size for.
    """
    kernel = as_pair(kernel_size, "kernel_size", minimum=1)
    if any(k % 2 == 0 for k in kernel):
        raise ValueError(f"same_padding needs an odd kernel size, got {kernel_size!r}: "
                         "an even kernel would need more padding on one side than the other")
    padding = tuple((k - 1) // 2 for k in kernel)
    return padding[0] if isinstance(kernel_size, int) else padding
