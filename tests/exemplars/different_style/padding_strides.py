"""d2l 7.3 — padding and stride."""
import torch
from torch import nn

from ._args import hw


def _axis(n, k, p, s):
    span = n + p + p
    if span < k:
        raise ValueError(f"a kernel of {k} does not fit an input of {n} padded by {p} per side")
    # number of window starts 0, s, 2s, ... that are <= span - k
    return -((k - span - 1) // s)


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    n = hw(input_size, "input_size", 1)
    k = hw(kernel_size, "kernel_size", 1)
    p = hw(padding, "padding", 0)
    s = hw(stride, "stride", 1)
    return tuple(_axis(*args) for args in zip(n, k, p, s))


def comp_conv2d(conv2d, X):
    out = conv2d(X[None, None])
    return out[0, 0]


def same_padding(kernel_size):
    kh, kw = hw(kernel_size, "kernel_size", 1)
    bad = [k for k in (kh, kw) if not k & 1]
    if bad:
        raise ValueError(f"'same' padding needs odd kernel sizes; {bad[0]} is even")
    pads = (kh >> 1, kw >> 1)
    return pads if not isinstance(kernel_size, int) else pads[0]
