"""Checks for d2l 7.3 (padding_strides): conv_output_shape, comp_conv2d, same_padding."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from grader.core.i18n import N_, Lazy, _

from .base import Mismatch, kata_checks, outcome, watched
from .functions import in_case, raises_check
from .generators import LAYOUTS, as_pair, make_rng, normal, odd_kernel_sizes, randint
from .judges import close_enough, identify, judge_cases, judge_unchanged, shape_text

Size = int | tuple[int, int]


@dataclass(frozen=True)
class ConvCall:
    """One call of conv_output_shape, or one nn.Conv2d of comp_conv2d: the arguments given, each an
    int or an (h, w) pair; padding or stride None where the call leaves it to its default."""

    size: Size
    kernel: Size
    padding: Size | None = None
    stride: Size | None = None

    @property
    def options(self) -> dict[str, Size]:
        """The optional arguments the call gives, as keywords."""
        return {name: value for name, value in (("padding", self.padding), ("stride", self.stride)) if value is not None}

    @property
    def axes(self) -> list[tuple[int, int, int, int]]:
        """(n, k, p, s) along the height, then the width, the defaults filled in."""
        padding = as_pair(0 if self.padding is None else self.padding)
        stride = as_pair(1 if self.stride is None else self.stride)
        return list(zip(as_pair(self.size), as_pair(self.kernel), padding, stride))

    def text(self) -> str:
        return ", ".join([f"input_size={self.size}", f"kernel_size={self.kernel}"]
                         + [f"{name}={value}" for name, value in self.options.items()])

    def layer_text(self) -> str:
        return ", ".join([f"kernel_size={self.kernel}"] + [f"{name}={value}" for name, value in self.options.items()])


#: The book's calls (as its comp_conv2d examples give them) and the shapes it prints, for an 8×8 input.
BOOK_CALLS = [
    (ConvCall((8, 8), 3, 1), (8, 8)),
    (ConvCall((8, 8), (5, 3), (2, 1)), (8, 8)),
    (ConvCall((8, 8), 3, 2, 1), (10, 10)),
    (ConvCall((8, 8), 3, 1, 2), (4, 4)),
    (ConvCall((8, 8), (3, 5), (0, 1), (3, 4)), (2, 2)),
]

#: Calls at the edges: every default left out, an int input size, a kernel as large as the input or
#: as the padded input (a 1×1 output), the defaults given explicitly (as an int and as a pair).
EDGE_CALLS = [
    ConvCall((1, 1), 1),
    ConvCall(6, 3),
    ConvCall((5, 9), (5, 9), 0, 1),
    ConvCall((3, 4), (5, 8), (1, 2), (1, 1)),
    ConvCall((7, 7), 2, stride=3),
]


def _int_or_pair(rng: torch.Generator, low: int, high: int) -> Size:
    """A drawn int, or a pair of two drawn values (two thirds of the time)."""
    return randint(rng, low, high) if randint(rng, 0, 2) == 0 else (randint(rng, low, high), randint(rng, low, high))


def _drawn_call(rng: torch.Generator) -> ConvCall:
    """A call that fits: a kernel within the padded input; padding and stride each left to the default a
    third of the time."""
    size = _int_or_pair(rng, 1, 40)
    padding = None if randint(rng, 0, 2) == 0 else _int_or_pair(rng, 0, 3)
    stride = None if randint(rng, 0, 2) == 0 else _int_or_pair(rng, 1, 4)
    room = [n + 2 * p for n, p in zip(as_pair(size), as_pair(padding or 0))]
    kernel = randint(rng, 1, min(room)) if randint(rng, 0, 1) else tuple(randint(rng, 1, r) for r in room)
    return ConvCall(size, kernel, padding, stride)


def conv_calls(seed: int, drawn: int) -> list[ConvCall]:
    """The book's calls, the edge calls, then ``drawn`` calls drawn from the seed."""
    rng = make_rng(seed, "conv calls")
    return [call for call, _ in BOOK_CALLS] + EDGE_CALLS + [_drawn_call(rng) for _ in range(drawn)]


def oracle_shape(call: ConvCall) -> tuple[int, int]:
    """What torch's convolution produces, computed on the meta device (no data)."""
    x = torch.empty((1, 1) + as_pair(call.size), device="meta")
    w = torch.empty((1, 1) + as_pair(call.kernel), device="meta")
    return tuple(F.conv2d(x, w, **call.options).shape[2:])


def _shape_formula(call: ConvCall) -> str:
    parts = [f"({n} + 2·{p} - {k}) // {s} + 1 = {(n + 2 * p - k) // s + 1}" for n, k, p, s in call.axes]
    # Translators: the output shape worked out; {height} and {width} are formulas such as "(8 + 2·1 - 3) // 1 + 1 = 8"
    return _("per axis, (n + 2p - k) // s + 1: height {height}; width {width}").format(height=parts[0], width=parts[1])


def _size_data(value: Any) -> Any:
    """A returned size as plain data that keeps its type: an int as itself, a tuple (torch.Size too) or
    a list as {"type", "items"}, anything else as {"type", "repr"}."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (tuple, list)) and len(value) <= 4:
        return {"type": "tuple" if isinstance(value, tuple) else "list", "items": [_size_data(v) for v in value]}
    return {"type": f"{type(value).__module__}.{type(value).__qualname__}", "repr": repr(value)[:60]}


def _tuple_data(shape: tuple[int, ...]) -> dict:
    return {"type": "tuple", "items": list(shape)}


def _size_value(data: Any) -> int | tuple[int, ...] | None:
    """The size that _size_data recorded, as an int or a tuple of ints (a list counts as a tuple);
    None where it is not made of Python ints."""
    if type(data) is int:
        return data
    if isinstance(data, dict) and "items" in data and all(type(item) is int for item in data["items"]):
        return tuple(data["items"])
    return None


def _shown(data: Any) -> str:
    """How a learner wrote the value that _size_data recorded."""
    if isinstance(data, dict) and "items" in data:
        inner = ", ".join(_shown(item) for item in data["items"])
        return f"({inner})" if data["type"] == "tuple" else f"[{inner}]"
    return data["repr"] if isinstance(data, dict) else repr(data)


def _other_numbers(data: Any) -> bool:
    """Whether ``data`` holds numbers that are not Python ints: floats, tensors, NumPy scalars."""
    if isinstance(data, dict) and "items" in data:
        return any(_other_numbers(item) for item in data["items"])
    return isinstance(data, dict) and (data["type"] in ("builtins.float", "torch.Tensor")
                                       or data["type"].startswith("numpy."))


def _not_ints(data: Any) -> list[str]:
    return ["shape_not_ints"] if _other_numbers(data) else []


def _per_axis(rule: Callable[[int, int, int, int], int]) -> Callable[[ConvCall], tuple[int, int]]:
    return lambda call: tuple(rule(*axis) for axis in call.axes)


#: What a known mistake computes for a call.
SHAPE_MISTAKES = {
    "padding_counted_once": _per_axis(lambda n, k, p, s: (n + p - k) // s + 1),
    "stride_rounds_up": _per_axis(lambda n, k, p, s: -(-(n + 2 * p - k) // s) + 1),
    "stride_default_is_kernel": lambda call: oracle_shape(replace(call, stride=call.stride or call.kernel)),
}


def _recognise_shapes(calls: list[ConvCall], got: list, want: list) -> list[str]:
    predictions = {mistake: [computes(call) for call in calls] for mistake, computes in SHAPE_MISTAKES.items()}
    return identify([_size_value(g) for g in got], [_size_value(w) for w in want], predictions, lambda a, b: a == b)


def _judge_shapes(calls: list[ConvCall], got: list, want: list, *, book: bool = False) -> None:
    """Each result is the pair of ints (a tuple or a list) of the reference's data (``want``) and torch's;
    ``book``: ``want`` is what the book prints."""
    for call, g, w in zip(calls, got, want):
        expected, shape = oracle_shape(call), _size_value(g)
        if shape == _size_value(w) == expected:
            continue
        what = f"conv_output_shape({call.text()})"
        if not (isinstance(shape, tuple) and len(shape) == 2):
            # Translators: {call} is code such as "conv_output_shape(input_size=(8, 8), kernel_size=3, padding=1)";
            # {got} is what it returned, {expected} a shape such as (8, 8)
            message = (_("{call} returned {got}; the book prints {expected}, a pair of ints") if book else
                       # Translators: {call} is code such as "conv_output_shape(input_size=(8, 8), kernel_size=3)";
                       # {got} is what it returned, {expected} a shape such as (8, 8)
                       _("{call} returned {got}; expected {expected}, a pair of ints"))
            raise Mismatch(message.format(call=what, got=_shown(g), expected=expected), *_not_ints(g))
        # Translators: {call} is code such as "conv_output_shape(input_size=(8, 8), kernel_size=3, padding=1)";
        # {expected} and {got} are shapes such as (8, 8)
        message = (_("{call}: the book prints {expected}, got {got}") if book else
                   # Translators: {call} is code such as "conv_output_shape(input_size=(8, 8), kernel_size=3)";
                   # {expected} and {got} are shapes such as (8, 8)
                   _("{call}: expected {expected}, got {got}"))
        raise Mismatch(message.format(call=what, expected=expected, got=_shown(g)) + f"\n  {_shape_formula(call)}",
                       *_recognise_shapes(calls, got, want))


def _probe_shapes(module, calls: list[ConvCall]) -> list:
    return [in_case(f"conv_output_shape({c.text()})",
                    lambda c=c: _size_data(module.conv_output_shape(c.size, c.kernel, **c.options))) for c in calls]


def _sweep_calls(seed: int) -> list[ConvCall]:
    return conv_calls(seed, 16)


check = kata_checks("conv_output_shape")
OUTPUT_SHAPE_CHECKS = [
    check("book_example", "example", lambda module, seed: _probe_shapes(module, [c for c, _ in BOOK_CALLS]),
          lambda got, want, seed: _judge_shapes([c for c, _ in BOOK_CALLS], got,
                                                [_tuple_data(shape) for _, shape in BOOK_CALLS], book=True)),
    check("shape_sweep", "numeric", lambda module, seed: _probe_shapes(module, _sweep_calls(seed)),
          lambda got, want, seed: _judge_shapes(_sweep_calls(seed), got, want)),
]

#: How comp_conv2d's X is laid out, case by case: contiguous (no text), then each of LAYOUTS in turn.
X_LAYOUTS = [(None, lambda X: X)] + list(LAYOUTS)


def _comp_label(call: ConvCall, X: torch.Tensor, layout: str | None) -> str:
    """A comp_conv2d case as messages name it: the layer, X's shape and any layout of X but the contiguous."""
    layer, shape = f"nn.Conv2d(1, 1, {call.layer_text()})", shape_text(X.shape)
    if layout is None:
        # Translators: a case of comp_conv2d: {layer} is code such as "nn.Conv2d(1, 1, kernel_size=3, padding=1)",
        # {shape} a shape such as (8, 8)
        return _("{layer} on X {shape}").format(layer=layer, shape=shape)
    # Translators: a case of comp_conv2d: {layer} is code such as "nn.Conv2d(1, 1, kernel_size=3, padding=1)",
    # {shape} a shape such as (8, 8), {layout} how X is laid out, e.g. "transposed (views as X.t() gives: not contiguous)"
    return _("{layer} on X {shape} {layout}").format(layer=layer, shape=shape, layout=_(layout))


def _comp_cases(seed: int) -> list[tuple[str, ConvCall, torch.Tensor]]:
    """(label, layer call, X): X of the call's input size drawn from the seed, in one of X_LAYOUTS."""
    rng = make_rng(seed, "comp_conv2d")
    cases = []
    for index, call in enumerate(conv_calls(seed, 4)):
        layout, relaid = X_LAYOUTS[index % len(X_LAYOUTS)]
        X = relaid(normal(rng, *as_pair(call.size)))
        cases.append((_comp_label(call, X, layout), call, X))
    return cases


def _comp_what(label: str) -> str:
    # Translators: {case} is e.g. "nn.Conv2d(1, 1, kernel_size=3, padding=1) on X (8, 8)"
    return _("comp_conv2d with {case}").format(case=label)


def _comp_layer(seed: int, index: int, call: ConvCall) -> nn.Conv2d:
    torch.manual_seed(seed + index)
    return nn.Conv2d(1, 1, call.kernel, **call.options)


def _comp_outcome(module, layer: nn.Conv2d, X: torch.Tensor) -> dict:
    """The output, whether it is still connected to the layer's weights for autograd, and whether X
    changed."""
    out, changed = watched(lambda: module.comp_conv2d(layer, X), {"X": X})
    return {"out": outcome(out), "tracks_gradients": isinstance(out, torch.Tensor) and out.requires_grad,
            "changed": changed}


def _probe_comp_conv2d(module, seed):
    return [in_case(_comp_what(label), lambda i=i, c=c, X=X: _comp_outcome(module, _comp_layer(seed, i, c), X))
            for i, (label, c, X) in enumerate(_comp_cases(seed))]


def _agree(outputs: list, expected: list) -> bool:
    return all(close_enough(o, e, rtol=1e-5, atol=1e-6) for o, e in zip(outputs, expected))


def _judge_comp_conv2d(got, want, seed):
    cases = _comp_cases(seed)
    for (label, *_rest), g in zip(cases, got):
        what = _comp_what(label)
        judge_unchanged(g["changed"], what=what)
        if not g["tracks_gradients"]:
            # Translators: {what} is e.g. "comp_conv2d with nn.Conv2d(1, 1, kernel_size=3, padding=1) on X (8, 8)"
            raise Mismatch(_("{what}: the result does not track gradients").format(what=what), "result_detached")
    got, want = [g["out"] for g in got], [w["out"] for w in want]
    labels = [label for label, *_rest in cases]
    oracle = [_comp_layer(seed, i, c)(X[None, None]).detach() for i, (_label, c, X) in enumerate(cases)]
    try:
        judge_cases(got, want, labels, what="comp_conv2d(conv2d, X)", rtol=1e-5, atol=1e-6)
        # Translators: {call} is code, e.g. "Conv2D(...)(X)"; the values are checked against torch's own convolution
        what = _("{call} (checked against torch)").format(call="comp_conv2d(conv2d, X)")
        judge_cases(got, [o[0, 0] for o in oracle], labels, what=what, rtol=1e-5, atol=1e-6)
    except Mismatch as exc:
        predictions = {"extra_dimensions_kept": oracle, "size_one_axes_squeezed": [o.squeeze() for o in oracle]}
        raise exc.naming(*identify(got, want, predictions, _agree)) from None


check = kata_checks("comp_conv2d")
COMP_CHECKS = [check("layer_outputs", "numeric", _probe_comp_conv2d, _judge_comp_conv2d)]

EVEN_KERNELS = [2, 4, (2, 3), (3, 4)]


def odd_kernels(seed: int) -> list:
    """The seeded odd kernel sizes, ints and pairs, that same_padding must pad, and a square pair
    (whose padding is a pair too)."""
    return odd_kernel_sizes(seed, 8) + [(5, 5)]


def _probe_same_padding(module, seed):
    return [in_case(f"same_padding({k!r})", lambda k=k: _size_data(module.same_padding(k))) for k in odd_kernels(seed)]


def _judge_same_padding(got, want, seed):
    rng = make_rng(seed, "same sizes")
    for kernel, g, w in zip(odd_kernels(seed), got, want):
        padding = _size_value(g)
        if padding != _size_value(w):
            # Translators: {call} is code such as "same_padding((3, 5))"; {expected} and {got} are paddings
            raise Mismatch(_("{call}: expected {expected}, got {got} — at stride 1 the output is n + 2p - k + 1 long, "
                             "which equals n when p = (k - 1) / 2; an int kernel size gives an int, a pair gives a "
                             "pair of ints").format(call=f"same_padding({kernel!r})", expected=_shown(w), got=_shown(g)),
                           *_not_ints(g))
        size = (randint(rng, 11, 20), randint(rng, 11, 20))
        if oracle_shape(ConvCall(size, kernel, padding)) != size:
            # Translators: {call} is code such as "same_padding((3, 5))", {padding} what it returned, {size} a shape
            # such as (12, 17)
            raise Mismatch(_("{call} = {padding} does not keep a {size} input's size").format(
                call=f"same_padding({kernel!r})", padding=_shown(g), size=size))


check = kata_checks("same_padding")
SAME_PADDING_CHECKS = [
    check("odd_kernels", "numeric", _probe_same_padding, _judge_same_padding),
    raises_check("same_padding", "even_kernels", [
        # Translators: {call} is code such as "same_padding(4)"
        (Lazy(N_("{call} (an even kernel has no symmetric 'same' padding)"), call=f"same_padding({kernel!r})"),
         lambda module, kernel=kernel: module.same_padding(kernel)) for kernel in EVEN_KERNELS],
        valid=("same_padding(3)", lambda module: module.same_padding(3)), mistake="even_kernel_accepted",
        exceptions=(ValueError, TypeError)),
]

CHECKS = [*OUTPUT_SHAPE_CHECKS, *COMP_CHECKS, *SAME_PADDING_CHECKS]
