"""d2l 7.5 — Pooling (book style)."""
import torch

from ._args import to_pair


def pool2d(X, pool_size, mode='max'):
    if mode not in ('max', 'avg'):
        raise ValueError(f"unknown pooling mode {mode!r}")
    p_h, p_w = to_pair(pool_size, "pool_size", 1)
    if X.dim() != 2 or p_h > X.shape[0] or p_w > X.shape[1]:
        raise ValueError("pool2d expects a 2-D X at least as large as the window")
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == 'avg':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y
