"""Checks for d2l 8.3 (nin): nin_block and nin."""
import torch
from torch import nn

from .modules import NetworkCase, NetworkKata, network_checks
from .training import TrainingRun, training_checks

NIN_BLOCK = NetworkKata(
    "nin_block", "nin_block",
    structure_cases=[NetworkCase((1, 96, 11, 4, 0), (1, 1, 224, 224)), NetworkCase((3, 8, 5, 2, 1), (2, 3, 17, 17)),
                     NetworkCase((2, 5, (3, 1), 1, (1, 0)), (1, 2, 6, 7))],
    numeric_cases=[NetworkCase((3, 4, 5, 2, 1), (2, 3, 13, 11)), NetworkCase((1, 3, 3, 1, 1), (1, 1, 6, 7))],
    returns="Sequential", negative_output_mistake="missing_relu")

NIN = NetworkKata(
    "nin", "nin",
    structure_cases=[NetworkCase((), (1, 1, 224, 224)),
                     NetworkCase((), (2, 3, 224, 224), dict(in_channels=3, num_classes=5))],
    # 128×128: the last block is 2×2, so global average pooling is more than a reshape.
    numeric_cases=[NetworkCase((), (1, 2, 128, 128), dict(in_channels=2, num_classes=4))],
    returns="Sequential", dtype=torch.float32, rtol=1e-4, atol=1e-5)

TINY_NIN = TrainingRun("nin", "a small NiN built from your nin_block", lambda m: nn.Sequential(
    m.nin_block(1, 16, 3, 1, 1), nn.MaxPool2d(2), m.nin_block(16, 32, 3, 1, 1), nn.MaxPool2d(2),
    m.nin_block(32, 32, 3, 1, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10)), lr=0.003, steps=200)

CHECKS = [*network_checks(NIN_BLOCK), *network_checks(NIN, gradient=False, dtype=False), *training_checks(TINY_NIN)]
