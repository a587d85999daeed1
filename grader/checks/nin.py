"""Checks for d2l 8.3 (nin): nin_block and nin."""
import torch
from torch import nn

from grader.core.i18n import N_

from .generators import randint
from .modules import NetworkCase, NetworkKata, drawn_cases, network_checks, seeded_input
from .training import TrainingRun, training_checks


def _nin_block_case(rng: torch.Generator) -> NetworkCase:
    """nin_block(1 to 4 → 1 to 5 channels, a kernel of 1 to 5 a side — square or not —, stride 1
    to 3, padding up to half the kernel) on a non-square input at least as large as the kernel."""
    in_channels, kh, kw = randint(rng, 1, 4), randint(rng, 1, 5), randint(rng, 1, 5)
    args = (in_channels, randint(rng, 1, 5), kh if kh == kw else (kh, kw), randint(rng, 1, 3),
            (randint(rng, 0, kh // 2), randint(rng, 0, kw // 2)))
    return NetworkCase(args, seeded_input(rng, in_channels, max(kh, kw), 12))


def _nin_case(rng: torch.Generator) -> NetworkCase:
    """NiN with 1 to 4 input channels and 2 to 9 classes on a non-square input of 67 to 100 a side
    (67 is the least that leaves the last block a pixel)."""
    in_channels = randint(rng, 1, 4)
    return NetworkCase((), seeded_input(rng, in_channels, 67, 100, max_batch=2),
                       dict(in_channels=in_channels, num_classes=randint(rng, 2, 9)))


NIN_BLOCK = NetworkKata(
    "nin_block", "nin_block",
    structure_cases=[NetworkCase((1, 96, 11, 4, 0), (1, 1, 224, 224)), NetworkCase((3, 8, 5, 2, 1), (2, 3, 17, 17)),
                     NetworkCase((2, 5, (3, 1), 1, (1, 0)), (1, 2, 6, 7))],
    numeric_cases=[NetworkCase((3, 4, 5, 2, 1), (2, 3, 13, 11)), NetworkCase((1, 3, 3, 1, 1), (1, 1, 6, 7))],
    seeded_cases=drawn_cases("nin_block arguments", _nin_block_case, _nin_block_case),
    returns="Sequential", negative_output_mistake="missing_relu")

NIN = NetworkKata(
    "nin", "nin",
    structure_cases=[NetworkCase((), (1, 1, 224, 224)),
                     NetworkCase((), (2, 3, 224, 224), dict(in_channels=3, num_classes=5))],
    # 128×128: the last block is 2×2, so global average pooling is more than a reshape.
    numeric_cases=[NetworkCase((), (1, 2, 128, 128), dict(in_channels=2, num_classes=4))],
    seeded_cases=drawn_cases("nin arguments", _nin_case),
    returns="Sequential", dtype=torch.float32, rtol=1e-4, atol=1e-5)

TINY_NIN = TrainingRun("nin", N_("a small NiN built from your nin_block"), lambda m: nn.Sequential(
    m.nin_block(1, 16, 3, 1, 1), nn.MaxPool2d(2), m.nin_block(16, 32, 3, 1, 1), nn.MaxPool2d(2),
    m.nin_block(32, 32, 3, 1, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10)), lr=0.003, steps=200)

CHECKS = [*network_checks(NIN_BLOCK), *network_checks(NIN, gradient=False, dtype=False), *training_checks(TINY_NIN)]
