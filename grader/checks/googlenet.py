"""Checks for d2l 8.4 (googlenet): Inception and googlenet."""
import torch
from torch import nn

from .modules import NetworkCase, NetworkKata, network_checks
from .training import TrainingRun, training_checks

INCEPTION = NetworkKata(
    "inception", "Inception",
    structure_cases=[NetworkCase((192, 64, (96, 128), (16, 32), 32), (1, 192, 12, 12)),
                     NetworkCase((832, 384, (192, 384), (48, 128), 128), (1, 832, 3, 3))],
    # Every convolution of these blocks has its own weight shape, so the deterministic weights do
    # not depend on the order in which the learner's forward runs the branches.
    numeric_cases=[NetworkCase((3, 6, (4, 5), (2, 3), 1), (2, 3, 7, 6)),
                   NetworkCase((5, 3, (2, 4), (6, 2), 1), (1, 5, 5, 5))],
    negative_output_mistake="missing_relu")

GOOGLENET = NetworkKata(
    "googlenet", "googlenet",
    structure_cases=[NetworkCase((), (1, 1, 96, 96)),
                     NetworkCase((), (2, 3, 96, 96), dict(in_channels=3, num_classes=4))],
    # 112×112 rather than 96: b5 then ends at 4×4, so its global pooling is more than a 3×3 window.
    numeric_cases=[NetworkCase((), (1, 2, 112, 112), dict(in_channels=2, num_classes=6))],
    returns="Sequential", dtype=torch.float32, rtol=1e-4, atol=1e-5)

TINY_GOOGLENET = TrainingRun("googlenet", "a small GoogLeNet built from your Inception", lambda m: nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), m.Inception(16, 8, (8, 16), (4, 8), 8),
    m.Inception(40, 16, (16, 24), (4, 8), 8), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(56, 10)))

CHECKS = [*network_checks(INCEPTION), *network_checks(GOOGLENET, gradient=False, dtype=False),
          *training_checks(TINY_GOOGLENET)]
