"""d2l 8.3 — NiN."""
from torch import nn


def nin_block(in_channels, out_channels, kernel_size, strides, padding):
    layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride=strides, padding=padding), nn.ReLU()]
    for _ in range(2):
        layers += [nn.Conv2d(out_channels, out_channels, 1), nn.ReLU()]
    return nn.Sequential(*layers)


_SPEC = [  # (out_channels, kernel, stride, padding)
    (96, 11, 4, 0),
    (256, 5, 1, 2),
    (384, 3, 1, 1),
]


def nin(in_channels=1, num_classes=10):
    layers = []
    c = in_channels
    for out, k, s, p in _SPEC:
        layers += [nin_block(c, out, k, s, p), nn.MaxPool2d(kernel_size=3, stride=2)]
        c = out
    layers += [nn.Dropout(p=0.5), nin_block(c, num_classes, 3, 1, 1),
               nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers)
