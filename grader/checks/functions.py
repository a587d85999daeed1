"""Checks for katas that are tensor functions (corr2d and its family, pooling, edges), made from a
TensorFunction spec: one set of generators and judges serves every such kata."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

import torch

from grader.core.i18n import Lazy, _

from .base import Check, Mismatch, info_of, meta_info, outcome, raised, tensor_info, watched
from .generators import LAYOUTS, make_rng, normal, with_dtype_device
from .judges import (
    and_list,
    close_enough,
    figure_or_none,
    identify,
    is_tensor,
    judge_cases,
    judge_close,
    judge_info,
    judge_raised,
    judge_result,
    judge_unchanged,
    shape_text,
)
from .tracing import forbidden_calls, torch_calls

Args = tuple

#: Gradients are computed in float64 but compared at float32 precision: this check is about which
#: gradients flow, and a float32 result (a dtype mistake, which its own check reports) must not fail it.
GRAD_RTOL, GRAD_ATOL = 1e-5, 1e-6


@dataclass(frozen=True)
class TensorFunction:
    """A kata whose public symbol ``function`` maps tensors to a tensor.

    ``cases(seed)`` gives argument tuples (float32 CPU tensors and plain values); ``params`` are
    the API's names of those arguments, for messages; ``oracle`` is an independent implementation
    (torch's own) used by the judges besides the reference; ``grad_args`` are the positions of the
    arguments the result is differentiable in; ``shape_rule(args)`` explains the expected output
    shape on the learner's numbers; ``mistakes`` are (known mistake id, what that mistake computes)
    pairs: a failing output that matches one on every case is named after it, unless one of
    ``rivals`` (wrong computations no mistake is named after) or another mistake fits it too.
    ``picture(args, maps)``, if given, turns the ``maps`` figure of a failing case's output into
    the kata's own figure (the edge detector shows its input image too).
    """

    kata: str
    function: str
    cases: Callable[[int], list[Args]]
    label: Callable[[Args], str]
    shape_rule: Callable[[Args], str]
    params: tuple[str, ...] = ("X", "K")
    oracle: Callable[..., torch.Tensor] | None = None
    grad_args: tuple[int, ...] = (0, 1)
    rtol: float = 1e-4
    atol: float = 1e-5
    mistakes: tuple[tuple[str, Callable[..., torch.Tensor]], ...] = ()
    rivals: tuple[Callable[..., torch.Tensor], ...] = ()
    picture: Callable[[Args, dict], dict | None] | None = None

    def call(self, module: ModuleType, args: Args) -> Any:
        return getattr(module, self.function)(*args)

    def watched_call(self, module: ModuleType, args: Args) -> dict:
        """The call's outcome, and the names of the arguments it changed in place."""
        out, changed = watched(lambda: self.call(module, args), dict(zip(self.params, args)))
        return {"out": outcome(out), "changed": changed}

    def what(self, args: Args) -> str:
        return f"{self.function}({self.label(args)})"

    def tensor_params(self, args: Args) -> str:
        """The names of the tensor arguments, as prose: "X and K"."""
        names = [name for name, value in zip(self.params, args) if isinstance(value, torch.Tensor)]
        return and_list(names) if names else ""


def copied(args: Args) -> Args:
    """``args`` with every tensor copied: code that changes its arguments in place cannot change a
    check's constants (the book's examples) for the checks after it."""
    return tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)


def in_case(label: str, run: Callable[[], Any]) -> Any:
    """Run one case; an exception from the learner's code carries a note naming the case."""
    try:
        return run()
    except Exception as exc:
        # Translators: a note added to the learner's exception; {label} is a call such as "corr2d(X (4, 7), K (2, 2))"
        exc.add_note(_("while running {label}").format(label=label))
        raise


def _labels(spec: TensorFunction, cases: Sequence[Args]) -> list[str]:
    return [spec.label(args) for args in cases]


def _shape_of(value: Any) -> list | None:
    """A tensor's shape, or the shape recorded by tensor_info."""
    if is_tensor(value):
        return list(value.shape)
    return value.get("shape") if isinstance(value, dict) else None


def recognise(spec: TensorFunction, got: Sequence[Any], cases: Sequence[Args], correct: Sequence[Any], *,
              shapes_only: bool = False) -> list[str]:
    """The known mistakes whose outputs match ``got`` on every case (on shapes alone if asked) and
    that the cases single out (judges.identify): not the ``correct`` outputs, another mistake's or a
    rival's too."""
    def agree(outputs, expected):
        if shapes_only:
            return all(_shape_of(o) == _shape_of(e) for o, e in zip(outputs, expected))
        return all(close_enough(o, e, rtol=spec.rtol, atol=spec.atol) for o, e in zip(outputs, expected))

    def on_cases(computes):
        return [computes(*args) for args in cases]
    return identify(got, correct, {mistake: on_cases(computes) for mistake, computes in spec.mistakes}, agree,
                    [on_cases(rival) for rival in spec.rivals])


def _pictured(spec: TensorFunction, args: Args, figures: Sequence[dict]) -> list[dict]:
    """``figures`` with each maps figure turned into the kata's own (``spec.picture``), if it has one."""
    if spec.picture is None:
        return list(figures)
    picture = spec.picture
    return [(figure_or_none(lambda f=f: picture(args, f)) or f) if f["kind"] == "maps" else f for f in figures]


def judge_outputs(spec: TensorFunction, got: Sequence[Any], want: Sequence[Any], cases: Sequence[Args], *,
                  labels: Sequence[str] | None = None) -> None:
    """Outputs against the reference's, then the oracle's; on a difference, the shape rule worked out
    on the failing case and any known mistake the outputs match."""
    labels = labels or _labels(spec, cases)
    expected = [(False, want)]
    if spec.oracle is not None:
        expected.append((True, [spec.oracle(*args) for args in cases]))
    for oracle, values in expected:
        for args, g, w, label in zip(cases, got, values, labels):
            what = f"{spec.function}({label})"
            if oracle:
                # Translators: {what} is a call such as "corr2d(X (4, 7), K (2, 2))", its result compared with torch's own
                what = _("{what} (checked against torch)").format(what=what)
            try:
                judge_close(g, w, what=what, rtol=spec.rtol, atol=spec.atol)
            except Mismatch as exc:
                rule = f"\n  {spec.shape_rule(args)}" if is_tensor(g) and tuple(g.shape) != tuple(w.shape) else ""
                raise Mismatch(f"{exc}{rule}", *recognise(spec, got, cases, want),
                               figures=_pictured(spec, args, exc.figures)) from None


def shape_check(spec: TensorFunction) -> Check:
    """Output shapes over the seeded sweep, explained with the shape rule on the failing case."""
    def probe(module, seed):
        return [in_case(spec.what(a), lambda a=a: tensor_info(spec.call(module, a))) for a in spec.cases(seed)]

    def judge(got, want, seed):
        cases = spec.cases(seed)
        for args, g, w in zip(cases, got, want):
            if "not_a_tensor" in g:
                judge_info(g, w, what=spec.what(args))
            if g["shape"] != w["shape"]:
                message = _("{what}: expected shape {expected}, got {got}").format(
                    what=spec.what(args), expected=shape_text(w["shape"]), got=shape_text(g["shape"]))
                raise Mismatch(f"{message}\n  {spec.shape_rule(args)}", *recognise(spec, got, cases, want, shapes_only=True))
    return Check(spec.kata, "shape_sweep", "shape", probe, judge)


def judge_watched(spec: TensorFunction, got: Sequence[dict], want: Sequence[Any], cases: Sequence[Args],
                  labels: Sequence[str]) -> None:
    """Calls recorded by watched_call: no argument changed in place, then the outputs against the
    ``want`` outputs (judge_outputs)."""
    for g, label in zip(got, labels):
        judge_unchanged(g["changed"], what=f"{spec.function}({label})")
    judge_outputs(spec, [g["out"] for g in got], want, cases, labels=labels)


def numeric_check(spec: TensorFunction, name: str = "numeric_sweep") -> Check:
    """Values over the seeded sweep, against the reference and the oracle; the inputs unchanged."""
    def probe(module, seed):
        return [in_case(spec.what(a), lambda a=a: spec.watched_call(module, a)) for a in spec.cases(seed)]

    def judge(got, want, seed):
        cases = spec.cases(seed)
        judge_watched(spec, got, [w["out"] for w in want], cases, _labels(spec, cases))
    return Check(spec.kata, name, "numeric", probe, judge)


def layout_cases(spec: TensorFunction, seed: int, count: int) -> list[tuple[str, Args]]:
    """(label, args): the first ``count`` seeded cases with every tensor argument in each of LAYOUTS."""
    # Translators: {case} describes a case's inputs ("X (4, 7), K (2, 2)"), {tensors} names its tensors ("X and K"),
    # {layout} how they are laid out in memory ("transposed (views as X.t() gives: not contiguous)")
    return [(_("{case}, {tensors} {layout}").format(case=spec.label(args), tensors=spec.tensor_params(args), layout=_(text)),
             tuple(relaid(a) if isinstance(a, torch.Tensor) else a for a in args))
            for args in spec.cases(seed)[:count] for text, relaid in LAYOUTS]


def layout_check(spec: TensorFunction, count: int = 4) -> Check:
    """The values again with the inputs as views that are not contiguous, or expanded (read-only):
    correct code reads any layout, and changes no argument."""
    def probe(module, seed):
        return [in_case(f"{spec.function}({label})", lambda a=args: spec.watched_call(module, a))
                for label, args in layout_cases(spec, seed, count)]

    def judge(got, want, seed):
        labels, cases = zip(*layout_cases(spec, seed, count))
        judge_watched(spec, got, [w["out"] for w in want], cases, labels)
    return Check(spec.kata, "input_layouts", "numeric", probe, judge)


def gradient_check(spec: TensorFunction, count: int = 4) -> Check:
    """Gradients of a seeded weighted sum of the output, in float64, w.r.t. the differentiable inputs."""
    def probe(module, seed):
        results = []
        for index, args in enumerate(spec.cases(seed)[:count]):
            args = tuple(a.to(torch.float64).requires_grad_(i in spec.grad_args) if isinstance(a, torch.Tensor)
                         else a for i, a in enumerate(args))
            out = in_case(spec.what(args), lambda args=args: spec.call(module, args))
            if not isinstance(out, torch.Tensor) or not out.requires_grad:
                results.append({"flows": False, "result": tensor_info(out)})
                continue
            weights = normal(make_rng(seed, f"upstream {index}"), *out.shape, dtype=torch.float64)
            (out * weights).sum().backward()
            results.append({"flows": True, "grads": [outcome(args[i].grad) for i in spec.grad_args]})
        return results

    def judge(got, want, seed):
        cases = spec.cases(seed)[:count]
        for args, g, w in zip(cases, got, want):
            if not g["flows"]:
                raise Mismatch(_("{what}: the result does not track gradients — build it from the inputs with torch "
                                 "operations (no .data, .detach(), .item() or torch.tensor(...) of the inputs' values)"
                                 ).format(what=spec.what(args)))
            for position, g_grad, w_grad in zip(spec.grad_args, g["grads"], w["grads"]):
                name = spec.params[position]
                if isinstance(g_grad, dict):
                    # Translators: {name} is an argument's name, such as X or K
                    raise Mismatch(_("{what}: no gradient reaches {name}").format(what=spec.what(args), name=name))
                judge_cases([g_grad], [w_grad], [spec.label(args)],
                            what=_("the gradient of {function} with respect to {name}").format(
                                function=spec.function, name=name),
                            rtol=GRAD_RTOL, atol=GRAD_ATOL)
    return Check(spec.kata, "gradient", "gradient", probe, judge)


def _with_inputs(call: str, dtype: str) -> str:
    """A call's label with the kind of its inputs: "corr2d(X (4, 7), K (2, 2)) with float64 inputs"."""
    # Translators: {call} is a call such as "corr2d(X (4, 7), K (2, 2))"; {dtype} is float32, float64 or meta
    # (inputs on the meta device)
    return _("{call} with {dtype} inputs").format(call=call, dtype=dtype)


def dtype_device_check(spec: TensorFunction, count: int = 3) -> Check:
    """The result's dtype is the input's — float32 in → float32 out, float64 → float64 — and inputs
    on the ``meta`` device give a result on ``meta``: a tensor created on the CPU (torch.zeros
    without device=) fails here as it would on a GPU."""
    variants = {"float32": (dict(dtype=torch.float32), info_of), "float64": (dict(dtype=torch.float64), info_of),
                "meta": (dict(device="meta"), meta_info)}

    def probe(module, seed):
        return {name: [in_case(_with_inputs(spec.what(a), name),
                               lambda a=a, v=v, info=info: info(lambda: spec.call(module, with_dtype_device(a, **v))))
                       for a in spec.cases(seed)[:count]]
                for name, (v, info) in variants.items()}

    def judge(got, want, seed):
        for name in variants:
            for args, g, w in zip(spec.cases(seed)[:count], got[name], want[name]):
                judge_info(g, w, what=_with_inputs(spec.what(args), name))
    return Check(spec.kata, "dtype_and_device", "dtype_device", probe, judge)


def rules_check(spec: TensorFunction, count: int = 3) -> Check:
    """The kata is the windowing itself: no torch convolution, no unfold. The rule is judged only
    on an implementation that computes the right values (doing nothing breaks no rule, but earns nothing)."""
    def traced(module, args) -> tuple[list[str], Any]:
        result = []
        calls = torch_calls(lambda: result.append(spec.call(module, args)))
        return calls, outcome(result[0])

    def probe(module, seed):
        calls, outputs = [], []
        for args in spec.cases(seed)[:count]:
            names, output = in_case(spec.what(args), lambda a=args: traced(module, a))
            calls += names
            outputs.append(output)
        return {"calls": sorted(set(calls)), "outputs": outputs}

    def judge(got, want, seed):
        judge_outputs(spec, got["outputs"], want["outputs"], spec.cases(seed)[:count])
        found = forbidden_calls(got["calls"])
        if found:
            reasons = "; ".join(f"{name}: {reason}" for name, reason in found.items())
            # Translators: {calls} are torch functions such as "torch.conv2d", {reasons} why each is forbidden
            raise Mismatch(_("{function} calls {calls} — not allowed in this kata ({reasons}).").format(
                function=spec.function, calls=", ".join(found), reasons=reasons),
                           "uses_builtin_convolution")
    return Check(spec.kata, "no_builtin_convolution", "rules", probe, judge)


def gpu_check(spec: TensorFunction, count: int = 4) -> Check:
    """The numeric sweep again with CUDA inputs; the result must stay on the GPU."""
    def probe(module, seed):
        results = []
        for args in spec.cases(seed)[:count]:
            out = in_case(spec.what(args), lambda a=args: spec.call(module, with_dtype_device(a, device="cuda")))
            results.append({"device": out.device.type if isinstance(out, torch.Tensor) else None,
                            "value": outcome(out)})
        return results

    def judge(got, want, seed):
        cases = spec.cases(seed)[:count]
        for args, g in zip(cases, got):
            if g["device"] != "cuda":
                # Translators: {device} is a quoted device name such as 'cpu'
                raise Mismatch(_("{what} with CUDA inputs returned a result on {device}").format(
                    what=spec.what(args), device=repr(g["device"])))
        judge_cases([g["value"] for g in got], [w["value"] for w in want], _labels(spec, cases),
                    what=_("{function} on CUDA").format(function=spec.function), rtol=spec.rtol, atol=spec.atol)
    return Check(spec.kata, "cuda", "gpu", probe, judge, needs_cuda=True)


def standard_checks(spec: TensorFunction, *, rules: bool) -> list[Check]:
    """The sweep checks every tensor-function kata gets: shape, numeric, input layouts, gradient,
    dtype/device, GPU, and — for the corr2d family — the no-convolution rule."""
    checks = [shape_check(spec), numeric_check(spec), layout_check(spec)]
    if spec.grad_args:
        checks.append(gradient_check(spec))
    checks.append(dtype_device_check(spec))
    if rules:
        checks.append(rules_check(spec))
    checks.append(gpu_check(spec))
    return checks


def raises_check(kata: str, name: str, calls: list[tuple[str | Lazy, Callable[[ModuleType], Any]]], *,
                 valid: tuple[str | Lazy, Callable[[ModuleType], Any]], mistake: str,
                 exceptions: tuple[type[Exception], ...] = (ValueError,)) -> Check:
    """Each call — ``(label, call(module))`` — must raise as the reference does; returning
    instead is the known ``mistake``. The ``valid`` call must return what the reference returns:
    refusing everything is not validating arguments. A Lazy label is read when the check runs."""
    def probe(module, seed):
        return {"valid": in_case(str(valid[0]), lambda: outcome(valid[1](module))),
                "raised": [raised(lambda c=call: c(module), *exceptions) for _label, call in calls]}

    def judge(got, want, seed):
        judge_result(got["valid"], want["valid"], what=str(valid[0]))
        for (label, _call), g, w in zip(calls, got["raised"], want["raised"]):
            judge_raised(g, w, what=str(label), mistake=mistake)
    return Check(kata, name, "errors", probe, judge)


def example_check(spec: TensorFunction, examples: list[tuple[str | Lazy, Args, torch.Tensor]]) -> Check:
    """The book's own printed examples: exact values, which the reference reproduces too; the
    arguments unchanged. A Lazy label is read when the check runs."""
    def probe(module, seed):
        return [in_case(f"{spec.function}({label})", lambda a=args: spec.watched_call(module, copied(a)))
                for label, args, _expected in examples]

    def judge(got, want, seed):
        labels, cases, expected = zip(*examples)
        judge_watched(replace(spec, oracle=None, rtol=1e-6, atol=1e-6), got, expected, cases, list(map(str, labels)))
    return Check(spec.kata, "book_example", "example", probe, judge)
