"""Checks for d2l 7.5 (pooling): pool2d."""
from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn.functional as F

from grader.core.i18n import N_, Lazy, _

from .functions import TensorFunction, example_check, numeric_check, raises_check, standard_checks
from .generators import as_pair, pool_cases
from .judges import shape_text

D2L_X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])


def _label(args) -> str:
    mode = f", mode={args[2]!r}" if len(args) > 2 else ""
    return f"X {shape_text(args[0].shape)}, pool_size={args[1]!r}{mode}"


def _rule(args) -> str:
    (h, w), (ph, pw) = args[0].shape, as_pair(args[1])
    # Translators: the expected output shape explained; ph and pw are the pooling window's height and width
    return _("stride 1, no padding: (h - ph + 1, w - pw + 1) = ({height}, {width})").format(
        height=h - ph + 1, width=w - pw + 1)


def _oracle(X, pool_size, mode="max", stride=1):
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    return pool(X[None, None], pool_size, stride=stride)[0, 0]


def _cases(seed: int):
    """The seeded windows, each in max mode (every other one by the default mode) and in avg mode."""
    return [case for index, (X, size) in enumerate(pool_cases(seed, 8))
            for case in ((X, size) if index % 2 else (X, size, "max"), (X, size, "avg"))]


def _int_size_cases(seed: int):
    """Square windows given as one int (pool_size is an int or a pair), in both modes."""
    return [(X, min(size), mode) for X, size in pool_cases(seed, 4) for mode in ("max", "avg")]


POOL2D = TensorFunction(
    "pool2d", "pool2d", _cases, _label, _rule, params=("X", "pool_size", "mode"), oracle=_oracle, grad_args=(0,),
    mistakes=(("pool_mode_ignored", lambda X, size, mode="max": _oracle(X, size, "max")),
              ("pool_max_from_zero", lambda X, size, mode="max": _oracle(X, size, mode).clamp_min(0)
               if mode == "max" else _oracle(X, size, mode)),
              ("output_off_by_one", lambda X, size, mode="max": _oracle(X, size, mode)[:-1, :-1]),
              ("pool_stride_is_window", lambda X, size, mode="max": _oracle(X, size, mode, stride=size))))

BAD_MODES = ["min", "sum", "MAX"]

CHECKS = [
    example_check(POOL2D, [
        # Translators: the book's example, shown as "pool2d(<this>)"
        (Lazy(N_("d2l's 3×3 X, 2×2 max pooling")), (D2L_X, (2, 2)), torch.tensor([[4.0, 5.0], [7.0, 8.0]])),
        # Translators: the book's example, shown as "pool2d(<this>)"
        (Lazy(N_("d2l's 3×3 X, 2×2 average pooling")), (D2L_X, (2, 2), "avg"), torch.tensor([[2.0, 3.0], [5.0, 6.0]])),
    ]),
    *standard_checks(POOL2D, rules=False),
    numeric_check(replace(POOL2D, cases=_int_size_cases), "int_pool_size"),
    raises_check("pool2d", "unknown_mode", [
        # Translators: {call} is code such as "pool2d(X, (2, 2), mode='min')"
        (Lazy(N_("{call} (only 'max' and 'avg' exist)"), call=f"pool2d(X, (2, 2), mode={mode!r})"),
         lambda module, mode=mode: module.pool2d(D2L_X.clone(), (2, 2), mode)) for mode in BAD_MODES],
        # Translators: the argument X of the call "pool2d(d2l's 3×3 X, (2, 2), mode='avg')": the book's example input
        valid=(Lazy("pool2d({X}, (2, 2), mode='avg')", X=Lazy(N_("d2l's 3×3 X"))),
               lambda module: module.pool2d(D2L_X.clone(), (2, 2), "avg")),
        mistake="mode_not_validated"),
]
