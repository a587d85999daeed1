"""d2l 8.4 — Multi-branch networks (GoogLeNet), in d2l 0.17's layout.

GoogLeNet's Inception block runs four branches on the same input — a 1×1 convolution; 1×1 then
3×3; 1×1 then 5×5; 3×3 max-pooling then 1×1 — each keeping the height and width, and concatenates
their outputs along the channels. The network stacks Inception blocks between pooling layers and
ends with global average pooling.
"""
import torch
from torch import nn
from torch.nn import functional as F


class Inception(nn.Module):
    """Four parallel branches over the same input, concatenated on the channel dimension:

    1. 1×1 conv → c1 channels;
    2. 1×1 conv → c2[0], then 3×3 conv (padding 1) → c2[1];
    3. 1×1 conv → c3[0], then 5×5 conv (padding 2) → c3[1];
    4. 3×3 max pooling (stride 1, padding 1), then 1×1 conv → c4.

    Every convolution is followed by a ReLU. (n, in_channels, h, w) → (n, c1 + c2[1] + c3[1] + c4, h, w),
    the branches' channels in that order.
    """

    def __init__(self, in_channels: int, c1: int, c2: tuple[int, int], c3: tuple[int, int], c4: int):
        super().__init__()
        self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        self.p2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        self.p3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p1 = F.relu(self.p1_1(x))
        p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
        p3 = F.relu(self.p3_2(F.relu(self.p3_1(x))))
        p4 = F.relu(self.p4_2(self.p4_1(x)))
        return torch.cat((p1, p2, p3, p4), dim=1)


def googlenet(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """GoogLeNet for 96×96 input, d2l 0.17's b1…b5 followed by Linear(1024, num_classes).

    b1: Conv2d(in_channels, 64, 7, stride 2, padding 3), ReLU, MaxPool2d(3, 2, padding 1).
    b2: Conv2d(64, 64, 1), ReLU, Conv2d(64, 192, 3, padding 1), ReLU, MaxPool2d(3, 2, padding 1).
    b3: Inception(192, 64, (96, 128), (16, 32), 32), Inception(256, 128, (128, 192), (32, 96), 64),
        MaxPool2d(3, 2, padding 1).
    b4: Inception(480, 192, (96, 208), (16, 48), 64), Inception(512, 160, (112, 224), (24, 64), 64),
        Inception(512, 128, (128, 256), (24, 64), 64), Inception(512, 112, (144, 288), (32, 64), 64),
        Inception(528, 256, (160, 320), (32, 128), 128), MaxPool2d(3, 2, padding 1).
    b5: Inception(832, 256, (160, 320), (32, 128), 128), Inception(832, 384, (192, 384), (48, 128), 128),
        AdaptiveAvgPool2d((1, 1)), Flatten.

    (n, in_channels, 96, 96) → (n, num_classes).
    """
    b1 = nn.Sequential(nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b2 = nn.Sequential(nn.Conv2d(64, 64, kernel_size=1), nn.ReLU(),
                       nn.Conv2d(64, 192, kernel_size=3, padding=1), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b3 = nn.Sequential(Inception(192, 64, (96, 128), (16, 32), 32),
                       Inception(256, 128, (128, 192), (32, 96), 64),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b4 = nn.Sequential(Inception(480, 192, (96, 208), (16, 48), 64),
                       Inception(512, 160, (112, 224), (24, 64), 64),
                       Inception(512, 128, (128, 256), (24, 64), 64),
                       Inception(512, 112, (144, 288), (32, 64), 64),
                       Inception(528, 256, (160, 320), (32, 128), 128),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b5 = nn.Sequential(Inception(832, 256, (160, 320), (32, 128), 128),
                       Inception(832, 384, (192, 384), (48, 128), 128),
                       nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
    return nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(1024, num_classes))
