"""d2l 7.4 — channels, vectorised (no loops over channels)."""
import torch

from .conv_layer import _windows, corr2d  # noqa: F401  (corr2d kept importable)


def _check_fit(X, kh, kw):
    if kh > X.shape[-2] or kw > X.shape[-1]:
        raise ValueError(f"kernel ({kh}, {kw}) larger than input {tuple(X.shape[-2:])}")


def corr2d_multi_in(X, K):
    if X.ndim != 3 or K.ndim != 3:
        raise ValueError("corr2d_multi_in wants X (ci, h, w) and K (ci, kh, kw)")
    if X.shape[0] != K.shape[0]:
        raise ValueError(f"channel mismatch: X has {X.shape[0]}, K has {K.shape[0]}")
    _check_fit(X, K.shape[1], K.shape[2])
    win = _windows(X, K.shape[1], K.shape[2])       # (ci, kh, kw, oh, ow)
    return torch.einsum("cabij,cab->ij", win, K.to(win.dtype)).to(X.dtype)


def corr2d_multi_in_out(X, K):
    if X.ndim != 3 or K.ndim != 4:
        raise ValueError("corr2d_multi_in_out wants X (ci, h, w) and K (co, ci, kh, kw)")
    if X.shape[0] != K.shape[1]:
        raise ValueError(f"channel mismatch: X has {X.shape[0]}, K expects {K.shape[1]}")
    _check_fit(X, K.shape[2], K.shape[3])
    win = _windows(X, K.shape[2], K.shape[3])       # (ci, kh, kw, oh, ow)
    return torch.einsum("cabij,ocab->oij", win, K.to(win.dtype)).to(X.dtype)


def corr2d_multi_in_out_1x1(X, K):
    if X.ndim != 3:
        raise ValueError("X must be (ci, h, w)")
    ci = X.shape[0]
    if K.ndim != 4 or K.shape[1] != ci or K.shape[2:] != (1, 1):
        raise ValueError(f"K must be (co, {ci}, 1, 1), got {tuple(K.shape)}")
    W = K.flatten(1)                                # (co, ci)
    pixels = X.permute(1, 2, 0)                     # (h, w, ci)
    return (pixels @ W.t()).permute(2, 0, 1)        # (co, h, w)
