# Your code for these katas. Replace each `raise NotImplementedError(...)` with your implementation;
# `make grade` shows your progress. Generated from solutions/vgg.py by `make exercises`.
"""d2l 8.2 — Networks using blocks (VGG).

VGG builds a deep network from one repeated block: a few 3×3 convolutions with padding 1, each
followed by a ReLU, then a 2×2 max-pooling that halves the height and width. A list of (convolutions,
channels) pairs describes the whole network; three fully connected layers with dropout classify
the features.
"""
from torch import nn

#: VGG-11's convolutional part, as in the book: (number of convolutions, output channels) per block.
VGG11_ARCH = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))


def vgg_block(num_convs: int, in_channels: int, out_channels: int) -> nn.Sequential:
    """``num_convs`` times (3×3 convolution with padding 1, ReLU), then 2×2 max pooling, stride 2.

    (n, in_channels, h, w) → (n, out_channels, h // 2, w // 2).
    """
    raise NotImplementedError("vgg_block: implement vgg_block (d2l 8.2)")


def vgg(conv_arch, in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """VGG for 224×224 input: one ``vgg_block`` per (num_convs, out_channels) in ``conv_arch``,
    then Flatten, Linear(c·7·7, 4096), ReLU, Dropout(0.5), Linear(4096, 4096), ReLU, Dropout(0.5),
    Linear(4096, num_classes), where c is the last block's channel count and there are five blocks.

    (n, in_channels, 224, 224) → (n, num_classes).
    """
    raise NotImplementedError("vgg: implement vgg (d2l 8.2)")
