"""d2l 8.5 — batch normalization with torch.var and registered buffers."""
import torch
from torch import nn


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if X.ndim == 2:
        dims = (0,)
    elif X.ndim == 4:
        dims = (0, 2, 3)
    else:
        raise ValueError(f"batch_norm handles 2-D or 4-D input, got {X.ndim}-D")
    if torch.is_grad_enabled():
        mu = X.mean(dim=dims, keepdim=True)
        sigma2 = torch.var(X, dim=dims, unbiased=False, keepdim=True)
        new_mean = torch.lerp(moving_mean, mu.detach().to(moving_mean.dtype), momentum)
        new_var = torch.lerp(moving_var, sigma2.detach().to(moving_var.dtype), momentum)
        centre, scale = mu, sigma2
    else:
        new_mean, new_var = moving_mean, moving_var
        centre, scale = moving_mean, moving_var
    normed = (X - centre) * torch.rsqrt(scale + eps)
    out = torch.addcmul(beta, gamma, normed)
    return out, new_mean.detach(), new_var.detach()


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        if num_dims not in (2, 4):
            raise ValueError("num_dims must be 2 or 4")
        shape = (1, num_features) + (1,) * (num_dims - 2)
        self.eps = 1e-5
        self.momentum = 0.1
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.register_buffer("moving_mean", torch.zeros(shape))
        self.register_buffer("moving_var", torch.ones(shape))

    def forward(self, X):
        out, mean, var = batch_norm(X, self.gamma, self.beta, self.moving_mean.to(X.device),
                                    self.moving_var.to(X.device), self.eps, self.momentum)
        with torch.no_grad():
            self.moving_mean.copy_(mean)
            self.moving_var.copy_(var)
        return out
