"""d2l 7.5 — pooling, vectorised."""
import torch

from ._args import hw
from .conv_layer import _windows

_REDUCERS = {
    "max": lambda w: w.amax(dim=(0, 1)),
    "avg": lambda w: w.mean(dim=(0, 1)) if w.is_floating_point() or w.is_complex()
    else w.double().mean(dim=(0, 1)),
}


def pool2d(X, pool_size, mode="max"):
    reduce = _REDUCERS.get(mode) if isinstance(mode, str) else None
    if reduce is None:
        raise ValueError(f"pool2d mode must be one of {sorted(_REDUCERS)}, not {mode!r}")
    ph, pw = hw(pool_size, "pool_size", 1)
    if X.ndim != 2 or ph > X.shape[0] or pw > X.shape[1]:
        raise ValueError(f"window ({ph}, {pw}) does not fit input {tuple(X.shape)}")
    return reduce(_windows(X, ph, pw)).to(X.dtype)
