"""Checks for d2l 7.2 (conv_layer): corr2d, Conv2D, detect_vertical_edges, learn_kernel."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.core.i18n import N_, Lazy, _

from .base import Mismatch, diagnosed, kata_checks, outcome, tensor_info, watched
from .functions import GRAD_ATOL, GRAD_RTOL, TensorFunction, example_check, in_case, standard_checks
from .generators import edge_image, make_rng, normal, seeded_edge_image, spatial_cases, transposed_view
from .judges import (
    MAX_MAP,
    close_enough,
    curves_figure,
    expect_tensor,
    figure_or_none,
    identify,
    is_tensor,
    judge_cases,
    judge_close,
    judge_equal,
    judge_info,
    judge_unchanged,
    shape_text,
)

SEED_X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
SEED_K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
EDGE_KERNEL = torch.tensor([[1.0, -1.0]])


def conv2d_oracle(X: torch.Tensor, K: torch.Tensor, stride: int | tuple[int, int] = 1) -> torch.Tensor:
    """torch's own cross-correlation of one (h, w) image with one (kh, kw) kernel."""
    return F.conv2d(X[None, None], K[None, None], stride=stride)[0, 0]


def _hw_label(args) -> str:
    X, K = args[:2]
    return f"X {shape_text(X.shape)}, K {shape_text(K.shape)}"


def _corr2d_shape_rule(args) -> str:
    (h, w), (kh, kw) = args[0].shape, args[1].shape
    return f"(h - kh + 1, w - kw + 1) = ({h} - {kh} + 1, {w} - {kw} + 1) = ({h - kh + 1}, {w - kw + 1})"


def _off_by_one(output: torch.Tensor) -> torch.Tensor:
    """What an output one row and one column short holds."""
    return output[..., :-1, :-1]


CORR2D = TensorFunction(
    "corr2d", "corr2d", lambda seed: spatial_cases(seed, 14), _hw_label, _corr2d_shape_rule, oracle=conv2d_oracle,
    mistakes=(("flipped_kernel", lambda X, K: conv2d_oracle(X, K.flip(0, 1))),
              ("output_off_by_one", lambda X, K: _off_by_one(conv2d_oracle(X, K)))),
    rivals=(lambda X, K: conv2d_oracle(X, K, stride=K.shape),))

def edges_figure(X: torch.Tensor, maps: dict, *, kernel: torch.Tensor, kernel_yours: torch.Tensor | None = None) -> dict:
    """An ``edges`` figure: a maps figure of X cross-correlated with a kernel — the expected map and
    the learner's — with the image X beside them (the same window of it)::

        {"kind": "edges", "image": 2-D float64 tensor, "kernel": the expected kernel as a list of rows,
         "kernel_yours": the learner's kernel as rows, or None when it is the same fixed kernel,
         and the maps figure's fields: "what", "expected", "yours", "first", "offset", ...}
    """
    top, left = maps["offset"]
    kh, kw = kernel.shape
    image = X.detach().to(torch.float64)[top:top + MAX_MAP + kh - 1, left:left + MAX_MAP + kw - 1].clone()
    return {**maps, "kind": "edges", "image": image, "kernel": _rounded(kernel),
            "kernel_yours": None if kernel_yours is None else _rounded(kernel_yours)}


def _picture_edges(args, maps: dict) -> dict | None:
    X = args[0]
    return edges_figure(X, maps, kernel=EDGE_KERNEL) if X.dim() == 2 and not maps["index"] else None


def kernel_edges_figure(what: str, X: torch.Tensor, kernel: torch.Tensor, got_kernel, *,
                        rtol: float = 1e-3, atol: float = 1e-4) -> dict | None:
    """An edges figure of X cross-correlated with the learner's kernel ``got_kernel`` against with
    ``kernel``, its first mismatch marked; None when the learner's kernel is not a tensor of that
    shape, or when the two maps agree (within rtol/atol, as judge_close judges)."""
    def build():
        if not is_tensor(got_kernel) or tuple(got_kernel.shape) != tuple(kernel.shape):
            return None
        image = X.detach().to(torch.float64)
        want, got = conv2d_oracle(image, kernel.to(torch.float64)), conv2d_oracle(image, got_kernel.to(torch.float64))
        try:
            judge_close(got, want, what=what, rtol=rtol, atol=atol)
        except Mismatch as exc:
            return edges_figure(X, exc.figures[0], kernel=kernel, kernel_yours=got_kernel)
        return None
    return figure_or_none(build)


def losses_figure(what: str, got_losses, want_losses) -> dict | None:
    """A curves figure of the learner's per-step losses over the reference's."""
    # Translators: the title of a plot of the loss at each training step
    return figure_or_none(lambda: curves_figure(what, {"title": _("loss"), "expected": want_losses, "yours": got_losses}))


EDGES = TensorFunction(
    "edge_detection", "detect_vertical_edges",
    lambda seed: [(X,) for X, _ in spatial_cases(seed, 10) if X.shape[1] >= 2],
    lambda args: f"X {shape_text(args[0].shape)}",
    lambda args: f"(h, w - 1) = ({args[0].shape[0]}, {args[0].shape[1] - 1})", params=("X",),
    oracle=lambda X: conv2d_oracle(X, EDGE_KERNEL), grad_args=(0,),
    mistakes=(("edge_kernel_sign", lambda X: -conv2d_oracle(X, EDGE_KERNEL)),
              ("output_off_by_one", lambda X: _off_by_one(conv2d_oracle(X, EDGE_KERNEL)))),
    picture=_picture_edges)

check = kata_checks("conv2d_module")


def _conv2d_layer_cases(seed: int):
    """(kernel_size, weight, bias, X) for the Conv2D layer checks; every other X a transposed view."""
    rng = make_rng(seed, "conv2d bias")
    cases = []
    for index, (X, K) in enumerate(spatial_cases(seed, 8)):
        cases.append((tuple(K.shape), K, normal(rng, 1), transposed_view(X) if index % 2 else X))
    return cases


def _probe_conv2d_parameters(module, seed):
    """The parameters' names and shapes of Conv2D((2, 3)); their initial ranges in a Conv2D((16, 16)): the
    256 values of its weight leave [0, 1) for any other initialisation (a 2×3 weight drawn by torch.randn
    falls in it on 0.13% of seeds)."""
    torch.manual_seed(seed)
    layer = module.Conv2D((2, 3))
    parameters = dict(layer.named_parameters())
    initial = {name: [float(p.min()), float(p.max())] for name, p in module.Conv2D((16, 16)).named_parameters()}
    return {"parameters": sorted([name, list(p.shape)] for name, p in parameters.items()),
            "is_module": isinstance(layer, torch.nn.Module), "initial_range": initial}


def _judge_conv2d_parameters(got, want, seed):
    # Translators: what is checked, shown as "Conv2D((2, 3)) is an nn.Module: expected True, got False"
    judge_equal(got["is_module"], True, what=_("Conv2D((2, 3)) is an nn.Module"))
    for name, (low, high), allowed in (("weight", got["initial_range"].get("weight", [0, 0]), (0.0, 1.0)),
                                       ("bias", got["initial_range"].get("bias", [0, 0]), (0.0, 0.0))):
        if low < allowed[0] or high > allowed[1] or (name == "weight" and high >= 1.0):
            message = (_("a new Conv2D's weight holds values in [{low:.3g}, {high:.3g}]; expected uniform values "
                         "in [0, 1)") if name == "weight" else
                       _("a new Conv2D's bias holds values in [{low:.3g}, {high:.3g}]; expected zeros"))
            raise Mismatch(message.format(low=low, high=high), "wrong_initialisation")
    try:
        # Translators: what is compared: the parameters' names and shapes, as a list of [name, shape] pairs
        what = _("Conv2D((2, 3)).named_parameters() as [name, shape]")
        judge_equal(got["parameters"], want["parameters"], what=what)
    except Mismatch as exc:
        names = {name for name, _ in got["parameters"]}
        raise exc.naming(*(["tensor_not_parameter"] if names < {name for name, _ in want["parameters"]} else [])) from None


def _conv2d_forward(module, case, *, dtype=torch.float32, upstream_seed=None):
    """Conv2D with the case's weight and bias on its X: the output, or with ``upstream_seed`` the
    gradients of weight and bias under a seeded upstream gradient."""
    kernel_size, K, b, X = case
    layer = module.Conv2D(kernel_size).to(dtype)
    with torch.no_grad():
        layer.weight.copy_(K)
        layer.bias.copy_(b)
    X = X.to(dtype)
    out = layer(X)
    if upstream_seed is None:
        return outcome(out)
    weights = normal(make_rng(upstream_seed, "upstream"), *out.shape, dtype=dtype)
    (out * weights).sum().backward()
    return [outcome(layer.weight.grad), outcome(layer.bias.grad)]


def _conv2d_case_label(case) -> str:
    # Translators: a case of the Conv2D checks, e.g. "Conv2D((2, 4)) on X (2, 5)"
    return _("Conv2D({kernel_size}) on X {shape}").format(kernel_size=case[0], shape=shape_text(case[3].shape))


def _probe_conv2d_forward(module, seed):
    return [in_case(_conv2d_case_label(c), lambda c=c: _conv2d_forward(module, c)) for c in _conv2d_layer_cases(seed)]


def _judge_conv2d_forward(got, want, seed):
    cases = _conv2d_layer_cases(seed)
    labels = [_conv2d_case_label(c) for c in cases]
    try:
        judge_cases(got, want, labels, what="Conv2D(...)(X)", rtol=1e-4, atol=1e-5)
        oracle = [conv2d_oracle(X, K) + b for _k, K, b, X in cases]
        # Translators: {call} is code, e.g. "Conv2D(...)(X)"; the values are checked against torch's own convolution
        what = _("{call} (checked against torch)").format(call="Conv2D(...)(X)")
        judge_cases(got, oracle, labels, what=what, rtol=1e-4, atol=1e-5)
    except Mismatch as exc:
        flipped = [conv2d_oracle(X, K.flip(0, 1)) + b for _k, K, b, X in cases]
        raise exc.naming(*identify(got, want, {"flipped_kernel": flipped},
                                   lambda a, b: all(map(close_enough, a, b)))) from None


def _probe_conv2d_gradient(module, seed):
    return [_conv2d_forward(module, c, dtype=torch.float64, upstream_seed=seed) for c in _conv2d_layer_cases(seed)[:3]]


def _judge_conv2d_gradient(got, want, seed):
    for index, (g, w) in enumerate(zip(got, want), start=1):
        for name, g_grad, w_grad in zip(("weight", "bias"), g, w):
            if isinstance(g_grad, dict):
                # Translators: {name} is "weight" or "bias", a parameter's name in code
                raise Mismatch(_("no gradient reaches Conv2D.{name}: forward must use self.{name} "
                                 "in torch operations (not .data or .item())").format(name=name))
            # Translators: {name} is "weight" or "bias", a parameter's name in code
            what = _("case {index}: the gradient of Conv2D.{name}").format(index=index, name=name)
            judge_close(g_grad, w_grad, what=what, rtol=GRAD_RTOL, atol=GRAD_ATOL)


def _probe_conv2d_dtype(module, seed):
    kernel_size, *_parameters, X = _conv2d_layer_cases(seed)[0]
    layer = module.Conv2D(kernel_size).to(torch.float64)
    return tensor_info(layer(X.to(torch.float64)))


def _judge_conv2d_dtype(got, want, seed):
    # Translators: a call whose result's dtype, device and shape are checked
    judge_info(got, want, what=_("Conv2D(...).double() on a float64 X"))


CONV2D_CHECKS = [
    check("parameters", "structure", _probe_conv2d_parameters, _judge_conv2d_parameters),
    check("forward", "numeric", _probe_conv2d_forward, _judge_conv2d_forward),
    check("gradient", "gradient", _probe_conv2d_gradient, _judge_conv2d_gradient),
    check("dtype", "dtype_device", _probe_conv2d_dtype, _judge_conv2d_dtype),
]

check = kata_checks("learn_kernel")


def _curvatures(X: torch.Tensor, kernel_size: tuple[int, int]) -> torch.Tensor:
    """The curvatures (Hessian eigenvalues, ascending) of the summed squared error in the kernel's weights."""
    windows = X.unfold(0, kernel_size[0], 1).unfold(1, kernel_size[1], 1).reshape(-1, kernel_size[0] * kernel_size[1])
    return 2 * torch.linalg.eigvalsh(windows.T.double() @ windows.double())


def _stable_lr(X: torch.Tensor, kernel_size: tuple[int, int]) -> float:
    """Half of 2/λ, λ the largest curvature of the summed squared error in the kernel's weights:
    gradient descent then lowers the loss at every step, whatever the seed draws."""
    return float(1 / _curvatures(X, kernel_size).max())


def _fastest_lr(X: torch.Tensor, kernel_size: tuple[int, int]) -> float:
    """2 / (λmin + λmax) of the curvatures: the step size that shrinks the error along every
    direction at least by (κ - 1) / (κ + 1) per step, κ = λmax / λmin; under 2/λmax, so the loss
    still falls at every step."""
    curvatures = _curvatures(X, kernel_size)
    return float(2 / (curvatures.min() + curvatures.max()))


def _learn_kernel_cases(seed: int):
    """(label, X, Y, kwargs): the book's edge image, and a random image — a transposed view, not
    contiguous — with a random 2×2 kernel (learned at a step size that cannot diverge)."""
    X = edge_image()
    rng = make_rng(seed, "learn_kernel")
    X2, K2 = transposed_view(normal(rng, 7, 9)), normal(rng, 2, 2)
    # Translators: a case of learn_kernel, shown as "learn_kernel on <case>"
    return [(_("the book's edge image, 10 steps"), X, conv2d_oracle(X, EDGE_KERNEL), {}),
            # Translators: a case of learn_kernel, shown as "learn_kernel on <case>"
            (_("a random 7×9 image (a transposed view) and 2×2 kernel, 25 steps"), X2, conv2d_oracle(X2, K2),
             dict(kernel_size=(2, 2), lr=_stable_lr(X2, (2, 2)), num_steps=25))]


def simulate_learn_kernel(X, Y, seed: int, *, kernel_size=(1, 2), lr=3e-2, num_steps=10, mean_loss=False,
                          record_after=False) -> list[float]:
    """The book's training loop, as a learner might write it (mean loss, losses after the update)."""
    torch.manual_seed(seed)
    conv = torch.nn.Conv2d(1, 1, kernel_size, bias=False)
    X, Y = X.reshape((1, 1) + X.shape), Y.reshape((1, 1) + Y.shape)
    losses = []
    for _step in range(num_steps):
        error = (conv(X) - Y) ** 2
        loss = error.mean() if mean_loss else error.sum()
        conv.zero_grad()
        loss.backward()
        with torch.no_grad():
            conv.weight -= lr * conv.weight.grad
            losses.append(float(((conv(X) - Y) ** 2).sum() if record_after else loss))
    return losses


LEARN_KERNEL_MISTAKES = {"loss_mean_not_sum": dict(mean_loss=True), "loss_recorded_after_update": dict(record_after=True)}


def _run_label(label: str) -> str:
    """What a learn_kernel case is called in messages."""
    # Translators: {label} is a case such as "the book's edge image, 10 steps"
    return _("learn_kernel on {label}").format(label=label)


def _figure_whats(label: str) -> tuple[str, str]:
    """The captions of a learn_kernel case's figures: the learned kernel's edge maps, the losses."""
    what = _run_label(label)
    # Translators: a figure's caption; {what} is e.g. "learn_kernel on the book's edge image, 10 steps";
    # "X ⋆ the learned kernel": X cross-correlated with the kernel the learner's code learned
    kernel_what = _("{what}: X ⋆ the learned kernel").format(what=what)
    # Translators: a figure's caption; {what} is e.g. "learn_kernel on the book's edge image, 10 steps"
    return kernel_what, _("{what}: the per-step losses").format(what=what)


def _recognise_runs(got, cases, seed) -> list[str]:
    """The known mistakes whose losses match ``got``'s on every (label, X, Y, kwargs) case."""
    found = []
    for mistake, variant in LEARN_KERNEL_MISTAKES.items():
        if all(isinstance(g["losses"], list) and close_enough(torch.tensor(g["losses"]), torch.tensor(
                simulate_learn_kernel(X, Y, seed, **kwargs, **variant)), rtol=1e-3, atol=1e-4)
               for (_, X, Y, kwargs), g in zip(cases, got)):
            found.append(mistake)
    return found


def _recognise_learn_kernel(got, seed) -> list[str]:
    return _recognise_runs(got, _learn_kernel_cases(seed), seed)


def _probe_learn_kernel(module, seed):
    results = []
    for label, X, Y, kwargs in _learn_kernel_cases(seed):
        torch.manual_seed(seed)
        (kernel, losses), changed = in_case(_run_label(label), lambda: watched(
            lambda: module.learn_kernel(X, Y, **kwargs), {"X": X, "Y": Y}))
        results.append({"kernel": outcome(kernel), "changed": changed,
                        "losses": [float(v) for v in losses] if isinstance(losses, (list, tuple)) else repr(losses),
                        "losses_keep_graphs": isinstance(losses, (list, tuple)) and any(
                            isinstance(v, torch.Tensor) and v.requires_grad for v in losses)})
    return results


def _compare_learn_kernel(got, want, seed):
    for (label, X, *_rest), g, w in zip(_learn_kernel_cases(seed), got, want):
        try:
            _compare_learn_kernel_case(label, g, w)
        except Mismatch as exc:
            kernel_what, losses_what = _figure_whats(label)
            raise exc.showing(kernel_edges_figure(kernel_what, X, w["kernel"], g["kernel"]),
                              losses_figure(losses_what, g["losses"], w["losses"])) from None


def _compare_learn_kernel_case(label: str, g: dict, w: dict) -> None:
    what = _run_label(label)
    judge_unchanged(g["changed"], what=what)
    if g["losses_keep_graphs"]:
        # Translators: {what} is e.g. "learn_kernel on the book's edge image, 10 steps"
        raise Mismatch(_("{what}: the losses are tensors that still require grad").format(what=what),
                       "losses_keep_graphs")
    if not isinstance(g["losses"], list):
        # Translators: {what} is e.g. "learn_kernel on the book's edge image, 10 steps"
        raise Mismatch(_("{what}: the losses should be a list of floats, got {got}").format(what=what, got=g["losses"]))
    if len(g["losses"]) != len(w["losses"]):
        # Translators: {what} is e.g. "learn_kernel on the book's edge image, 10 steps"; {got} is a number or a list
        raise Mismatch(_("{what}: expected {count} losses (one per step), got {got}").format(
            what=what, count=len(w["losses"]), got=len(g["losses"])))
    # Translators: {what} is e.g. "learn_kernel on the book's edge image, 10 steps"
    losses_what = _("{what}: the per-step losses (summed squared error, before each update)").format(what=what)
    judge_close(torch.tensor(g["losses"]), torch.tensor(w["losses"]), rtol=1e-3, atol=1e-4, what=losses_what)
    # Translators: {what} is e.g. "learn_kernel on the book's edge image, 10 steps"
    kernel_what = _("{what}: the learned kernel").format(what=what)
    judge_close(g["kernel"], w["kernel"], rtol=1e-3, atol=1e-4, figure=False,  # the edges figure shows it
                what=kernel_what)
    if not g["losses"][-1] < g["losses"][0]:
        # Translators: {what} is e.g. "learn_kernel on the book's edge image, 10 steps"
        raise Mismatch(_("{what}: the loss did not fall ({first:.4g} → {last:.4g})").format(
            what=what, first=g["losses"][0], last=g["losses"][-1]))


#: The recovery run's steps, and how close to the kernel that made Y they must get (the reference
#: stays within 0.004 over 2000 seeds).
RECOVERY_STEPS = 50
RECOVERY_TOLERANCE = 0.05


def _recovery_case(seed: int) -> tuple[str, torch.Tensor, torch.Tensor, dict]:
    """(label, X, K, kwargs): the book's experiment on inputs drawn from the seed — an edge image of
    seeded size and band, and a vertical-edge kernel [[a, -b]] with a and b in [0.5, 2] — learned
    with the default 1×2 kernel size at the step size that converges fastest."""
    rng = make_rng(seed, "recovery")
    X = seeded_edge_image(rng)
    a, b = (0.5 + 1.5 * torch.rand(2, generator=rng, dtype=torch.float64)).tolist()
    K = torch.tensor([[a, -b]])
    # Translators: a case of learn_kernel, e.g. "a 7×9 edge image made with the kernel [[1.2, -0.8]], 50 steps"
    label = _("a {height}×{width} edge image made with the kernel {kernel}, {steps} steps").format(
        height=X.shape[0], width=X.shape[1], kernel=_rounded(K), steps=RECOVERY_STEPS)
    return label, X, K, dict(lr=_fastest_lr(X, (1, 2)), num_steps=RECOVERY_STEPS)


def _rounded(kernel: torch.Tensor):
    return torch.round(kernel.double(), decimals=4).tolist()


def _probe_recovery(module, seed):
    """The book's experiment: learn the kernel back from the image and its cross-correlation."""
    label, X, K, kwargs = _recovery_case(seed)
    torch.manual_seed(seed)
    kernel, losses = in_case(_run_label(label), lambda: module.learn_kernel(X, conv2d_oracle(X, K), **kwargs))
    return {"kernel": outcome(kernel),
            "losses": [float(v) for v in losses] if isinstance(losses, (list, tuple)) else repr(losses)}


def _compare_recovery(got, want, seed):
    label, X, K, _kwargs = _recovery_case(seed)
    try:
        _compare_recovery_run(label, K, got, want)
    except Mismatch as exc:
        kernel_what, losses_what = _figure_whats(label)
        raise exc.showing(kernel_edges_figure(kernel_what, X, K, got["kernel"], rtol=0.0, atol=RECOVERY_TOLERANCE),
                          losses_figure(losses_what, got["losses"], want["losses"])) from None


def _compare_recovery_run(label: str, K: torch.Tensor, got: dict, want: dict) -> None:
    kernel = expect_tensor(got["kernel"], "learn_kernel")
    errors = [float((kernel.reshape(-1) - k.reshape(-1)).abs().max()) if kernel.numel() == 2 else None
              for k in (K, want["kernel"])]
    what = _run_label(label)
    if any(error is None or error > RECOVERY_TOLERANCE for error in errors):
        # Translators: {what} is e.g. "learn_kernel on a 7×9 edge image made with the kernel [[1.2, -0.8]], 50 steps";
        # {kernel}, {target} and {reference} are kernels as lists of rows
        raise Mismatch(_("{what} learned {kernel}; it should recover {target} to within {tolerance} "
                         "(the reference gets {reference})").format(
            what=what, kernel=_rounded(kernel), target=_rounded(K), tolerance=RECOVERY_TOLERANCE,
            reference=_rounded(want["kernel"])))
    losses = got["losses"]
    if not isinstance(losses, list) or len(losses) != len(want["losses"]):
        # Translators: {what} is e.g. "learn_kernel on a 7×9 edge image made with the kernel [[1.2, -0.8]], 50 steps"
        raise Mismatch(_("{what}: expected {count} losses (one per step), got {got}").format(
            what=what, count=len(want["losses"]), got=losses))
    rounding = 1e-6 * abs(losses[0]) if losses else 0.0  # near convergence float32 noise is all that is left
    if not all(b <= a + rounding for a, b in zip(losses, losses[1:])):
        # Translators: {what} is e.g. "learn_kernel on a 7×9 edge image made with the kernel [[1.2, -0.8]], 50 steps"
        raise Mismatch(_("{what}: the losses should fall step by step, got {losses}").format(
            what=what, losses=[round(v, 4) for v in losses]))


def _recognise_recovery(got, seed) -> list[str]:
    label, X, K, kwargs = _recovery_case(seed)
    return _recognise_runs([got], [(label, X, conv2d_oracle(X, K), kwargs)], seed)


LEARN_KERNEL_CHECKS = [
    check("training_run", "numeric", _probe_learn_kernel, diagnosed(_compare_learn_kernel, _recognise_learn_kernel)),
    check("recovers_edge_kernel", "numeric", _probe_recovery, diagnosed(_compare_recovery, _recognise_recovery)),
]

#: The book's edge detection examples: (label, args, the output it prints); labels marked with N_.
EDGE_EXAMPLES = [
    # Translators: the book's example input, shown as "detect_vertical_edges(<this>)"
    (Lazy(N_("the book's 6×8 image with zero columns 2…5")), (edge_image(),),
     torch.tensor([[0.0, 1.0, 0.0, 0.0, 0.0, -1.0, 0.0]]).repeat(6, 1)),
    # Translators: the book's example input (the 6×8 image transposed), shown as "detect_vertical_edges(<this>)"
    (Lazy(N_("its transpose, which has no vertical edges")), (edge_image().t(),), torch.zeros(8, 5)),
]

CHECKS = [
    # Translators: the book's example inputs, shown as "corr2d(<this>)"
    example_check(CORR2D, [(Lazy(N_("the book's X and K")), (SEED_X, SEED_K), torch.tensor([[19.0, 25.0], [37.0, 43.0]]))]),
    *standard_checks(CORR2D, rules=True),
    *CONV2D_CHECKS,
    example_check(EDGES, EDGE_EXAMPLES),
    *standard_checks(EDGES, rules=False),
    *LEARN_KERNEL_CHECKS,
]
