"""d2l 1.0, 7.3 — Padding and stride."""
from ._args import pair


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    (n_h, n_w), (k_h, k_w) = pair(input_size, "input_size", 1), pair(kernel_size, "kernel_size", 1)
    (p_h, p_w), (s_h, s_w) = pair(padding, "padding", 0), pair(stride, "stride", 1)
    if k_h > n_h + 2 * p_h or k_w > n_w + 2 * p_w:
        raise ValueError("the kernel does not fit the padded input")
    return (n_h - k_h + 2 * p_h) // s_h + 1, (n_w - k_w + 2 * p_w) // s_w + 1


# We define a helper function to calculate convolutions. It initializes the
# convolutional layer weights and performs corresponding dimensionality
# elevations and reductions on the input and output
def comp_conv2d(conv2d, X):
    # (1, 1) indicates that batch size and the number of channels are both 1
    X = X.reshape((1, 1) + X.shape)
    Y = conv2d(X)
    # Strip the first two dimensions: examples and channels
    return Y.reshape(Y.shape[2:])


def same_padding(kernel_size):
    k_h, k_w = pair(kernel_size, "kernel_size", 1)
    if k_h % 2 == 0 or k_w % 2 == 0:
        raise ValueError("an even kernel size has no symmetric padding that keeps the size")
    if isinstance(kernel_size, int):
        return (kernel_size - 1) // 2
    return (k_h - 1) // 2, (k_w - 1) // 2
