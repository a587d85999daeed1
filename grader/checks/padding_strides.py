"""Checks for d2l 7.3 (padding_strides): conv_output_shape, comp_conv2d, same_padding."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .base import Mismatch, kata_checks, outcome
from .functions import in_case, raises_check
from .generators import make_rng, normal, odd_kernel_sizes, randint
from .judges import close_enough, judge_cases, shape_text

#: The book's printed shapes: (input, kernel, padding, stride) → output, for an 8×8 input.
SEED_SHAPES = [
    ((8, 8), 3, 1, 1, (8, 8)),
    ((8, 8), (5, 3), (2, 1), 1, (8, 8)),
    ((8, 8), 3, 2, 1, (10, 10)),
    ((8, 8), 3, 1, 2, (4, 4)),
    ((8, 8), (3, 5), (0, 1), (3, 4), (2, 2)),
]


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def conv_configs(seed: int, count: int = 24) -> list[tuple]:
    """(input_size, kernel_size, padding, stride) that fit, as ints or pairs, seeded."""
    rng = make_rng(seed, "conv configs")
    configs = [(size, kernel, padding, stride) for size, kernel, padding, stride, _ in SEED_SHAPES]
    configs += [((1, 1), 1, 0, 1), ((5, 9), (5, 9), 0, 1), ((7, 7), 2, 0, 3)]
    while len(configs) < count:
        size = (randint(rng, 1, 40), randint(rng, 1, 40))
        stride = (randint(rng, 1, 4), randint(rng, 1, 4))
        padding = (randint(rng, 0, 3), randint(rng, 0, 3))
        kernel = tuple(randint(rng, 1, n + 2 * p) for n, p in zip(size, padding))
        as_int = randint(rng, 0, 1) == 1 and kernel[0] == kernel[1]
        configs.append((size, kernel[0] if as_int else kernel, padding, stride))
    return configs


def oracle_shape(size, kernel, padding, stride) -> tuple[int, int]:
    """What torch's convolution produces, computed on the meta device (no data)."""
    x = torch.empty((1, 1) + _pair(size), device="meta")
    w = torch.empty((1, 1) + _pair(kernel), device="meta")
    return tuple(F.conv2d(x, w, stride=stride, padding=padding).shape[2:])


def _config_text(size, kernel, padding, stride) -> str:
    return f"input_size={size}, kernel_size={kernel}, padding={padding}, stride={stride}"


def _shape_formula(size, kernel, padding, stride) -> str:
    parts = [f"({n} + 2·{p} - {k}) // {s} + 1 = {(n + 2 * p - k) // s + 1}"
             for n, k, p, s in zip(_pair(size), _pair(kernel), _pair(padding), _pair(stride))]
    return "per axis, (n + 2p - k) // s + 1: height " + parts[0] + "; width " + parts[1]


def _as_shape(value):
    try:
        return [int(v) for v in value] if len(value) == 2 else repr(value)
    except TypeError:
        return repr(value)


def _probe_output_shapes(module, seed):
    return [in_case(f"conv_output_shape({_config_text(*c)})",
                    lambda c=c: _as_shape(module.conv_output_shape(*c))) for c in conv_configs(seed)]


#: What a known mistake computes along one axis, from (n, k, p, s).
SHAPE_MISTAKES = {
    "padding_counted_once": lambda n, k, p, s: (n + p - k) // s + 1,
    "stride_rounds_up": lambda n, k, p, s: -(-(n + 2 * p - k) // s) + 1,
}


def _recognise_shapes(configs, got) -> list[str]:
    return [mistake for mistake, axis in SHAPE_MISTAKES.items()
            if all(g == [axis(*values) for values in zip(*map(_pair, config))] for config, g in zip(configs, got))]


def _judge_output_shapes(got, want, seed):
    configs = conv_configs(seed)
    for config, g, w in zip(configs, got, want):
        expected = list(oracle_shape(*config))
        if not isinstance(g, list):
            raise Mismatch(f"conv_output_shape({_config_text(*config)}) should return (h, w), got {g}")
        if g != w or g != expected:
            raise Mismatch(f"conv_output_shape({_config_text(*config)}): expected {tuple(expected)}, got "
                           f"{tuple(g)}\n  {_shape_formula(*config)}", *_recognise_shapes(configs, got))


def _seed_shape_probe(module, seed):
    return [_as_shape(module.conv_output_shape(*c[:4])) for c in SEED_SHAPES]


def _seed_shape_judge(got, want, seed):
    for config, g in zip(SEED_SHAPES, got):
        if g != list(config[4]):
            raise Mismatch(f"conv_output_shape({_config_text(*config[:4])}): the seed prints {config[4]}, "
                           f"got {g}\n  {_shape_formula(*config[:4])}",
                           *_recognise_shapes([c[:4] for c in SEED_SHAPES], got))


check = kata_checks("conv_output_shape")
OUTPUT_SHAPE_CHECKS = [
    check("seed_example", "example", _seed_shape_probe, _seed_shape_judge),
    check("shape_sweep", "numeric", _probe_output_shapes, _judge_output_shapes),
]


def _comp_cases(seed: int):
    """(label, conv layer constructor kwargs, X) with seeded layer weights."""
    rng = make_rng(seed, "comp_conv2d")
    cases = []
    for size, kernel, padding, stride in conv_configs(seed, 10):
        if min(_pair(size)) < 1:
            continue
        cases.append((_config_text(size, kernel, padding, stride),
                      dict(kernel_size=kernel, padding=padding, stride=stride), normal(rng, *size)))
    return cases


def _comp_layer(seed: int, index: int, kwargs: dict) -> nn.Conv2d:
    torch.manual_seed(seed + index)
    return nn.Conv2d(1, 1, **kwargs)


def _comp_outcome(module, layer: nn.Conv2d, X: torch.Tensor) -> dict:
    """The output, and whether it is still connected to X and the layer's weight for autograd."""
    X = X.clone().requires_grad_(True)
    out = module.comp_conv2d(layer, X)
    return {"out": outcome(out), "tracks_gradients": isinstance(out, torch.Tensor) and out.requires_grad}


def _probe_comp_conv2d(module, seed):
    return [in_case(f"comp_conv2d with nn.Conv2d({label})",
                    lambda i=i, kw=kw, X=X: _comp_outcome(module, _comp_layer(seed, i, kw), X))
            for i, (label, kw, X) in enumerate(_comp_cases(seed))]


def _judge_comp_conv2d(got, want, seed):
    for (label, _, _), g in zip(_comp_cases(seed), got):
        if not g["tracks_gradients"]:
            raise Mismatch(f"comp_conv2d with nn.Conv2d({label}): the result does not track gradients",
                           "result_detached")
    got, want = [g["out"] for g in got], [w["out"] for w in want]
    cases = _comp_cases(seed)
    labels = [f"nn.Conv2d(1, 1, {label}) on X {shape_text(X.shape)}" for label, _, X in cases]
    oracle = [_comp_layer(seed, i, kw)(X[None, None]).detach() for i, (_, kw, X) in enumerate(cases)]
    try:
        judge_cases(got, want, labels, what="comp_conv2d(conv2d, X)", rtol=1e-5, atol=1e-6)
        judge_cases(got, [o[0, 0] for o in oracle], labels, what="comp_conv2d(conv2d, X) (checked against torch)",
                    rtol=1e-5, atol=1e-6)
    except Mismatch as exc:
        kept = all(close_enough(g, o, rtol=1e-5, atol=1e-6) for g, o in zip(got, oracle))
        raise exc.naming(*(["extra_dimensions_kept"] if kept else [])) from None


check = kata_checks("comp_conv2d")
COMP_CHECKS = [check("layer_outputs", "numeric", _probe_comp_conv2d, _judge_comp_conv2d)]

EVEN_KERNELS = [2, 4, (2, 3), (3, 4)]


def _as_padding(value):
    """An int stays an int, a pair becomes a list of ints; anything else is described."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    shape = _as_shape(value)
    return shape if isinstance(shape, list) and list(value) == shape else repr(value)


def odd_kernels(seed: int) -> list:
    """The seeded odd kernel sizes, ints and pairs, that same_padding must pad."""
    return odd_kernel_sizes(seed, 8)


def _probe_same_padding(module, seed):
    return [in_case(f"same_padding({k!r})", lambda k=k: _as_padding(module.same_padding(k))) for k in odd_kernels(seed)]


def _judge_same_padding(got, want, seed):
    rng = make_rng(seed, "same sizes")
    for kernel, g, w in zip(odd_kernels(seed), got, want):
        if g != w:
            raise Mismatch(f"same_padding({kernel!r}): expected {w}, got {g} — at stride 1 the output is "
                           "n + 2p - k + 1 long, which equals n when p = (k - 1) / 2; "
                           "an int kernel size gives an int, a pair gives a pair")
        size = (randint(rng, 11, 20), randint(rng, 11, 20))
        if oracle_shape(size, kernel, g, 1) != size:
            raise Mismatch(f"same_padding({kernel!r}) = {g} does not keep a {size} input's size")


check = kata_checks("same_padding")
SAME_PADDING_CHECKS = [
    check("odd_kernels", "numeric", _probe_same_padding, _judge_same_padding),
    raises_check("same_padding", "even_kernels", [
        (f"same_padding({kernel!r}) (an even kernel has no symmetric 'same' padding)",
         lambda module, kernel=kernel: module.same_padding(kernel)) for kernel in EVEN_KERNELS],
        valid=("same_padding(3)", lambda module: module.same_padding(3)), mistake="even_kernel_accepted",
        exceptions=(ValueError, TypeError)),
]

CHECKS = [*OUTPUT_SHAPE_CHECKS, *COMP_CHECKS, *SAME_PADDING_CHECKS]
