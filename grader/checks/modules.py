"""Checks for katas that build networks or layers (VGG, NiN, Inception, BatchNorm, ResNet), made
from a NetworkKata spec. They look at what a network computes and how it is laid out — layer
kinds, configurations, output shapes, parameter counts, and outputs under a deterministic
initialisation — never at the learner's attribute names."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from types import ModuleType

import torch
from torch import nn

from grader.core.diagnosis import for_kata

from .base import Check, Mismatch, outcome, tensor_info
from .functions import in_case
from .generators import make_rng, normal, randint
from .judges import is_tensor, judge_close, judge_info, shape_text
from .structure import (
    block_layout,
    called_layers,
    deterministic_init,
    parameter_count,
    parameter_layers,
    set_dropout_eval,
)


@dataclass(frozen=True)
class NetworkCase:
    """One way to build the kata's network: ``symbol(*args, **kwargs)`` on input ``input_shape``."""

    args: tuple
    input_shape: tuple[int, ...]
    kwargs: dict = field(default_factory=dict)

    def label(self, symbol: str) -> str:
        words = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{symbol}({', '.join(words)}) on input {shape_text(self.input_shape)}"


@dataclass(frozen=True)
class NetworkKata:
    """``structure_cases`` are built on the meta device (full size costs nothing there);
    ``numeric_cases`` on the CPU in ``dtype`` with deterministic weights. ``returns`` is the type
    the API fixes (``nn.Sequential``, ``list``, or any ``nn.Module``); the children of a sequence
    are compared in order, block by block, like the book's shape printouts."""

    kata: str
    symbol: str
    structure_cases: list[NetworkCase]
    numeric_cases: list[NetworkCase]
    returns: str = "module"
    dtype: torch.dtype = torch.float64
    rtol: float = 1e-6
    atol: float = 1e-7
    #: The known mistake that negative outputs reveal, when the expected output has none (it ends in a ReLU).
    negative_output_mistake: str | None = None

    def build(self, module: ModuleType, case: NetworkCase) -> tuple[nn.Module, str]:
        """The network as a runnable module, and the name of the type the learner returned."""
        built = getattr(module, self.symbol)(*case.args, **case.kwargs)
        returned = type(built).__name__
        if isinstance(built, (list, tuple)) and all(isinstance(b, nn.Module) for b in built):
            return nn.Sequential(*built), returned
        if not isinstance(built, nn.Module):
            raise TypeError(f"{case.label(self.symbol)} returned a {returned}, not an nn.Module")
        return built, returned


def _structure(spec: NetworkKata, module: ModuleType, case: NetworkCase) -> dict:
    with torch.device("meta"):
        net, returned = spec.build(module, case)
    x = torch.empty(case.input_shape, device="meta")
    layers = called_layers(net, x)
    with torch.no_grad():
        out = net(x)
        layout = block_layout(net.children(), x) if spec.returns in ("Sequential", "list") else None
    return {"returned": returned, "out": tensor_info(out), "param_count": parameter_count(net),
            "param_layers": parameter_layers(layers), "layout": layout,
            "kinds": dict(Counter(type(layer).__name__ for layer in layers))}


#: Layer kinds whose absence is a known mistake.
MISSING_KIND = {"ReLU": "missing_relu", "MaxPool2d": "missing_pooling", "AvgPool2d": "missing_pooling",
                "AdaptiveAvgPool2d": "missing_pooling", "BatchNorm2d": "missing_batch_norm"}


def _same_size(first: str, second: str) -> bool:
    """Two layer descriptions of one kind and size (the numbers before any setting), settings aside."""
    def kind_and_size(description):
        kind, _, config = description.partition("(")
        return kind, [part for part in config.rstrip(")").split(", ") if "=" not in part]
    return first != second and kind_and_size(first) == kind_and_size(second)


def _recognise_structure(case: NetworkCase, got: dict, want: dict) -> list[str]:
    """Known mistakes that explain a structural difference."""
    found = missing_kinds(got["kinds"], want["kinds"])
    missing = Counter(want["param_layers"]) - Counter(got["param_layers"])
    extra = Counter(got["param_layers"]) - Counter(want["param_layers"])
    one_by_one = [layer for layer in missing if layer.startswith("Conv2d") and ", k=1, " in layer]
    if one_by_one and any(layer.startswith("Conv2d") and ", k=1, " not in layer for layer in extra):
        found.append("nin_1x1_kernel_size")
    if any(layer.replace(", s=2,", ", s=1,") in extra for layer in one_by_one if ", s=2," in layer):
        found.append("shortcut_without_stride")
    if not missing and any(layer.startswith("Conv2d") and ", k=1, " in layer for layer in extra):
        found.append("shortcut_always_built")
    if not found and any(_same_size(m, e) for m in missing for e in extra):
        found.append("layer_settings_differ")
    layout, expected = got["layout"], want["layout"]
    if layout and layout != expected and Counter(row[0] for row in layout) == Counter(row[0] for row in expected):
        found.append("layers_out_of_order")
    if case.kwargs.get("first_block") and got["layout"] and any(
            g[1][2:] == [s // 2 for s in w[1][2:]] and w[1][2] > 1 for g, w in zip(got["layout"], want["layout"])):
        found.append("first_stage_halved")
    return found


def _layout_table(got: list, want: list) -> str:
    rows = [f"  {'#':>2}  {'yours':<58} expected"]
    for index in range(max(len(got), len(want))):
        g = f"{got[index][0]} → {shape_text(got[index][1])}" if index < len(got) else "—"
        w = f"{want[index][0]} → {shape_text(want[index][1])}" if index < len(want) else "—"
        mark = "  " if g == w else "✗ "
        rows.append(f"{mark}{index:>2}  {g:<58} {w}")
    return "\n".join(rows)


_WINDOW = re.compile(r"k=(\d+|\(\d+, \d+\)), s=(\d+|\(\d+, \d+\)), p=(\d+|\(\d+, \d+\))")


def _as_pair(text: str) -> tuple[int, int]:
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    return (numbers[0], numbers[-1])


def shape_formula(label: str, input_shape: list[int]) -> str:
    """For a convolution or pooling layer, its output size worked out from its input's."""
    match = _WINDOW.search(label)
    if not match or len(input_shape) != 4:
        return ""
    (kh, kw), (sh, sw), (ph, pw) = (_as_pair(g) for g in match.groups())
    axes = [f"{name} ({n} + 2·{p} - {k}) // {s} + 1 = {(n + 2 * p - k) // s + 1}"
            for name, n, k, s, p in (("height", input_shape[2], kh, sh, ph), ("width", input_shape[3], kw, sw, pw))]
    return f"  {label} on {shape_text(input_shape)}: " + "; ".join(axes)


def _first_difference_formula(case: NetworkCase, got: list, want: list) -> str:
    for index, (g, w) in enumerate(zip(got, want)):
        if g != w:
            input_shape = list(case.input_shape) if index == 0 else want[index - 1][1]
            return shape_formula(w[0], input_shape)
    return ""


def _judge_structure_case(spec: NetworkKata, case: NetworkCase, got: dict, want: dict) -> None:
    try:
        _compare_structure(spec, case, got, want)
    except Mismatch as exc:
        raise exc.naming(*for_kata(spec.kata, _recognise_structure(case, got, want))) from None


def _compare_structure(spec: NetworkKata, case: NetworkCase, got: dict, want: dict) -> None:
    label = case.label(spec.symbol)
    if spec.returns in ("Sequential", "list") and got["returned"] != want["returned"]:
        raise Mismatch(f"{label}: should return {'an nn.Sequential' if spec.returns == 'Sequential' else 'a list'}"
                       f" of modules, got {got['returned']}")
    if got["layout"] is not None and got["layout"] != want["layout"]:
        formula = _first_difference_formula(case, got["layout"], want["layout"])
        raise Mismatch(f"{label}: the layers or their output shapes differ from the expected layout "
                       f"(✗ marks the differences):\n{_layout_table(got['layout'], want['layout'])}"
                       + (f"\n  expected:\n{formula}" if formula else ""))
    judge_info(got["out"], want["out"], what=f"{label}: the output")
    if Counter(got["param_layers"]) != Counter(want["param_layers"]):
        missing = Counter(want["param_layers"]) - Counter(got["param_layers"])
        extra = Counter(got["param_layers"]) - Counter(want["param_layers"])
        lines = [f"{label}: the layers with parameters differ"]
        lines += [f"  missing: {layer}" + (f" (×{n})" if n > 1 else "") for layer, n in missing.items()]
        lines += [f"  unexpected: {layer}" + (f" (×{n})" if n > 1 else "") for layer, n in extra.items()]
        raise Mismatch("\n".join(lines))
    if got["param_count"] != want["param_count"]:
        raise Mismatch(f"{label}: expected {want['param_count']:,} parameters, got {got['param_count']:,}")


def structure_check(spec: NetworkKata) -> Check:
    def probe(module, seed):
        return [in_case(case.label(spec.symbol), lambda c=case: _structure(spec, module, c))
                for case in spec.structure_cases]

    def judge(got, want, seed):
        for case, g, w in zip(spec.structure_cases, got, want):
            _judge_structure_case(spec, case, g, w)
    return Check(spec.kata, "structure", "structure", probe, judge)


def _prepared(spec: NetworkKata, module: ModuleType, case: NetworkCase, seed: int):
    """The network in ``spec.dtype`` with deterministic weights, training mode with dropout off,
    its seeded input, and how many layers of each kind its forward pass calls."""
    net, _ = spec.build(module, case)
    net = net.to(spec.dtype).train()
    x = normal(make_rng(seed, "input"), *case.input_shape, dtype=spec.dtype)
    layers = deterministic_init(net, x, seed=seed)
    set_dropout_eval(net)
    return net, x, dict(Counter(type(layer).__name__ for layer in layers))


def missing_kinds(got_kinds: dict, want_kinds: dict) -> list[str]:
    """Known mistakes for the layer kinds the learner's network calls fewer of than the reference."""
    return [mistake for kind, mistake in MISSING_KIND.items() if got_kinds.get(kind, 0) < want_kinds.get(kind, 0)]


def block_summary(value) -> dict:
    """What a block of a sequence passed on: its shape and [min, max, mean, mean |x|] in float64."""
    if not isinstance(value, torch.Tensor):
        return outcome(value)
    if not value.is_floating_point() or value.numel() == 0:
        return tensor_info(value)
    v = value.detach().to(torch.float64)
    return {"shape": list(value.shape), "stats": torch.stack([v.min(), v.max(), v.mean(), v.abs().mean()])}


def run_recording_blocks(net: nn.Module, x: torch.Tensor, sequence: bool):
    """``net(x)``, and for a sequence the summary of each block's output in the order they ran."""
    blocks: list[dict] = []
    hooks = [child.register_forward_hook(lambda _m, _i, out: blocks.append(block_summary(out)))
             for child in net.children()] if sequence else []
    try:
        return net(x), blocks
    finally:
        for hook in hooks:
            hook.remove()


_STATS = ("min", "max", "mean", "mean |x|")


def _judge_blocks(spec: NetworkKata, what: str, got: list, want: list) -> None:
    """The first block whose output differs from the reference's block (a difference an early
    block makes can all but vanish by the network's end), within the spec's tolerances."""
    for index, (g, w) in enumerate(zip(got, want), start=1):
        if "stats" not in w:
            continue
        if "stats" not in g or g["shape"] != w["shape"]:
            passed_on = shape_text(g["shape"]) if "shape" in g else f"a {g.get('not_a_tensor', 'non-tensor')}"
            raise Mismatch(f"{what}: block {index} passes on {passed_on}, the reference's block "
                           f"{shape_text(w['shape'])}")
        gs, ws = g["stats"].to(torch.float64), w["stats"]
        scale = float(ws[:2].abs().max())
        if not bool(((gs - ws).abs() <= spec.atol + spec.rtol * scale).all()):
            rows = ", ".join(f"{name} {float(a):.4g} (expected {float(b):.4g})" for name, a, b in zip(_STATS, gs, ws))
            raise Mismatch(f"{what}: the output of block {index} already differs from the reference's: {rows}")


def numeric_check(spec: NetworkKata) -> Check:
    """Outputs under the deterministic initialisation match the reference's; for a sequence, block
    by block first."""
    sequence = spec.returns in ("Sequential", "list")

    def probe(module, seed):
        def run(case):
            net, x, kinds = _prepared(spec, module, case, seed)
            out, blocks = run_recording_blocks(net, x, sequence)
            return {"out": outcome(out), "kinds": kinds, "blocks": blocks}
        return [in_case(case.label(spec.symbol), lambda c=case: run(c)) for case in spec.numeric_cases]

    def judge(got, want, seed):
        for case, g, w in zip(spec.numeric_cases, got, want):
            what = f"{case.label(spec.symbol)} (every layer given the same deterministic weights as the reference)"
            try:
                _judge_blocks(spec, what, g["blocks"], w["blocks"])
                judge_close(g["out"], w["out"], what=what, rtol=spec.rtol, atol=spec.atol)
            except Mismatch as exc:
                out, expected = g["out"], w["out"]
                negative = (spec.negative_output_mistake and is_tensor(out) and float(expected.min()) >= 0
                            and float(out.min()) < 0)
                raise exc.naming(*missing_kinds(g["kinds"], w["kinds"]),
                                 *([spec.negative_output_mistake] if negative else [])) from None
    return Check(spec.kata, "forward", "numeric", probe, judge)


def gradient_check(spec: NetworkKata) -> Check:
    """The input's gradient matches, and every parameter receives one."""
    def probe(module, seed):
        def run(case):
            net, x, _ = _prepared(spec, module, case, seed)
            x.requires_grad_(True)
            out = net(x)
            (out * normal(make_rng(seed, "upstream"), *out.shape, dtype=spec.dtype)).sum().backward()
            unused = sorted(name for name, p in net.named_parameters() if p.grad is None)
            return {"input_grad": outcome(x.grad), "unused": len(unused), "unused_names": unused[:5]}
        return [in_case(case.label(spec.symbol), lambda c=case: run(c)) for case in spec.numeric_cases]

    def judge(got, want, seed):
        for case, g, w in zip(spec.numeric_cases, got, want):
            label = case.label(spec.symbol)
            if g["unused"] > w["unused"]:
                raise Mismatch(f"{label}: {g['unused']} parameter tensors get no gradient (e.g. "
                               f"{', '.join(g['unused_names'])}): a layer is built but never used in forward")
            judge_close(g["input_grad"], w["input_grad"], what=f"{label}: the gradient w.r.t. the input",
                        rtol=spec.rtol * 10, atol=spec.atol * 10)
    return Check(spec.kata, "gradient", "gradient", probe, judge)


def dtype_case(spec: NetworkKata, seed: int) -> NetworkCase:
    """The first numeric case with a batch size drawn from the seed (2 to 16: batch norm's statistics
    need two examples): the check's data are a shape and a dtype, which must not be a constant."""
    case = spec.numeric_cases[0]
    return replace(case, input_shape=(randint(make_rng(seed, "batch size"), 2, 16), *case.input_shape[1:]))


def dtype_check(spec: NetworkKata) -> Check:
    """``.double()`` then a float64 input gives a float64 output."""
    def probe(module, seed):
        case = dtype_case(spec, seed)

        def run():
            net, _ = spec.build(module, case)
            return tensor_info(net.to(torch.float64)(normal(make_rng(seed, "input"), *case.input_shape, dtype=torch.float64)))
        return in_case(case.label(spec.symbol) + " in float64", run)

    def judge(got, want, seed):
        judge_info(got, want, what=f"{dtype_case(spec, seed).label(spec.symbol)} after .double()")
    return Check(spec.kata, "dtype", "dtype_device", probe, judge)


def network_checks(spec: NetworkKata, *, gradient: bool = True, dtype: bool = True) -> list[Check]:
    checks = [structure_check(spec), numeric_check(spec)]
    if gradient:
        checks.append(gradient_check(spec))
    if dtype:
        checks.append(dtype_check(spec))
    return checks
