"""d2l 1.0, 7.4 — Multiple input and multiple output channels."""
import torch

from .conv_layer import corr2d


def corr2d_multi_in(X, K):
    if len(X) != len(K):
        raise ValueError("X and K have different numbers of channels")
    # Iterate through the 0th dimension (channel) of K first, then add them up
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    # Iterate through the 0th dimension of K, and each time, perform
    # cross-correlation operations with input X. All of the results are
    # stacked together
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    if K.shape != (c_o, c_i, 1, 1):
        raise ValueError(f"K must be ({c_o}, {c_i}, 1, 1), got {tuple(K.shape)}")
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    # Matrix multiplication in the fully connected layer
    Y = torch.matmul(K, X)
    return Y.reshape((c_o, h, w))
