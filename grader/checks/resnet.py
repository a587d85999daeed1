"""Checks for d2l 8.6 (resnet): Residual, resnet_block and resnet18."""
import torch
from torch import nn

from .modules import NetworkCase, NetworkKata, network_checks
from .training import TrainingRun, training_checks

RESIDUAL = NetworkKata(
    "residual", "Residual",
    structure_cases=[NetworkCase((3, 3), (4, 3, 6, 6)),
                     NetworkCase((3, 6), (4, 3, 6, 6), dict(use_1x1conv=True, strides=2)),
                     NetworkCase((2, 5), (2, 2, 7, 7), dict(use_1x1conv=True, strides=2)),
                     NetworkCase((4, 4), (2, 4, 5, 5), dict(use_1x1conv=True))],
    numeric_cases=[NetworkCase((3, 3), (4, 3, 6, 6)),
                   NetworkCase((3, 6), (4, 3, 6, 6), dict(use_1x1conv=True, strides=2)),
                   NetworkCase((2, 5), (2, 2, 7, 7), dict(use_1x1conv=True, strides=2)),
                   NetworkCase((4, 4), (2, 4, 5, 5), dict(use_1x1conv=True))],
    negative_output_mistake="relu_not_after_add")

RESNET_BLOCK = NetworkKata(
    "resnet_block", "resnet_block",
    structure_cases=[NetworkCase((64, 64, 2), (1, 64, 56, 56), dict(first_block=True)),
                     NetworkCase((64, 128, 2), (1, 64, 56, 56)), NetworkCase((3, 6, 3), (2, 3, 9, 9))],
    numeric_cases=[NetworkCase((4, 4, 2), (2, 4, 8, 8), dict(first_block=True)),
                   NetworkCase((4, 8, 2), (2, 4, 8, 8)), NetworkCase((3, 6, 3), (2, 3, 9, 9))],
    returns="list", negative_output_mistake="relu_not_after_add")

RESNET18 = NetworkKata(
    "resnet18", "resnet18",
    structure_cases=[NetworkCase((), (1, 1, 224, 224)),
                     NetworkCase((), (2, 3, 96, 96), dict(in_channels=3, num_classes=5))],
    numeric_cases=[NetworkCase((), (2, 2, 64, 64), dict(in_channels=2, num_classes=6))],
    returns="Sequential", dtype=torch.float32, rtol=1e-4, atol=1e-5)

TINY_RESNET = TrainingRun("resnet18", "a small ResNet built from your resnet_block", lambda m: nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), *m.resnet_block(16, 16, 1, first_block=True),
    *m.resnet_block(16, 32, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10)), lr=0.003)

CHECKS = [*network_checks(RESIDUAL), *network_checks(RESNET_BLOCK), *network_checks(RESNET18, dtype=False),
          *training_checks(TINY_RESNET)]
