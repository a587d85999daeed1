"""Judges shared by the katas: compare probe data with the reference's, explain differences."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from grader.core.diagnosis import match_text

from .base import Mismatch

#: Tensors up to this many elements, in at most this many rows, are printed in full, side by side.
SMALL_TENSOR = 64
SMALL_ROWS = 8


def is_tensor(value: Any) -> bool:
    return isinstance(value, torch.Tensor)


def expect_tensor(got: Any, what: str) -> torch.Tensor:
    """``got`` itself, or Mismatch saying what the learner returned instead of a tensor."""
    if isinstance(got, dict) and "not_a_tensor" in got:
        raise Mismatch(f"{what} should return a torch.Tensor, but returned a {got['not_a_tensor']}: {got['repr']}")
    if isinstance(got, dict) and "shape" in got:
        raise Mismatch(f"{what} returned a tensor on the {got['device']!r} device; expected it on the input's device")
    return got


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
    width = max(len(line) for line in left + ["yours"])
    lines = [f"  {'yours'.ljust(width)}   expected"]
    for index in range(max(len(left), len(right))):
        a = left[index] if index < len(left) else ""
        b = right[index] if index < len(right) else ""
        lines.append(f"  {a.ljust(width)}   {b}")
    return "\n".join(lines)


def _rows(tensor: torch.Tensor) -> list[str]:
    t = tensor.detach().to(torch.float64)
    if t.dim() == 0:
        return [f"{float(t):.4g}"]
    t = t.reshape(-1, t.shape[-1]) if t.dim() > 1 else t.reshape(1, -1)
    return ["[" + ", ".join(f"{float(v):8.4g}" for v in row) + "]" for row in t]


def judge_result(got: Any, want: Any, *, what: str) -> None:
    """A result recorded with ``outcome``: a tensor close to the reference's, or the same plain value."""
    if is_tensor(want):
        judge_close(got, want, what=what)
    elif got != want:
        shown = got.get("repr", got) if isinstance(got, dict) else got
        raise Mismatch(f"{what}: expected {want.get('repr', want)}, got {shown}")


def judge_close(got: Any, want: torch.Tensor, *, what: str, rtol: float = 1e-5, atol: float = 1e-5,
                check_dtype: bool = False) -> None:
    """``got`` is a tensor of ``want``'s shape whose values match within rtol/atol (scaled by the
    size of ``want``'s values). On a difference: first mismatching index, largest errors, and
    small tensors side by side."""
    got = expect_tensor(got, what)
    if tuple(got.shape) != tuple(want.shape):
        raise Mismatch(f"{what}: expected shape {shape_text(want.shape)}, got {shape_text(got.shape)}")
    if check_dtype and got.dtype != want.dtype:
        raise Mismatch(f"{what}: expected dtype {want.dtype}, got {got.dtype}")
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
    lines = [f"{what}: values differ at {int(bad.sum())} of {w.numel()} positions; "
             f"first at index {first}: got {float(g[first]):.6g}, expected {float(w[first]):.6g}",
             f"  largest absolute error {float(abs_err.max()):.3g}, largest relative error {float(rel_err.max()):.3g}"]
    table = side_by_side(got, want)
    if table:
        lines.append(table)
    raise Mismatch("\n".join(lines))


def judge_cases(got: Sequence[Any], want: Sequence[Any], labels: Sequence[str], *, what: str,
                **tolerance) -> None:
    """judge_close on each case, naming the failing case by its label."""
    for index, (g, w, label) in enumerate(zip(got, want, labels), start=1):
        try:
            judge_close(g, w, what=what, **tolerance)
        except Mismatch as exc:
            raise Mismatch(f"case {index} of {len(labels)} ({label}):\n{exc}") from None


def judge_equal(got: Any, want: Any, *, what: str) -> None:
    """Plain data equal to the reference's (shapes, dtypes, devices, names)."""
    if got != want:
        raise Mismatch(f"{what}: expected {want!r}, got {got!r}")


def judge_info(got: dict, want: dict, *, what: str) -> None:
    """A result's shape, dtype and device (from tensor_info) match the reference's."""
    if "not_a_tensor" in got:
        expect_tensor(got, what)
    if "meta_error" in got:
        raise Mismatch(f"{what} raised {got['meta_error']}", *match_text(got["meta_error"]))
    if got["device"] != want["device"]:
        raise Mismatch(f"{what}: expected the result on the {want['device']!r} device, got {got['device']!r}",
                       *(["output_on_cpu"] if got["device"] == "cpu" else []))
    if got["dtype"] != want["dtype"]:
        raise Mismatch(f"{what}: expected dtype {want['dtype']}, got {got['dtype']}",
                       *(["output_ignores_dtype"] if got["dtype"] == str(torch.get_default_dtype()) else []))
    if got["shape"] != want["shape"]:
        raise Mismatch(f"{what}: expected shape {shape_text(want['shape'])}, got {shape_text(got['shape'])}")


def judge_raised(got: dict, want: dict, *, what: str, mistake: str | None = None) -> None:
    """Both raised the same exception type (or both returned); ``mistake`` names returning where
    the reference raises."""
    if got["raised"] != want["raised"]:
        if want["raised"] is None:
            raise Mismatch(f"{what} should not raise, but raised {got['raised']}: {got['message']}")
        actual = f"raised {got['raised']}: {got['message']}" if got["raised"] else f"returned {got['returned']}"
        raise Mismatch(f"{what} should raise {want['raised']}, but {actual}",
                       *([mistake] if mistake and not got["raised"] else []))


def judge_unchanged(changed: list[str], *, what: str, mistake: str = "input_modified_in_place") -> None:
    """Mismatch naming the first argument that ``what`` changed in place, if any, and ``mistake``."""
    if changed:
        raise Mismatch(f"{what} changed its argument {changed[0]} in place: the caller's {changed[0]} is not "
                       "the same afterwards", mistake)


def close_enough(got: Any, want: torch.Tensor, *, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """Whether ``got`` is a tensor that judge_close would accept as ``want``."""
    try:
        judge_close(got, want, what="", rtol=rtol, atol=atol)
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
