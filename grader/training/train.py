"""`kata train`: train a network built from an implementation's katas the way d2l's train_ch6
does (Xavier init, SGD, cross-entropy), on Fashion-MNIST, scikit-learn's digits or synthetic data;
report per epoch, and write the curves (PNG) and the figures (JSON)."""
from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grader.checks.digits import DIGITS_TRAIN, digits_8x8
from grader.checks.structure import materialised
from grader.core.i18n import _

DATASETS = ("fashion-mnist", "digits", "synthetic")


class DataUnavailable(RuntimeError):
    """The data set cannot be had here; the message says how to get it."""


def fashion_mnist(root: Path, resize: int) -> tuple[torch.utils.data.Dataset, torch.utils.data.Dataset]:
    """Fashion-MNIST through torchvision, as d2l.load_data_fashion_mnist loads it: from ``root`` if
    the files are there, else downloaded into it."""
    import torchvision
    from torchvision import transforms

    steps = [transforms.Resize(resize)] if resize != 28 else []
    transform = transforms.Compose(steps + [transforms.ToTensor()])

    def load(download: bool):
        return (torchvision.datasets.FashionMNIST(root=str(root), train=True, transform=transform, download=download),
                torchvision.datasets.FashionMNIST(root=str(root), train=False, transform=transform, download=download))
    try:
        return load(download=False)
    except RuntimeError:
        pass  # not there yet: download, as d2l does
    try:
        return load(download=True)
    except Exception as exc:  # offline, a proxy, a full disk: say what to do instead
        detail = str(exc).splitlines()[0] if str(exc) else _("no detail")
        # Translators: {error} is the exception's type, {detail} its first line (or "no detail")
        raise DataUnavailable(_(
            "Fashion-MNIST is not in {folder} and could not be downloaded ({error}: {detail}). Run once with a "
            "network connection, copy the four *-ubyte files there (or pass --data-dir to the folder that holds "
            "FashionMNIST/), or train on --data digits or --data synthetic, which need no download.").format(
                folder=root / "FashionMNIST" / "raw", error=type(exc).__name__, detail=detail)) from None


def digits(resize: int) -> tuple[TensorDataset, TensorDataset]:
    """The digits upsampled to resize×resize, split DIGITS_TRAIN to train and the rest (500) to test."""
    X, y = digits_8x8()
    X = F.interpolate(X, size=(resize, resize), mode="bilinear", align_corners=False)
    return TensorDataset(X[:DIGITS_TRAIN], y[:DIGITS_TRAIN]), TensorDataset(X[DIGITS_TRAIN:], y[DIGITS_TRAIN:])


def synthetic(resize: int, seed: int = 0) -> tuple[TensorDataset, TensorDataset]:
    """Ten classes of noisy images, each with a bright patch in its own cell of a 4×4 grid."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (1280,), generator=generator)
    X = 0.3 * torch.rand(len(labels), 1, resize, resize, generator=generator)
    cell = max(resize // 4, 1)
    for index, label in enumerate(labels.tolist()):
        row, col = divmod(label, 4)
        X[index, 0, row * cell:(row + 1) * cell, col * cell:(col + 1) * cell] += 0.7
    return TensorDataset(X[:1024], labels[:1024]), TensorDataset(X[1024:], labels[1024:])


def load_data(name: str, *, resize: int, data_dir: Path, seed: int):
    if name == "fashion-mnist":
        return fashion_mnist(data_dir, resize)
    if name == "digits":
        return digits(resize)
    if name == "synthetic":
        return synthetic(resize, seed)
    raise ValueError(_("unknown data set {name}; choose one of {choices}").format(
        name=repr(name), choices=", ".join(DATASETS)))


def xavier(layer: nn.Module) -> None:
    """d2l's train_ch6 initialisation."""
    if type(layer) in (nn.Linear, nn.Conv2d):
        nn.init.xavier_uniform_(layer.weight)


@dataclass
class History:
    """What a run records: per-epoch figures and d2l's animator points (x in epochs): the running train
    loss and accuracy at the end of each fifth of an epoch (of each batch, in an epoch of fewer than
    five), the test accuracy before training and after each epoch."""

    epochs: list[dict] = field(default_factory=list)
    points: list[dict] = field(default_factory=list)
    examples: int = 0
    seconds: float = 0.0

    @property
    def examples_per_sec(self) -> float:
        return self.examples / self.seconds if self.seconds else 0.0


def accuracy(net: nn.Module, loader: DataLoader, device: torch.device) -> float:
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            correct += int((net(X).argmax(dim=1) == y).sum())
            total += len(y)
    return correct / total


def fifths(batches: int) -> set[int]:
    """The batches (counted from 1) that end each fifth of an epoch of ``batches``: all, if fewer than five."""
    return {math.ceil(part * batches / 5) for part in range(1, 6)}


def train(net: nn.Module, train_loader: DataLoader, test_loader: DataLoader, *, epochs: int, lr: float,
          device: torch.device, on_batch: Callable[[int, int, int], None] = lambda e, b, n: None,
          on_epoch: Callable[[dict], None] = lambda row: None) -> History:
    """d2l's train_ch6: Xavier init (Lazy layers shaped first, by a dry run on one example's shape),
    SGD, cross-entropy; evaluate on the test set before training (so that even one epoch draws a
    test curve) and after every epoch."""
    materialised(net, (1, *train_loader.dataset[0][0].shape)).apply(xavier)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    history = History(points=[{"x": 0.0, "test_acc": accuracy(net, test_loader, device)}])
    batches, marks = len(train_loader), fifths(len(train_loader))
    for epoch in range(epochs):
        net.train()
        loss_sum = correct = count = 0.0
        started = time.perf_counter()
        for index, (X, y) in enumerate(train_loader):
            X, y = X.to(device), y.to(device)
            optimizer.zero_grad()
            output = net(X)
            loss = F.cross_entropy(output, y)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                loss_sum += float(loss) * len(y)
                correct += float((output.argmax(dim=1) == y).sum())
                count += len(y)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            if index + 1 in marks:
                history.points.append({"x": epoch + (index + 1) / batches, "train_loss": loss_sum / count,
                                       "train_acc": correct / count})
            on_batch(epoch, index + 1, batches)
        history.seconds += time.perf_counter() - started
        history.examples += int(count)
        row = {"epoch": epoch + 1, "train_loss": loss_sum / count, "train_acc": correct / count,
               "test_acc": accuracy(net, test_loader, device)}
        history.points.append({"x": epoch + 1.0, "test_acc": row["test_acc"]})
        history.epochs.append(row)
        on_epoch(row)
    return history


def final_lines(history: History, device: torch.device) -> list[str]:
    """The two lines d2l's train_ch6 ends with."""
    last = history.epochs[-1]
    return [_("loss {loss:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}").format(
                loss=last["train_loss"], train_acc=last["train_acc"], test_acc=last["test_acc"]),
            _("{rate:.1f} examples/sec on {device}").format(rate=history.examples_per_sec, device=device)]


def curves(history: History) -> dict[str, list[tuple[float, float]]]:
    """The points of each curve, by key (train_loss, train_acc, test_acc): (x in epochs, value)."""
    return {key: [(p["x"], p[key]) for p in history.points if key in p] for key in ("train_loss", "train_acc", "test_acc")}


def plot(history: History, path: Path, title: str) -> None:
    """The curves as d2l's animator draws them: train loss and train acc per fifth of an epoch, test
    acc before training and per epoch; each point marked where a curve has few (a short run's).
    Its labels stay English in every language, as d2l-zh's animator draws them ("epoch", "train loss")."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5, 3.5))
    for (key, points), style in zip(curves(history).items(), ("-", "--", "-.")):
        axes.plot([x for x, _value in points], [v for _x, v in points], style,
                  marker="o" if key == "test_acc" or len(points) <= 12 else None, label=key.replace("_", " "))
    axes.set_xlabel("epoch")
    axes.set_title(title, fontsize=9)
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def write_report(history: History, out: Path, settings: dict, device: torch.device) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    figures = {**settings, "device": str(device), "torch": torch.__version__, "epochs_run": history.epochs,
               "points": history.points, "examples_per_sec": history.examples_per_sec,
               "final": history.epochs[-1], "final_lines": final_lines(history, device)}
    json_path, png_path = out / "metrics.json", out / "curves.png"
    json_path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    plot(history, png_path, f"{settings['model']} on {settings['data']} ({settings['impl_name']})")
    return png_path, json_path
