# Your code for these katas. Replace each `raise NotImplementedError(...)` with your implementation;
# `make grade` shows your progress. Generated from solutions/channels.py by `make exercises`.
"""d2l 7.4 — Multiple input and output channels, and the 1×1 convolution.

Colour images and feature maps have several channels. A kernel holds one 2-D slice per input
channel; their cross-correlations are summed into one output channel, and a layer with c_o output
channels has one such kernel per output: shape (c_o, c_i, k_h, k_w). A 1×1 convolution mixes the
channels at each pixel without looking at its neighbours: a fully connected layer, pixel by pixel.
"""
import torch

from .conv_layer import corr2d


def corr2d_multi_in(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Cross-correlate X (ci, h, w) with K (ci, kh, kw) channel by channel and sum the channels.

    Returns (h - kh + 1, w - kw + 1). Raises ValueError when X and K have different channel counts.
    """
    raise NotImplementedError("corr2d_multi_in: implement corr2d_multi_in (d2l 7.4)")


def corr2d_multi_in_out(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """One multi-input cross-correlation per output channel: X (ci, h, w), K (co, ci, kh, kw).

    Returns (co, h - kh + 1, w - kw + 1), output channel o being corr2d_multi_in(X, K[o]).
    """
    raise NotImplementedError("corr2d_multi_in_out: implement corr2d_multi_in_out (d2l 7.4)")


def corr2d_multi_in_out_1x1(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """A 1×1 convolution as one matrix product: X (ci, h, w), K (co, ci, 1, 1) → (co, h, w).

    Every pixel's channel vector is multiplied by the (co, ci) matrix; no loop over channels.
    Raises ValueError when K is not (co, ci, 1, 1) for X's ci.
    """
    raise NotImplementedError("corr2d_1x1: implement corr2d_multi_in_out_1x1 (d2l 7.4)")
