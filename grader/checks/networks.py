"""Networks the checks build around a learner's layer — and ``kata train lenet-bn`` trains."""
from __future__ import annotations

from types import ModuleType

from torch import nn


def lenet(module: ModuleType | None) -> nn.Module:
    """d2l's LeNet for 28×28 input, with ``module.BatchNorm`` after every layer but the last
    (d2l 8.5), or without batch normalization when ``module`` is None."""
    def norm(features, dims):
        return [module.BatchNorm(features, dims)] if module is not None else []
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), *norm(6, 4), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), *norm(16, 4), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(16 * 4 * 4, 120), *norm(120, 2), nn.Sigmoid(),
        nn.Linear(120, 84), *norm(84, 2), nn.Sigmoid(), nn.Linear(84, 10))
