"""The learner's commands: status, check, hint, watch, reset, solution, notebooks."""
from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

from grader.cli import options
from grader.cli.common import Output, UsageProblem, add_command, find_kata, implementation_root
from grader.core import stubgen
from grader.core.backups import backup
from grader.core.manifest import Kata, load_manifest
from grader.core.paths import SOLUTIONS_DIR
from grader.core.scoring import Status
from grader.learner.editing import splice_symbols, symbol_source
from grader.learner.progress import STATUS_LABEL, Verdict, render
from grader.learner.session import KeptRuns, show_hints, show_result
from grader.learner.watch import watch


def register(commands) -> None:
    """Add status, check, hint, watch, reset and solution to ``commands``."""
    parents = (options.implementation(), options.seed())
    add_command(commands, "status", cmd_status, "progress over every kata, in order", parents).add_argument(
        "--rerun", action="store_true", help="check every kata again (default: katas unchanged since they were "
                                             "last checked keep that verdict)")
    checker = add_command(commands, "check", cmd_check,
                          "run one kata (default: the next unfinished one) and explain failures", parents)
    checker.add_argument("kata", nargs="?", help="kata id (see `kata status`)")
    checker.add_argument("--html", metavar="FILE", default=None,
                         help="also write the result as a web page, with pictures of what differs (maps, curves, blocks)")
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
    notebooks = add_command(commands, "notebooks", cmd_notebooks,
                            "write a self-study notebook per d2l section, over your exercises/",
                            (options.implementation(), options.katas()))
    notebooks.add_argument("folder", help="where the notebooks go (a notebook that exists there is kept)")
    notebooks.add_argument("--force", action="store_true",
                           help="rewrite notebooks that exist, from your exercises/ files (yours are backed up first)")


def kept_runs(args) -> KeptRuns:
    """The learner's implementation (--impl), run on --seed (default: a fresh seed per run)."""
    return KeptRuns(implementation_root(args.impl), args.seed)


def cmd_status(args) -> int:
    """kata status: the progress table (katas whose inputs are unchanged since a run keep its verdict)."""
    runs = kept_runs(args)
    if args.rerun:
        verdicts = [(Verdict.of(runs.run(kata)), False) for kata in load_manifest()]
    else:
        verdicts = [runs.verdict(kata) for kata in load_manifest()]
    from grader.learner.notebooks import marked_given

    render(marked_given([verdict for verdict, _ in verdicts], runs.root))
    kept = sum(was_kept for _, was_kept in verdicts)
    if kept:
        Output().line(f"({kept} of {len(verdicts)} katas unchanged since they were last checked: their verdicts "
                      "are kept; `kata status --rerun` checks every kata again)", style="dim")
    return 0


def cmd_check(args) -> int:
    """kata check [KATA]: run one kata and explain its failures; 1 unless it passes."""
    out = Output()
    manifest = load_manifest()
    runs = kept_runs(args)
    if args.kata:
        result = runs.run(find_kata(manifest, args.kata))
    else:
        result = runs.next_unfinished(manifest)
        if result is None:
            out.line(f"every kata is done — {manifest.total_points}/{manifest.total_points} points.", style="green")
            return 0
    from grader.learner.notebooks import GivenCode

    show_result(out, result, given=bool(GivenCode(runs.root).still_given([result.kata])))
    if args.html:
        from grader.grading.pictures import kata_html, page
        from grader.grading.store import atomic_write

        atomic_write(Path(args.html), page([kata_html(result)], f"kata check {result.kata.id}"))
        out.line(f"(the result with its pictures: {args.html})", style="dim")
    return 0 if result.status is Status.PASSED else 1


def cmd_hint(args) -> int:
    """kata hint [KATA]: the hints seen so far and the next one, for KATA or the next unfinished kata."""
    out = Output()
    manifest = load_manifest()
    if args.kata:
        kata = find_kata(manifest, args.kata)
    else:
        unfinished = kept_runs(args).next_unfinished(manifest)
        if unfinished is None:
            out.line("every kata is done: no hint needed.", style="green")
            return 0
        kata = unfinished.kata
    show_hints(out, kata, KeptRuns(implementation_root(args.impl), None).hints().reveal(kata))
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
    result = kept_runs(args).run(kata)
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
    runs = kept_runs(args)
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


def cmd_notebooks(args) -> int:
    """kata notebooks DIR: a self-study notebook per section; notebooks that exist are kept."""
    from grader.core.manifest import kata_ids
    from grader.learner.notebooks import NotebookError, build_notebooks

    out = Output()
    manifest = load_manifest()
    ids = kata_ids(args.katas)
    for kata_id in ids or ():
        find_kata(manifest, kata_id)
    try:
        done = build_notebooks(Path(args.folder), implementation_root(args.impl), ids, force=args.force)
    except NotebookError as exc:
        raise UsageProblem(str(exc)) from None
    for path, action in done:
        out.line(f"{path}: {action}")
    out.line(f"open them with `jupyter lab {shlex.quote(args.folder)}`; each check cell copies the kata's code into your "
             "exercises/ files and checks it there (`kata status` sees the same progress).", style="dim")
    return 0
