"""d2l 1.0, 7.2 — Convolutions for images."""
import torch
from torch import nn


def corr2d(X, K):
    """Compute 2D cross-correlation."""
    if X.dim() != 2 or K.dim() != 2:
        raise ValueError("corr2d takes a 2-D X and a 2-D K")
    h, w = K.shape
    if h > X.shape[0] or w > X.shape[1]:
        raise ValueError("the kernel is larger than X")
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def detect_vertical_edges(X):
    K = torch.tensor([[1.0, -1.0]], dtype=X.dtype, device=X.device)
    return corr2d(X, K)


def learn_kernel(X, Y, kernel_size=(1, 2), lr=3e-2, num_steps=10):
    # Construct a two-dimensional convolutional layer with 1 output channel and a
    # kernel of shape (1, 2). For the sake of simplicity, we ignore the bias here
    conv2d = nn.LazyConv2d(1, kernel_size=kernel_size, bias=False)

    # The two-dimensional convolutional layer uses four-dimensional input and
    # output in the format of (example, channel, height, width), where the batch
    # size (number of examples in the batch) and the number of channels are both 1
    X = X.reshape((1, 1) + X.shape)
    Y = Y.reshape((1, 1) + Y.shape)
    losses = []
    for i in range(num_steps):
        Y_hat = conv2d(X)
        l = (Y_hat - Y) ** 2
        conv2d.zero_grad()
        l.sum().backward()
        losses.append(l.sum().item())
        # Update the kernel
        conv2d.weight.data[:] -= lr * conv2d.weight.grad
    return conv2d.weight.data.reshape(conv2d.kernel_size), losses
