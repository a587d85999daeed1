"""The networks `kata train` trains, each built from an implementation's own katas, with d2l's
training settings for Fashion-MNIST (input size, learning rate, epochs, batch size)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from torch import nn

from grader.checks.networks import lenet
from grader.core.i18n import _
from grader.core.implementation import Implementation

#: VGG-11 with a quarter of the channels, as d2l trains it.
SMALL_VGG_ARCH = ((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))


@dataclass(frozen=True)
class Model:
    """``build(module)`` makes the network from the implementation's ``module``; ``resize`` is the
    input size d2l uses, and ``sizes`` says which sizes the network accepts."""

    name: str
    module: str
    build: Callable[[ModuleType], nn.Module]
    resize: int
    lr: float
    batch_size: int = 128
    epochs: int = 10
    min_size: int = 28
    fixed_size: bool = False

    def network(self, impl: Implementation) -> nn.Module:
        return self.build(impl.module(self.module))

    def check_size(self, size: int) -> None:
        if self.fixed_size and size != self.resize:
            raise ValueError(_("{model} takes {size}×{size} inputs only (its classifier is sized for them); "
                               "drop --resize or give --resize {size}").format(model=self.name, size=self.resize))
        if size < self.min_size:
            raise ValueError(_("{model} needs inputs of at least {least}×{least}; got --resize {size}").format(
                model=self.name, least=self.min_size, size=size))


MODELS = {m.name: m for m in [
    Model("vgg", "vgg", lambda m: m.vgg(SMALL_VGG_ARCH), resize=224, lr=0.05, fixed_size=True, min_size=224),
    Model("nin", "nin", lambda m: m.nin(), resize=224, lr=0.1, min_size=67),
    Model("googlenet", "googlenet", lambda m: m.googlenet(), resize=96, lr=0.1, min_size=32),
    Model("resnet18", "resnet", lambda m: m.resnet18(), resize=96, lr=0.05, batch_size=256, min_size=32),
    Model("lenet-bn", "batch_norm", lenet, resize=28, lr=1.0, batch_size=256, fixed_size=True),
]}
