"""scikit-learn's 8×8 digits, in one fixed shuffled order: what the convergence checks train on
(grader.checks.training) and ``kata train --data digits`` (grader.training.train). A real data set
that ships inside scikit-learn, so nothing is downloaded."""
from __future__ import annotations

import torch

#: scikit-learn's digits: the first DIGITS_TRAIN of the fixed shuffled order train, the rest test.
DIGITS_TRAIN = 1297


def digits_8x8() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 1797 8×8 digits in [0, 1], (n, 1, 8, 8), and their labels, in a fixed
    shuffled order."""
    from sklearn.datasets import load_digits

    data = load_digits()
    X = torch.tensor(data.data, dtype=torch.float32).reshape(-1, 1, 8, 8) / 16
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(0))
    return X[order], torch.tensor(data.target)[order]
