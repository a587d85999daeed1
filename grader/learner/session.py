"""A learner's katas, run and explained the same way from the command line (``kata check``, ``kata
status``, ``kata hint``) and from a self-study notebook: the verdicts kept in ``.kata/verdicts.json``,
the hints seen in ``.kata/state.json``, and the text that explains a result."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from grader.core.i18n import _
from grader.core.implementation import load_implementation
from grader.core.manifest import Kata, Manifest, load_manifest
from grader.core.scoring import UNCREDITED_NOTE, Status, kind_label
from grader.learner.hints import HintState
from grader.learner.progress import Verdict
from grader.learner.verdicts import VerdictCache

if TYPE_CHECKING:
    from grader.checks.runner import KataResult, Runner

MARK = {Status.PASSED: "✓", Status.FAILED: "✗", Status.PENDING: "…", Status.SKIPPED: "-"}
STYLE = {Status.PASSED: "green", Status.FAILED: "red", Status.PENDING: "yellow", Status.SKIPPED: "dim"}


class Lines(Protocol):
    """Where explanations go: a terminal (``grader.cli.common.Output``) or a notebook's cell."""

    def line(self, text: str = "", style: str | None = None) -> None: ...


class KeptRuns:
    """Runs katas in the learner's implementation folder ``root`` and keeps their verdicts (``kata
    status`` reads them back); the runner, and torch with it, is made only when a kata has to run.
    ``seed``: the inputs' seed (None: a fresh one per run); ``rerun``: how a failure says to
    reproduce it, with ``{seed}``."""

    def __init__(self, root: Path, seed: int | None, *, rerun: str = "--seed={seed}"):
        self.cache = VerdictCache(root, seed)
        self.seed = seed
        self.rerun = rerun
        self._runner: Runner | None = None

    @property
    def root(self) -> Path:
        return self.cache.root

    @property
    def runner(self) -> Runner:
        """A runner over the files as they are now (a module imported earlier in this process is re-read)."""
        if self._runner is None:
            from grader.checks.runner import Runner

            impl = load_implementation(self.root)
            impl.reload()
            self._runner = Runner(impl, self.seed if self.seed is not None else _random_seed(), rerun=self.rerun)
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

    def hints(self) -> HintState:
        """The hints the learner has seen (shared by every way of asking for one)."""
        return HintState(self.root.parent / ".kata" / "state.json")


def _random_seed() -> int:
    import random

    return random.SystemRandom().randrange(2**31)


def _indent(text: str, prefix: str = "      ") -> str:
    """``text`` with every line indented."""
    return "\n".join(prefix + line for line in text.splitlines())


def _show_checks(out: Lines, result: KataResult) -> None:
    """A line per check; a failing one's diagnosis under it (once, when checks fail alike)."""
    shown: set[str] = set()
    for check in result.results:
        label = f"  {MARK[check.status]} {check.check.name} [{kind_label(check.check.kind)}]"
        if check.status is Status.PENDING:
            # Translators: {message} is what the stub says, e.g. "corr2d: implement corr2d (d2l 7.2)"
            label += " " + _("pending: {message}").format(message=check.message)
        elif check.status is Status.SKIPPED:
            # Translators: {message} says why the check does not apply here, e.g. that no CUDA device is available
            label += " " + _("skipped: {message}").format(message=check.message)
        out.line(label, style=STYLE[check.status])
        if check.status is Status.FAILED:
            out.line(_indent(check.message if check.message not in shown else _("(the same error as above)")))
            shown.add(check.message)
        for warning in check.warnings:
            out.line(_indent(_("(warning, not counted: {warning})").format(warning=warning)), style="dim")


def show_result(out: Lines, result: KataResult, *, hint: str = "kata hint {kata}",
                solution: str = "kata solution {kata}", given: bool = False) -> None:
    """A kata's checks, their diagnoses, its score and what to do next (``hint`` and ``solution``:
    how the learner asks for them, with ``{kata}``; ``given``: its code is the reference's, given
    for a kata that builds on it, and earns nothing)."""
    kata = result.kata
    ask_hint, ask_solution = hint.format(kata=kata.id), solution.format(kata=kata.id)
    # Translators: a kata's heading, e.g. "corr2d — Cross-correlation (d2l 7.2, conv_layer.py)"; {citation} is
    # where the book teaches it, {file} the exercises file that holds it
    out.line(_("{kata} — {title} ({citation}, {file})").format(
        kata=kata.id, title=kata.title, citation=kata.citation, file=f"{kata.module}.py"), style="bold")
    if result.count(Status.PENDING) == result.applicable:
        stub = next(r.message for r in result.results if r.status is Status.PENDING)
        # Translators: {stub} is what the stub says, e.g. "corr2d: implement corr2d (d2l 7.2)"; {hint} is how to
        # ask for a hint, e.g. "kata hint corr2d"
        out.line(_("pending: {stub} — replace the `raise NotImplementedError` in {file}. Stuck? `{hint}`").format(
            stub=stub, file=_stub_file(stub, kata), hint=ask_hint), style="yellow")
        return
    _show_checks(out, result)
    passed, applicable = result.count(Status.PASSED), result.applicable
    score = f"{result.score:.1f}".removesuffix(".0")
    # Translators: a kata's score, e.g. "6/7 checks passed, 3.4/4 points"
    summary = _("{passed}/{applicable} checks passed, {score}/{points} points").format(
        passed=passed, applicable=applicable, score=score, points=kata.points)
    if given:
        out.line(_("given: {passed}/{applicable} checks passed on the reference's code, given so that a kata that "
                   "builds on it could be done alone — no points until you write your own (`kata reset {kata}` puts "
                   "the stub back)").format(passed=passed, applicable=applicable, kata=kata.id), style="dim")
    elif result.status is Status.PASSED:
        # Translators: {summary} is a kata's score, e.g. "7/7 checks passed, 4/4 points"; {solution} is how to ask
        # for the reference solution, e.g. "kata solution corr2d"
        out.line(_("done: {summary}. `{solution}` shows the reference.").format(
            summary=summary, solution=ask_solution), style="green")
    elif result.status is Status.PENDING:
        # Translators: {summary} is a kata's score, e.g. "3/7 checks passed, 1.5/4 points"
        out.line(_("pending: {summary}; some of it is still a stub in {file}").format(
            summary=summary, file=f"{kata.module}.py"), style="yellow")
    else:
        # Translators: {summary} is a kata's score, e.g. "6/7 checks passed, 3.4/4 points"; {hint} is how to ask
        # for a hint, e.g. "kata hint corr2d"
        out.line(_("failing: {summary}. Stuck? `{hint}`").format(summary=summary, hint=ask_hint), style="red")
    if result.uncredited:
        out.line(f"({_(UNCREDITED_NOTE)})", style="dim")


def _stub_file(stub: str, kata: Kata) -> str:
    """The file of the stub that says ``stub`` ("corr2d: implement corr2d (d2l 7.2)"): that of the
    kata it names, which may be one ``kata`` builds on in another section."""
    named = stub.split(":", 1)[0].strip()
    owner = next((k for k in load_manifest() if k.id == named), kata)
    return f"{owner.module}.py"


def show_hints(out: Lines, kata: Kata, level: int, *, again: str = "kata hint {kata}") -> None:
    """The first ``level`` hints of ``kata``, and whether another is left (``again``: how to ask)."""
    hints = kata.hints
    out.line(_("{kata} — hint {level} of {count}:").format(kata=kata.id, level=level, count=len(hints)), style="bold")
    for number, hint in enumerate(hints[:level], start=1):
        out.line(f"  {number}. {hint}")
    if level < len(hints):
        # Translators: {again} is how to ask for a hint, e.g. "kata hint corr2d"
        out.line(_("(`{again}` again for the next one)").format(again=again.format(kata=kata.id)), style="dim")
    else:
        out.line(_("(that was the last hint)"), style="dim")
