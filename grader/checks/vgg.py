"""Checks for d2l 8.2 (vgg): vgg_block and vgg."""
import torch
from torch import nn

from grader.core.i18n import N_

from .generators import randint
from .modules import NetworkCase, NetworkKata, drawn_cases, network_checks, seeded_input
from .training import TrainingRun, training_checks

VGG11_ARCH = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))
TINY_ARCH = ((1, 4), (1, 8), (2, 8), (1, 8), (1, 8))


def _vgg_block_case(rng: torch.Generator) -> NetworkCase:
    """vgg_block(1 to 3 convolutions, 1 to 4 → 1 to 6 channels) on a non-square input."""
    num_convs, in_channels = randint(rng, 1, 3), randint(rng, 1, 4)
    return NetworkCase((num_convs, in_channels, randint(rng, 1, 6)), seeded_input(rng, in_channels, 2, 11))


def _vgg_case(rng: torch.Generator) -> NetworkCase:
    """A five-block VGG of 1 to 6 channels a block, 1 to 3 input channels and 2 to 9 classes, on
    224×224 (its fully connected part fixes the size)."""
    arch = tuple((randint(rng, 1, 2), randint(rng, 1, 6)) for _ in range(5))
    in_channels = randint(rng, 1, 3)
    return NetworkCase((arch,), (randint(rng, 1, 2), in_channels, 224, 224),
                       dict(in_channels=in_channels, num_classes=randint(rng, 2, 9)))

VGG_BLOCK = NetworkKata(
    "vgg_block", "vgg_block",
    structure_cases=[NetworkCase((1, 3, 8), (2, 3, 16, 16)), NetworkCase((2, 4, 6), (1, 4, 9, 10)),
                     NetworkCase((3, 1, 2), (1, 1, 8, 8))],
    numeric_cases=[NetworkCase((2, 3, 4), (2, 3, 8, 10)), NetworkCase((1, 2, 3), (1, 2, 7, 7))],
    seeded_cases=drawn_cases("vgg_block arguments", _vgg_block_case, _vgg_block_case),
    returns="Sequential", negative_output_mistake="missing_relu")

VGG = NetworkKata(
    "vgg", "vgg",
    structure_cases=[NetworkCase((VGG11_ARCH,), (1, 1, 224, 224)),
                     NetworkCase((tuple((n, c // 4) for n, c in VGG11_ARCH),), (2, 3, 224, 224),
                                 dict(in_channels=3, num_classes=5))],
    numeric_cases=[NetworkCase((TINY_ARCH,), (1, 2, 224, 224), dict(in_channels=2, num_classes=7))],
    seeded_cases=drawn_cases("vgg arguments", _vgg_case),
    returns="Sequential", dtype=torch.float32, rtol=1e-4, atol=1e-5)

TINY_VGG = TrainingRun("vgg", N_("a small VGG built from your vgg_block"), lambda m: nn.Sequential(
    m.vgg_block(1, 1, 8), m.vgg_block(1, 8, 16), nn.Flatten(), nn.Linear(16 * 4 * 4, 10)))

CHECKS = [*network_checks(VGG_BLOCK), *network_checks(VGG, gradient=False, dtype=False), *training_checks(TINY_VGG)]
