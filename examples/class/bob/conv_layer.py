"""d2l 7.2 — Convolutions for images: cross-correlation, a Conv2D layer, edges, learning a kernel.

A convolutional layer slides a small kernel over the image and, at each position, sums the window
times the kernel: a cross-correlation (deep learning calls it convolution; the kernel is not
flipped). The same few weights serve every position, so the layer finds a pattern wherever it
appears — the kernel [1, -1] finds vertical edges — and a kernel can be learned from data by
gradient descent.
"""
import torch
from torch import nn

from ._args import as_pair


def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """2-D cross-correlation of X (h, w) with the kernel K (kh, kw).

    Returns Y (h - kh + 1, w - kw + 1) with Y[i, j] = sum over a, b of X[i + a, j + b] * K[a, b]
    (the kernel is not flipped). Y has X's dtype and device and is differentiable in X and K.
    Raises ValueError when X or K is not 2-D or K is larger than X.
    """
    if X.dim() != 2 or K.dim() != 2:
        raise ValueError(f"corr2d expects 2-D X and K, got X {tuple(X.shape)} and K {tuple(K.shape)}")
    kh, kw = K.shape
    out_h, out_w = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    if out_h < 1 or out_w < 1:
        raise ValueError(f"corr2d: kernel {tuple(K.shape)} is larger than the input {tuple(X.shape)}")
    # One whole-image multiply-add per kernel entry instead of a Python loop over output pixels.
    Y = X[:out_h, :out_w] * K[0, 0]
    for a in range(kh):
        for b in range(kw):
            if a or b:
                Y.addcmul_(X[a:a + out_h, b:b + out_w], K[a, b])  # Y += X[...] * K[a, b], in place
    return Y


class Conv2D(nn.Module):
    """A 2-D convolutional layer: ``forward(x) = corr2d(x, weight) + bias``.

    Parameters: ``weight`` of shape kernel_size (kh, kw), initialised uniformly in [0, 1),
    and ``bias`` of shape (1,), initialised to zero. x is (h, w); the output (h - kh + 1, w - kw + 1).
    """

    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(as_pair(kernel_size, "kernel_size", minimum=1)))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return corr2d(x, self.weight) + self.bias


def detect_vertical_edges(X: torch.Tensor) -> torch.Tensor:
    """Cross-correlate X (h, w) with the edge kernel [[1, -1]] → (h, w - 1).

    The output is 1 where X steps down from left to right, -1 where it steps up, 0 elsewhere;
    it has X's dtype and device.
    """
    K = torch.tensor([[1.0, -1.0]], dtype=X.dtype, device=X.device)
    return corr2d(X, K)


def learn_kernel(X: torch.Tensor, Y: torch.Tensor, kernel_size=(1, 2), lr: float = 3e-2,
                 num_steps: int = 10) -> tuple[torch.Tensor, list[float]]:
    """Learn the kernel that maps X (h, w) to Y (h - kh + 1, w - kw + 1), as in d2l 7.2.4.

    Builds ``nn.Conv2d(1, 1, kernel_size, bias=False)`` (first thing, so ``torch.manual_seed``
    fixes its initial weight), then for ``num_steps`` steps: predicts, takes the squared error
    summed over all pixels, back-propagates and updates the weight by plain SGD with ``lr``.
    Returns the learned kernel (a tensor of shape kernel_size) and the loss of each step,
    measured before that step's update (a list of ``num_steps`` floats).
    """
    kernel_size = as_pair(kernel_size, "kernel_size", minimum=1)
    conv2d = nn.Conv2d(1, 1, kernel_size, bias=False, dtype=X.dtype, device=X.device)
    X = X.reshape((1, 1) + X.shape[-2:])
    Y = Y.reshape((1, 1) + Y.shape[-2:])
    losses = []
    for _ in range(num_steps):
        loss = ((conv2d(X) - Y) ** 2).sum()
        conv2d.zero_grad()
        loss.backward()
        with torch.no_grad():
            conv2d.weight -= lr * conv2d.weight.grad
        losses.append(loss.item())
    return conv2d.weight.detach().reshape(kernel_size), losses
