"""d2l 7.2 — cross-correlation etc., vectorised over output pixels."""
import torch
from torch import nn

from ._args import hw


def _windows(X, kh, kw):
    """All (kh, kw) windows of the trailing two dims of X, stacked as (..., kh, kw, oh, ow)."""
    oh = X.shape[-2] - kh + 1
    ow = X.shape[-1] - kw + 1
    rows = [torch.stack([X[..., a:a + oh, b:b + ow] for b in range(kw)], dim=-3) for a in range(kh)]
    return torch.stack(rows, dim=-4)


def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    if not (isinstance(X, torch.Tensor) and isinstance(K, torch.Tensor)) or X.ndim != 2 or K.ndim != 2:
        raise ValueError(f"corr2d wants two matrices, got shapes {tuple(getattr(X, 'shape', ()))} "
                         f"and {tuple(getattr(K, 'shape', ()))}")
    kh, kw = K.shape
    if kh > X.shape[0] or kw > X.shape[1] or kh == 0 or kw == 0:
        raise ValueError(f"kernel {tuple(K.shape)} does not fit into input {tuple(X.shape)}")
    win = _windows(X, kh, kw)                       # (kh, kw, oh, ow)
    out = (win * K[:, :, None, None]).sum(dim=(0, 1))
    return out.to(X.dtype)


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(hw(kernel_size, "kernel_size", 1)))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        y = corr2d(x, self.weight)
        return y + self.bias


_EDGE = ((1, -1),)


def detect_vertical_edges(X):
    return corr2d(X, torch.as_tensor(_EDGE, dtype=X.dtype, device=X.device))


def learn_kernel(X, Y, kernel_size=(1, 2), lr=3e-2, num_steps=10):
    layer = nn.Conv2d(1, 1, kernel_size, bias=False)
    layer = layer.to(device=X.device, dtype=X.dtype if X.is_floating_point() else torch.float32)
    kh, kw = layer.kernel_size
    inp = X.to(layer.weight.dtype).unsqueeze(0).unsqueeze(0)
    target = Y.to(layer.weight.dtype).unsqueeze(0).unsqueeze(0)
    history = []
    for _ in range(num_steps):
        loss = (layer(inp) - target).pow(2).sum()
        history.append(loss.item())
        layer.weight.grad = None
        loss.backward()
        with torch.no_grad():
            layer.weight.sub_(lr * layer.weight.grad)
    return layer.weight.detach().clone().view(kh, kw), history
