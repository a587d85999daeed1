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
    if X.shape[0] != K.shape[0]:
        raise ValueError(f"X has {X.shape[0]} input channels but K has {K.shape[0]}")
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """One multi-input cross-correlation per output channel: X (ci, h, w), K (co, ci, kh, kw).

    Returns (co, h - kh + 1, w - kw + 1), output channel o being corr2d_multi_in(X, K[o]).
    """
    return torch.stack([corr2d_multi_in(X, k) for k in K], dim=0)


def corr2d_multi_in_out_1x1(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """A 1×1 convolution as one matrix product: X (ci, h, w), K (co, ci, 1, 1) → (co, h, w).

    Every pixel's channel vector is multiplied by the (co, ci) matrix; no loop over channels.
    Raises ValueError when K is not (co, ci, 1, 1) for X's ci.
    """
    c_i, h, w = X.shape
    c_o = K.shape[0]
    if tuple(K.shape[1:]) != (c_i, 1, 1):
        raise ValueError(f"K must have shape (co, {c_i}, 1, 1) for X {tuple(X.shape)}, got {tuple(K.shape)}")
    Y = K.reshape(c_o, c_i) @ X.reshape(c_i, h * w)
    return Y.reshape(c_o, h, w)
