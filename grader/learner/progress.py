"""The progress table: one row per kata, in manifest order, from each kata's ``Verdict``."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grader.core.manifest import Kata
from grader.core.scoring import Status

if TYPE_CHECKING:
    from grader.checks.runner import KataResult

STATUS_LABEL = {Status.PASSED: "done", Status.FAILED: "failing", Status.PENDING: "pending"}
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
    return "given" if verdict.given else STATUS_LABEL[verdict.status]


def _score(verdict: Verdict) -> float:
    return 0.0 if verdict.given else verdict.score


def rows(verdicts: list[Verdict]) -> list[tuple[str, ...]]:
    return [(str(number), v.kata.id, v.kata.section, v.kata.title, _label(v), f"{v.passed}/{v.applicable}",
             f"{_points(_score(v))}/{v.kata.points}") for number, v in enumerate(verdicts, start=1)]


HEADINGS = ("#", "kata", "d2l", "title", "status", "checks", "points")


def summary_line(verdicts: list[Verdict]) -> str:
    score = sum(map(_score, verdicts))
    total = sum(v.kata.points for v in verdicts)
    count = {status: sum(v.status is status and not v.given for v in verdicts) for status in Status}
    given = sum(v.given for v in verdicts)
    return (f"{count[Status.PASSED]} done, {count[Status.FAILED]} failing, {count[Status.PENDING]} pending"
            + (f", {given} given" if given else "") + f" of {len(verdicts)} katas — {_points(score)}/{total} points")


def next_step(verdicts: list[Verdict]) -> str:
    for verdict in verdicts:
        if verdict.status is not Status.PASSED and not verdict.given:
            return f"next: {verdict.kata.id} ({verdict.kata.module}.py) — {verdict.first_problem}"
    return "every kata is done."


def render_plain(verdicts: list[Verdict]) -> None:
    table = [HEADINGS] + rows(verdicts)
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADINGS))]
    for index, row in enumerate(table):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))
    print(summary_line(verdicts))
    print(next_step(verdicts))


def render_rich(verdicts: list[Verdict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*HEADINGS, title="convkata progress")
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
