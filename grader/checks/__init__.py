"""Every kata's checks, by kata id, in manifest order."""
from __future__ import annotations

from grader.checks import batch_norm, channels, conv_layer, googlenet, nin, padding_strides, pooling, resnet, vgg

from .base import Check

_BY_MODULE = {
    "conv_layer": conv_layer.CHECKS,
    "padding_strides": padding_strides.CHECKS,
    "channels": channels.CHECKS,
    "pooling": pooling.CHECKS,
    "vgg": vgg.CHECKS,
    "nin": nin.CHECKS,
    "googlenet": googlenet.CHECKS,
    "batch_norm": batch_norm.CHECKS,
    "resnet": resnet.CHECKS,
}


def checks_of_module(module: str) -> list[Check]:
    """The checks of every kata in one kata module (``conv_layer``, …)."""
    return list(_BY_MODULE[module])


def checks_of_kata(kata_id: str) -> list[Check]:
    return [c for checks in _BY_MODULE.values() for c in checks if c.kata == kata_id]


def all_checks() -> list[Check]:
    return [c for checks in _BY_MODULE.values() for c in checks]


_BY_ID = {c.id: c for c in all_checks()}


def check_by_id(check_id: str) -> Check | None:
    """The check of that id (``corr2d::numeric_sweep``), or None."""
    return _BY_ID.get(check_id)
