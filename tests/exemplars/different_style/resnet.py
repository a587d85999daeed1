"""d2l 8.6 — ResNet, shortcut computed first, main path as an nn.Sequential."""
import torch
from torch import nn


class Residual(nn.Module):
    def __init__(self, input_channels, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(input_channels, num_channels, 3, stride=strides, padding=1),
            nn.BatchNorm2d(num_channels),
            nn.ReLU(),
            nn.Conv2d(num_channels, num_channels, 3, padding=1),
            nn.BatchNorm2d(num_channels),
        )
        self.shortcut = (nn.Conv2d(input_channels, num_channels, 1, stride=strides)
                         if use_1x1conv else nn.Identity())
        self.act = nn.ReLU()

    def forward(self, X):
        skip = self.shortcut(X)
        return self.act(self.main(X) + skip)


def resnet_block(input_channels, num_channels, num_residuals, first_block=False):
    if first_block and input_channels != num_channels:
        raise ValueError("the first stage keeps the channel count: input_channels must equal num_channels")
    blocks = []
    cin = input_channels
    for idx in range(num_residuals):
        downsample = idx == 0 and not first_block
        blocks.append(Residual(cin, num_channels, use_1x1conv=downsample, strides=2 if downsample else 1))
        cin = num_channels
    return blocks


def resnet18(in_channels=1, num_classes=10):
    stem = nn.Sequential(nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3),
                         nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1))
    stages = []
    cin = 64
    for i, width in enumerate((64, 128, 256, 512)):
        stages.append(nn.Sequential(*resnet_block(cin, width, 2, first_block=(i == 0))))
        cin = width
    return nn.Sequential(stem, *stages, nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                         nn.Linear(512, num_classes))
