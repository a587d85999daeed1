"""d2l 7.5 — Pooling.

A pooling layer summarises each window by its maximum or its mean and has no weights to learn. It
makes the output less sensitive to small shifts of the input and, with a stride, lowers the
resolution. It pools each channel on its own, so the number of channels does not change.
"""
import torch

from ._args import as_pair


def pool2d(X: torch.Tensor, pool_size, mode: str = "max") -> torch.Tensor:
    """Max or average pooling of X (h, w) with a (ph, pw) window, stride 1, no padding.

    pool_size is an int or a pair. Returns (h - ph + 1, w - pw + 1) with X's dtype and device.
    Raises ValueError for a mode other than 'max' or 'avg'.
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"pool2d mode must be 'max' or 'avg', got {mode!r}")
    p_h, p_w = as_pair(pool_size, "pool_size", minimum=1)
    out_h, out_w = X.shape[0] - p_h + 1, X.shape[1] - p_w + 1
    if out_h < 1 or out_w < 1:
        raise ValueError(f"pool2d: window {(p_h, p_w)} is larger than the input {tuple(X.shape)}")
    # Every window position at once: one shifted view of X per offset inside the window.
    windows = torch.stack([X[a:a + out_h, b:b + out_w] for a in range(p_h) for b in range(p_w)])
    return windows.amax(dim=0) if mode == "max" else windows.mean(dim=0)
