# Your code for these katas. Replace each `raise NotImplementedError(...)` with your implementation;
# `make grade` shows your progress. Generated from solutions/nin.py by `make exercises`.
"""d2l 8.3 — Network in network (NiN).

Network in network drops the big fully connected layers at the end: each NiN block is a
convolution followed by two 1×1 convolutions (a small MLP at every pixel), the last block has one
output channel per class, and global average pooling turns each channel into one score. It needs
far fewer parameters than VGG.
"""
from torch import nn


def nin_block(in_channels: int, out_channels: int, kernel_size, strides, padding) -> nn.Sequential:
    """Conv2d(in_channels, out_channels, kernel_size, strides, padding), ReLU, then twice
    (1×1 Conv2d(out_channels, out_channels), ReLU): per-pixel fully connected layers.

    (n, in_channels, h, w) → (n, out_channels, h', w') with h', w' set by the first convolution.
    """
    raise NotImplementedError("nin_block: implement nin_block (d2l 8.3)")


def nin(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """The book's NiN for 224×224 input: four ``nin_block`` (96 ch, 11×11, stride 4, padding 0;
    256 ch, 5×5, padding 2; 384 ch, 3×3, padding 1; num_classes ch, 3×3, padding 1) with
    MaxPool2d(3, stride=2) after each of the first three, Dropout(0.5) before the last, then
    global average pooling (AdaptiveAvgPool2d((1, 1))) and Flatten.

    (n, in_channels, 224, 224) → (n, num_classes).
    """
    raise NotImplementedError("nin: implement nin (d2l 8.3)")
