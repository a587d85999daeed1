"""The progress table: one row per kata, in manifest order, from each kata's ``Verdict``."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grader.core.i18n import N_, _
from grader.core.manifest import Kata
from grader.core.scoring import Status, status_label
from grader.core.text import columns, padded

if TYPE_CHECKING:
    from grader.checks.runner import KataResult

STATUS_STYLE = {Status.PASSED: "green", Status.FAILED: "red", Status.PENDING: "yellow"}


@dataclass(frozen=True)
class Verdict:
    """What the table shows of a kata's result, as plain data (``kata status`` keeps it between runs)."""

    kata: Kata
    status: Status
    passed: int
    applicable: int
    score: float
    #: The first line of the first failing or pending check's message ("" when the kata is done).
    first_problem: str = ""
    #: The kata's code is the reference's, given so that a kata built on it could be done alone
    #: (``kata notebooks --katas``): shown as given, for no points.
    given: bool = False

    @classmethod
    def of(cls, result: KataResult) -> Verdict:
        problems = [r.message for r in result.results if r.status in (Status.FAILED, Status.PENDING)]
        lines = [line.strip() for line in problems[0].splitlines() if line.strip()] if problems else []
        first = " ".join(lines[:2]) if lines and lines[0].endswith(":") else (lines[0] if lines else "")
        return cls(result.kata, result.status, result.count(Status.PASSED), result.applicable, result.score, first)


def _points(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _label(verdict: Verdict) -> str:
    # Translators: a kata's status in the progress table: its code is the reference's, given for no points
    return _("given") if verdict.given else status_label(verdict.status)


def _score(verdict: Verdict) -> float:
    return 0.0 if verdict.given else verdict.score


def rows(verdicts: list[Verdict]) -> list[tuple[str, ...]]:
    return [(str(number), v.kata.id, v.kata.section, v.kata.title, _label(v), f"{v.passed}/{v.applicable}",
             f"{_points(_score(v))}/{v.kata.points}") for number, v in enumerate(verdicts, start=1)]


#: The table's column headings (``N_``: shown through ``_``, as ``headings`` does); "#" is no word.
HEADINGS = ("#", N_("kata"),
            # Translators: the progress table's heading of the column of the book's section numbers (d2l-zh's)
            N_("d2l"),
            N_("title"), N_("status"), N_("checks"), N_("points"))


def headings() -> tuple[str, ...]:
    """The table's column headings, in the language convkata speaks."""
    return (HEADINGS[0], *(_(heading) for heading in HEADINGS[1:]))


def summary_line(verdicts: list[Verdict]) -> str:
    score = sum(map(_score, verdicts))
    total = sum(v.kata.points for v in verdicts)
    count = {status: sum(v.status is status and not v.given for v in verdicts) for status in Status}
    given = sum(v.given for v in verdicts)
    fields = dict(done=count[Status.PASSED], failing=count[Status.FAILED], pending=count[Status.PENDING],
                  given=given, katas=len(verdicts), score=_points(score), total=total)
    if given:
        return _("{done} done, {failing} failing, {pending} pending, {given} given of {katas} katas — "
                 "{score}/{total} points").format(**fields)
    return _("{done} done, {failing} failing, {pending} pending of {katas} katas — {score}/{total} points").format(
        **fields)


def next_step(verdicts: list[Verdict]) -> str:
    for verdict in verdicts:
        if verdict.status is not Status.PASSED and not verdict.given:
            # Translators: {problem} is the first line of what the kata's first failing or pending check says
            return _("next: {kata} ({file}) — {problem}").format(
                kata=verdict.kata.id, file=f"{verdict.kata.module}.py", problem=verdict.first_problem)
    return _("every kata is done.")


def render_plain(verdicts: list[Verdict]) -> None:
    table = [headings()] + rows(verdicts)
    widths = [max(columns(row[i]) for row in table) for i in range(len(HEADINGS))]
    for index, row in enumerate(table):
        print("  ".join(padded(cell, width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))
    print(summary_line(verdicts))
    print(next_step(verdicts))


def render_rich(verdicts: list[Verdict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*headings(), title=_("convkata progress"))
    for verdict, row in zip(verdicts, rows(verdicts)):
        style = "dim" if verdict.given else STATUS_STYLE[verdict.status]
        table.add_row(*row[:4], f"[{style}]{row[4]}[/]", *row[5:])
    console = Console(highlight=False)
    console.print(table)
    console.print(summary_line(verdicts))
    console.print(next_step(verdicts), markup=False)


def render(verdicts: list[Verdict]) -> None:
    """Rich on a terminal, plain text otherwise (pipes, CI logs, graders)."""
    if sys.stdout.isatty():
        render_rich(verdicts)
    else:
        render_plain(verdicts)
