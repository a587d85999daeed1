"""Checks for d2l 7.4 (channels): multi-input, multi-output and 1×1 cross-correlation."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.core.i18n import N_, Lazy, _

from .base import Mismatch, kata_checks, outcome
from .functions import TensorFunction, example_check, in_case, standard_checks
from .generators import channel_cases, make_rng, normal, one_by_one_cases
from .judges import judge_result, shape_text
from .tracing import forbidden_calls, torch_calls

SEED_X = torch.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
                       [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]])
SEED_K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
SEED_K3 = torch.stack((SEED_K, SEED_K + 1, SEED_K + 2), 0)


def _label(args) -> str:
    X, K = args
    return f"X {shape_text(X.shape)}, K {shape_text(K.shape)}"


def _multi_in_rule(args) -> str:
    (ci, h, w), (_ci, kh, kw) = args[0].shape, args[1].shape[-3:]
    # Translators: the expected output shape explained; {channels} is the number of input channels
    return _("the {channels} channels are summed into one map of (h - kh + 1, w - kw + 1) = ({height}, {width})").format(
        channels=ci, height=h - kh + 1, width=w - kw + 1)


def _multi_out_rule(args) -> str:
    (_ci, h, w), (co, _ci, kh, kw) = args[0].shape, args[1].shape
    # Translators: the expected output shape explained; co is the number of output channels
    return _("one map per output channel: (co, h - kh + 1, w - kw + 1) = ({channels}, {height}, {width})").format(
        channels=co, height=h - kh + 1, width=w - kw + 1)


def _multi_in(X, K, stride=1):
    return F.conv2d(X[None], K[None], stride=stride)[0, 0]


def _multi_in_out(X, K, stride=1):
    return F.conv2d(X[None], K, stride=stride)[0]


MULTI_IN = TensorFunction(
    "corr2d_multi_in", "corr2d_multi_in", lambda seed: channel_cases(seed, 10, out_channels=False), _label,
    _multi_in_rule, oracle=_multi_in,
    mistakes=(("channels_averaged", lambda X, K: _multi_in(X, K) / X.shape[0]),
              ("flipped_kernel", lambda X, K: _multi_in(X, K.flip(-2, -1))),
              ("output_off_by_one", lambda X, K: _multi_in(X, K)[:-1, :-1])),
    rivals=(lambda X, K: _multi_in(X, K, stride=K.shape[-2:]),))

MULTI_IN_OUT = TensorFunction(
    "corr2d_multi_in_out", "corr2d_multi_in_out", lambda seed: channel_cases(seed, 10, out_channels=True),
    _label, _multi_out_rule, oracle=_multi_in_out,
    mistakes=(("stacked_wrong_axis", lambda X, K: _multi_in_out(X, K).permute(1, 2, 0)),
              ("channels_averaged", lambda X, K: _multi_in_out(X, K) / X.shape[0]),
              ("flipped_kernel", lambda X, K: _multi_in_out(X, K.flip(-2, -1))),
              ("output_off_by_one", lambda X, K: _multi_in_out(X, K)[:, :-1, :-1])),
    rivals=(lambda X, K: _multi_in_out(X, K, stride=K.shape[-2:]),))

ONE_BY_ONE = TensorFunction(
    "corr2d_1x1", "corr2d_multi_in_out_1x1", lambda seed: one_by_one_cases(seed, 10), _label,
    lambda args: f"(co, h, w) = ({args[1].shape[0]}, {args[0].shape[1]}, {args[0].shape[2]})",
    oracle=_multi_in_out,
    mistakes=(("transposed_kernel_reshape",
               lambda X, K: _multi_in_out(X, K.reshape(K.shape[1], K.shape[0]).t().reshape(K.shape))),))


def _probe_call_growth(module, seed):
    """How many torch operations the 1×1 convolution runs for few and for many channels."""
    rng = make_rng(seed, "call growth")
    counts = {}
    for ci, co in ((1, 1), (6, 7)):
        X, K = normal(rng, ci, 5, 4), normal(rng, co, ci, 1, 1)
        result = []
        names = in_case(f"corr2d_multi_in_out_1x1(X {shape_text(X.shape)}, K {shape_text(K.shape)})",
                        lambda X=X, K=K: torch_calls(lambda: result.append(module.corr2d_multi_in_out_1x1(X, K))))
        counts[f"{ci}x{co}"] = {"count": len(names), "names": sorted(set(names)), "output": outcome(result[0])}
    return counts


def _judge_call_growth(got, want, seed):
    for case in ("1x1", "6x7"):  # the rule is judged only on an implementation that works
        # Translators: {channels} is "1x1" or "6x7": the numbers of input and output channels
        what = _("corr2d_multi_in_out_1x1 ({channels} channels)").format(channels=case)
        judge_result(got[case]["output"], want[case]["output"], what=what)
    found = forbidden_calls(got["1x1"]["names"] + got["6x7"]["names"])
    if found:
        # Translators: {calls} are the names of torch functions, e.g. "torch.nn.functional.conv2d"
        raise Mismatch(_("corr2d_multi_in_out_1x1 calls {calls}: this kata is the 1×1 convolution written as one "
                         "matrix product, without torch's convolution or unfold").format(calls=", ".join(found)),
                       "uses_builtin_convolution")
    few, many = got["1x1"]["count"], got["6x7"]["count"]
    if many > few:
        # Translators: {few} and {many} are numbers of torch operations
        raise Mismatch(_("corr2d_multi_in_out_1x1 runs {few} torch operations for 1 channel but {many} for 6 "
                         "input and 7 output channels: it loops over channels. Reshape X to (ci, h·w) and K to "
                         "(co, ci), and multiply them once.").format(few=few, many=many))


check = kata_checks("corr2d_1x1")

CHECKS = [
    # Translators: the book's example inputs, shown as "corr2d_multi_in(<this>)"
    example_check(MULTI_IN, [(Lazy(N_("the book's 2-channel X and K")), (SEED_X, SEED_K),
                              torch.tensor([[56.0, 72.0], [104.0, 120.0]]))]),
    *standard_checks(MULTI_IN, rules=True),
    example_check(MULTI_IN_OUT,
                  # Translators: the book's example inputs, shown as "corr2d_multi_in_out(<this>)"
                  [(Lazy(N_("the book's X and K stacked as (K, K + 1, K + 2)")), (SEED_X, SEED_K3),
                    torch.tensor([[[56.0, 72.0], [104.0, 120.0]], [[76.0, 100.0], [148.0, 172.0]],
                                       [[96.0, 128.0], [192.0, 224.0]]]))]),
    *standard_checks(MULTI_IN_OUT, rules=True),
    *standard_checks(ONE_BY_ONE, rules=True),
    check("one_matrix_product", "rules", _probe_call_growth, _judge_call_growth),
]
