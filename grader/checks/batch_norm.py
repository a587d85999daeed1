"""Checks for d2l 8.5 (batch_norm): the batch_norm function and the BatchNorm layer. What a
mistaken batch norm computes, and which mistake data show, is batch_norm_variants.py's."""
from __future__ import annotations

from functools import cache
from types import ModuleType

import torch
import torch.nn.functional as F

from grader.checks.networks import lenet
from grader.core.i18n import N_, _

from .base import Mismatch, info_of, kata_checks, meta_info, outcome, tensor_info, watched
from .batch_norm_variants import EPS, MOMENTUM, LayerCase, layer_diagnosis, recognise_function, run_as_layer, stat_shape
from .functions import GRAD_ATOL, GRAD_RTOL, in_case
from .generators import make_rng, normal, randint, with_dtype_device
from .judges import judge_cases, judge_close, judge_info, judge_unchanged, shape_text
from .structure import materialised
from .training import TRAIN_SIZE, TrainingRun, digits, judge_training

#: batch_norm's tensor arguments, in order (eps and momentum follow).
TENSORS = ("X", "gamma", "beta", "moving_mean", "moving_var")
SHAPES = [(8, 5), (4, 3, 5, 6), (1, 2, 3, 3), (16, 1), (3, 4, 1, 7), (6, 3), (5, 2, 3, 4)]
#: (scale of X, scale of the moving variance) per case: in the last ones the variances are small
#: enough for eps to matter.
SCALES = [(2.0, 0.5), (2.0, 0.5), (2.0, 0.5), (2.0, 0.5), (2.0, 0.5), (0.004, 1e-4), (0.004, 1e-4)]


def _uniform(rng: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand((), generator=rng, dtype=torch.float64))


def _eps_and_momentum(rng: torch.Generator) -> tuple[float, float]:
    """eps in [1e-4, 1e-2] (log-uniform) and momentum in [0.15, 0.4] or [0.6, 0.85]: never the
    layer's 1e-5 and 0.1, nor 0.5, where weighing the batch by momentum or by 1 - momentum agree."""
    eps, momentum = 10 ** _uniform(rng, -4, -2), _uniform(rng, 0.15, 0.4)
    return eps, (1 - momentum if _uniform(rng, 0, 1) < 0.5 else momentum)


def _bn_case(rng, shape, x_scale: float = 2.0, var_scale: float = 0.5, eps: float = EPS,
             momentum: float = MOMENTUM) -> tuple:
    s = stat_shape(shape)
    X = x_scale * (1.5 + normal(rng, *shape))
    gamma, beta = 1.0 + normal(rng, *s).abs(), normal(rng, *s)
    moving_mean, moving_var = x_scale * (1.5 + normal(rng, *s)), var_scale * (1.0 + normal(rng, *s).abs())
    return X, gamma, beta, moving_mean, moving_var, eps, momentum


def bn_cases(seed: int) -> list[tuple]:
    """batch_norm's arguments (X, gamma, beta, moving_mean, moving_var, eps, momentum), X away from
    zero mean and unit variance: the first with the layer's eps and momentum, the others with eps
    and momentum drawn from the seed."""
    rng = make_rng(seed, "batch_norm")
    return [_bn_case(rng, shape, *scales, *((EPS, MOMENTUM) if index == 0 else _eps_and_momentum(rng)))
            for index, (shape, scales) in enumerate(zip(SHAPES, SCALES))]


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
    return f"X {shape_text(case[0].shape)}, eps={case[5]:.3g}, momentum={case[6]:.3g}"


def _call(module, case, grad_enabled: bool):
    with torch.set_grad_enabled(grad_enabled):
        return module.batch_norm(*case[:5], eps=case[5], momentum=case[6])


def _oracle(case, training: bool) -> torch.Tensor:
    X, gamma, beta, moving_mean, moving_var, eps, momentum = case
    c = X.shape[1]  # F.batch_norm takes (c,) statistics; it normalizes (n, c) per feature, as batch_norm does
    return F.batch_norm(X, moving_mean.reshape(c).clone(), moving_var.reshape(c).clone(), gamma.reshape(c),
                        beta.reshape(c), training=training, momentum=momentum, eps=eps)


def _results(values) -> list:
    if not isinstance(values, (tuple, list)) or len(values) != 3:
        return [outcome(values)]
    return [outcome(v) for v in values]


def _against_torch(what: str) -> str:
    # Translators: {what} is what is compared, such as "batch_norm's Y" or "BatchNorm(5, 4) on batches (6, 5, 4, 3)"
    return _("{what} (checked against torch's batch norm)").format(what=what)


def _mode_check(mode: str, training: bool):
    """batch_norm's three results in one mode, and the arguments it must leave unchanged: X, gamma
    and beta — and at inference the moving statistics too."""
    what = "batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum)"
    context = N_("with gradients enabled (training)") if training else N_("under torch.no_grad() (inference)")
    kept = TENSORS[:3] if training else TENSORS

    def run(module, case):
        values, changed = watched(lambda: _call(module, case, training), dict(zip(kept, case)))
        return {"results": _results(values), "changed": changed}

    def probe(module, seed):
        # Translators: {call} is the call "batch_norm(X, gamma, ...)", {case} its arguments such as
        # "X (8, 5), eps=1e-05, momentum=0.1", {context} "with gradients enabled (training)" or
        # "under torch.no_grad() (inference)"
        return [in_case(_("{call} on {case} {context}").format(call=what, case=_label(c), context=_(context)),
                        lambda c=c: run(module, c)) for c in bn_cases(seed)]

    def judge(got, want, seed):
        cases = bn_cases(seed)
        labels = [f"{_label(c)} {_(context)}" for c in cases]
        for label, g in zip(labels, got):
            judge_unchanged(g["changed"], what=_("batch_norm on {case}").format(case=label), mistake="forward_modifies_input")
            if len(g["results"]) != 3:
                raise Mismatch(_("batch_norm should return (Y, moving_mean, moving_var), got {result}").format(
                    result=g["results"][0]))
        results = [g["results"] for g in got]
        try:
            for index, name in enumerate(("Y", "moving_mean", "moving_var")):
                # Translators: {name} is one of batch_norm's results: Y, moving_mean or moving_var
                judge_cases([r[index] for r in results], [w["results"][index] for w in want], labels,
                            what=_("batch_norm's {name}").format(name=name), rtol=1e-4, atol=1e-5)
            judge_cases([r[0] for r in results], [_oracle(c, training) for c in cases], labels,
                        what=_against_torch(_("batch_norm's {name}").format(name="Y")), rtol=1e-4, atol=1e-5)
        except Mismatch as exc:
            raise exc.naming(*recognise_function(results, cases, training)) from None
    return kata_checks("batch_norm")(mode, "numeric", probe, judge)


def _probe_bn_gradient(module, seed):
    results = []
    for index, case in enumerate(bn_cases(seed)[:3]):
        X, gamma, beta, mm, mv = (t.to(torch.float64) for t in case[:5])
        for t in (X, gamma, beta):
            t.requires_grad_(True)
        Y, new_mean, new_var = in_case(_("batch_norm on {case}").format(case=_label(case)),
                                       lambda: module.batch_norm(X, gamma, beta, mm, mv, *case[5:]))
        (Y * normal(make_rng(seed, f"upstream {index}"), *Y.shape, dtype=torch.float64)).sum().backward()
        results.append({"grads": [outcome(t.grad) for t in (X, gamma, beta)],
                        "stats_track_gradients": any(isinstance(t, torch.Tensor) and t.requires_grad
                                                     for t in (new_mean, new_var))})
    return results


def _judge_bn_gradient(got, want, seed):
    for case, g, w in zip(bn_cases(seed)[:3], got, want):
        if g["stats_track_gradients"]:
            raise Mismatch(_("batch_norm on {case}: the moving statistics it returns carry gradients "
                             "(requires_grad=True)").format(case=_label(case)), "moving_stats_not_detached")
        for name, g_grad, w_grad in zip(("X", "gamma", "beta"), g["grads"], w["grads"]):
            if isinstance(g_grad, dict):
                # Translators: {name} is one of batch_norm's arguments: X, gamma or beta
                raise Mismatch(_("batch_norm on {case}: no gradient reaches {name}").format(case=_label(case), name=name))
            judge_close(g_grad, w_grad, what=_("batch_norm on {case}: the gradient w.r.t. {name}").format(
                case=_label(case), name=name), rtol=GRAD_RTOL, atol=GRAD_ATOL)


def _probe_bn_dtype_device(module, seed):
    results = {}
    for name, variant, info in (("float64", dict(dtype=torch.float64), info_of),
                                ("meta", dict(device="meta"), meta_info)):
        for training in (True, False):
            for case in dtype_cases(seed):
                moved = with_dtype_device(case, **variant)
                results.setdefault(name, []).append(in_case(
                    # Translators: {kind} is "float64" or "meta": the inputs' dtype or device
                    _("batch_norm on {case} with {kind} inputs").format(case=_label(case), kind=name),
                    lambda m=moved, t=training, info=info: info(lambda: _call(module, m, t)[0])))
    return results


def _judge_bn_dtype_device(got, want, seed):
    for name in want:
        for g, w in zip(got[name], want[name]):
            # Translators: {kind} is "float64" or "meta": the inputs' dtype or device
            judge_info(g, w, what=_("batch_norm's Y with {kind} inputs").format(kind=name))


check = kata_checks("batch_norm")
FUNCTION_CHECKS = [
    _mode_check("training", training=True),
    _mode_check("inference", training=False),
    check("gradient", "gradient", _probe_bn_gradient, _judge_bn_gradient),
    check("dtype_and_device", "dtype_device", _probe_bn_dtype_device, _judge_bn_dtype_device),
]

#: (num_features, num_dims, input shape) of the layers every run builds; layer_cases adds seeded ones.
LAYER_CASES = [(5, 4, (6, 5, 4, 3)), (7, 2, (10, 7)), (1, 4, (3, 1, 2, 2)), (2, 4, (1, 2, 3, 2))]


def layer_cases(seed: int) -> list[tuple[int, int, tuple[int, ...]]]:
    """LAYER_CASES, then a fully connected and a convolutional layer of shapes drawn from the seed."""
    return LAYER_CASES + [(shape[1], len(shape), shape) for shape in seeded_shapes(seed, "layer shapes")]


def _new_layer(module: ModuleType, features: int, dims: int, shape: tuple[int, ...]) -> torch.nn.Module:
    """The learner's BatchNorm(features, dims), any Lazy parameter shaped by an input of ``shape``."""
    return materialised(module.BatchNorm(features, dims), shape)


def _probe_layer_parameters(module, seed):
    results = []
    for features, dims, shape in LAYER_CASES:
        layer = _new_layer(module, features, dims, shape)
        results.append({"is_module": isinstance(layer, torch.nn.Module),
                        "parameters": sorted(list(p.shape) for p in layer.parameters())})
    return results


def _judge_layer_parameters(got, want, seed):
    for (features, dims, _shape), g, w in zip(LAYER_CASES, got, want):
        what = f"BatchNorm({features}, {dims})"
        if not g["is_module"]:
            raise Mismatch(_("{layer} should be an nn.Module").format(layer=what))
        if g["parameters"] != w["parameters"]:
            # Translators: {expected} and {got} are lists of shapes such as "[[1, 5, 1, 1], [1, 5, 1, 1]]"
            raise Mismatch(_("{layer}: expected parameter shapes {expected} (gamma and beta only — the moving "
                             "statistics are not learned), got {got}").format(
                                 layer=what, expected=w["parameters"], got=g["parameters"]),
                           *(["tensor_not_parameter"] if len(g["parameters"]) < len(w["parameters"]) else []))


def _layer_batches(seed: int, shape) -> list[torch.Tensor]:
    rng = make_rng(seed, f"batches {shape}")
    return [2.0 + 3.0 * normal(rng, *shape) for _ in range(4)]


def _function_as_layer(module, batches: list[torch.Tensor], features: int, dims: int) -> list | None:
    """The outputs of the learner's batch_norm used as BatchNorm(features, dims) should use it —
    eps=1e-5 and momentum=0.1, the moving statistics it returns kept — or None where it fails."""
    def norm(X, gamma, beta, moving_mean, moving_var, training):
        with torch.set_grad_enabled(training):
            return module.batch_norm(X, gamma, beta, moving_mean, moving_var, eps=EPS, momentum=MOMENTUM)
    try:
        return [outcome(Y) for Y in run_as_layer(norm, batches, features, dims)]
    except Exception:  # a stub, or a batch_norm that breaks: the layer's own outputs are all there is
        return None


def _probe_layer_run(module, seed):
    """Three training steps (gradients on), then inference (no_grad) on a fourth batch, and the
    inputs a step changed; beside it, what the learner's batch_norm gives on the same batches."""
    results = []
    for features, dims, shape in layer_cases(seed):
        layer = _new_layer(module, features, dims, shape)
        batches = _layer_batches(seed, shape)

        def step(x, training):
            with torch.set_grad_enabled(training):
                Y, changed = watched(lambda: layer(x), {"X": x})
            return outcome(Y), changed
        layer_text = f"BatchNorm({features}, {dims})"
        steps = [in_case((_("{layer} in training") if index < 3 else _("{layer} under torch.no_grad()")).format(
                             layer=layer_text), lambda x=x, t=index < 3: step(x, t)) for index, x in enumerate(batches)]
        results.append({"outputs": [Y for Y, _ in steps], "changed": [c for _, changed in steps for c in changed],
                        "function": _function_as_layer(module, batches, features, dims)})
    return results


def _compare_layer_run(got, want, seed):
    for (features, dims, shape), g, w in zip(layer_cases(seed), got, want):
        what = _("{layer} on batches {shape}").format(layer=f"BatchNorm({features}, {dims})", shape=shape_text(shape))
        labels = [*(_("training step {step}").format(step=step) for step in (1, 2, 3)),
                  _("inference (no_grad), which must use the moving statistics")]
        judge_cases(g, w, labels, what=what, rtol=1e-4, atol=1e-5)
        reference = torch.nn.BatchNorm2d(features) if dims == 4 else torch.nn.BatchNorm1d(features)
        train = _layer_batches(seed, shape)[:3]
        judge_cases(g[:3], [reference(x).detach() for x in train], labels[:3],
                    what=_against_torch(what), rtol=1e-4, atol=1e-5)


def _judge_layer_run(got, want, seed):
    """The outputs match; on a difference, the known mistakes named in the symbol that makes them."""
    cases = layer_cases(seed)
    for (features, dims, _shape), g in zip(cases, got):
        # Translators: {layer} is a layer such as "BatchNorm(5, 4)"; forward is its method
        judge_unchanged(g["changed"], what=_("{layer}'s forward").format(layer=f"BatchNorm({features}, {dims})"),
                        mistake="forward_modifies_input")
    layer_runs = [g["outputs"] for g in got]
    try:
        _compare_layer_run(layer_runs, [w["outputs"] for w in want], seed)
    except Mismatch as exc:
        simulated: list[LayerCase] = [(_layer_batches(seed, shape), features, dims) for features, dims, shape in cases]
        note, mistakes = layer_diagnosis(layer_runs, [g["function"] for g in got], simulated)
        raise Mismatch(f"{exc}{note}", *mistakes, figures=exc.figures) from None


def _probe_layer_dtype(module, seed):
    """BatchNorm(c, dims).double() on float64 inputs of seeded shapes, one per number of dimensions."""
    results = []
    for shape in seeded_shapes(seed, "layer dtype shapes"):
        layer = _new_layer(module, shape[1], len(shape), shape).to(torch.float64)
        x = _layer_batches(seed, shape)[0].to(torch.float64)
        training = tensor_info(layer(x))
        with torch.no_grad():
            results += [training, tensor_info(layer(x))]
    return results


def _judge_layer_dtype(got, want, seed):
    modes = (_("{layer}.double() in training on a float64 input {shape}"),
             _("{layer}.double() in inference on a float64 input {shape}"))
    runs = [(shape, mode) for shape in seeded_shapes(seed, "layer dtype shapes") for mode in modes]
    for (shape, mode), g, w in zip(runs, got, want):
        judge_info(g, w, what=mode.format(layer=f"BatchNorm({shape[1]}, {len(shape)})", shape=shape_text(shape)))


def _cpu_tensors(layer: torch.nn.Module) -> list[str]:
    """The names of the tensors a layer holds on the CPU, as attributes or buffers."""
    held = {**{name: v for name, v in vars(layer).items() if isinstance(v, torch.Tensor)}, **dict(layer.named_buffers())}
    return sorted(name for name, tensor in held.items() if tensor.device.type == "cpu")


def _probe_layer_device(module, seed):
    """BatchNorm(c, dims) built on the CPU and moved with .to("meta") (PyTorch's meta device standing
    in for a GPU), run in training then at inference on meta inputs of seeded shapes; and the
    tensors it still holds on the CPU after that."""
    results = []
    for shape in seeded_shapes(seed, "layer device shapes"):
        layer = _new_layer(module, shape[1], len(shape), shape).to("meta")
        x = torch.empty(shape, device="meta")
        training = meta_info(lambda: layer(x))
        with torch.no_grad():
            results.append({"runs": [training, meta_info(lambda: layer(x))], "on_cpu": _cpu_tensors(layer)})
    return results


def _judge_layer_device(got, want, seed):
    modes = (_("{layer}.to('meta') on a meta input {shape} in training"),
             _("{layer}.to('meta') on a meta input {shape} at inference"))
    for shape, g, w in zip(seeded_shapes(seed, "layer device shapes"), got, want):
        for mode, g_run, w_run in zip(modes, g["runs"], w["runs"]):
            what = mode.format(layer=f"BatchNorm({shape[1]}, {len(shape)})", shape=shape_text(shape))
            if "meta_error" in g_run and g["on_cpu"]:
                # Translators: {error} is an exception such as "RuntimeError: ..."; {tensors} names the layer's
                # tensors such as "moving_mean, moving_var"
                raise Mismatch(_("{what} raised {error}").format(what=what, error=g_run["meta_error"]) + "\n  "
                               + _("after .to('meta') the layer still holds {tensors} on the CPU").format(
                                   tensors=", ".join(g["on_cpu"])), "moving_stats_not_moved")
            judge_info(g_run, w_run, what=what)


check = kata_checks("batch_norm_module")
LAYER_CHECKS = [
    check("parameters", "structure", _probe_layer_parameters, _judge_layer_parameters),
    check("train_then_infer", "numeric", _probe_layer_run, _judge_layer_run),
    check("dtype", "dtype_device", _probe_layer_dtype, _judge_layer_dtype),
    check("device", "dtype_device", _probe_layer_device, _judge_layer_device),
]

LENET_BN = TrainingRun("batch_norm_module", N_("d2l's LeNet with your BatchNorm"), lenet, size=28, optimizer="sgd",
                       lr=1.0, steps=120)
LENET = TrainingRun("batch_norm_module", N_("the same LeNet without batch normalization"), lambda m: lenet(None),
                    size=28, optimizer="sgd", lr=1.0, steps=120)


def _probe_lenet(module, seed):
    """LeNet trained with the learner's BatchNorm; then, at inference, how much a held-out
    sample's prediction depends on the rest of its batch."""
    net, with_norm = in_case(_(LENET_BN.description), lambda: LENET_BN.fit(module, seed))
    X, _labels = digits(LENET_BN.size)
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
        # Translators: {network} is "d2l's LeNet with your BatchNorm"
        raise Mismatch(_("{network} ends {steps} steps at a loss of {loss:.3f}, worse than {baseline:.3f} without "
                         "batch normalization: batch norm should speed training up").format(
                             network=_(LENET_BN.description), steps=LENET_BN.steps, loss=faster, baseline=slower))
    if got["batch_dependence"] > 1e-4:
        raise Mismatch(_("under torch.no_grad() a prediction of {network} changes by up to {change:.3g} with the rest "
                         "of its batch: inference must use the moving statistics, not the batch's").format(
                             network=_(LENET_BN.description), change=got["batch_dependence"]),
                       "batch_stats_at_inference")


CHECKS = [*FUNCTION_CHECKS, *LAYER_CHECKS,
          kata_checks("batch_norm_module")("trains_lenet", "training", _probe_lenet, _judge_lenet)]
