"""Convergence checks: the learner's blocks must not only compute the right values, they must
train. Each check builds a small network from the learner's own blocks, trains it from a seeded
start on scikit-learn's 8×8 digits (a real data set that ships inside the package, upsampled), and
reports the curve, the held-out accuracy and any parameter that never moved, plus how far a fresh
copy gets in memorising one small batch. Judges compare with the reference's run on the same seed,
with a margin."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType

import torch
import torch.nn.functional as F
from torch import nn

from grader.checks.digits import DIGITS_TRAIN, digits_8x8
from grader.core.i18n import _

from .base import Check, Mismatch
from .functions import in_case
from .generators import make_rng
from .judges import curves_figure, figure_or_none
from .structure import materialised

#: How much worse than the reference a learner's network may do before the check fails.
ACCURACY_MARGIN = 0.15
LOSS_FACTOR = 3.0
LOSS_SLACK = 0.15
TRAIN_SIZE = DIGITS_TRAIN


@cache
def digits(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's digits, standardised and upsampled to size×size, in kata train's fixed order
    (the first TRAIN_SIZE train, the rest are held out). (n, 1, size, size) and (n,)."""
    X, y = digits_8x8()
    X = (X - X.mean()) / X.std()
    return F.interpolate(X, size=(size, size), mode="bilinear", align_corners=False), y


def reinitialise(net: nn.Module, seed: int) -> None:
    """Xavier-uniform weights and zero biases for every Conv2d and Linear, as d2l's train_ch6 does."""
    torch.manual_seed(seed)
    for layer in net.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


@dataclass(frozen=True)
class TrainingRun:
    """A small network built from the learner's module by ``build``, trained for ``steps`` steps.
    ``description`` names it for the learner: marked with ``N_`` where it is written, shown with ``_``."""

    kata: str
    description: str
    build: Callable[[ModuleType], nn.Module]
    size: int = 16
    optimizer: str = "adam"
    lr: float = 0.01
    steps: int = 120
    batch_size: int = 64
    overfit_steps: int = 80
    overfit_examples: int = 32

    def fresh(self, module: ModuleType, seed: int, device: str) -> tuple[nn.Module, Callable]:
        """A newly built network — its Lazy layers shaped by the digits' input, (2, 1, size, size),
        before anything else — reinitialised, in training mode, and ``step(X, y) -> (loss, accuracy)``
        that takes one optimizer step on it (the batch's loss and accuracy before the step)."""
        net = materialised(self.build(module), (2, 1, self.size, self.size)).to(device)
        reinitialise(net, seed)
        optimizer_class = torch.optim.Adam if self.optimizer == "adam" else torch.optim.SGD
        optimizer = optimizer_class(net.parameters(), lr=self.lr)
        net.train()

        def step(X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
            logits = net(X)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss.item(), (logits.detach().argmax(dim=1) == y).float().mean().item()
        return net, step

    def train(self, module: ModuleType, seed: int, device: str = "cpu") -> dict:
        """Train on the digits' train split, then report; plain data only."""
        return {**self.fit(module, seed, device)[1], "overfit_loss": self.overfit(module, seed, device)}

    def overfit(self, module: ModuleType, seed: int, device: str = "cpu") -> float:
        """The loss after ``overfit_steps`` steps on one fixed small batch, from a fresh network."""
        X, y = (t[:self.overfit_examples].to(device) for t in digits(self.size))
        net, step = self.fresh(module, seed, device)
        for _step in range(self.overfit_steps):
            loss, _accuracy = step(X, y)
        return loss

    def fit(self, module: ModuleType, seed: int, device: str = "cpu") -> tuple[nn.Module, dict]:
        """The trained network (in eval mode) and the report of its training."""
        X, y = (t.to(device) for t in digits(self.size))
        net, step = self.fresh(module, seed, device)
        before = [p.detach().clone() for p in net.parameters()]
        order = make_rng(seed, f"batches {self.kata}")
        losses, accuracies = [], []
        for _step in range(self.steps):
            index = torch.randint(0, TRAIN_SIZE, (self.batch_size,), generator=order).to(device)
            loss, accuracy = step(X[index], y[index])
            losses.append(loss)
            accuracies.append(accuracy)
        frozen = sum(bool(torch.equal(b, p.detach())) for b, p in zip(before, net.parameters()))
        net.eval()
        with torch.no_grad():
            accuracy = float((net(X[TRAIN_SIZE:]).argmax(dim=1) == y[TRAIN_SIZE:]).float().mean())
        return net, {"losses": losses, "accuracy": accuracy, "frozen": frozen, "train_accuracies": accuracies,
                     "parameters": sum(1 for _ in net.parameters())}


def _tail(losses: list[float], count: int = 10) -> float:
    return sum(losses[-count:]) / min(count, len(losses))


def allowed_loss(want: dict) -> float:
    """The highest mean loss of the last 10 steps that passes, given the reference's run."""
    expected_final = _tail(want["losses"])
    return max(LOSS_FACTOR * expected_final, expected_final + LOSS_SLACK)


def training_figure(what: str, got: dict, want: dict) -> dict | None:
    """A curves figure of a training run against the reference's: the per-step loss (with the
    highest final loss allowed), and the per-step accuracy on the training batches (with the
    held-out accuracies and the lowest one needed as lines)."""
    def build():
        # Translators: the legends of lines on a plot of accuracies: the accuracy on held-out examples
        held_out = {"expected": _("held-out (expected)"), "yours": _("held-out (yours)")}
        accuracy = [{"label": held_out[who], "value": float(data["accuracy"]), "who": who}
                    for who, data in (("expected", want), ("yours", got)) if isinstance(data.get("accuracy"), float)]
        accuracy.append({"label": _("held-out needed"), "value": want["accuracy"] - ACCURACY_MARGIN, "who": "limit"})
        loss = [{"label": _("allowed (mean of the last 10 steps)"), "value": allowed_loss(want), "who": "limit"}]
        return curves_figure(
            what, {"title": _("training loss"), "expected": want.get("losses"), "yours": got.get("losses"), "lines": loss},
            {"title": _("accuracy on the training batches"), "expected": want.get("train_accuracies"),
             "yours": got.get("train_accuracies"), "lines": accuracy})
    return figure_or_none(build)


def judge_training(run: TrainingRun, got: dict, want: dict) -> None:
    """The learner's run learns as the reference's does, within the margins; the Mismatch shows
    both runs' curves."""
    # Translators: {network} is a network such as "a small VGG built from your vgg_block"
    what = _("{network}, trained {steps} steps on scikit-learn's digits ({size}×{size})").format(
        network=_(run.description), steps=run.steps, size=run.size)
    try:
        _compare_training(run, what, got, want)
    except Mismatch as exc:
        raise exc.showing(training_figure(what, got, want)) from None


def _compare_training(run: TrainingRun, what: str, got: dict, want: dict) -> None:
    if got["frozen"]:
        raise Mismatch(_("{what}: {frozen} of {count} parameter tensors never changed").format(
            what=what, frozen=got["frozen"], count=got["parameters"]), "parameters_never_learn")
    final, expected_final, allowed = _tail(got["losses"]), _tail(want["losses"]), allowed_loss(want)
    if not final <= allowed:
        raise Mismatch(_("{what}: the training loss fell from {first:.3f} to {final:.3f} (mean of the last 10 steps); "
                         "the reference reaches {expected:.3f} from the same start (allowed: {allowed:.3f})").format(
                             what=what, first=got["losses"][0], final=final, expected=expected_final, allowed=allowed))
    allowed = max(LOSS_FACTOR * want["overfit_loss"], want["overfit_loss"] + LOSS_SLACK)
    if not got["overfit_loss"] <= allowed:
        raise Mismatch(_("{what}: on one fixed batch of {examples} examples the loss is still {loss:.3f} after {steps} "
                         "steps; the reference gets it to {expected:.3f} (allowed: {allowed:.3f}) — a network that "
                         "cannot memorise a small batch is broken somewhere").format(
                             what=what, examples=run.overfit_examples, loss=got["overfit_loss"], steps=run.overfit_steps,
                             expected=want["overfit_loss"], allowed=allowed))
    needed = want["accuracy"] - ACCURACY_MARGIN
    if got["accuracy"] < needed:
        raise Mismatch(_("{what}: {accuracy:.1%} held-out accuracy; the reference reaches {expected:.1%} "
                         "(needed: {needed:.1%})").format(
                             what=what, accuracy=got["accuracy"], expected=want["accuracy"], needed=needed))


def training_checks(run: TrainingRun) -> list[Check]:
    """The convergence check on the CPU, and the same run on CUDA (skipped without one)."""
    def probe(module, seed):
        return in_case(_(run.description), lambda: run.train(module, seed))

    def probe_cuda(module, seed):
        return in_case(_("{network} on CUDA").format(network=_(run.description)),
                       lambda: run.train(module, seed, device="cuda"))

    def judge(got, want, seed):
        judge_training(run, got, want)
    return [Check(run.kata, "trains", "training", probe, judge),
            Check(run.kata, "trains_on_cuda", "gpu", probe_cuda, judge, needs_cuda=True, convergence=True)]
