"""d2l 1.0, 8.6 — Residual networks (ResNet), with Lazy layers."""
from torch import nn
from torch.nn import functional as F


class Residual(nn.Module):
    """The Residual block of ResNet models."""
    # d2l 1.0's Residual(num_channels, use_1x1conv, strides): the Lazy layers
    # infer the input channels, so input_channels goes unused
    def __init__(self, input_channels, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1,
                                   stride=strides)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1,
                                       stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


def resnet_block(input_channels, num_channels, num_residuals, first_block=False):
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(input_channels, num_channels, use_1x1conv=True, strides=2))
        else:
            blk.append(Residual(num_channels, num_channels))
    return blk


def b1():
    return nn.Sequential(
        nn.LazyConv2d(64, kernel_size=7, stride=2, padding=3),
        nn.LazyBatchNorm2d(), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1))


def resnet18(in_channels=1, num_classes=10):
    arch = ((2, 64), (2, 128), (2, 256), (2, 512))
    net = nn.Sequential(b1())
    input_channels = 64
    for i, (num_residuals, num_channels) in enumerate(arch):
        net.add_module(f'b{i + 2}', nn.Sequential(*resnet_block(
            input_channels, num_channels, num_residuals, first_block=(i == 0))))
        input_channels = num_channels
    net.add_module('pool', nn.AdaptiveAvgPool2d((1, 1)))
    net.add_module('flatten', nn.Flatten())
    net.add_module('fc', nn.LazyLinear(num_classes))
    return net
