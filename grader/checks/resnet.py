"""Checks for d2l 8.6 (resnet): Residual, resnet_block and resnet18."""
import torch
from torch import nn

from grader.core.i18n import N_

from .generators import randint
from .modules import NetworkCase, NetworkKata, drawn_cases, network_checks, seeded_input
from .training import TrainingRun, training_checks

#: Sides of the seeded inputs of the blocks: with a stride of up to 3, batch norm still sees two values.
LOW, HIGH = 4, 9


def _shortcut_case(rng: torch.Generator) -> NetworkCase:
    """Residual(1 to 5 → 1 to 6 channels, use_1x1conv=True, strides 1 to 3) on a non-square input."""
    in_channels = randint(rng, 1, 5)
    return NetworkCase((in_channels, randint(rng, 1, 6)), seeded_input(rng, in_channels, LOW, HIGH),
                       dict(use_1x1conv=True, strides=randint(rng, 1, 3)))


def _identity_case(rng: torch.Generator) -> NetworkCase:
    """Residual(c, c, use_1x1conv=False) on a non-square input."""
    channels = randint(rng, 1, 6)
    return NetworkCase((channels, channels), seeded_input(rng, channels, LOW, HIGH), dict(use_1x1conv=False))


def _stage_case(rng: torch.Generator) -> NetworkCase:
    """resnet_block(1 to 5 → 1 to 6 channels, 1 to 3 residuals) on a non-square input."""
    in_channels = randint(rng, 1, 5)
    return NetworkCase((in_channels, randint(rng, 1, 6), randint(rng, 1, 3)), seeded_input(rng, in_channels, LOW, HIGH))


def _first_stage_case(rng: torch.Generator) -> NetworkCase:
    """resnet_block(c, c, 1 to 3 residuals, first_block=True) on a non-square input."""
    channels = randint(rng, 1, 6)
    return NetworkCase((channels, channels, randint(rng, 1, 3)), seeded_input(rng, channels, LOW, HIGH),
                       dict(first_block=True))


def _resnet18_case(rng: torch.Generator) -> NetworkCase:
    """ResNet-18 with 1 to 4 input channels and 2 to 9 classes on a non-square input of 33 to 64 a
    side (from 33, the last stage is 2 pixels on a side: batch norm needs two values at batch size 1)."""
    in_channels = randint(rng, 1, 4)
    return NetworkCase((), seeded_input(rng, in_channels, 33, 64, max_batch=2),
                       dict(in_channels=in_channels, num_classes=randint(rng, 2, 9)))


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
    seeded_cases=drawn_cases("residual arguments", _shortcut_case, _identity_case),
    negative_output_mistake="relu_not_after_add")

RESNET_BLOCK = NetworkKata(
    "resnet_block", "resnet_block",
    structure_cases=[NetworkCase((64, 64, 2), (1, 64, 56, 56), dict(first_block=True)),
                     NetworkCase((64, 128, 2), (1, 64, 56, 56)), NetworkCase((3, 6, 3), (2, 3, 9, 9))],
    numeric_cases=[NetworkCase((4, 4, 2), (2, 4, 8, 8), dict(first_block=True)),
                   NetworkCase((4, 8, 2), (2, 4, 8, 8)), NetworkCase((3, 6, 3), (2, 3, 9, 9))],
    seeded_cases=drawn_cases("resnet_block arguments", _stage_case, _first_stage_case),
    returns="list", negative_output_mistake="relu_not_after_add")

RESNET18 = NetworkKata(
    "resnet18", "resnet18",
    structure_cases=[NetworkCase((), (1, 1, 224, 224)),
                     NetworkCase((), (2, 3, 96, 96), dict(in_channels=3, num_classes=5))],
    numeric_cases=[NetworkCase((), (2, 2, 64, 64), dict(in_channels=2, num_classes=6))],
    seeded_cases=drawn_cases("resnet18 arguments", _resnet18_case),
    returns="Sequential", dtype=torch.float32, rtol=1e-4, atol=1e-5)

TINY_RESNET = TrainingRun("resnet18", N_("a small ResNet built from your resnet_block"), lambda m: nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), *m.resnet_block(16, 16, 1, first_block=True),
    *m.resnet_block(16, 32, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10)), lr=0.003)

CHECKS = [*network_checks(RESIDUAL), *network_checks(RESNET_BLOCK), *network_checks(RESNET18, dtype=False),
          *training_checks(TINY_RESNET)]
