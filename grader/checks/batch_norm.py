"""Checks for d2l 8.5 (batch_norm): the batch_norm function and the BatchNorm layer."""
from __future__ import annotations

from functools import cache

import torch
import torch.nn.functional as F

from grader.checks.networks import lenet

from .base import Mismatch, diagnosed, info_of, kata_checks, meta_info, outcome, tensor_info
from .functions import GRAD_ATOL, GRAD_RTOL, in_case
from .generators import make_rng, normal, randint, with_dtype_device
from .judges import close_enough, judge_cases, judge_close, judge_info, shape_text
from .training import TRAIN_SIZE, TrainingRun, digits, judge_training

EPS, MOMENTUM = 1e-5, 0.1
SHAPES = [(8, 5), (4, 3, 5, 6), (1, 2, 3, 3), (16, 1), (3, 4, 1, 7)]


def stat_shape(x_shape) -> tuple[int, ...]:
    """gamma, beta and the moving statistics broadcast as (1, c) or (1, c, 1, 1)."""
    return (1, x_shape[1]) if len(x_shape) == 2 else (1, x_shape[1], 1, 1)


#: (scale of X, scale of the moving variance) per case: in the last ones the variances are small
#: enough for eps to matter.
SCALES = [(2.0, 0.5), (2.0, 0.5), (2.0, 0.5), (2.0, 0.5), (2.0, 0.5), (0.004, 1e-4), (0.004, 1e-4)]
SHAPES = SHAPES + [(6, 3), (5, 2, 3, 4)]


def _bn_case(rng, shape, x_scale: float = 2.0, var_scale: float = 0.5) -> tuple:
    s = stat_shape(shape)
    X = x_scale * (1.5 + normal(rng, *shape))
    gamma, beta = 1.0 + normal(rng, *s).abs(), normal(rng, *s)
    moving_mean, moving_var = x_scale * (1.5 + normal(rng, *s)), var_scale * (1.0 + normal(rng, *s).abs())
    return X, gamma, beta, moving_mean, moving_var


def bn_cases(seed: int) -> list[tuple]:
    """(X, gamma, beta, moving_mean, moving_var), X away from zero mean and unit variance."""
    rng = make_rng(seed, "batch_norm")
    return [_bn_case(rng, shape, *scales) for shape, scales in zip(SHAPES, SCALES)]


def seeded_shapes(seed: int, stream: str) -> list[tuple[int, ...]]:
    """A fully connected (n, c) and a convolutional (n, c, h, w) input shape drawn from the seed,
    n >= 2 (a batch's statistics need two examples)."""
    rng = make_rng(seed, stream)
    n, c = randint(rng, 2, 8), randint(rng, 1, 6)
    return [(n, c), (randint(rng, 2, 6), randint(rng, 1, 6), randint(rng, 1, 6), randint(rng, 1, 6))]


def dtype_cases(seed: int) -> list[tuple]:
    """batch_norm's arguments on seeded shapes, for the dtype and device check: its data are
    shapes, so the shapes must come from the seed for that data not to be a constant."""
    rng = make_rng(seed, "batch_norm dtype")
    return [_bn_case(rng, shape) for shape in seeded_shapes(seed, "batch_norm dtype shapes")]


def _label(case) -> str:
    return f"X {shape_text(case[0].shape)}"


def _call(module, case, grad_enabled: bool):
    with torch.set_grad_enabled(grad_enabled):
        return module.batch_norm(*case, eps=EPS, momentum=MOMENTUM)


def batch_norm_variant(X, gamma, beta, moving_mean, moving_var, *, training: bool, unbiased=False,
                       flipped_momentum=False, batch_stats_at_inference=False, dims=None, eps="inside"):
    """batch_norm as a learner might write it, one known mistake switched on: (Y, mean, var).
    ``dims`` (the reduction axes) applies to conv inputs only; ``eps`` is "inside" the square
    root, "outside" it, or "none"."""

    def normalize(centred, variance):
        if eps == "outside":
            return centred / (torch.sqrt(variance) + EPS)
        return centred / torch.sqrt(variance + (EPS if eps == "inside" else 0.0))

    if training or batch_stats_at_inference:
        if dims is None or X.dim() == 2:
            dims = (0,) if X.dim() == 2 else (0, 2, 3)
        mean = X.mean(dim=dims, keepdim=True)
        var = X.var(dim=dims, keepdim=True, unbiased=unbiased)
        X_hat = normalize(X - mean, var)
        if training:
            keep, new = (MOMENTUM, 1 - MOMENTUM) if flipped_momentum else (1 - MOMENTUM, MOMENTUM)
            moving_mean, moving_var = keep * moving_mean + new * mean, keep * moving_var + new * var
    else:
        X_hat = normalize(X - moving_mean, moving_var)
    return gamma * X_hat + beta, moving_mean, moving_var


#: Each known mistake as the variants of batch_norm_variant that make it.
BN_MISTAKES = {
    "unbiased_variance": [dict(unbiased=True)],
    "flipped_momentum": [dict(flipped_momentum=True)],
    "batch_stats_at_inference": [dict(batch_stats_at_inference=True)],
    "wrong_reduction_axes": [dict(dims=d) for d in ((0, 1), (0,), (2, 3), (1, 2, 3), (0, 1, 2, 3))],
    "eps_misplaced": [dict(eps="none"), dict(eps="outside")],
}


def _recognise_bn(got, cases, training: bool) -> list[str]:
    """Known mistakes that reproduce ``got``: Y and, in training, the moving statistics too (at
    inference a mistaken learner may or may not update them, so Y alone tells)."""
    compared = 3 if training else 1
    correct = [batch_norm_variant(*case, training=training) for case in cases]

    def agree(outputs, expected):
        return all(len(o) == 3 and all(close_enough(ov, ev) for ov, ev in zip(o[:compared], e[:compared]))
                   for o, e in zip(outputs, expected))

    def matches(variant):  # a variant that computes the correct result in this mode is no evidence
        expected = [batch_norm_variant(*case, training=training, **variant) for case in cases]
        return agree(got, expected) and not agree(correct, expected)
    return [mistake for mistake, variants in BN_MISTAKES.items() if any(matches(v) for v in variants)]


def _oracle(case, training: bool) -> torch.Tensor:
    X, gamma, beta, moving_mean, moving_var = case
    c = X.shape[1]  # F.batch_norm takes (c,) statistics; it normalizes (n, c) per feature, as batch_norm does
    return F.batch_norm(X, moving_mean.reshape(c).clone(), moving_var.reshape(c).clone(), gamma.reshape(c),
                        beta.reshape(c), training=training, momentum=MOMENTUM, eps=EPS)


def _results(values) -> list:
    if not isinstance(values, (tuple, list)) or len(values) != 3:
        return [outcome(values)]
    return [outcome(v) for v in values]


def _mode_check(mode: str, training: bool):
    what = "batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum)"
    context = "with gradients enabled (training)" if training else "under torch.no_grad() (inference)"

    def probe(module, seed):
        return [in_case(f"{what} on {_label(c)} {context}", lambda c=c: _results(_call(module, c, training)))
                for c in bn_cases(seed)]

    def judge(got, want, seed):
        cases = bn_cases(seed)
        for _case, g in zip(cases, got):
            if len(g) != 3:
                raise Mismatch(f"batch_norm should return (Y, moving_mean, moving_var), got {g[0]}")
        labels = [f"{_label(c)} {context}" for c in cases]
        try:
            for index, name in enumerate(("Y", "moving_mean", "moving_var")):
                judge_cases([g[index] for g in got], [w[index] for w in want], labels,
                            what=f"batch_norm's {name}", rtol=1e-4, atol=1e-5)
            judge_cases([g[0] for g in got], [_oracle(c, training) for c in cases], labels,
                        what="batch_norm's Y (checked against torch's batch norm)", rtol=1e-4, atol=1e-5)
        except Mismatch as exc:
            raise exc.naming(*_recognise_bn(got, cases, training)) from None
    return kata_checks("batch_norm")(mode, "numeric", probe, judge)


def _probe_bn_gradient(module, seed):
    results = []
    for index, case in enumerate(bn_cases(seed)[:3]):
        X, gamma, beta, mm, mv = (t.to(torch.float64) for t in case)
        for t in (X, gamma, beta):
            t.requires_grad_(True)
        Y, new_mean, new_var = in_case(f"batch_norm on {_label(case)}",
                                       lambda: module.batch_norm(X, gamma, beta, mm, mv, EPS, MOMENTUM))
        (Y * normal(make_rng(seed, f"upstream {index}"), *Y.shape, dtype=torch.float64)).sum().backward()
        results.append({"grads": [outcome(t.grad) for t in (X, gamma, beta)],
                        "stats_track_gradients": any(isinstance(t, torch.Tensor) and t.requires_grad
                                                     for t in (new_mean, new_var))})
    return results


def _judge_bn_gradient(got, want, seed):
    for case, g, w in zip(bn_cases(seed)[:3], got, want):
        if g["stats_track_gradients"]:
            raise Mismatch(f"batch_norm on {_label(case)}: the moving statistics it returns carry gradients "
                           "(requires_grad=True)", "moving_stats_not_detached")
        for name, g_grad, w_grad in zip(("X", "gamma", "beta"), g["grads"], w["grads"]):
            if isinstance(g_grad, dict):
                raise Mismatch(f"batch_norm on {_label(case)}: no gradient reaches {name}")
            judge_close(g_grad, w_grad, what=f"batch_norm on {_label(case)}: the gradient w.r.t. {name}",
                        rtol=GRAD_RTOL, atol=GRAD_ATOL)


def _probe_bn_dtype_device(module, seed):
    results = {}
    for name, variant, info in (("float64", dict(dtype=torch.float64), info_of),
                                ("meta", dict(device="meta"), meta_info)):
        for training in (True, False):
            for case in dtype_cases(seed):
                moved = with_dtype_device(case, **variant)
                results.setdefault(name, []).append(in_case(
                    f"batch_norm on {_label(case)} with {name} inputs",
                    lambda m=moved, t=training, info=info: info(lambda: _call(module, m, t)[0])))
    return results


def _judge_bn_dtype_device(got, want, seed):
    for name in want:
        for g, w in zip(got[name], want[name]):
            judge_info(g, w, what=f"batch_norm's Y with {name} inputs")


check = kata_checks("batch_norm")
FUNCTION_CHECKS = [
    _mode_check("training", training=True),
    _mode_check("inference", training=False),
    check("gradient", "gradient", _probe_bn_gradient, _judge_bn_gradient),
    check("dtype_and_device", "dtype_device", _probe_bn_dtype_device, _judge_bn_dtype_device),
]

LAYER_CASES = [(5, 4, (6, 5, 4, 3)), (7, 2, (10, 7)), (1, 4, (3, 1, 2, 2))]


def _probe_layer_parameters(module, seed):
    results = []
    for features, dims, _ in LAYER_CASES:
        layer = module.BatchNorm(features, dims)
        results.append({"is_module": isinstance(layer, torch.nn.Module),
                        "parameters": sorted(list(p.shape) for p in layer.parameters())})
    return results


def _judge_layer_parameters(got, want, seed):
    for (features, dims, _), g, w in zip(LAYER_CASES, got, want):
        what = f"BatchNorm({features}, {dims})"
        if not g["is_module"]:
            raise Mismatch(f"{what} should be an nn.Module")
        if g["parameters"] != w["parameters"]:
            raise Mismatch(f"{what}: expected parameter shapes {w['parameters']} (gamma and beta only — the "
                           f"moving statistics are not learned), got {g['parameters']}",
                           *(["tensor_not_parameter"] if len(g["parameters"]) < len(w["parameters"]) else []))


def _layer_batches(seed: int, shape) -> list[torch.Tensor]:
    rng = make_rng(seed, f"batches {shape}")
    return [2.0 + 3.0 * normal(rng, *shape) for _ in range(4)]


def _probe_layer_run(module, seed):
    """Three training steps (gradients on), then inference (no_grad) on a fourth batch."""
    results = []
    for features, dims, shape in LAYER_CASES:
        layer = module.BatchNorm(features, dims)
        *train, test = _layer_batches(seed, shape)
        run = [in_case(f"BatchNorm({features}, {dims}) in training", lambda x=x: outcome(layer(x))) for x in train]
        with torch.no_grad():
            run.append(in_case(f"BatchNorm({features}, {dims}) under torch.no_grad()", lambda: outcome(layer(test))))
        results.append(run)
    return results


def simulate_layer(batches, features: int, num_dims: int, **variant) -> list[torch.Tensor]:
    """Training steps on all batches but the last, then inference on it; ``keep_stats=False``
    drops the moving statistics, other keywords as in batch_norm_variant."""
    keep_stats = variant.pop("keep_stats", True)
    shape = stat_shape((1, features) if num_dims == 2 else (1, features, 1, 1))
    gamma, beta = torch.ones(shape), torch.zeros(shape)
    mean, var = torch.zeros(shape), torch.ones(shape)
    outputs = []
    for index, x in enumerate(batches):
        training = index < len(batches) - 1
        Y, new_mean, new_var = batch_norm_variant(x, gamma, beta, mean, var, training=training, **variant)
        if keep_stats:
            mean, var = new_mean, new_var
        outputs.append(Y)
    return outputs


LAYER_MISTAKES = {**BN_MISTAKES, "moving_stats_not_kept": [dict(keep_stats=False)]}


def _recognise_layer(got, seed) -> list[str]:
    def runs(**variant):
        return [simulate_layer(_layer_batches(seed, shape), features, dims, **variant)
                for features, dims, shape in LAYER_CASES]

    def agree(a, b):
        return all(all(close_enough(x, y) for x, y in zip(run_a, run_b)) for run_a, run_b in zip(a, b))

    correct = runs()
    return [mistake for mistake, variants in LAYER_MISTAKES.items()
            if any(agree(got, runs(**v)) and not agree(correct, runs(**v)) for v in variants)]


def _compare_layer_run(got, want, seed):
    for (features, dims, shape), g, w in zip(LAYER_CASES, got, want):
        what = f"BatchNorm({features}, {dims}) on batches {shape_text(shape)}"
        labels = ["training step 1", "training step 2", "training step 3",
                  "inference (no_grad), which must use the moving statistics"]
        judge_cases(g, w, labels, what=what, rtol=1e-4, atol=1e-5)
        reference = torch.nn.BatchNorm2d(features) if dims == 4 else torch.nn.BatchNorm1d(features)
        train = _layer_batches(seed, shape)[:3]
        judge_cases(g[:3], [reference(x).detach() for x in train], labels[:3],
                    what=f"{what} (checked against torch's batch norm)", rtol=1e-4, atol=1e-5)


def _probe_layer_dtype(module, seed):
    """BatchNorm(c, dims).double() on float64 inputs of seeded shapes, one per number of dimensions."""
    results = []
    for shape in seeded_shapes(seed, "layer dtype shapes"):
        layer = module.BatchNorm(shape[1], len(shape)).to(torch.float64)
        x = _layer_batches(seed, shape)[0].to(torch.float64)
        training = tensor_info(layer(x))
        with torch.no_grad():
            results += [training, tensor_info(layer(x))]
    return results


def _judge_layer_dtype(got, want, seed):
    runs = [(shape, mode) for shape in seeded_shapes(seed, "layer dtype shapes") for mode in ("training", "inference")]
    for (shape, mode), g, w in zip(runs, got, want):
        judge_info(g, w, what=f"BatchNorm({shape[1]}, {len(shape)}).double() in {mode} on a float64 input "
                              f"{shape_text(shape)}")


check = kata_checks("batch_norm_module")
LAYER_CHECKS = [
    check("parameters", "structure", _probe_layer_parameters, _judge_layer_parameters),
    check("train_then_infer", "numeric", _probe_layer_run, diagnosed(_compare_layer_run, _recognise_layer)),
    check("dtype", "dtype_device", _probe_layer_dtype, _judge_layer_dtype),
]

LENET_BN = TrainingRun("batch_norm_module", "d2l's LeNet with your BatchNorm", lenet, size=28, optimizer="sgd",
                       lr=1.0, steps=120)
LENET = TrainingRun("batch_norm_module", "the same LeNet without batch normalization", lambda m: lenet(None),
                    size=28, optimizer="sgd", lr=1.0, steps=120)


def _probe_lenet(module, seed):
    """LeNet trained with the learner's BatchNorm; then, at inference, how much a held-out
    sample's prediction depends on the rest of its batch."""
    net, with_norm = in_case(LENET_BN.description, lambda: LENET_BN.fit(module, seed))
    X, _ = digits(LENET_BN.size)
    batch = X[TRAIN_SIZE:TRAIN_SIZE + 16]
    with torch.no_grad():
        together = net(batch)
        alone = torch.cat([net(batch[i:i + 1]) for i in range(len(batch))])
    return {"with": {**with_norm, "overfit_loss": LENET_BN.overfit(module, seed)},
            "batch_dependence": float((together - alone).abs().max())}


@cache
def lenet_without_norm(seed: int) -> dict:
    """The baseline that batch norm must beat: the same LeNet without it, trained from the same
    seed. None of the learner's code runs in it, so the judge's side trains it, once per seed."""
    return LENET.fit(None, seed)[1]


def _judge_lenet(got, want, seed):
    judge_training(LENET_BN, got["with"], want["with"])
    faster, slower = sum(got["with"]["losses"][-20:]) / 20, sum(lenet_without_norm(seed)["losses"][-20:]) / 20
    if not faster <= slower + 0.05:
        raise Mismatch(f"{LENET_BN.description} ends {LENET_BN.steps} steps at a loss of {faster:.3f}, worse than "
                       f"{slower:.3f} without batch normalization: batch norm should speed training up")
    if got["batch_dependence"] > 1e-4:
        raise Mismatch(f"under torch.no_grad() a prediction of {LENET_BN.description} changes by up to "
                       f"{got['batch_dependence']:.3g} with the rest of its batch: inference must use the moving "
                       "statistics, not the batch's", "batch_stats_at_inference")


CHECKS = [*FUNCTION_CHECKS, *LAYER_CHECKS,
          kata_checks("batch_norm_module")("trains_lenet", "training", _probe_lenet, _judge_lenet)]
