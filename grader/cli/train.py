"""``kata train``: train a network built from the learner's katas, as d2l's train_ch6 does."""
from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from grader.cli import options
from grader.cli.common import Output, UsageProblem, add_command, implementation_root
from grader.core.i18n import N_, _
from grader.core.implementation import ImplementationImportError, load_implementation

# torch and grader.training (torch, torchvision, matplotlib) are imported when the command runs,
# never at `kata --help` time.

HELP = N_("train a network built from your katas, as d2l's train_ch6 does")
MODELS = ["vgg", "nin", "googlenet", "resnet18", "lenet-bn"]


def register(commands) -> None:
    """Add ``kata train`` to ``commands``."""
    trainer = add_command(commands, "train", cmd_train, _(HELP), (
        options.implementation(), options.seed(0, _("seed for initialisation and shuffling (default: 0)"))))
    trainer.add_argument("model", choices=MODELS)
    trainer.add_argument("--data", default="fashion-mnist", choices=["fashion-mnist", "digits", "synthetic"],
                         help=_("Fashion-MNIST (downloaded when online), scikit-learn's digits, or synthetic images"))
    trainer.add_argument("--data-dir", default="data", help=_("where Fashion-MNIST is, or goes (default: ./data)"))
    trainer.add_argument("--epochs", type=int, default=None, help=_("default: d2l's 10"))
    trainer.add_argument("--lr", type=float, default=None, help=_("default: d2l's for the model"))
    trainer.add_argument("--batch-size", type=int, default=None, help=_("default: d2l's for the model"))
    trainer.add_argument("--resize", type=int, default=None, help=_("input size (default: d2l's for the model)"))
    trainer.add_argument("--device", default=None, help=_("cpu or cuda (default: cuda when available)"))
    trainer.add_argument("--out", default=None,
                         help=_("folder for curves.png and metrics.json (default: runs/...)"))


@contextmanager
def _epoch_progress(out: Output, epochs: int):
    """An ``on_batch(epoch, done, total)`` callback: a progress bar per epoch on a terminal, nothing
    elsewhere (the epoch lines say it all in logs)."""
    if out.console is None:
        yield lambda epoch, done, total: None
        return
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=out.console, transient=True) as progress:
        tasks = {}

        def on_batch(epoch, done, total):
            if epoch not in tasks:
                tasks[epoch] = progress.add_task(_("epoch {epoch}/{epochs}").format(epoch=epoch + 1, epochs=epochs),
                                                 total=total)
            progress.update(tasks[epoch], completed=done)
        yield on_batch


def _device(args):
    """The torch device of --device (default: cuda when there is one); UsageProblem for cuda without one."""
    import torch

    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageProblem(_("--device cuda, but torch sees no CUDA device here; use --device cpu"))
    return device


def _network(args, model):
    """The implementation and the model's network built from it; UsageProblem if it cannot be built."""
    import torch

    impl = load_implementation(implementation_root(args.impl))
    impl.reload()
    torch.manual_seed(args.seed)
    try:
        return impl, model.network(impl)
    except NotImplementedError as exc:
        # Translators: {file} is a kata file such as "resnet.py"; {error} says what is not implemented
        raise UsageProblem(_("{model} is built from your {file}, which is not finished ({error}); see `kata status`, "
                             "or train the reference with --impl solutions").format(
                                 model=args.model, file=f"{model.module}.py", error=exc)) from None
    except ImplementationImportError as exc:
        raise UsageProblem(str(exc)) from None


def _loaders(train_set, test_set, batch_size: int, seed: int):
    """The shuffled (seeded) training loader and the test loader."""
    import torch
    from torch.utils.data import DataLoader

    return (DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)),
            DataLoader(test_set, batch_size=batch_size))


def _report(out: Output, args, history, device, settings: dict) -> None:
    """The final lines, and the curves and figures written into the run's folder."""
    from grader.training import train as training

    for line in training.final_lines(history, device):
        out.line(line)
    run = Path(args.out) if args.out else Path("runs") / f"{args.model}-{args.data}-{time.strftime('%Y%m%d-%H%M%S')}"
    png, figures = training.write_report(history, run, settings, device)
    out.line(_("curves: {png}\nfigures: {figures}").format(png=png, figures=figures))


def cmd_train(args) -> int:
    """kata train MODEL: load the data, build the network from the katas, train it, write the curves."""
    from grader.training import train as training
    from grader.training.models import MODELS as MODEL_SPECS

    out = Output()
    model = MODEL_SPECS[args.model]
    size = args.resize or model.resize
    try:
        model.check_size(size)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    device = _device(args)
    impl, net = _network(args, model)
    try:
        train_set, test_set = training.load_data(args.data, resize=size, data_dir=Path(args.data_dir), seed=args.seed)
    except training.DataUnavailable as exc:
        out.error(f"kata train: {exc}")
        return 1
    batch_size = args.batch_size or model.batch_size
    train_loader, test_loader = _loaders(train_set, test_set, batch_size, args.seed)
    epochs, lr = args.epochs or model.epochs, args.lr or model.lr
    # Translators: {impl} is the implementation's folder (exercises, solutions), {data} a data set id such as digits
    out.line(_("training {model} ({impl}) on {data} at {size}×{size}: {epochs} epochs, lr {lr}, batch size "
               "{batch_size}, {examples} training examples; training on {device}").format(
                   model=args.model, impl=impl.root.name, data=args.data, size=size, epochs=epochs, lr=lr,
                   batch_size=batch_size, examples=len(train_set), device=device))

    def epoch_line(row):
        out.line(_("epoch {epoch}/{epochs}: loss {loss:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}").format(
            epoch=row["epoch"], epochs=epochs, loss=row["train_loss"], train_acc=row["train_acc"],
            test_acc=row["test_acc"]))

    try:
        with _epoch_progress(out, epochs) as on_batch:
            history = training.train(net, train_loader, test_loader, epochs=epochs, lr=lr, device=device,
                                     on_batch=on_batch, on_epoch=epoch_line)
    except NotImplementedError as exc:
        raise UsageProblem(_("{model} is built from your {file}, which is not finished ({error})").format(
            model=args.model, file=f"{model.module}.py", error=exc)) from None
    except Exception as exc:  # noqa: BLE001 — the learner's network failed: show where, in their code
        out.error("kata train: " + _("training {model} failed:").format(model=args.model)
                  + f"\n{impl.format_exception(exc)}")
        return 1
    settings = {"model": args.model, "data": args.data, "impl": str(impl.root), "impl_name": impl.root.name,
                "epochs": epochs, "lr": lr, "batch_size": batch_size, "resize": size, "seed": args.seed}
    _report(out, args, history, device, settings)
    return 0
