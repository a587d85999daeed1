"""d2l 8.6 — Residual networks (ResNet).

A residual block adds its input to the output of two 3×3 convolutions with batch normalization:
it learns the change f(x) - x, so a block that does nothing is easy to learn and a deeper network
trains no worse than a shallower one. Where a block changes the channels or halves the size, a 1×1
convolution with the block's stride reshapes the shortcut. ResNet-18 stacks such blocks in four stages.
"""
import torch
from torch import nn
from torch.nn import functional as F


class Residual(nn.Module):
    """The residual block: conv3×3 (stride ``strides``) → BN → ReLU → conv3×3 → BN, plus the
    shortcut, then ReLU. The shortcut is the input itself, or with ``use_1x1conv`` a 1×1
    convolution with stride ``strides`` that matches channels and size. Every convolution keeps its
    bias (nn.Conv2d's default, as the book writes them).

    (n, input_channels, h, w) → (n, num_channels, ceil(h / strides), ceil(w / strides)).
    """

    def __init__(self, input_channels: int, num_channels: int, use_1x1conv: bool = False, strides: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        self.conv3 = (nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides)
                      if use_1x1conv else None)
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3 is not None:
            X = self.conv3(X)
        return F.relu(Y) + X


def resnet_block(input_channels: int, num_channels: int, num_residuals: int,
                 first_block: bool = False) -> list[nn.Module]:
    """A ResNet stage: ``num_residuals`` Residual blocks. Unless ``first_block``, the first one
    halves height and width and changes the channels (1×1 shortcut, stride 2); the others keep
    (num_channels → num_channels). With ``first_block`` every block keeps the shape, so
    input_channels must equal num_channels there.
    """
    blocks = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blocks.append(Residual(input_channels, num_channels, use_1x1conv=True, strides=2))
        else:
            blocks.append(Residual(num_channels, num_channels))
    return blocks


def resnet18(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """The book's ResNet-18: b1 = Conv2d(in_channels, 64, 7, stride 2, padding 3), BatchNorm2d(64),
    ReLU, MaxPool2d(3, stride 2, padding 1); b2…b5 = stages of two Residual blocks with
    64 (first_block), 128, 256 and 512 channels; then AdaptiveAvgPool2d((1, 1)), Flatten and
    Linear(512, num_classes). Each b is an nn.Sequential.

    (n, in_channels, h, w) → (n, num_classes); the book uses 224×224.
    """
    b1 = nn.Sequential(nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3),
                       nn.BatchNorm2d(64), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b2 = nn.Sequential(*resnet_block(64, 64, 2, first_block=True))
    b3 = nn.Sequential(*resnet_block(64, 128, 2))
    b4 = nn.Sequential(*resnet_block(128, 256, 2))
    b5 = nn.Sequential(*resnet_block(256, 512, 2))
    return nn.Sequential(b1, b2, b3, b4, b5, nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                         nn.Linear(512, num_classes))
