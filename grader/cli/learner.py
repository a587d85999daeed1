"""The learner's commands: status, check, hint, watch, reset, solution."""
from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from grader.cli import options
from grader.cli.common import Output, add_command, find_kata, implementation_root, runner
from grader.core import stubgen
from grader.core.backups import backup
from grader.core.manifest import Kata, Manifest, load_manifest
from grader.core.paths import SOLUTIONS_DIR
from grader.core.scoring import UNCREDITED_NOTE, Status
from grader.learner.editing import splice_symbols, symbol_source
from grader.learner.hints import HintState
from grader.learner.progress import STATUS_LABEL, Verdict, render
from grader.learner.verdicts import VerdictCache
from grader.learner.watch import watch

if TYPE_CHECKING:
    from grader.checks.runner import KataResult, Runner

MARK = {Status.PASSED: "✓", Status.FAILED: "✗", Status.PENDING: "…", Status.SKIPPED: "-"}
STYLE = {Status.PASSED: "green", Status.FAILED: "red", Status.PENDING: "yellow", Status.SKIPPED: "dim"}


def register(commands) -> None:
    """Add status, check, hint, watch, reset and solution to ``commands``."""
    parents = (options.implementation(), options.seed())
    add_command(commands, "status", cmd_status, "progress over every kata, in order", parents).add_argument(
        "--rerun", action="store_true", help="check every kata again (default: katas unchanged since they were "
                                             "last checked keep that verdict)")
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


class KeptRuns:
    """Runs katas in the learner's implementation and keeps their verdicts (``kata status`` reads
    them back); the runner, and torch with it, is made only when a kata has to run."""

    def __init__(self, args):
        self.args = args
        self.cache = VerdictCache(implementation_root(args.impl), args.seed)
        self._runner: Runner | None = None

    @property
    def runner(self) -> Runner:
        if self._runner is None:
            self._runner = runner(self.args, self.cache.root)
        return self._runner

    def run(self, kata: Kata, key: str | None = None) -> KataResult:
        """Run ``kata`` now, and keep its verdict under ``key`` (default: its key now, taken before it runs)."""
        key = key or self.cache.key(kata)
        result = self.runner.run_kata(kata)
        self.cache.put(Verdict.of(result), key)
        return result

    def verdict(self, kata: Kata) -> tuple[Verdict, bool]:
        """``kata``'s verdict, and whether it was kept from an earlier run (else it ran now)."""
        key = self.cache.key(kata)
        kept = self.cache.get(kata, key)
        return (kept, True) if kept is not None else (Verdict.of(self.run(kata, key)), False)

    def next_unfinished(self, manifest: Manifest) -> KataResult | None:
        """The result, run now, of the first kata that does not pass, in order (a kata whose kept
        verdict is done and whose inputs are unchanged is not run again); None when every one passes."""
        for kata in manifest:
            key = self.cache.key(kata)
            kept = self.cache.get(kata, key)
            if kept is not None and kept.status is Status.PASSED:
                continue
            result = self.run(kata, key)
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
    """kata status: the progress table (katas whose inputs are unchanged since a run keep its verdict)."""
    runs = KeptRuns(args)
    if args.rerun:
        verdicts = [(Verdict.of(runs.run(kata)), False) for kata in load_manifest()]
    else:
        verdicts = [runs.verdict(kata) for kata in load_manifest()]
    render([verdict for verdict, _ in verdicts])
    kept = sum(was_kept for _, was_kept in verdicts)
    if kept:
        Output().line(f"({kept} of {len(verdicts)} katas unchanged since they were last checked: their verdicts "
                      "are kept; `kata status --rerun` checks every kata again)", style="dim")
    return 0


def cmd_check(args) -> int:
    """kata check [KATA]: run one kata and explain its failures; 1 unless it passes."""
    out = Output()
    manifest = load_manifest()
    runs = KeptRuns(args)
    if args.kata:
        result = runs.run(find_kata(manifest, args.kata))
    else:
        result = runs.next_unfinished(manifest)
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
        unfinished = KeptRuns(args).next_unfinished(manifest)
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
    result = KeptRuns(args).run(kata)
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
    """kata watch [KATA]: check again on every save, until Ctrl-C (or --stop-after). On a terminal
    each check replaces the last one's output; a kata that becomes done is announced before the next."""
    out = Output()
    manifest = load_manifest()
    runs = KeptRuns(args)
    kata = find_kata(manifest, args.kata) if args.kata else None
    shown: list[Kata] = []  # the kata the last check showed

    def check(changed=()) -> None:
        started = time.perf_counter()
        runs.runner.impl.reload()
        result = runs.run(kata) if kata else runs.next_unfinished(manifest)
        if result is not None:
            runs.runner.prepare(result.kata)
        out.clear()
        if changed:
            out.line(f"— {', '.join(p.name for p in changed)} changed —", style="dim")
        if shown and (result is None or result.kata != shown[-1]):
            out.line(f"✓ {shown[-1].id} is done" + (f" — on to {result.kata.id}" if result else ""), style="green")
        if result is None:
            out.line("every kata is done.", style="green")
        else:
            show_result(out, result)
            shown.append(result.kata)
        out.line(f"(checked in {time.perf_counter() - started:.2f} s; watching {runs.cache.root}, Ctrl-C to stop)",
                 style="dim")
        sys.stdout.flush()

    check()
    try:
        watch(runs.cache.root, check, timeout=args.stop_after)
    except KeyboardInterrupt:
        out.line("stopped watching.")
    return 0
