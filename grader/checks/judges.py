"""Judges shared by the katas: compare probe data with the reference's, explain differences."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import reduce
from typing import Any

import torch

from grader.core.diagnosis import match_text
from grader.core.i18n import _
from grader.core.text import columns, padded

from .base import Mismatch

#: Tensors up to this many elements, in at most this many rows, are printed in full, side by side.
SMALL_TENSOR = 64
SMALL_ROWS = 8
#: The largest map a ``maps`` figure holds, rows and columns: a larger slice is cropped around its first mismatch.
MAX_MAP = 64


def is_tensor(value: Any) -> bool:
    return isinstance(value, torch.Tensor)


def expect_tensor(got: Any, what: str) -> torch.Tensor:
    """``got`` itself, or Mismatch saying what the learner returned instead of a tensor."""
    if isinstance(got, dict) and "not_a_tensor" in got:
        # Translators: {what} is a call such as "corr2d(X (4, 7), K (2, 2))"; {type} a Python type such as
        # "builtins.list", {value} its repr
        raise Mismatch(_("{what} should return a torch.Tensor, but returned a {type}: {value}").format(
            what=what, type=got["not_a_tensor"], value=got["repr"]))
    if isinstance(got, dict) and "shape" in got:
        # Translators: {device} is a quoted device name such as 'meta' or 'cpu'
        raise Mismatch(_("{what} returned a tensor on the {device} device; expected it on the input's device").format(
            what=what, device=repr(got["device"])))
    return got


def and_list(items: Sequence[str]) -> str:
    """``items`` (at least one) as prose, in the language convkata speaks: "a", "a and b", "a and b and c"."""
    # Translators: joins two things named in a sentence: "X and K", "corr2d in conv_layer.py and pool2d in pooling.py"
    return reduce(lambda first, second: _("{first} and {second}").format(first=first, second=second), items)


def shape_text(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def side_by_side(got: torch.Tensor, want: torch.Tensor) -> str:
    """Both tensors printed next to each other, row by row, when they are small."""
    if got.numel() > SMALL_TENSOR or want.numel() > SMALL_TENSOR:
        return ""
    left = _rows(got)
    right = _rows(want)
    if max(len(left), len(right)) > SMALL_ROWS:
        return ""
    # Translators: the headings of two columns: the learner's tensor, row by row, beside the expected one
    yours, expected = _("yours"), _("expected")
    width = max(columns(line) for line in left + [yours])
    lines = [f"  {padded(yours, width)}   {expected}"]
    for index in range(max(len(left), len(right))):
        a = left[index] if index < len(left) else ""
        b = right[index] if index < len(right) else ""
        lines.append(f"  {padded(a, width)}   {b}")
    return "\n".join(lines)


def _rows(tensor: torch.Tensor) -> list[str]:
    t = tensor.detach().to(torch.float64)
    if t.dim() == 0:
        return [f"{float(t):.4g}"]
    t = t.reshape(-1, t.shape[-1]) if t.dim() > 1 else t.reshape(1, -1)
    return ["[" + ", ".join(f"{float(v):8.4g}" for v in row) + "]" for row in t]


def _as_map(tensor: torch.Tensor) -> torch.Tensor:
    """A tensor as a 2-D float64 map: a 0-D or 1-D one as one row."""
    t = tensor.detach().to(torch.float64)
    return t.reshape(1, -1) if t.dim() < 2 else t


def _window(size: int, centre: int) -> int:
    """Where a window of at most MAX_MAP along an axis of ``size`` starts, to hold ``centre``."""
    return min(max(centre - MAX_MAP // 2, 0), max(size - MAX_MAP, 0))


def _slice_of(tensor: torch.Tensor, index: tuple[int, ...]) -> tuple[torch.Tensor, list[int], list[int]]:
    """The 2-D slice of ``tensor`` (at least 2-D) that holds ``index`` — a full index, or the leading
    indices alone — cropped to at most MAX_MAP × MAX_MAP around ``index``'s last two (or from the top
    left); with the leading indices and the crop's top-left corner."""
    lead = list(index[:tensor.dim() - 2]) if index else [0] * (tensor.dim() - 2)
    row, column = index[tensor.dim() - 2:] if len(index) == tensor.dim() else (0, 0)
    plane = tensor[tuple(lead)]
    top, left = _window(plane.shape[0], row), _window(plane.shape[1], column)
    return plane[top:top + MAX_MAP, left:left + MAX_MAP].clone(), lead, [top, left]


def maps_figure(got: torch.Tensor, want: torch.Tensor, *, what: str,
                first: tuple[int, ...] | None = None) -> dict | None:
    """A ``maps`` figure of a tensor judged against the reference's: the 2-D slice of each that holds
    the ``first`` mismatch (its full index; same shapes), or, when the shapes differ, the first 2-D
    slice of each; None when neither tensor has two dimensions. Plain data::

        {"kind": "maps", "what": str, "expected": (h, w) float64 tensor, "yours": (h', w') tensor,
         "first": [i, j] in the maps (None when the shapes differ), "index": leading indices of the
         slice, "offset": [row, column] of the maps' top-left in the slice (cropped to MAX_MAP),
         "expected_shape": list, "yours_shape": list, "same_shape": bool}
    """
    if max(got.dim(), want.dim()) < 2 or 0 in got.shape[:-2] or 0 in want.shape[:-2]:
        return None
    same = tuple(got.shape) == tuple(want.shape)
    g, w = _as_map(got), _as_map(want)
    if same and first is not None:
        g_map, lead, offset = _slice_of(g, first)
        w_map = _slice_of(w, first)[0]
        spot = [first[-2] - offset[0], first[-1] - offset[1]]
    else:
        g_map, lead, offset = _slice_of(g, ())
        w_map = _slice_of(w, ())[0]
        spot = None
    return {"kind": "maps", "what": what, "expected": w_map, "yours": g_map, "first": spot, "index": lead,
            "offset": offset, "expected_shape": list(want.shape), "yours_shape": list(got.shape), "same_shape": same}


def figure_or_none(build: Callable[[], dict | None]) -> dict | None:
    """``build()``, or None when it fails: a figure is built from the learner's data, whatever it
    holds, and a picture that cannot be drawn must never change a verdict."""
    try:
        return build()
    except Exception:
        return None


#: The most points a curve of a ``curves`` figure keeps.
MAX_CURVE = 1000


def curve(values: Any) -> list[float] | None:
    """Probe data that should be a list of numbers as at most MAX_CURVE floats, or None."""
    if not isinstance(values, (list, tuple)):
        return None
    try:
        return [float(v) for v in values[:MAX_CURVE]]
    except (TypeError, ValueError):
        return None


def curves_figure(what: str, *panels: dict) -> dict | None:
    """A ``curves`` figure: panels side by side, each the learner's curve over the reference's::

        {"kind": "curves", "what": str, "panels": [{"title": str, "xlabel": str, "expected": [float],
         "yours": [float], "lines": [{"label": str, "value": float, "who": "expected" | "yours" | "limit"}]}]}

    A panel's curves go through ``curve`` (None: not shown); a panel with nothing to show is left
    out, and a figure without panels is None."""
    kept = []
    for panel in panels:
        expected, yours = curve(panel.get("expected")), curve(panel.get("yours"))
        lines = [line for line in panel.get("lines", ()) if isinstance(line.get("value"), (int, float))]
        if expected or yours or lines:
            # Translators: the default label of a training curve's x axis (training steps)
            xlabel = panel["xlabel"] if "xlabel" in panel else _("step")
            kept.append({"title": panel["title"], "xlabel": xlabel, "expected": expected or [],
                         "yours": yours or [], "lines": lines})
    return {"kind": "curves", "what": what, "panels": kept} if kept else None


def judge_result(got: Any, want: Any, *, what: str) -> None:
    """A result recorded with ``outcome``: a tensor close to the reference's, or the same plain value."""
    if is_tensor(want):
        judge_close(got, want, what=what)
    elif got != want:
        shown = got.get("repr", got) if isinstance(got, dict) else got
        raise Mismatch(_("{what}: expected {expected}, got {got}").format(
            what=what, expected=want.get("repr", want), got=shown))


def judge_close(got: Any, want: torch.Tensor, *, what: str, rtol: float = 1e-5, atol: float = 1e-5,
                check_dtype: bool = False, figure: bool = True) -> None:
    """``got`` is a tensor of ``want``'s shape whose values match within rtol/atol (scaled by the
    size of ``want``'s values). On a difference: first mismatching index, largest errors, and
    small tensors side by side; with ``figure``, the Mismatch shows a maps figure of tensors of two
    dimensions or more (maps_figure)."""
    got = expect_tensor(got, what)
    if tuple(got.shape) != tuple(want.shape):
        raise Mismatch(_("{what}: expected shape {expected}, got {got}").format(
            what=what, expected=shape_text(want.shape), got=shape_text(got.shape))).showing(
            figure_or_none(lambda: maps_figure(got, want, what=what)) if figure and is_tensor(got) else None)
    if check_dtype and got.dtype != want.dtype:
        raise Mismatch(_("{what}: expected dtype {expected}, got {got}").format(what=what, expected=want.dtype, got=got.dtype))
    if not got.dtype.is_floating_point and not got.dtype.is_complex and want.dtype.is_floating_point:
        got = got.to(want.dtype)
    g, w = got.detach().to(torch.float64), want.detach().to(torch.float64)
    scale = float(w.abs().max()) if w.numel() else 0.0
    tolerance = atol * max(scale, 1.0) + rtol * w.abs()
    bad = ~((g - w).abs() <= tolerance) | (torch.isnan(g) != torch.isnan(w))
    if not bool(bad.any()):
        return
    first = tuple(int(i) for i in bad.nonzero()[0])
    abs_err = (g - w).abs()
    abs_err = torch.where(torch.isnan(abs_err), torch.full_like(abs_err, float("inf")), abs_err)
    rel_err = abs_err / w.abs().clamp_min(max(scale, 1e-12) * 1e-3)  # near-zero expectations don't dominate
    # Translators: {index} is a tensor index such as "(0, 2)"
    lines = [_("{what}: values differ at {count} of {total} positions; first at index {index}: got {got:.6g}, "
               "expected {expected:.6g}").format(what=what, count=int(bad.sum()), total=w.numel(), index=first,
                                                 got=float(g[first]), expected=float(w[first])),
             "  " + _("largest absolute error {absolute:.3g}, largest relative error {relative:.3g}").format(
                 absolute=float(abs_err.max()), relative=float(rel_err.max()))]
    table = side_by_side(got, want)
    if table:
        lines.append(table)
    raise Mismatch("\n".join(lines)).showing(figure_or_none(lambda: maps_figure(got, want, what=what, first=first))
                                             if figure else None)


def judge_cases(got: Sequence[Any], want: Sequence[Any], labels: Sequence[str], *, what: str,
                **tolerance) -> None:
    """judge_close on each case, naming the failing case by its label."""
    for index, (g, w, label) in enumerate(zip(got, want, labels), start=1):
        try:
            judge_close(g, w, what=what, **tolerance)
        except Mismatch as exc:
            # Translators: {label} describes the case's inputs, such as "X (4, 7), K (2, 2)"
            case = _("case {index} of {count} ({label})").format(index=index, count=len(labels), label=label)
            raise Mismatch(f"{case}:\n{exc}", figures=[{**f, "what": f"{case}: {f['what']}"} for f in exc.figures]) from None


def judge_equal(got: Any, want: Any, *, what: str) -> None:
    """Plain data equal to the reference's (shapes, dtypes, devices, names)."""
    if got != want:
        raise Mismatch(_("{what}: expected {expected}, got {got}").format(what=what, expected=repr(want), got=repr(got)))


def judge_info(got: dict, want: dict, *, what: str) -> None:
    """A result's shape, dtype and device (from tensor_info) match the reference's."""
    if "not_a_tensor" in got:
        expect_tensor(got, what)
    if "meta_error" in got:
        # Translators: {error} is an exception, such as "RuntimeError: Tensor on device meta is not on the
        # expected device cpu!"
        raise Mismatch(_("{what} raised {error}").format(what=what, error=got["meta_error"]), *match_text(got["meta_error"]))
    if got["device"] != want["device"]:
        # Translators: {expected} and {got} are quoted device names such as 'meta' and 'cpu'
        raise Mismatch(_("{what}: expected the result on the {expected} device, got {got}").format(
            what=what, expected=repr(want["device"]), got=repr(got["device"])),
                       *(["output_on_cpu"] if got["device"] == "cpu" else []))
    if got["dtype"] != want["dtype"]:
        raise Mismatch(_("{what}: expected dtype {expected}, got {got}").format(
            what=what, expected=want["dtype"], got=got["dtype"]),
                       *(["output_ignores_dtype"] if got["dtype"] == str(torch.get_default_dtype()) else []))
    if got["shape"] != want["shape"]:
        raise Mismatch(_("{what}: expected shape {expected}, got {got}").format(
            what=what, expected=shape_text(want["shape"]), got=shape_text(got["shape"])))


def judge_raised(got: dict, want: dict, *, what: str, mistake: str | None = None) -> None:
    """Both raised the same exception type (or both returned); ``mistake`` names returning where
    the reference raises."""
    if got["raised"] != want["raised"]:
        if want["raised"] is None:
            # Translators: {exception} is an exception type such as ValueError, {message} its message
            raise Mismatch(_("{what} should not raise, but raised {exception}: {message}").format(
                what=what, exception=got["raised"], message=got["message"]))
        if got["raised"]:
            raise Mismatch(_("{what} should raise {expected}, but raised {exception}: {message}").format(
                what=what, expected=want["raised"], exception=got["raised"], message=got["message"]))
        # Translators: {value} is the repr of what the call returned
        raise Mismatch(_("{what} should raise {expected}, but returned {value}").format(
            what=what, expected=want["raised"], value=got["returned"]), *([mistake] if mistake else []))


def judge_unchanged(changed: list[str], *, what: str, mistake: str = "input_modified_in_place") -> None:
    """Mismatch naming the first argument that ``what`` changed in place, if any, and ``mistake``."""
    if changed:
        # Translators: {name} is an argument's name, such as X
        raise Mismatch(_("{what} changed its argument {name} in place: the caller's {name} is not the same "
                         "afterwards").format(what=what, name=changed[0]), mistake)


def close_enough(got: Any, want: torch.Tensor, *, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """Whether ``got`` is a tensor that judge_close would accept as ``want``."""
    try:
        judge_close(got, want, what="", rtol=rtol, atol=atol, figure=False)
    except Mismatch:
        return False
    return True


def identify(got: Any, correct: Any, predictions: dict[str, Any], agree: Callable[[Any, Any], bool],
             rivals: Sequence[Any] = ()) -> list[str]:
    """The known mistakes the data single out: those of ``predictions`` (mistake id → what that
    mistake computes on the check's inputs) that ``got`` agrees with, where neither the ``correct``
    data nor another prediction nor a ``rival`` (a wrong computation no mistake is named after)
    agrees with the prediction too — data that two explanations fit name neither."""
    found = []
    for mistake, predicted in predictions.items():
        others = [p for other, p in predictions.items() if other != mistake] + list(rivals)
        if agree(got, predicted) and not any(agree(other, predicted) for other in [correct, *others]):
            found.append(mistake)
    return found
