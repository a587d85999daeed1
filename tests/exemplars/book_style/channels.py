"""d2l 7.4 — Multiple input and output channels (book style)."""
import torch

from .conv_layer import corr2d


def corr2d_multi_in(X, K):
    if X.shape[0] != K.shape[0]:
        raise ValueError("X and K have different channel counts")
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
    if K.dim() != 4 or K.shape[1] != c_i or K.shape[2] != 1 or K.shape[3] != 1:
        raise ValueError("K must be (c_o, c_i, 1, 1)")
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    # Matrix multiplication in the fully connected layer
    Y = torch.matmul(K, X)
    return Y.reshape((c_o, h, w))
