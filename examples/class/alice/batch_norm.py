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
    if X.dim() not in (2, 4):
        raise ValueError(f"batch_norm expects a 2-D or 4-D X, got shape {tuple(X.shape)}")
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        dims = (0,) if X.dim() == 2 else (0, 2, 3)
        mean = X.mean(dim=dims, keepdim=True)
        var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    return gamma * X_hat + beta, moving_mean.detach(), moving_var.detach()


class BatchNorm(nn.Module):
    """Batch normalization layer for ``num_dims`` = 2 (input (n, num_features)) or 4
    (input (n, num_features, h, w)), built on ``batch_norm`` with eps 1e-5 and momentum 0.1.

    The scale gamma starts at ones and the shift beta at zeros (the only two parameters); the
    moving mean starts at zeros and the moving variance at ones. The output has the input's shape.
    """

    def __init__(self, num_features: int, num_dims: int):
        super().__init__()
        if num_dims not in (2, 4):
            raise ValueError(f"num_dims must be 2 or 4, got {num_dims!r}")
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.register_buffer("moving_mean", torch.zeros(shape))
        self.register_buffer("moving_var", torch.ones(shape))
        self.eps, self.momentum = 1e-5, 0.1

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=self.eps, momentum=self.momentum)
        return Y
