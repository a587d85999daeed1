# Your code for these katas. Replace each `raise NotImplementedError(...)` with your implementation;
# `make grade` shows your progress. Generated from solutions/padding_strides.py by `make exercises`.
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
    raise NotImplementedError("conv_output_shape: implement conv_output_shape (d2l 7.3)")


def comp_conv2d(conv2d: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Apply a one-in, one-out channel ``conv2d`` layer to a single 2-D X (h, w) → (h', w').

    Adds batch and channel dimensions of size 1 before the layer and removes them after it.
    """
    raise NotImplementedError("comp_conv2d: implement comp_conv2d (d2l 7.3)")


def same_padding(kernel_size):
    """Padding per side that keeps the input size at stride 1: (k - 1) / 2 along each axis.

    Returns an int for an int kernel size and an (h, w) tuple for a pair. Raises ValueError for an
    even kernel size, which no symmetric padding can keep the size for.
    """
    raise NotImplementedError("same_padding: implement same_padding (d2l 7.3)")
