"""`kata train`: d2l's training harness on the learner's or the reference's networks."""
import json
import struct
import subprocess
import sys

import numpy as np
import pytest
import torch

from grader.cli import main
from grader.core import stubgen


def train(capsys, *args):
    code = main(["train", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def resnet18_on_digits(job, config) -> subprocess.CompletedProcess:
    """`kata train resnet18` for an epoch of digits, as a learner runs it (seconds of training)."""
    return job.run([sys.executable, "-m", "grader.cli", "train", "resnet18", "--impl", "solutions", "--data",
                    "digits", "--epochs", "1", "--resize", "32", "--out", str(job.root / "run")])


BACKGROUND = {"resnet18_on_digits": resnet18_on_digits}


def test_resnet18_on_digits_reports_like_train_ch6_and_writes_curves_and_figures(background):
    completed = background["resnet18_on_digits"].result()
    code, out = completed.returncode, completed.stdout + completed.stderr
    run = background["resnet18_on_digits"].root / "run"
    assert code == 0, out
    assert "training on cpu" in out and "epoch 1/1: loss " in out
    figures = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    last = figures["final"]
    assert f"loss {last['train_loss']:.3f}, train acc {last['train_acc']:.3f}, test acc {last['test_acc']:.3f}" in out
    assert f"{figures['examples_per_sec']:.1f} examples/sec on cpu" in out
    assert [row["epoch"] for row in figures["epochs_run"]] == [1]
    assert 0.0 <= last["test_acc"] <= 1.0 and figures["examples_per_sec"] > 0
    assert figures["model"] == "resnet18" and figures["data"] == "digits" and figures["resize"] == 32
    train_x = [point["x"] for point in figures["points"] if "train_loss" in point]
    assert len(train_x) > 1 and train_x[-1] == 1.0  # the curves of one epoch: a point per fifth of it
    assert [point["x"] for point in figures["points"] if "test_acc" in point] == [0.0, 1.0]
    assert (run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def write_idx(path, array: np.ndarray) -> None:
    """The IDX format Fashion-MNIST ships in: magic (unsigned bytes, n dims), the dims, the data."""
    header = struct.pack(">I", 0x0800 | array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def fake_fashion_mnist(root, train=64, test=32):
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, count in (("train", train), ("t10k", test)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (count, 28, 28)))
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, (count,)))


def test_fashion_mnist_files_train_through_the_download_path(tmp_path, capsys):
    fake_fashion_mnist(tmp_path / "data")
    code, out = train(capsys, "lenet-bn", "--impl", "solutions", "--data", "fashion-mnist", "--data-dir",
                      str(tmp_path / "data"), "--epochs", "1", "--out", str(tmp_path / "run"))
    assert code == 0, out
    assert "64 training examples" in out and "epoch 1/1" in out
    figures = json.loads((tmp_path / "run" / "metrics.json").read_text(encoding="utf-8"))
    assert figures["final"]["test_acc"] in {k / 32 for k in range(33)}


def test_fashion_mnist_offline_and_absent_is_a_clear_error(tmp_path, capsys, monkeypatch):
    import torchvision
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "mirrors", ["http://127.0.0.1:9/"])  # refuses at once
    code, out = train(capsys, "lenet-bn", "--impl", "solutions", "--data", "fashion-mnist", "--data-dir",
                      str(tmp_path / "empty"), "--epochs", "1", "--out", str(tmp_path / "run"))
    assert code == 1
    assert "Fashion-MNIST is not in" in out and "could not be downloaded" in out and "--data digits" in out
    assert not (tmp_path / "run").exists()


def test_untouched_stubs_and_wrong_sizes_are_usage_errors(tmp_path, capsys):
    stubgen.write(tmp_path / "stubs", backup_dir=tmp_path / "backups")
    code, out = train(capsys, "resnet18", "--impl", str(tmp_path / "stubs"), "--data", "synthetic")
    assert code == 2 and "which is not finished (resnet18: implement resnet18 (d2l 8.6))" in out
    code, out = train(capsys, "vgg", "--impl", "solutions", "--data", "synthetic", "--resize", "32")
    assert code == 2 and "vgg takes 224×224 inputs only" in out


def test_synthetic_data_is_learnable(tmp_path, capsys):
    code, out = train(capsys, "lenet-bn", "--impl", "solutions", "--data", "synthetic", "--epochs", "3",
                      "--lr", "0.5", "--batch-size", "32", "--out", str(tmp_path / "run"))
    assert code == 0, out
    figures = json.loads((tmp_path / "run" / "metrics.json").read_text(encoding="utf-8"))
    assert figures["final"]["test_acc"] > 0.5


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_training_on_cuda(tmp_path, capsys):
    code, out = train(capsys, "resnet18", "--impl", "solutions", "--data", "digits", "--epochs", "1",
                      "--device", "cuda", "--out", str(tmp_path / "run"))
    assert code == 0, out
    assert "examples/sec on cuda" in out


def test_lazy_layers_are_shaped_then_initialised_as_train_ch6_does():
    """d2l 1.0 writes networks with Lazy layers: a dry run on one example's shape shapes them, and
    Xavier's bound (sqrt(6 / 400) ≈ 0.122 here) then replaces torch's default (1 / sqrt(200) ≈ 0.071)."""
    from torch.utils.data import DataLoader, TensorDataset

    from grader.training.train import train as train_ch6

    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(200), torch.nn.ReLU(), torch.nn.LazyLinear(10))
    data = DataLoader(TensorDataset(torch.rand(8, 1, 10, 20), torch.randint(0, 10, (8,))), batch_size=4)
    train_ch6(net, data, data, epochs=0, lr=0.1, device=torch.device("cpu"))
    assert type(net[1]) is torch.nn.Linear and net[1].weight.shape == (200, 200)
    assert net[1].weight.abs().max() > 0.1


@pytest.mark.parametrize("batches, train_x", [(1, [1.0]), (3, [1 / 3, 2 / 3, 1.0]), (12, [3 / 12, 5 / 12, 8 / 12, 10 / 12, 1.0])])
def test_a_one_epoch_run_draws_curves_of_several_points(tmp_path, batches, train_x):
    """Train loss and accuracy at each fifth of the epoch (each batch of a shorter one), test accuracy
    before and after it: even one batch draws a test curve, and every point of a short curve is marked."""
    from torch.utils.data import DataLoader, TensorDataset

    from grader.training import train as training

    data = DataLoader(TensorDataset(torch.rand(2 * batches, 1, 4, 4), torch.randint(0, 10, (2 * batches,))), batch_size=2)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 10))
    history = training.train(net, data, data, epochs=1, lr=0.1, device=torch.device("cpu"))
    curves = training.curves(history)
    assert [x for x, _ in curves["train_loss"]] == pytest.approx(train_x)
    assert [x for x, _ in curves["train_acc"]] == pytest.approx(train_x)
    assert [x for x, _ in curves["test_acc"]] == [0.0, 1.0]
    assert len(history.points) == len(train_x) + 2 > 1
    training.plot(history, tmp_path / "curves.png", "one epoch")
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
