"""d2l 8.4 — GoogLeNet, with each Inception branch an nn.Sequential."""
import torch
from torch import nn


def _conv_relu(cin, cout, k, pad=0):
    return [nn.Conv2d(cin, cout, kernel_size=k, padding=pad), nn.ReLU()]


class Inception(nn.Module):
    def __init__(self, in_channels, c1, c2, c3, c4):
        super().__init__()
        self.branch1 = nn.Sequential(*_conv_relu(in_channels, c1, 1))
        self.branch3x3 = nn.Sequential(*_conv_relu(in_channels, c2[0], 1), *_conv_relu(c2[0], c2[1], 3, 1))
        self.branch5x5 = nn.Sequential(*_conv_relu(in_channels, c3[0], 1), *_conv_relu(c3[0], c3[1], 5, 2))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), *_conv_relu(in_channels, c4, 1))
        self.out_channels = c1 + c2[1] + c3[1] + c4

    def forward(self, x):
        outs = [branch(x) for branch in (self.branch1, self.branch3x3, self.branch5x5, self.branch_pool)]
        return torch.cat(outs, 1)


def _pool():
    return nn.MaxPool2d(kernel_size=3, stride=2, padding=1)


_B3 = [(192, 64, (96, 128), (16, 32), 32), (256, 128, (128, 192), (32, 96), 64)]
_B4 = [(480, 192, (96, 208), (16, 48), 64), (512, 160, (112, 224), (24, 64), 64),
       (512, 128, (128, 256), (24, 64), 64), (512, 112, (144, 288), (32, 64), 64),
       (528, 256, (160, 320), (32, 128), 128)]
_B5 = [(832, 256, (160, 320), (32, 128), 128), (832, 384, (192, 384), (48, 128), 128)]


def googlenet(in_channels=1, num_classes=10):
    stem1 = nn.Sequential(nn.Conv2d(in_channels, 64, 7, stride=2, padding=3), nn.ReLU(), _pool())
    stem2 = nn.Sequential(*_conv_relu(64, 64, 1), *_conv_relu(64, 192, 3, 1), _pool())
    stage3 = nn.Sequential(*(Inception(*cfg) for cfg in _B3), _pool())
    stage4 = nn.Sequential(*(Inception(*cfg) for cfg in _B4), _pool())
    stage5 = nn.Sequential(*(Inception(*cfg) for cfg in _B5), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
    return nn.Sequential(stem1, stem2, stage3, stage4, stage5, nn.Linear(1024, num_classes))
