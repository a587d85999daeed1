"""Checks for katas that build networks or layers (VGG, NiN, Inception, BatchNorm, ResNet), made
from a NetworkKata spec. They look at what a network computes and how it is laid out — layer
kinds, configurations, output shapes, parameter counts, and outputs under a deterministic
initialisation — never at the learner's attribute names."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import ModuleType

import torch
from torch import nn

from grader.core.diagnosis import for_kata
from grader.core.i18n import N_, _
from grader.core.text import padded

from .base import Check, Mismatch, meta_info, outcome, tensor_info, watched
from .functions import in_case
from .generators import make_rng, normal, randint
from .judges import figure_or_none, is_tensor, judge_close, judge_info, judge_unchanged, shape_text
from .network_mistakes import output_mistakes, structure_mistakes
from .structure import (
    block_layout,
    called_layers,
    describe_layer,
    deterministic_init,
    layer_kinds,
    materialised,
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
        # Translators: {call} is a call such as "vgg_block(1, 3, 8)", {shape} an input shape such as "(2, 3, 16, 16)"
        return _("{call} on input {shape}").format(call=f"{symbol}({', '.join(words)})",
                                                   shape=shape_text(self.input_shape))


def seeded_input(rng: torch.Generator, channels: int, low: int, high: int, *, max_batch: int = 3) -> tuple[int, ...]:
    """An input shape (n, channels, h, w) drawn from ``rng``: n in [1, max_batch], h and w two
    different sizes in [low, high] (a non-square input)."""
    n, h = randint(rng, 1, max_batch), randint(rng, low, high)
    w = randint(rng, low, high - 1)
    return n, channels, h, w + (w >= h)


def drawn_cases(stream: str, *draws: Callable[[torch.Generator], NetworkCase]) -> Callable[[int], list[NetworkCase]]:
    """A NetworkKata's ``seeded_cases``: one case per ``draw(rng)``, all from the seed's ``stream``."""
    def cases(seed: int) -> list[NetworkCase]:
        rng = make_rng(seed, stream)
        return [draw(rng) for draw in draws]
    return cases


@dataclass(frozen=True)
class NetworkKata:
    """``structure_cases`` are built on the meta device (full size costs nothing there);
    ``numeric_cases`` on the CPU in ``dtype`` with deterministic weights, and so are
    ``seeded_cases(seed)``, whose arguments and inputs the seed draws (small: networks are costly).
    ``returns`` is the type the API fixes (``nn.Sequential``, ``list``, or any ``nn.Module``); the
    children of a sequence are compared in order, block by block, like the book's shape printouts."""

    kata: str
    symbol: str
    structure_cases: list[NetworkCase]
    numeric_cases: list[NetworkCase]
    seeded_cases: Callable[[int], list[NetworkCase]]
    returns: str = "module"
    dtype: torch.dtype = torch.float64
    rtol: float = 1e-6
    atol: float = 1e-7
    #: The known mistake that negative outputs reveal, when the expected output has none (it ends in a ReLU).
    negative_output_mistake: str | None = None

    def build(self, module: ModuleType, case: NetworkCase) -> tuple[nn.Module, str]:
        """The network as a runnable module, its Lazy layers shaped by the case's input, and the
        name of the type the learner returned."""
        built = getattr(module, self.symbol)(*case.args, **case.kwargs)
        returned = type(built).__name__
        if isinstance(built, (list, tuple)) and all(isinstance(b, nn.Module) for b in built):
            built = nn.Sequential(*built)
        elif not isinstance(built, nn.Module):
            raise TypeError(_("{case} returned a {type}, not an nn.Module").format(
                case=case.label(self.symbol), type=returned))
        return materialised(built, case.input_shape), returned


def _structure(spec: NetworkKata, module: ModuleType, case: NetworkCase) -> dict:
    with torch.device("meta"):
        net, returned = spec.build(module, case)
    x = torch.empty(case.input_shape, device="meta")
    layers = called_layers(net, x)
    with torch.no_grad():
        out = net(x)
        # layer by layer, as the book runs a Sequential: only for one (another module is the judge's to name)
        layout = (block_layout(net.children(), x)
                  if spec.returns in ("Sequential", "list") and isinstance(net, nn.Sequential) else None)
    return {"returned": returned, "out": tensor_info(out), "param_count": parameter_count(net),
            "param_layers": parameter_layers(layers), "layout": layout,
            "kinds": layer_kinds(net, layers),
            "order": [describe_layer(layer) for layer in layers]}


def _layout_table(got: list, want: list) -> str:
    # Translators: the headers of a table's columns: your network's layers, and the expected ones
    yours, expected = _("yours"), _("expected")
    rows = [f"  {'#':>2}  {padded(yours, 58)} {expected}"]
    for index in range(max(len(got), len(want))):
        g = f"{got[index][0]} → {shape_text(got[index][1])}" if index < len(got) else "—"
        w = f"{want[index][0]} → {shape_text(want[index][1])}" if index < len(want) else "—"
        mark = "  " if g == w else "✗ "
        rows.append(f"{mark}{index:>2}  {padded(g, 58)} {w}")
    return "\n".join(rows)


def blocks_figure(what: str, got: list[dict], want: list[dict], *, start: int = 0) -> dict:
    """A ``blocks`` figure: a sequence's block-by-block table, the learner's beside the reference's::

        {"kind": "blocks", "what": str, "expected": [{"name": str, "shape": list | None, "detail": str}],
         "yours": [...], "first": the row of the first block that differs (None: none), "start": the first
         row's number}
    """
    first = next((index for index in range(max(len(got), len(want)))
                  if index >= len(got) or index >= len(want) or got[index] != want[index]), None)
    return {"kind": "blocks", "what": what, "expected": want, "yours": got, "first": first, "start": start}


def _layout_rows(layout: list) -> list[dict]:
    """A structure probe's layout ([label, shape] per block) as blocks_figure's rows."""
    return [{"name": str(label), "shape": list(shape), "detail": ""} for label, shape in layout]


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
            for name, n, k, s, p in ((_("height"), input_shape[2], kh, sh, ph), (_("width"), input_shape[3], kw, sw, pw))]
    # Translators: {layer} is a layer such as "Conv2d(3, 6, k=3, s=2, p=1)"; {sizes} works out the output's
    # height and width, such as "height (6 + 2·1 - 3) // 2 + 1 = 3; width (7 + 2·1 - 3) // 2 + 1 = 4"
    return "  " + _("{layer} on {shape}: {sizes}").format(layer=label, shape=shape_text(input_shape),
                                                          sizes="; ".join(axes))


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
        raise exc.naming(*for_kata(spec.kata, structure_mistakes(case.kwargs, got, want))) from None


def _compare_structure(spec: NetworkKata, case: NetworkCase, got: dict, want: dict) -> None:
    label = case.label(spec.symbol)
    if spec.returns in ("Sequential", "list") and got["returned"] != want["returned"]:
        message = (_("{case}: should return an nn.Sequential of modules, got {type}") if spec.returns == "Sequential"
                   else _("{case}: should return a list of modules, got {type}"))
        raise Mismatch(message.format(case=label, type=got["returned"]))
    if got["layout"] is not None and got["layout"] != want["layout"]:
        formula = _first_difference_formula(case, got["layout"], want["layout"])
        raise Mismatch(_("{case}: the layers or their output shapes differ from the expected layout "
                         "(✗ marks the differences):").format(case=label)
                       + f"\n{_layout_table(got['layout'], want['layout'])}"
                       + ("\n  " + _("expected:") + f"\n{formula}" if formula else "")).showing(figure_or_none(
                           lambda: blocks_figure(label, _layout_rows(got["layout"]), _layout_rows(want["layout"]))))
    judge_info(got["out"], want["out"], what=_("{case}: the output").format(case=label))
    if Counter(got["param_layers"]) != Counter(want["param_layers"]):
        missing = Counter(want["param_layers"]) - Counter(got["param_layers"])
        extra = Counter(got["param_layers"]) - Counter(want["param_layers"])
        lines = [_("{case}: the layers with parameters differ").format(case=label)]
        # Translators: {layer} is a layer such as "Conv2d(3, 6, k=3, s=1, p=1)" that your network lacks
        lines += ["  " + _("missing: {layer}").format(layer=layer) + (f" (×{n})" if n > 1 else "")
                  for layer, n in missing.items()]
        # Translators: {layer} is a layer such as "Conv2d(3, 6, k=3, s=1, p=1)" that the expected network lacks
        lines += ["  " + _("unexpected: {layer}").format(layer=layer) + (f" (×{n})" if n > 1 else "")
                  for layer, n in extra.items()]
        raise Mismatch("\n".join(lines))
    if got["param_count"] != want["param_count"]:
        raise Mismatch(_("{case}: expected {expected:,} parameters, got {got:,}").format(
            case=label, expected=want["param_count"], got=got["param_count"]))


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
    net, _returned = spec.build(module, case)
    net = net.to(spec.dtype).train()
    x = normal(make_rng(seed, "input"), *case.input_shape, dtype=spec.dtype)
    layers = deterministic_init(net, x, seed=seed)
    set_dropout_eval(net)
    return net, x, layer_kinds(net, layers)


def block_summary(value) -> dict:
    """What a block of a sequence passed on: its shape and [min, max, mean, mean |x|] in float64."""
    if not isinstance(value, torch.Tensor):
        return outcome(value)
    if not value.is_floating_point() or value.numel() == 0:
        return tensor_info(value)
    v = value.detach().to(torch.float64)
    return {"shape": list(value.shape), "stats": torch.stack([v.min(), v.max(), v.mean(), v.abs().mean()])}


def block_label(block: nn.Module) -> str:
    """A block as block_layout names it: a layer's description, or a container's class name."""
    return describe_layer(block) if not any(True for _ in block.children()) else type(block).__name__


def run_recording_blocks(net: nn.Module, x: torch.Tensor, sequence: bool):
    """``net(x)``, and for a sequence the summary of each block's output in the order they ran,
    with the block's ``name`` (block_label)."""
    blocks: list[dict] = []
    hooks = [child.register_forward_hook(lambda m, _i, out: blocks.append({**block_summary(out), "name": block_label(m)}))
             for child in net.children()] if sequence else []
    try:
        return net(x), blocks
    finally:
        for hook in hooks:
            hook.remove()


#: The statistics a block summary holds, in order (shown translated: ``_(name)``).
_STATS = (N_("min"), N_("max"), N_("mean"), N_("mean |x|"))


def _block_rows(blocks: list) -> list[dict]:
    """A numeric probe's block summaries as blocks_figure's rows: name, shape, and the statistics."""
    rows = []
    for block in blocks:
        shape = block.get("shape")
        if "stats" in block:
            detail = ", ".join(f"{_(name)} {float(v):.4g}" for name, v in zip(_STATS, block["stats"]))
        else:
            # Translators: {type} is a Python type name such as "tuple": what a block passed on instead of a tensor
            detail = _("a {type}").format(type=block["not_a_tensor"]) if "not_a_tensor" in block else ""
        rows.append({"name": str(block.get("name", "")), "shape": list(shape) if isinstance(shape, list) else None,
                     "detail": detail})
    return rows


def _judge_blocks(spec: NetworkKata, what: str, got: list, want: list) -> None:
    """The first block whose output differs from the reference's block (a difference an early
    block makes can all but vanish by the network's end), within the spec's tolerances; the
    Mismatch shows the blocks' table with that block highlighted."""
    def table(row: int) -> dict | None:
        return figure_or_none(lambda: {**blocks_figure(what, _block_rows(got), _block_rows(want), start=1), "first": row})

    for index, (g, w) in enumerate(zip(got, want), start=1):
        if "stats" not in w:
            continue
        if "stats" not in g or g["shape"] != w["shape"]:
            passed_on = (shape_text(g["shape"]) if "shape" in g
                         else _("a {type}").format(type=g["not_a_tensor"]) if "not_a_tensor" in g else _("a non-tensor"))
            # Translators: {passed_on} is a shape such as "(2, 8, 7, 7)", or what was passed on instead of a tensor
            raise Mismatch(_("{what}: block {index} passes on {passed_on}, the reference's block {shape}").format(
                what=what, index=index, passed_on=passed_on, shape=shape_text(w["shape"]))).showing(table(index - 1))
        gs, ws = g["stats"].to(torch.float64), w["stats"]
        scale = float(ws[:2].abs().max())
        if not bool(((gs - ws).abs() <= spec.atol + spec.rtol * scale).all()):
            # Translators: {stat} is one of the statistics "min", "max", "mean", "mean |x|"
            rows = ", ".join(_("{stat} {yours:.4g} (expected {expected:.4g})").format(
                stat=_(name), yours=float(a), expected=float(b)) for name, a, b in zip(_STATS, gs, ws))
            raise Mismatch(_("{what}: the output of block {index} already differs from the reference's: {stats}").format(
                what=what, index=index, stats=rows)).showing(table(index - 1))


def _output_mistakes(spec: NetworkKata, got: dict, want: dict) -> list[str]:
    """Known mistakes a numeric probe's different output shows (got and want: one case's data)."""
    out, expected = got["out"], want["out"]
    negative = (spec.negative_output_mistake and is_tensor(out) and float(expected.min()) >= 0
                and float(out.min()) < 0)
    return [*output_mistakes(got["kinds"], want["kinds"], list(out.shape) if is_tensor(out) else None,
                             list(expected.shape)), *([spec.negative_output_mistake] if negative else [])]


def numeric_check(spec: NetworkKata, name: str, cases_of: Callable[[int], list[NetworkCase]]) -> Check:
    """Outputs under the deterministic initialisation, on the cases ``cases_of(seed)``, match the
    reference's — for a sequence, block by block first — and the input comes back unchanged."""
    sequence = spec.returns in ("Sequential", "list")

    def probe(module, seed):
        def run(case):
            net, x, kinds = _prepared(spec, module, case, seed)
            (out, blocks), changed = watched(lambda: run_recording_blocks(net, x, sequence), {"X": x})
            return {"out": outcome(out), "kinds": kinds, "blocks": blocks, "changed": changed}
        return [in_case(case.label(spec.symbol), lambda c=case: run(c)) for case in cases_of(seed)]

    def judge(got, want, seed):
        for case, g, w in zip(cases_of(seed), got, want):
            what = _("{case} (every layer given the same deterministic weights as the reference)").format(
                case=case.label(spec.symbol))
            # Translators: {case} is a network and its input; forward is the module's method
            judge_unchanged(g["changed"], what=_("{case}: forward").format(case=case.label(spec.symbol)),
                            mistake="forward_modifies_input")
            try:
                _judge_blocks(spec, what, g["blocks"], w["blocks"])
                judge_close(g["out"], w["out"], what=what, rtol=spec.rtol, atol=spec.atol)
            except Mismatch as exc:
                raise exc.naming(*_output_mistakes(spec, g, w)) from None
    return Check(spec.kata, name, "numeric", probe, judge)


def gradient_check(spec: NetworkKata) -> Check:
    """The input's gradient matches, and every parameter receives one."""
    def probe(module, seed):
        def run(case):
            net, x, _kinds = _prepared(spec, module, case, seed)
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
                # Translators: {names} lists parameters such as "0.weight, 0.bias"
                raise Mismatch(_("{case}: {count} parameter tensors get no gradient (e.g. {names}): a layer is built "
                                 "but never used in forward").format(
                                     case=label, count=g["unused"], names=", ".join(g["unused_names"])))
            judge_close(g["input_grad"], w["input_grad"], what=_("{case}: the gradient w.r.t. the input").format(case=label),
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
            net, _returned = spec.build(module, case)
            return tensor_info(net.to(torch.float64)(normal(make_rng(seed, "input"), *case.input_shape, dtype=torch.float64)))
        return in_case(_("{case} in float64").format(case=case.label(spec.symbol)), run)

    def judge(got, want, seed):
        judge_info(got, want, what=_("{case} after .double()").format(case=dtype_case(spec, seed).label(spec.symbol)))
    return Check(spec.kata, "dtype", "dtype_device", probe, judge)


def device_check(spec: NetworkKata) -> Check:
    """Built on the CPU, moved with ``.to("meta")`` (PyTorch's meta device standing in for a GPU) as
    d2l's training loop moves a network with ``net.to(device)``, and run on a meta input of the first
    seeded case: the output is on the meta device. A tensor created on the CPU in forward, or moved
    to a fixed device, fails here as it would on a GPU; tensors the module moves to its input's
    device itself (d2l's BatchNorm does) are fair."""
    def probe(module, seed):
        case = spec.seeded_cases(seed)[0]

        def run():
            net, _returned = spec.build(module, case)
            return meta_info(lambda: net.to("meta")(torch.empty(case.input_shape, device="meta")))
        return in_case(_("{case}, moved with .to('meta')").format(case=case.label(spec.symbol)), run)

    def judge(got, want, seed):
        judge_info(got, want, what=_("{case}, moved with .to('meta')").format(case=spec.seeded_cases(seed)[0].label(spec.symbol)))
    return Check(spec.kata, "device", "dtype_device", probe, judge)


def network_checks(spec: NetworkKata, *, gradient: bool = True, dtype: bool = True) -> list[Check]:
    """The structure, the outputs on fixed and on seeded arguments, the gradients, the dtype and the
    device checks of a network kata."""
    checks = [structure_check(spec), numeric_check(spec, "forward", lambda seed: spec.numeric_cases),
              numeric_check(spec, "arguments", spec.seeded_cases)]
    if gradient:
        checks.append(gradient_check(spec))
    if dtype:
        checks.append(dtype_check(spec))
    return [*checks, device_check(spec)]
