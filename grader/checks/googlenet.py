"""Checks for d2l 8.4 (googlenet): Inception and googlenet."""
import torch
from torch import nn

from grader.core.i18n import N_

from .generators import randint
from .modules import NetworkCase, NetworkKata, drawn_cases, network_checks, seeded_input
from .training import TrainingRun, training_checks


def _inception_case(rng: torch.Generator) -> NetworkCase:
    """Inception with 1 to 5 input channels and branches of 1 to 8 channels on a non-square input.
    The four 1×1 convolutions get different channel counts, so that every weight shape is its own
    (see numeric_cases)."""
    in_channels = randint(rng, 1, 5)
    c1, c2, c3, c4 = (int(c) + 1 for c in torch.randperm(8, generator=rng)[:4])
    return NetworkCase((in_channels, c1, (c2, randint(rng, 1, 6)), (c3, randint(rng, 1, 6)), c4),
                       seeded_input(rng, in_channels, 1, 9))


def _googlenet_case(rng: torch.Generator) -> NetworkCase:
    """GoogLeNet with 1 to 4 input channels and 2 to 9 classes on a non-square input of 24 to 72 a side."""
    in_channels = randint(rng, 1, 4)
    return NetworkCase((), seeded_input(rng, in_channels, 24, 72, max_batch=2),
                       dict(in_channels=in_channels, num_classes=randint(rng, 2, 9)))


INCEPTION = NetworkKata(
    "inception", "Inception",
    structure_cases=[NetworkCase((192, 64, (96, 128), (16, 32), 32), (1, 192, 12, 12)),
                     NetworkCase((832, 384, (192, 384), (48, 128), 128), (1, 832, 3, 3))],
    # Every convolution of these blocks has its own weight shape, so the deterministic weights do
    # not depend on the order in which the learner's forward runs the branches.
    numeric_cases=[NetworkCase((3, 6, (4, 5), (2, 3), 1), (2, 3, 7, 6)),
                   NetworkCase((5, 3, (2, 4), (6, 2), 1), (1, 5, 5, 5))],
    seeded_cases=drawn_cases("inception arguments", _inception_case, _inception_case),
    negative_output_mistake="missing_relu")

GOOGLENET = NetworkKata(
    "googlenet", "googlenet",
    structure_cases=[NetworkCase((), (1, 1, 96, 96)),
                     NetworkCase((), (2, 3, 96, 96), dict(in_channels=3, num_classes=4))],
    # 112×112 rather than 96: b5 then ends at 4×4, so its global pooling is more than a 3×3 window.
    numeric_cases=[NetworkCase((), (1, 2, 112, 112), dict(in_channels=2, num_classes=6))],
    seeded_cases=drawn_cases("googlenet arguments", _googlenet_case),
    returns="Sequential", dtype=torch.float32, rtol=1e-4, atol=1e-5)

TINY_GOOGLENET = TrainingRun("googlenet", N_("a small GoogLeNet built from your Inception"), lambda m: nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), m.Inception(16, 8, (8, 16), (4, 8), 8),
    m.Inception(40, 16, (16, 24), (4, 8), 8), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(56, 10)))

CHECKS = [*network_checks(INCEPTION), *network_checks(GOOGLENET, gradient=False, dtype=False),
          *training_checks(TINY_GOOGLENET)]
