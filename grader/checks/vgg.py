"""Checks for d2l 8.2 (vgg): vgg_block and vgg."""
import torch
from torch import nn

from .modules import NetworkCase, NetworkKata, network_checks
from .training import TrainingRun, training_checks

VGG11_ARCH = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))
TINY_ARCH = ((1, 4), (1, 8), (2, 8), (1, 8), (1, 8))

VGG_BLOCK = NetworkKata(
    "vgg_block", "vgg_block",
    structure_cases=[NetworkCase((1, 3, 8), (2, 3, 16, 16)), NetworkCase((2, 4, 6), (1, 4, 9, 10)),
                     NetworkCase((3, 1, 2), (1, 1, 8, 8))],
    numeric_cases=[NetworkCase((2, 3, 4), (2, 3, 8, 10)), NetworkCase((1, 2, 3), (1, 2, 7, 7))],
    returns="Sequential", negative_output_mistake="missing_relu")

VGG = NetworkKata(
    "vgg", "vgg",
    structure_cases=[NetworkCase((VGG11_ARCH,), (1, 1, 224, 224)),
                     NetworkCase((tuple((n, c // 4) for n, c in VGG11_ARCH),), (2, 3, 224, 224),
                                 dict(in_channels=3, num_classes=5))],
    numeric_cases=[NetworkCase((TINY_ARCH,), (1, 2, 224, 224), dict(in_channels=2, num_classes=7))],
    returns="Sequential", dtype=torch.float32, rtol=1e-4, atol=1e-5)

TINY_VGG = TrainingRun("vgg", "a small VGG built from your vgg_block", lambda m: nn.Sequential(
    m.vgg_block(1, 1, 8), m.vgg_block(1, 8, 16), nn.Flatten(), nn.Linear(16 * 4 * 4, 10)))

CHECKS = [*network_checks(VGG_BLOCK), *network_checks(VGG, gradient=False, dtype=False), *training_checks(TINY_VGG)]
