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
    layers = []
    for _ in range(num_convs):
        layers += [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1), nn.ReLU()]
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg(conv_arch, in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """VGG for 224×224 input: one ``vgg_block`` per (num_convs, out_channels) in ``conv_arch``,
    then Flatten, Linear(c·7·7, 4096), ReLU, Dropout(0.5), Linear(4096, 4096), ReLU, Dropout(0.5),
    Linear(4096, num_classes), where c is the last block's channel count and there are five blocks.

    (n, in_channels, 224, 224) → (n, num_classes).
    """
    blocks = []
    for num_convs, out_channels in conv_arch:
        blocks.append(vgg_block(num_convs, in_channels, out_channels))
        in_channels = out_channels
    return nn.Sequential(
        *blocks, nn.Flatten(),
        nn.Linear(in_channels * 7 * 7, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, num_classes))
