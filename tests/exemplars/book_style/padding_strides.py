"""d2l 7.3 — Padding and stride (book style)."""
import torch
from torch import nn

from ._args import to_pair


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    n_h, n_w = to_pair(input_size, "input_size", 1)
    k_h, k_w = to_pair(kernel_size, "kernel_size", 1)
    p_h, p_w = to_pair(padding, "padding", 0)
    s_h, s_w = to_pair(stride, "stride", 1)
    if n_h + 2 * p_h < k_h or n_w + 2 * p_w < k_w:
        raise ValueError("kernel does not fit the padded input")
    return ((n_h + 2 * p_h - k_h) // s_h + 1, (n_w + 2 * p_w - k_w) // s_w + 1)


# We define a helper function to calculate convolutional layers. It initializes
# the convolutional layer weights and performs corresponding dimensionality
# elevations and reductions on the input and output
def comp_conv2d(conv2d, X):
    # (1, 1) indicates that batch size and the number of channels are both 1
    X = X.reshape((1, 1) + X.shape)
    Y = conv2d(X)
    # Strip the first two dimensions: examples and channels
    return Y.reshape(Y.shape[2:])


def same_padding(kernel_size):
    k_h, k_w = to_pair(kernel_size, "kernel_size", 1)
    if k_h % 2 == 0 or k_w % 2 == 0:
        raise ValueError("even kernel sizes have no symmetric 'same' padding")
    if isinstance(kernel_size, int):
        return (kernel_size - 1) // 2
    return ((k_h - 1) // 2, (k_w - 1) // 2)
