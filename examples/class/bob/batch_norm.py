# Your code for these katas. Replace each `raise NotImplementedError(...)` with your implementation;
# `make grade` shows your progress. Generated from solutions/batch_norm.py by `make exercises`.
"""d2l 8.5 — Batch normalization, from scratch.

Batch normalization standardises each feature (each channel, after a convolution) with the mean
and variance of the current minibatch, then scales and shifts it by the learned gamma and beta. In
training it uses the batch's statistics and updates running averages of them; in evaluation it
uses the running averages. Deep networks train faster with it and tolerate larger learning rates.
"""
import torch
from torch import nn


def batch_norm(X: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, moving_mean: torch.Tensor,
               moving_var: torch.Tensor, eps: float, momentum: float):
    """Batch-normalize X and update the moving statistics.

    X is (n, c) after a fully connected layer or (n, c, h, w) after a convolution; gamma, beta and
    the moving statistics broadcast against it: (1, c) or (1, c, 1, 1). While gradients are enabled
    (training) X is normalized with the mean and the *biased* variance of the batch — per feature
    over dimension 0, or per channel over dimensions (0, 2, 3) — and the moving statistics become
    ``(1 - momentum) * moving + momentum * batch``. Under ``torch.no_grad()`` (inference) X is
    normalized with the moving statistics, which stay unchanged.
    Returns ``(gamma * X_hat + beta, moving_mean, moving_var)``, the statistics detached.
    Raises ValueError when X is neither 2-D nor 4-D.
    """
    raise NotImplementedError("batch_norm: implement batch_norm (d2l 8.5)")


class BatchNorm(nn.Module):
    """Batch normalization layer for ``num_dims`` = 2 (input (n, num_features)) or 4
    (input (n, num_features, h, w)), built on ``batch_norm`` with eps 1e-5 and momentum 0.1.

    The scale gamma starts at ones and the shift beta at zeros (the only two parameters); the
    moving mean starts at zeros and the moving variance at ones. The output has the input's shape.
    """

    def __init__(self, num_features: int, num_dims: int):
        raise NotImplementedError("batch_norm_module: implement BatchNorm.__init__ (d2l 8.5)")

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("batch_norm_module: implement BatchNorm.forward (d2l 8.5)")
