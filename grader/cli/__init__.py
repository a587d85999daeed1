"""The ``kata`` command: progress, checks with diagnosis, hints, watch mode, reset, solutions.

    kata status                  progress over every kata, in order
    kata check [KATA]            run one kata (default: the next unfinished one) and explain failures
    kata hint KATA               the next hint for a kata (the hints seen are remembered)
    kata watch [KATA]            re-check on every save
    kata reset KATA              restore a kata's stub (your file is backed up first)
    kata solution KATA           the reference solution, once your kata passes
    kata bench SUBMISSION...     time the corr2d family of passing katas; an HTML/Markdown report
    kata grade [SUBMISSION...]   grade submissions in a sandbox (default: your exercises)
    kata grade --nbgrader DIR A  grade an nbgrader course's submissions of assignment A in the sandbox
    kata train MODEL             train vgg, nin, googlenet, resnet18 or lenet-bn as d2l does
    kata gradescope build        the autograder zip to upload to Gradescope
    kata nbgrader build DIR      an nbgrader course: a notebook per d2l section, autograded by the checks

Output is plain text when not on a terminal and uses rich when it is.
"""
from __future__ import annotations

import argparse
import difflib
import os
import random
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from grader.core import stubgen
from grader.core.implementation import load_implementation
from grader.learner.editing import HintState, backup, splice_symbols, symbol_source, watch
from grader.core.manifest import Kata, Manifest, ManifestError, kata_ids, load_manifest
from grader.core.paths import EXERCISES_DIR, NAMED_IMPLEMENTATIONS, SOLUTIONS_DIR, resolve_impl
from grader.learner.progress import STATUS_LABEL, render
from grader.core.scoring import UNCREDITED_NOTE, Status

if TYPE_CHECKING:
    from grader.checks.runner import KataResult, Runner

MARK = {Status.PASSED: "✓", Status.FAILED: "✗", Status.PENDING: "…", Status.SKIPPED: "-"}
STYLE = {Status.PASSED: "green", Status.FAILED: "red", Status.PENDING: "yellow", Status.SKIPPED: "dim"}


class UsageProblem(Exception):
    """Bad input from the user: the message says what to do instead."""


class Output:
    """Plain text, or rich styling on a terminal."""

    def __init__(self):
        self.console = None
        if sys.stdout.isatty():
            from rich.console import Console
            self.console = Console(highlight=False)

    def line(self, text: str = "", style: str | None = None) -> None:
        if self.console is not None:
            self.console.print(text, style=style, markup=False)
        else:
            print(text)


def _seed(args) -> int:
    return args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)


def _runner(args, root: Path | None = None) -> Runner:
    """A runner over the files as they are now (a module imported earlier in this process is re-read)."""
    from grader.checks.runner import Runner

    impl = load_implementation(root or _exercises(args))
    impl.reload()
    return Runner(impl, _seed(args), rerun="--seed={seed}")


def _impl_root(spec: str) -> Path:
    """The folder an ``exercises``/``solutions``/PATH argument names; UsageProblem if there is none."""
    root = resolve_impl(spec)
    if not root.is_dir():
        raise UsageProblem(f"{root} is not a folder; give exercises, solutions, or a folder laid out like exercises/")
    return root


def _exercises(args) -> Path:
    path = Path(args.exercises).expanduser().resolve()
    if not path.is_dir():
        raise UsageProblem(f"{path} is not a folder; give --exercises a folder laid out like exercises/")
    return path


def _kata(manifest: Manifest, kata_id: str) -> Kata:
    try:
        return manifest.get(kata_id)
    except KeyError:
        close = difflib.get_close_matches(kata_id, [k.id for k in manifest], n=1)
        suggestion = f" — did you mean {close[0]!r}?" if close else ""
        raise UsageProblem(f"no kata {kata_id!r}{suggestion} (`kata status` lists them)") from None


def _next_unfinished(runner: Runner, manifest: Manifest) -> KataResult | None:
    for kata in manifest:
        result = runner.run_kata(kata)
        if result.status is not Status.PASSED:
            return result
    return None


def _indent(text: str, prefix: str = "      ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def show_result(out: Output, result: KataResult) -> None:
    kata = result.kata
    out.line(f"{kata.id} — {kata.title} (d2l {kata.section}, {kata.module}.py)", style="bold")
    if result.count(Status.PENDING) == result.applicable:
        stub = next(r.message for r in result.results if r.status is Status.PENDING)
        out.line(f"pending: {stub} — replace the `raise NotImplementedError` in {kata.module}.py. "
                 f"Stuck? `kata hint {kata.id}`", style="yellow")
        return
    shown: set[str] = set()
    for check in result.results:
        label = f"  {MARK[check.status]} {check.check.name} [{check.check.kind}]"
        if check.status is Status.PENDING:
            label += f" pending: {check.message}"
        elif check.status is Status.SKIPPED:
            label += f" skipped: {check.message}"
        out.line(label, style=STYLE[check.status])
        if check.status is Status.FAILED:
            out.line(_indent(check.message if check.message not in shown else "(the same error as above)"))
            shown.add(check.message)
        for warning in check.warnings:
            out.line(_indent(f"(warning, not counted: {warning})"), style="dim")
    summary = (f"{result.count(Status.PASSED)}/{result.applicable} checks passed, "
               f"{result.score:.1f}/{kata.points} points").replace(".0/", "/")
    if result.status is Status.PASSED:
        out.line(f"done: {summary}. `kata solution {kata.id}` shows the reference.", style="green")
    elif result.status is Status.PENDING:
        out.line(f"pending: {summary}; some of it is still a stub in {kata.module}.py", style="yellow")
    else:
        out.line(f"failing: {summary}. Stuck? `kata hint {kata.id}`", style="red")
    if result.uncredited:
        out.line(f"({UNCREDITED_NOTE})", style="dim")


def cmd_status(args) -> int:
    runner = _runner(args)
    render(runner.run_all(load_manifest()))
    return 0


def _submission_paths(specs: list[str]) -> list[Path]:
    """``exercises``/``solutions`` by name, else the paths as given."""
    return [resolve_impl(spec) if spec in NAMED_IMPLEMENTATIONS else Path(spec) for spec in specs]


@contextmanager
def _grading_progress(out: Output):
    """A batch.Progress: a bar on a terminal, a line per submission elsewhere."""
    from grader.grading.batch import Progress

    def line(record, skipped):
        note = " (already graded: skipped; --force regrades)" if skipped else f" in {record['seconds']:.1f} s"
        out.line(f"  {record['student']}: {record['score']:g}/{record['max_score']}{note}")

    if out.console is None:
        yield Progress(started=lambda todo, skipped: None, finished=line)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TimeElapsedColumn
    with Bar("grading", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=out.console) as bar:
        task = bar.add_task("grading", total=None)

        def started(todo, skipped):
            bar.update(task, total=todo + skipped)

        def finished(record, skipped):
            line(record, skipped)
            bar.advance(task)
        yield Progress(started=started, finished=finished)


def _nbgrader_conflicts(args) -> list[str]:
    """The options ``kata grade --nbgrader`` takes from the course instead."""
    given = {"SUBMISSION": args.submissions != ["exercises"], "--db": args.db is not None,
             "--assignment": args.assignment != "convkata", "--katas": args.katas is not None,
             "--seed": args.seed is not None, "--no-gradebook": args.no_gradebook}
    return [name for name, present in given.items() if present]


def cmd_grade(args) -> int:
    from grader.sandbox.confine import Limits
    from grader.grading.gradebook import check_database_url
    from grader.sandbox.server import ForkServer, confinement_report
    from grader.grading.submissions import SubmissionError, find_submissions

    out = Output()
    limits = Limits(wall_seconds=args.timeout, memory_bytes=args.memory << 20)
    katas, jobs = kata_ids(args.katas), args.jobs
    if args.nbgrader:
        conflicts = _nbgrader_conflicts(args)
        if conflicts:
            raise UsageProblem(f"--nbgrader takes the submissions, katas, seed and gradebook from the course; "
                               f"leave out {', '.join(conflicts)}")
        course_dir, assignment = args.nbgrader
        if not Path(course_dir).is_dir():
            raise UsageProblem(f"--nbgrader {course_dir}: no such course folder (make one with `kata nbgrader build`)")
        out_dir = Path(args.out or Path(course_dir) / "kata-grades" / assignment)
    else:
        out_dir = Path(args.out or "grades")
        jobs = min(jobs, len(args.submissions))
    try:  # bad input is reported before anything starts (imports here do not load torch)
        load_manifest().select(katas)
        if not args.nbgrader:
            find_submissions(_submission_paths(args.submissions))
        if args.db is not None:
            check_database_url(args.db)
    except (SubmissionError, ValueError) as exc:
        raise UsageProblem(str(exc)) from None
    # the sandbox warms up (imports torch, the checks) while this process does the same
    with ForkServer(max(1, jobs), limits, katas) as server:
        from grader.grading.batch import GradeOptions, grade_batch
        from grader.grading.store import GradebookError

        options = GradeOptions(out=out_dir, db_url=args.db, assignment=args.assignment,
                               gradebook=not args.no_gradebook, jobs=args.jobs,
                               limits=limits, submission_seconds=args.submission_timeout, katas=katas,
                               force=args.force, seed=args.seed)
        report = confinement_report()
        if not report["landlock_abi"]:
            out.line("warning: this kernel has no Landlock (Linux ≥ 5.13): submissions run with resource limits"
                     + (" as an unprivileged user" if report["root"] else "")
                     + " but can read files this user can read", style="yellow")
        started = time.monotonic()
        try:
            with _grading_progress(out) as progress:
                if args.nbgrader:
                    from grader.integrations.nbgrader.grading import NbgraderCourse, grade_course

                    course = NbgraderCourse(Path(course_dir), assignment)
                    records = grade_course(course, options, progress, server)
                else:
                    records = grade_batch(_submission_paths(args.submissions), options, progress, server)
        except (SubmissionError, ValueError) as exc:
            raise UsageProblem(str(exc)) from None
        except GradebookError as exc:
            print(f"kata grade: {exc}", file=sys.stderr)
            return 1
    from grader.grading.store import kata_results

    manifest = load_manifest()
    if len(records) == 1:
        results = kata_results(records[0], manifest)
        render(results)
        if args.verbose:
            for result in results:
                for check in result.results:
                    if check.status is Status.FAILED:
                        print(f"\n--- {check.check.id} [{check.check.kind}]\n{check.message}")
    total = sum(r["score"] for r in records)
    out.line(f"graded {len(records)} submission(s) in {time.monotonic() - started:.1f} s"
             + (f", class average {total / len(records):.1f}/{records[0]['max_score']}" if len(records) > 1 else ""))
    if args.nbgrader:
        out.line(f"results: nbgrader's gradebook ({course.coursedir.db_url}) and "
                 f"{course.root / course.coursedir.autograded_directory}/; "
                 f"the code graded: {out_dir / 'code'}; next: `nbgrader generate_feedback {assignment}` "
                 "in the course folder", style="dim")
        return 0
    gradebook = "" if args.no_gradebook else f", gradebook {options.db_url or out_dir / 'gradebook.db'}"
    out.line(f"results: {out_dir / 'grades.csv'}, {out_dir / 'gradescope'}/*/results.json{gradebook}", style="dim")
    return 0


def cmd_nbgrader_build(args) -> int:
    from grader.integrations.nbgrader.notebooks import build_course

    try:
        written = build_course(Path(args.course), args.assignment, kata_ids(args.katas), kernel=args.kernel,
                               seed=args.seed, force=args.force)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    out = Output()
    for path in written:
        out.line(f"wrote {path}")
    out.line(f"next, in {args.course}: `nbgrader generate_assignment {args.assignment}` (the students' version in "
             f"release/), then, once they have submitted, `kata grade --nbgrader {args.course} {args.assignment}` "
             f"or `nbgrader autograde {args.assignment}`", style="dim")
    return 0


def cmd_bench(args) -> int:
    from grader.bench.sweep import DEFAULT_SIDES, BenchOptions, benchmarked_katas, parse_sides
    from grader.sandbox.confine import Limits
    from grader.sandbox.server import ForkServer
    from grader.grading.submissions import SubmissionError, find_submissions

    out = Output()
    katas = kata_ids(args.katas)
    try:  # bad input is reported before the sandbox starts
        benchmarked_katas(load_manifest().select(katas))
        find_submissions(_submission_paths(args.submissions))
        options = BenchOptions(out=Path(args.out), sides=parse_sides(args.sizes) if args.sizes else DEFAULT_SIDES,
                               rounds=args.rounds, katas=katas,
                               grades=Path(args.grades) if args.grades else None, jobs=args.jobs,
                               limits=Limits(wall_seconds=args.timeout, memory_bytes=args.memory << 20),
                               call_seconds=args.call_seconds, seed=args.seed)
    except (SubmissionError, ValueError) as exc:
        raise UsageProblem(str(exc)) from None
    with ForkServer(max(1, min(args.jobs, len(args.submissions))), options.limits, katas) as server:
        from grader.bench.sweep import bench_batch
        from grader.bench.report import write_report

        def timed_line(student, timings):
            parts = [f"{kata} {t['ratio_to_reference']['submission'][-1]:.3g}× the reference at {t['sides'][-1]}²"
                     if t["benchmarked"] else f"{kata} not timed" for kata, t in timings.items()]
            out.line(f"  {student}: {'; '.join(parts)}")

        try:
            with _grading_progress(out) as progress:
                summary = bench_batch(_submission_paths(args.submissions), options, server, progress, timed_line)
        except (SubmissionError, ValueError) as exc:
            raise UsageProblem(str(exc)) from None
    files = write_report(summary, options.out)
    out.line(f"report: {files['report.html']}, {files['report.md']}; raw data: {options.out / 'bench.json'}")
    return 0


def cmd_gradescope_build(args) -> int:
    from grader.integrations.gradescope import build_autograder

    try:
        names = build_autograder(Path(args.out), kata_ids(args.katas))
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    Output().line(f"wrote {args.out} ({len(names)} files; katas: {args.katas or 'all'}): upload it as the "
                  "autograder of a Gradescope programming assignment (base image Ubuntu 22.04 or 24.04)")
    return 0


def cmd_check(args) -> int:
    out = Output()
    manifest = load_manifest()
    runner = _runner(args)
    if args.kata:
        result = runner.run_kata(_kata(manifest, args.kata))
    else:
        result = _next_unfinished(runner, manifest)
        if result is None:
            out.line(f"every kata is done — {manifest.total_points}/{manifest.total_points} points.", style="green")
            return 0
    show_result(out, result)
    return 0 if result.status is Status.PASSED else 1


def cmd_hint(args) -> int:
    out = Output()
    kata = _kata(load_manifest(), args.kata)
    state = HintState(_exercises(args).parent / ".kata" / "state.json")
    level = state.reveal(kata)
    out.line(f"{kata.id} — hint {level} of {len(kata.hints)}:", style="bold")
    for number, hint in enumerate(kata.hints[:level], start=1):
        out.line(f"  {number}. {hint}")
    if level < len(kata.hints):
        out.line(f"(`kata hint {kata.id}` again for the next one)", style="dim")
    else:
        out.line("(that was the last hint)", style="dim")
    return 0


def cmd_reset(args) -> int:
    out = Output()
    manifest = load_manifest()
    kata = _kata(manifest, args.kata)
    exercises = _exercises(args)
    path = exercises / f"{kata.module}.py"
    stub = stubgen.generate()[path.name]
    backups = exercises.parent / ".kata" / "backups"
    if not path.exists():
        path.write_text(stub, encoding="utf-8")
        out.line(f"{path.name} was missing: wrote the stub file.")
        return 0
    saved = backup(path, backups)
    try:
        text = splice_symbols(path.read_text(encoding="utf-8"), stub, kata.symbols)
        what = f"restored the stub of {kata.id} ({', '.join(kata.symbols)}) in {path}"
    except SyntaxError as exc:
        text = stub
        others = [k.id for k in manifest if k.module == kata.module and k.id != kata.id]
        what = (f"{path.name} does not parse ({exc.msg}, line {exc.lineno}), so the whole file was restored "
                f"from its stub" + (f" — this also resets {', '.join(others)}" if others else ""))
    path.write_text(text, encoding="utf-8")
    out.line(what)
    out.line(f"your previous file is saved as {saved}")
    return 0


def cmd_solution(args) -> int:
    out = Output()
    kata = _kata(load_manifest(), args.kata)
    result = _runner(args).run_kata(kata)
    if result.status is not Status.PASSED:
        out.line(f"the solution of {kata.id} is shown once your kata passes; it is {STATUS_LABEL[result.status]} "
                 f"({result.count(Status.PASSED)}/{result.applicable} checks). Try `kata check {kata.id}` "
                 f"or `kata hint {kata.id}`.")
        return 1
    source = (SOLUTIONS_DIR / f"{kata.module}.py").read_text(encoding="utf-8")
    out.line(f"# the reference {kata.id} (solutions/{kata.module}.py)", style="bold")
    for symbol in kata.symbols:
        out.line(stubgen.strip_markers(symbol_source(source, symbol)).rstrip("\n"))
    return 0


def cmd_watch(args) -> int:
    out = Output()
    manifest = load_manifest()
    exercises = _exercises(args)
    runner = _runner(args, exercises)
    impl = runner.impl
    kata = _kata(manifest, args.kata) if args.kata else None

    def check(changed=()) -> None:
        started = time.perf_counter()
        impl.reload()
        result = runner.run_kata(kata) if kata else _next_unfinished(runner, manifest)
        if result is not None:
            runner.prepare(result.kata)
        if changed:
            out.line(f"\n— {', '.join(p.name for p in changed)} changed —", style="dim")
        if result is None:
            out.line("every kata is done.", style="green")
        else:
            show_result(out, result)
        out.line(f"(checked in {time.perf_counter() - started:.2f} s; watching {exercises}, Ctrl-C to stop)",
                 style="dim")
        sys.stdout.flush()

    check()
    try:
        watch(exercises, check, timeout=args.stop_after)
    except KeyboardInterrupt:
        out.line("stopped watching.")
    return 0


@contextmanager
def _epoch_progress(out: Output, epochs: int):
    """An ``on_batch(epoch, done, total)`` callback: a progress bar per epoch on a terminal, nothing
    elsewhere (the epoch lines say it all in logs)."""
    if out.console is None:
        yield lambda epoch, done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=out.console, transient=True) as progress:
        tasks = {}

        def on_batch(epoch, done, total):
            if epoch not in tasks:
                tasks[epoch] = progress.add_task(f"epoch {epoch + 1}/{epochs}", total=total)
            progress.update(tasks[epoch], completed=done)
        yield on_batch


def cmd_train(args) -> int:
    import torch
    from torch.utils.data import DataLoader

    from grader.training import train as training
    from grader.core.implementation import ImplementationImportError
    from grader.training.models import MODELS

    out = Output()
    model = MODELS[args.model]
    size = args.resize or model.resize
    try:
        model.check_size(size)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageProblem("--device cuda, but torch sees no CUDA device here; use --device cpu")
    impl = load_implementation(_impl_root(args.impl))
    impl.reload()
    torch.manual_seed(args.seed)
    try:
        net = model.network(impl)
    except NotImplementedError as exc:
        raise UsageProblem(f"{args.model} is built from your {model.module}.py, which is not finished ({exc}); "
                           f"see `kata status`, or train the reference with --impl solutions") from None
    except ImplementationImportError as exc:
        raise UsageProblem(str(exc)) from None
    try:
        train_set, test_set = training.load_data(args.data, resize=size, data_dir=Path(args.data_dir), seed=args.seed)
    except training.DataUnavailable as exc:
        print(f"kata train: {exc}", file=sys.stderr)
        return 1
    batch_size = args.batch_size or model.batch_size
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True,
                              generator=torch.Generator().manual_seed(args.seed))
    test_loader = DataLoader(test_set, batch_size=batch_size)
    epochs, lr = args.epochs or model.epochs, args.lr or model.lr
    out.line(f"training {args.model} ({impl.root.name}) on {args.data} at {size}×{size}: {epochs} epochs, "
             f"lr {lr}, batch size {batch_size}, {len(train_set)} training examples; training on {device}")

    def epoch_line(row):
        out.line(f"epoch {row['epoch']}/{epochs}: loss {row['train_loss']:.3f}, train acc {row['train_acc']:.3f}, "
                 f"test acc {row['test_acc']:.3f}")

    try:
        with _epoch_progress(out, epochs) as on_batch:
            history = training.train(net, train_loader, test_loader, epochs=epochs, lr=lr, device=device,
                                     on_batch=on_batch, on_epoch=epoch_line)
    except NotImplementedError as exc:
        raise UsageProblem(f"{args.model} is built from your {model.module}.py, which is not finished ({exc})") from None
    except Exception as exc:  # the learner's network failed: show where, in their code
        print(f"kata train: training {args.model} failed:\n{impl.format_exception(exc)}", file=sys.stderr)
        return 1
    for line in training.final_lines(history, device):
        out.line(line)
    run = Path(args.out) if args.out else Path("runs") / f"{args.model}-{args.data}-{time.strftime('%Y%m%d-%H%M%S')}"
    settings = {"model": args.model, "data": args.data, "impl": str(impl.root), "impl_name": impl.root.name,
                "epochs": epochs, "lr": lr, "batch_size": batch_size, "resize": size, "seed": args.seed}
    png, figures = training.write_report(history, run, settings, device)
    out.line(f"curves: {png}\nfigures: {figures}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kata", description="convkata: katas for d2l's convolution chapters",
                                     epilog=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--exercises", default=os.environ.get("KATA_EXERCISES", str(EXERCISES_DIR)),
                        help="your exercises folder (default: exercises/, or $KATA_EXERCISES)")
    common.add_argument("--seed", type=int, default=None, help="seed for the generated inputs (default: random)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, handler, help_text):
        sub = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    add("status", cmd_status, "progress over every kata, in order")
    add("check", cmd_check, "run one kata (default: the next unfinished one) and explain failures").add_argument(
        "kata", nargs="?", help="kata id (see `kata status`)")
    add("hint", cmd_hint, "show the next hint for a kata").add_argument("kata")
    watcher = add("watch", cmd_watch, "re-check a kata (default: the next unfinished one) on every save")
    watcher.add_argument("kata", nargs="?")
    watcher.add_argument("--stop-after", type=float, default=None, metavar="SECONDS",
                         help="stop watching after SECONDS (default: until Ctrl-C)")
    add("reset", cmd_reset, "restore a kata's stub; your file is backed up first").add_argument("kata")
    add("solution", cmd_solution, "show the reference solution of a kata you have passed").add_argument("kata")
    trainer = commands.add_parser("train", help="train a network built from your katas, as d2l's train_ch6 does",
                                  description="train a network built from your katas, as d2l's train_ch6 does")
    trainer.set_defaults(handler=cmd_train)
    trainer.add_argument("model", choices=["vgg", "nin", "googlenet", "resnet18", "lenet-bn"])
    trainer.add_argument("--impl", default="exercises", help="exercises (default), solutions, or a folder")
    trainer.add_argument("--data", default="fashion-mnist", choices=["fashion-mnist", "digits", "synthetic"],
                         help="Fashion-MNIST (downloaded when online), scikit-learn's digits, or synthetic images")
    trainer.add_argument("--data-dir", default="data", help="where Fashion-MNIST is, or goes (default: ./data)")
    trainer.add_argument("--epochs", type=int, default=None, help="default: d2l's 10")
    trainer.add_argument("--lr", type=float, default=None, help="default: d2l's for the model")
    trainer.add_argument("--batch-size", type=int, default=None, help="default: d2l's for the model")
    trainer.add_argument("--resize", type=int, default=None, help="input size (default: d2l's for the model)")
    trainer.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    trainer.add_argument("--out", default=None, help="folder for curves.png and metrics.json (default: runs/...)")
    trainer.add_argument("--seed", type=int, default=0, help="seed for initialisation and shuffling (default: 0)")
    grade = add("grade", cmd_grade, "grade submissions in a sandbox: scores, Gradescope files, CSV, nbgrader gradebook")
    grade.add_argument("submissions", nargs="*", default=["exercises"], metavar="SUBMISSION",
                       help="folders laid out like exercises/ or .zip files of one (default: exercises)")
    grade.add_argument("--nbgrader", nargs=2, default=None, metavar=("COURSE_DIR", "ASSIGNMENT"),
                       help="grade an nbgrader course's submitted notebooks of ASSIGNMENT into its gradebook "
                            "(built with `kata nbgrader build`)")
    grade.add_argument("--out", default=None,
                       help="output folder (default: ./grades; with --nbgrader COURSE_DIR/kata-grades/ASSIGNMENT)")
    grade.add_argument("--db", default=None, metavar="URL",
                       help="nbgrader gradebook as an SQLAlchemy URL (default: sqlite:///OUT/gradebook.db)")
    grade.add_argument("--assignment", default="convkata", help="assignment name in the gradebook (default: convkata)")
    grade.add_argument("--no-gradebook", action="store_true",
                       help="skip nbgrader's gradebook (Gradescope, Classroom: seconds of start-up saved)")
    grade.add_argument("--katas", default=None, metavar="IDS", help="comma-separated kata ids (default: every kata)")
    grade.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="submissions graded at once")
    grade.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="wall-clock limit per kata")
    grade.add_argument("--submission-timeout", type=float, default=None, metavar="SECONDS",
                       help="wall-clock limit for all of a submission's katas together (default: none)")
    grade.add_argument("--memory", type=int, default=4096, metavar="MB", help="memory limit per kata (default 4096)")
    grade.add_argument("--force", action="store_true", help="regrade submissions graded before")
    grade.add_argument("--verbose", "-v", action="store_true", help="print every failing check's diagnosis")
    bench = add("bench", cmd_bench, "time the corr2d family of katas of each submission that passes them, "
                                    "beside the reference and F.conv2d, in the sandbox; write an HTML and Markdown report")
    bench.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                       help="folders laid out like exercises/ or .zip files of one")
    bench.add_argument("--out", default="bench-report", help="output folder (default: ./bench-report)")
    bench.add_argument("--sizes", default=None, metavar="SIDES",
                       help="image sides n (n×n images), comma-separated (default: 32,64,…,2048)")
    bench.add_argument("--rounds", type=int, default=6,
                       help="interleaved timing rounds per side (default: 6, every order of the three contenders once)")
    bench.add_argument("--call-seconds", type=float, default=1.0, metavar="SECONDS",
                       help="a sweep stops after a side where one call took longer (default: 1)")
    bench.add_argument("--grades", default=None, metavar="DIR",
                       help="take the grades from an earlier `kata grade --out DIR` (default: grade into OUT/grades)")
    bench.add_argument("--katas", default=None, metavar="IDS",
                       help="comma-separated kata ids to grade (default: every kata); those of the family are timed")
    bench.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="submissions graded at once")
    bench.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                       help="wall-clock limit per kata, for grading and for each sweep (default: 60)")
    bench.add_argument("--memory", type=int, default=4096, metavar="MB", help="memory limit per kata (default 4096)")
    gradescope = commands.add_parser("gradescope", help="Gradescope: the autograder zip",
                                     description="Gradescope: the autograder zip (its run_autograder runs "
                                                 "`python -m grader.integrations.gradescope run`)")
    actions = gradescope.add_subparsers(dest="action", required=True, metavar="ACTION")
    builder = actions.add_parser("build", help="write the autograder zip to upload to Gradescope",
                                 description="write the autograder zip to upload to Gradescope")
    builder.set_defaults(handler=cmd_gradescope_build)
    builder.add_argument("--out", default="autograder.zip", help="the zip to write (default: ./autograder.zip)")
    builder.add_argument("--katas", default=None, metavar="IDS", help="comma-separated kata ids (default: every kata)")
    course = commands.add_parser("nbgrader", help="nbgrader: a course of notebooks built from the katas",
                                 description="nbgrader: a course of notebooks built from the katas")
    course_actions = course.add_subparsers(dest="action", required=True, metavar="ACTION")
    course_builder = course_actions.add_parser(
        "build", help="write nbgrader_config.py and source/ASSIGNMENT/<module>.ipynb, one notebook per d2l section",
        description="write nbgrader_config.py and source/ASSIGNMENT/<module>.ipynb, one notebook per d2l section")
    course_builder.set_defaults(handler=cmd_nbgrader_build)
    course_builder.add_argument("course", metavar="COURSE_DIR", help="the nbgrader course folder (made if missing)")
    course_builder.add_argument("--assignment", default="convkata", help="the assignment's name (default: convkata)")
    course_builder.add_argument("--katas", default=None, metavar="IDS",
                                help="comma-separated kata ids (default: every kata)")
    course_builder.add_argument("--kernel", default="python3",
                                help="the Jupyter kernel, one that can import convkata (default: python3)")
    course_builder.add_argument("--seed", type=int, default=None,
                                help="the grading seed (default: the assignment's, else a random one)")
    course_builder.add_argument("--force", action="store_true", help="replace notebooks that differ (backed up first)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (UsageProblem, ManifestError) as exc:
        print(f"kata {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
