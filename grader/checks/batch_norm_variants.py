"""Batch normalization as learners write it — the reference's arithmetic with one known mistake
switched on, for the batch_norm function and for a BatchNorm layer built on it — and the
recognisers that name the mistakes a learner's data reproduce (grader/core/mistakes.toml), in the
symbol that makes them: the function, or the layer."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch

from grader.core.i18n import _

from .judges import close_enough, is_tensor

#: The eps and momentum that d2l's BatchNorm layer passes to batch_norm (PyTorch's defaults).
EPS, MOMENTUM = 1e-5, 0.1

#: ``norm(X, gamma, beta, moving_mean, moving_var, training) -> (Y, moving_mean, moving_var)``:
#: batch_norm with the layer's eps and momentum filled in.
Norm = Callable[..., tuple]

#: A layer case: (the batches it sees — training steps, then one inference —, num_features, num_dims).
LayerCase = tuple[list[torch.Tensor], int, int]


def stat_shape(x_shape: Sequence[int]) -> tuple[int, ...]:
    """gamma, beta and the moving statistics broadcast as (1, c) or (1, c, 1, 1)."""
    return (1, x_shape[1]) if len(x_shape) == 2 else (1, x_shape[1], 1, 1)


def batch_norm_variant(X, gamma, beta, moving_mean, moving_var, eps, momentum, *, training: bool, unbiased=False,
                       flipped_momentum=False, batch_stats_at_inference=False, dims=None, eps_at="inside",
                       fixed_eps=None, fixed_momentum=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """batch_norm as a learner might write it, one known mistake switched on: (Y, mean, var).
    ``dims`` (the reduction axes) applies to conv inputs only; ``eps_at`` is "inside" the square
    root, "outside" it, or "none"; ``fixed_eps`` and ``fixed_momentum`` stand in for the arguments."""
    eps = eps if fixed_eps is None else fixed_eps
    momentum = momentum if fixed_momentum is None else fixed_momentum

    def normalize(centred, variance):
        if eps_at == "outside":
            return centred / (torch.sqrt(variance) + eps)
        return centred / torch.sqrt(variance + (eps if eps_at == "inside" else 0.0))

    if training or batch_stats_at_inference:
        if dims is None or X.dim() == 2:
            dims = (0,) if X.dim() == 2 else (0, 2, 3)
        mean = X.mean(dim=dims, keepdim=True)
        var = X.var(dim=dims, keepdim=True, unbiased=unbiased)
        X_hat = normalize(X - mean, var)
        if training:
            keep, new = (momentum, 1 - momentum) if flipped_momentum else (1 - momentum, momentum)
            moving_mean, moving_var = keep * moving_mean + new * mean, keep * moving_var + new * var
    else:
        X_hat = normalize(X - moving_mean, moving_var)
    return gamma * X_hat + beta, moving_mean, moving_var


#: Each known mistake of batch_norm as the variants of batch_norm_variant that make it.
BN_MISTAKES = {
    "unbiased_variance": [dict(unbiased=True)],
    "flipped_momentum": [dict(flipped_momentum=True)],
    "batch_stats_at_inference": [dict(batch_stats_at_inference=True)],
    "wrong_reduction_axes": [dict(dims=d) for d in ((0, 1), (0,), (2, 3), (1, 2, 3), (0, 1, 2, 3))],
    "eps_misplaced": [dict(eps_at="none"), dict(eps_at="outside")],
    "eps_ignored": [dict(fixed_eps=EPS)],
    "momentum_ignored": [dict(fixed_momentum=MOMENTUM), dict(fixed_momentum=1 - MOMENTUM)],
}


def recognise_function(got: list, cases: list[tuple], training: bool) -> list[str]:
    """batch_norm's known mistakes that reproduce ``got`` — per case [Y, moving_mean, moving_var]
    on ``cases`` (batch_norm's arguments) — Y and, in training, the moving statistics too (at
    inference a mistaken learner may or may not update them, so Y alone tells)."""
    compared = 3 if training else 1
    correct = [batch_norm_variant(*case, training=training) for case in cases]

    def agree(outputs, expected):
        return all(len(o) == 3 and all(close_enough(ov, ev) for ov, ev in zip(o[:compared], e[:compared]))
                   for o, e in zip(outputs, expected))

    def predictions(variants):
        return ([batch_norm_variant(*case, training=training, **variant) for case in cases] for variant in variants)
    return _reproduced(got, correct, {mistake: predictions(v) for mistake, v in BN_MISTAKES.items()}, agree)


def _reproduced(got, correct, predictions: dict[str, Iterable], agree: Callable[[Any, Any], bool]) -> list[str]:
    """The mistakes one of whose ``predictions`` (what a variant making it computes) ``got`` agrees
    with, where the ``correct`` data do not: a variant that computes the correct result is no evidence."""
    return [mistake for mistake, predicted in predictions.items()
            if any(agree(got, p) and not agree(correct, p) for p in predicted)]


def run_as_layer(norm: Norm, batches: list[torch.Tensor], features: int, num_dims: int, *,
                 keep_stats: bool = True) -> list[torch.Tensor]:
    """What a BatchNorm(features, num_dims) built on ``norm`` outputs: training steps on all batches
    but the last, then inference on it, gamma and beta at their initial ones and zeros.
    ``keep_stats=False`` drops the moving statistics that ``norm`` returns."""
    shape = stat_shape((1, features) if num_dims == 2 else (1, features, 1, 1))
    gamma, beta, mean, var = torch.ones(shape), torch.zeros(shape), torch.zeros(shape), torch.ones(shape)
    outputs = []
    for index, x in enumerate(batches):
        Y, new_mean, new_var = norm(x, gamma, beta, mean, var, index < len(batches) - 1)
        if keep_stats:
            mean, var = new_mean, new_var
        outputs.append(Y)
    return outputs


def simulated(cases: list[LayerCase], *, momentum: float = MOMENTUM, keep_stats: bool = True,
              **mistake) -> list[list[torch.Tensor]]:
    """The outputs of a layer that calls batch_norm_variant(**mistake) with ``momentum``, per case."""
    def norm(X, gamma, beta, mean, var, training):
        return batch_norm_variant(X, gamma, beta, mean, var, EPS, momentum, training=training, **mistake)
    return [run_as_layer(norm, batches, features, dims, keep_stats=keep_stats) for batches, features, dims in cases]


#: The layer's own known mistakes, as the arguments of ``simulated`` that make them.
LAYER_MISTAKES = {
    "moving_stats_not_kept": [dict(keep_stats=False)],
    "layer_momentum": [dict(momentum=1 - MOMENTUM)],
}


def _agree(runs: list, expected: list[list[torch.Tensor]]) -> bool:
    return all(len(run) == len(want) and all(close_enough(g, w) for g, w in zip(run, want))
               for run, want in zip(runs, expected))


def _shown(runs: list, cases: list[LayerCase], mistakes: dict[str, list[dict]]) -> list[str]:
    """The ``mistakes`` whose simulated outputs ``runs`` reproduce, where the correct layer's differ."""
    predictions = {mistake: (simulated(cases, **v) for v in variants) for mistake, variants in mistakes.items()}
    return _reproduced(runs, simulated(cases), predictions, _agree)


def layer_diagnosis(layer_runs: list, function_runs: list, cases: list[LayerCase]) -> tuple[str, list[str]]:
    """Where a BatchNorm's different outputs come from, as a note for the learner, and the known
    mistakes they show. ``function_runs`` are the learner's batch_norm's outputs used as the layer
    should use it (None for a case where it failed). Layer outputs equal to those: the difference is
    batch_norm's, and so are the mistakes named. Otherwise they are the layer's own."""
    usable = all(run is not None and all(is_tensor(y) for y in run) for run in function_runs)
    if usable and _agree(layer_runs, function_runs):
        shown = _shown(function_runs, cases, BN_MISTAKES)  # two that fit (a fixed momentum, a flipped one) name neither
        return ("\n  " + _("Your BatchNorm gives exactly what your batch_norm gives with eps=1e-5 and momentum=0.1: "
                            "the difference comes from batch_norm (its own checks say where)"),
                shown if len(shown) == 1 else [])
    note = ("\n  " + _("Your batch_norm, called with eps=1e-5 and momentum=0.1, gives the expected values: the "
                        "difference is in BatchNorm itself")) if usable and _agree(function_runs, simulated(cases)) else ""
    return note, _shown(layer_runs, cases, LAYER_MISTAKES)
