"""What the commands share: the output, usage problems, kata and implementation look-ups, progress bars."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn
from rich.progress import Progress as Bar

from grader.core.i18n import _
from grader.core.manifest import Kata, Manifest
from grader.core.paths import NAMED_IMPLEMENTATIONS, resolve_impl

if TYPE_CHECKING:
    from grader.grading.batch import Progress

# grader.checks.runner and grader.grading.batch import torch: imported where they are used, never
# at `kata --help` time.


class UsageProblem(Exception):
    """Bad input from the user: the message says what to do instead."""


class Output:
    """Plain text, or rich styling on a terminal."""

    def __init__(self):
        """Rich on a terminal (``console``), else plain print (``console`` is None)."""
        self.console = Console(highlight=False) if sys.stdout.isatty() else None

    def line(self, text: str = "", style: str | None = None) -> None:
        """Print one line (styled on a terminal)."""
        if self.console is not None:
            self.console.print(text, style=style, markup=False)
        else:
            print(text)

    def clear(self) -> None:
        """Clear a terminal's screen; plain output keeps what came before, after a blank line."""
        if self.console is not None:
            self.console.clear()
        else:
            print()

    def error(self, text: str) -> None:
        """Print one line on stderr, plain."""
        print(text, file=sys.stderr)


def add_command(commands, name: str, handler: Callable[[argparse.Namespace], int], help_text: str,
                parents: tuple[argparse.ArgumentParser, ...] = (), description: str | None = None
                ) -> argparse.ArgumentParser:
    """A subcommand run by ``handler``, its description its help line unless given."""
    sub = commands.add_parser(name, parents=list(parents), help=help_text, description=description or help_text)
    sub.set_defaults(handler=handler)
    return sub


def implementation_root(spec: str) -> Path:
    """The folder an ``exercises``/``solutions``/PATH argument names; UsageProblem if there is none."""
    root = resolve_impl(spec)
    if not root.is_dir():
        raise UsageProblem(_("{root} is not a folder; give exercises, solutions, or a folder laid out like exercises/")
                           .format(root=root))
    return root


def find_kata(manifest: Manifest, kata_id: str) -> Kata:
    """The kata of that id; UsageProblem naming the closest id otherwise."""
    try:
        return manifest.get(kata_id)
    except KeyError:
        close = manifest.closest(kata_id)
        if close:
            raise UsageProblem(_("no kata {kata!r} — did you mean {close!r}? (`kata status` lists them)")
                               .format(kata=kata_id, close=close)) from None
        raise UsageProblem(_("no kata {kata!r} (`kata status` lists them)").format(kata=kata_id)) from None


def submission_paths(specs: list[str]) -> list[Path]:
    """``exercises``/``solutions`` by name, else the paths as given."""
    return [resolve_impl(spec) if spec in NAMED_IMPLEMENTATIONS else Path(spec) for spec in specs]


@contextmanager
def grading_progress(out: Output) -> Iterator[Progress]:
    """A batch.Progress: a bar on a terminal, a line per submission elsewhere."""
    from grader.grading.batch import Progress

    def line(record, skipped):
        if skipped:
            text = _("{student}: {score:g}/{max_score} (already graded: skipped; --force regrades)")
        else:
            text = _("{student}: {score:g}/{max_score} in {seconds:.1f} s")
        out.line("  " + text.format(student=record.student, score=record.score, max_score=record.max_score,
                                    seconds=record.seconds))

    if out.console is None:
        yield Progress(started=lambda todo, skipped: None, finished=line)
        return
    with Bar("grading", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=out.console) as bar:
        task = bar.add_task(_("grading"), total=None)

        def started(todo, skipped):
            bar.update(task, total=todo + skipped)

        def finished(record, skipped):
            line(record, skipped)
            bar.advance(task)
        yield Progress(started=started, finished=finished)
