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
from grader.core.docstrings import docstrings_translated
from grader.core.i18n import _, language
from grader.core.manifest import Kata, load_manifest
from grader.core.paths import SOLUTIONS_DIR
from grader.core.scoring import Status, status_label
from grader.learner.editing import splice_symbols, symbol_source
from grader.learner.progress import Verdict, render
from grader.learner.session import KeptRuns, show_hints, show_result
from grader.learner.watch import watch


def register(commands) -> None:
    """Add status, check, hint, watch, reset, solution, translate and notebooks to ``commands``."""
    parents = (options.implementation(), options.seed())
    add_command(commands, "status", cmd_status, _("progress over every kata, in order"), parents).add_argument(
        "--rerun", action="store_true", help=_("check every kata again (default: katas unchanged since they were "
                                               "last checked keep that verdict)"))
    checker = add_command(commands, "check", cmd_check,
                          _("run one kata (default: the next unfinished one) and explain failures"), parents)
    checker.add_argument("kata", nargs="?", help=_("kata id (see `kata status`)"))
    checker.add_argument("--html", metavar="FILE", default=None,
                         help=_("also write the result as a web page, with pictures of what differs (maps, curves, "
                                "blocks)"))
    add_command(commands, "hint", cmd_hint, _("show the next hint for a kata (default: the next unfinished one)"),
                parents).add_argument("kata", nargs="?", help=_("kata id (see `kata status`)"))
    watcher = add_command(commands, "watch", cmd_watch,
                          _("re-check a kata (default: the next unfinished one) on every save"), parents)
    watcher.add_argument("kata", nargs="?")
    watcher.add_argument("--stop-after", type=float, default=None, metavar="SECONDS",
                         help=_("stop watching after SECONDS (default: until Ctrl-C)"))
    add_command(commands, "reset", cmd_reset, _("restore a kata's stub; your file is backed up first"),
                parents).add_argument("kata")
    add_command(commands, "solution", cmd_solution, _("show the reference solution of a kata you have passed"),
                parents).add_argument("kata")
    add_command(commands, "translate", cmd_translate,
                _("put your exercises' instructions (docstrings, stub messages) in the language convkata speaks "
                  "(--lang); your code stays as it is"), (options.implementation(),))
    notebooks = add_command(commands, "notebooks", cmd_notebooks,
                            _("write a self-study notebook per d2l section, over your exercises/"),
                            (options.implementation(), options.katas()))
    notebooks.add_argument("folder", help=_("where the notebooks go (a notebook that exists there is kept)"))
    notebooks.add_argument("--force", action="store_true",
                           help=_("rewrite notebooks that exist, from your exercises/ files (yours are backed up "
                                  "first)"))


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

    render(marked_given([verdict for verdict, _was_kept in verdicts], runs.root))
    kept = sum(was_kept for _verdict, was_kept in verdicts)
    if kept:
        Output().line(_("({kept} of {katas} katas unchanged since they were last checked: their verdicts are kept; "
                        "`kata status --rerun` checks every kata again)").format(kept=kept, katas=len(verdicts)),
                      style="dim")
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
            out.line(_("every kata is done — {points}/{points} points.").format(points=manifest.total_points),
                     style="green")
            return 0
    from grader.learner.notebooks import GivenCode

    show_result(out, result, given=bool(GivenCode(runs.root).still_given([result.kata])))
    if args.html:
        from grader.grading.pictures import kata_html, page
        from grader.grading.store import atomic_write

        atomic_write(Path(args.html), page([kata_html(result)], f"kata check {result.kata.id}"))
        out.line(_("(the result with its pictures: {file})").format(file=args.html), style="dim")
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
            out.line(_("every kata is done: no hint needed."), style="green")
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
    stub = stubgen.generate(language=language())[path.name]  # in the language the learner reads
    if not path.exists():
        path.write_text(stub, encoding="utf-8")
        out.line(_("{file} was missing: wrote the stub file.").format(file=path.name))
        return 0
    saved = backup(path, exercises.parent / ".kata" / "backups")
    try:
        text = splice_symbols(path.read_text(encoding="utf-8"), stub, kata.symbols)
        # Translators: {symbols} are the kata's functions or classes, e.g. "corr2d"; {path} its exercises file
        what = _("restored the stub of {kata} ({symbols}) in {path}").format(
            kata=kata.id, symbols=", ".join(kata.symbols), path=path)
    except SyntaxError as exc:
        text = stub
        others = [k.id for k in manifest if k.module == kata.module and k.id != kata.id]
        if others:
            # Translators: {error} is Python's message, e.g. "invalid syntax"; {others} the other katas of the file
            what = _("{file} does not parse ({error}, line {line}), so the whole file was restored from its stub — "
                     "this also resets {others}").format(file=path.name, error=exc.msg, line=exc.lineno,
                                                         others=", ".join(others))
        else:
            # Translators: {error} is Python's message, e.g. "invalid syntax"
            what = _("{file} does not parse ({error}, line {line}), so the whole file was restored from its "
                     "stub").format(file=path.name, error=exc.msg, line=exc.lineno)
    path.write_text(text, encoding="utf-8")
    out.line(what)
    out.line(_("your previous file is saved as {path}").format(path=saved))
    return 0


def cmd_translate(args) -> int:
    """kata translate: the instructions this project wrote into the learner's files — the header, the
    docstrings, the stubs' messages — in the language convkata speaks, from whichever they are in; the
    learner's code and own docstrings kept, each changed file backed up first."""
    exercises = implementation_root(args.impl)
    if exercises.resolve() == SOLUTIONS_DIR.resolve():
        raise UsageProblem(_("the reference solutions are convkata's own: translate your exercises/, or a folder "
                             "laid out like it"))
    out = Output()
    changed = 0
    for path in sorted(exercises.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        translated = stubgen.in_language(text, path.stem, language())
        if translated == text:
            continue
        saved = backup(path, exercises.parent / ".kata" / "backups")
        path.write_text(translated, encoding="utf-8")
        changed += 1
        # Translators: name your own language: the instructions are now in the language of this message
        out.line(_("{file}: the instructions are now in English; your code is as it was (the file before is saved "
                   "as {saved})").format(file=path, saved=saved))
    if not changed:
        out.line(_("your exercises' instructions are already in English (or are your own)"))
    return 0


def cmd_solution(args) -> int:
    """kata solution KATA: the reference code, once the learner's kata passes."""
    out = Output()
    kata = find_kata(load_manifest(), args.kata)
    result = kept_runs(args).run(kata)
    if result.status is not Status.PASSED:
        # Translators: {status} is the kata's status as `kata status` shows it, e.g. "failing" or "pending"
        out.line(_("the solution of {kata} is shown once your kata passes; it is {status} ({passed}/{applicable} "
                   "checks). Try `kata check {kata}` or `kata hint {kata}`.").format(
            kata=kata.id, status=status_label(result.status), passed=result.count(Status.PASSED),
            applicable=result.applicable))
        return 1
    source = docstrings_translated((SOLUTIONS_DIR / f"{kata.module}.py").read_text(encoding="utf-8"), kata.module)
    # Translators: the heading of the reference code shown (after "# ", as a Python comment)
    out.line("# " + _("the reference {kata} ({path})").format(kata=kata.id, path=f"solutions/{kata.module}.py"),
             style="bold")
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
            # Translators: {files} are the files saved since the last check, e.g. "conv_layer.py"
            out.line("— " + _("{files} changed").format(files=", ".join(p.name for p in changed)) + " —", style="dim")
        if shown and (result is None or result.kata != shown[-1]):
            if result:
                # Translators: {next} is the next unfinished kata, checked now
                done = _("{kata} is done — on to {next}").format(kata=shown[-1].id, next=result.kata.id)
            else:
                done = _("{kata} is done").format(kata=shown[-1].id)
            out.line(f"✓ {done}", style="green")
        if result is None:
            out.line(_("every kata is done."), style="green")
        else:
            show_result(out, result)
            shown.append(result.kata)
        out.line(_("(checked in {seconds:.2f} s; watching {folder}, Ctrl-C to stop)").format(
            seconds=time.perf_counter() - started, folder=runs.cache.root), style="dim")
        sys.stdout.flush()

    check()
    try:
        watch(runs.cache.root, check, timeout=args.stop_after)
    except KeyboardInterrupt:
        out.line(_("stopped watching."))
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
    out.line(_("open them with `{command}`; each check cell copies the kata's code into your exercises/ files and "
               "checks it there (`kata status` sees the same progress).").format(
        command=f"jupyter lab {shlex.quote(args.folder)}"), style="dim")
    return 0
