"""The learner's commands: status, check, hint, watch, reset, solution."""
from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from grader.cli import options
from grader.cli.common import Output, add_command, find_kata, implementation_root, runner
from grader.core import stubgen
from grader.core.backups import backup
from grader.core.manifest import Manifest, load_manifest
from grader.core.paths import SOLUTIONS_DIR
from grader.core.scoring import UNCREDITED_NOTE, Status
from grader.learner.editing import splice_symbols, symbol_source
from grader.learner.hints import HintState
from grader.learner.progress import STATUS_LABEL, render
from grader.learner.watch import watch

if TYPE_CHECKING:
    from grader.checks.runner import KataResult, Runner

MARK = {Status.PASSED: "✓", Status.FAILED: "✗", Status.PENDING: "…", Status.SKIPPED: "-"}
STYLE = {Status.PASSED: "green", Status.FAILED: "red", Status.PENDING: "yellow", Status.SKIPPED: "dim"}


def register(commands) -> None:
    """Add status, check, hint, watch, reset and solution to ``commands``."""
    parents = (options.implementation(), options.seed())
    add_command(commands, "status", cmd_status, "progress over every kata, in order", parents)
    add_command(commands, "check", cmd_check, "run one kata (default: the next unfinished one) and explain failures",
                parents).add_argument("kata", nargs="?", help="kata id (see `kata status`)")
    add_command(commands, "hint", cmd_hint, "show the next hint for a kata (default: the next unfinished one)",
                parents).add_argument("kata", nargs="?", help="kata id (see `kata status`)")
    watcher = add_command(commands, "watch", cmd_watch,
                          "re-check a kata (default: the next unfinished one) on every save", parents)
    watcher.add_argument("kata", nargs="?")
    watcher.add_argument("--stop-after", type=float, default=None, metavar="SECONDS",
                         help="stop watching after SECONDS (default: until Ctrl-C)")
    add_command(commands, "reset", cmd_reset, "restore a kata's stub; your file is backed up first",
                parents).add_argument("kata")
    add_command(commands, "solution", cmd_solution, "show the reference solution of a kata you have passed",
                parents).add_argument("kata")


def next_unfinished(runner: Runner, manifest: Manifest) -> KataResult | None:
    """The result of the first kata that does not pass, in order; None when every one does."""
    for kata in manifest:
        result = runner.run_kata(kata)
        if result.status is not Status.PASSED:
            return result
    return None


def _indent(text: str, prefix: str = "      ") -> str:
    """``text`` with every line indented."""
    return "\n".join(prefix + line for line in text.splitlines())


def _show_checks(out: Output, result: KataResult) -> None:
    """A line per check; a failing one's diagnosis under it (once, when checks fail alike)."""
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


def show_result(out: Output, result: KataResult) -> None:
    """A kata's checks, their diagnoses, its score and what to do next."""
    kata = result.kata
    out.line(f"{kata.id} — {kata.title} (d2l {kata.section}, {kata.module}.py)", style="bold")
    if result.count(Status.PENDING) == result.applicable:
        stub = next(r.message for r in result.results if r.status is Status.PENDING)
        out.line(f"pending: {stub} — replace the `raise NotImplementedError` in {kata.module}.py. "
                 f"Stuck? `kata hint {kata.id}`", style="yellow")
        return
    _show_checks(out, result)
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
    """kata status: the progress table."""
    render(runner(args).run_all(load_manifest()))
    return 0


def cmd_check(args) -> int:
    """kata check [KATA]: run one kata and explain its failures; 1 unless it passes."""
    out = Output()
    manifest = load_manifest()
    kata_runner = runner(args)
    if args.kata:
        result = kata_runner.run_kata(find_kata(manifest, args.kata))
    else:
        result = next_unfinished(kata_runner, manifest)
        if result is None:
            out.line(f"every kata is done — {manifest.total_points}/{manifest.total_points} points.", style="green")
            return 0
    show_result(out, result)
    return 0 if result.status is Status.PASSED else 1


def cmd_hint(args) -> int:
    """kata hint [KATA]: the hints seen so far and the next one, for KATA or the next unfinished kata."""
    out = Output()
    manifest = load_manifest()
    if args.kata:
        kata = find_kata(manifest, args.kata)
    else:
        unfinished = next_unfinished(runner(args), manifest)
        if unfinished is None:
            out.line("every kata is done: no hint needed.", style="green")
            return 0
        kata = unfinished.kata
    state = HintState(implementation_root(args.impl).parent / ".kata" / "state.json")
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
    """kata reset KATA: put its stub back, the learner's file backed up first."""
    out = Output()
    manifest = load_manifest()
    kata = find_kata(manifest, args.kata)
    exercises = implementation_root(args.impl)
    path = exercises / f"{kata.module}.py"
    stub = stubgen.generate()[path.name]
    if not path.exists():
        path.write_text(stub, encoding="utf-8")
        out.line(f"{path.name} was missing: wrote the stub file.")
        return 0
    saved = backup(path, exercises.parent / ".kata" / "backups")
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
    """kata solution KATA: the reference code, once the learner's kata passes."""
    out = Output()
    kata = find_kata(load_manifest(), args.kata)
    result = runner(args).run_kata(kata)
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
    """kata watch [KATA]: check again on every save, until Ctrl-C (or --stop-after)."""
    out = Output()
    manifest = load_manifest()
    exercises = implementation_root(args.impl)
    kata_runner = runner(args, exercises)
    kata = find_kata(manifest, args.kata) if args.kata else None

    def check(changed=()) -> None:
        started = time.perf_counter()
        kata_runner.impl.reload()
        result = kata_runner.run_kata(kata) if kata else next_unfinished(kata_runner, manifest)
        if result is not None:
            kata_runner.prepare(result.kata)
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
