"""The progress table: one row per kata, in manifest order."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from grader.core.scoring import Status

if TYPE_CHECKING:
    from grader.checks.runner import KataResult

STATUS_LABEL = {Status.PASSED: "done", Status.FAILED: "failing", Status.PENDING: "pending"}
STATUS_STYLE = {Status.PASSED: "green", Status.FAILED: "red", Status.PENDING: "yellow"}


def _points(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def rows(results: list[KataResult]) -> list[tuple[str, ...]]:
    table = []
    for number, result in enumerate(results, start=1):
        kata = result.kata
        checks = f"{result.count(Status.PASSED)}/{result.applicable}"
        table.append((str(number), kata.id, kata.section, kata.title, STATUS_LABEL[result.status], checks,
                      f"{_points(result.score)}/{kata.points}"))
    return table


HEADINGS = ("#", "kata", "d2l", "title", "status", "checks", "points")


def summary_line(results: list[KataResult]) -> str:
    score = sum(r.score for r in results)
    total = sum(r.kata.points for r in results)
    done = sum(r.status is Status.PASSED for r in results)
    pending = sum(r.status is Status.PENDING for r in results)
    failing = sum(r.status is Status.FAILED for r in results)
    return (f"{done} done, {failing} failing, {pending} pending of {len(results)} katas — "
            f"{_points(score)}/{total} points")


def next_step(results: list[KataResult]) -> str:
    for result in results:
        if result.status is not Status.PASSED:
            first = next(r for r in result.results if r.status in (Status.FAILED, Status.PENDING))
            detail = first.message.splitlines()[0] if first.message else ""
            return f"next: {result.kata.id} ({result.kata.module}.py) — {detail}"
    return "every kata is done."


def render_plain(results: list[KataResult]) -> None:
    table = [HEADINGS] + rows(results)
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADINGS))]
    for index, row in enumerate(table):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))
    print(summary_line(results))
    print(next_step(results))


def render_rich(results: list[KataResult]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*HEADINGS, title="convkata progress")
    for result, row in zip(results, rows(results)):
        table.add_row(*row[:4], f"[{STATUS_STYLE[result.status]}]{row[4]}[/]", *row[5:])
    console = Console(highlight=False)
    console.print(table)
    console.print(summary_line(results))
    console.print(next_step(results), markup=False)


def render(results: list[KataResult]) -> None:
    """Rich on a terminal, plain text otherwise (pipes, CI logs, graders)."""
    if sys.stdout.isatty():
        render_rich(results)
    else:
        render_plain(results)
