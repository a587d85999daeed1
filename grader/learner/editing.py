"""What the ``kata`` command needs besides the runner: the learner's hint levels, restoring one
kata's stub inside a learner's file, showing a kata's reference source, and watching files."""
from __future__ import annotations

import ast
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.core.manifest import Kata

#: ``top-level symbol -> (first line, last line)``, 1-based and inclusive, decorators included.
Spans = dict[str, tuple[int, int]]


def symbol_spans(source: str) -> Spans:
    """Where each top-level function and class of a module is; SyntaxError if it does not parse."""
    spans = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            spans[node.name] = (first, node.end_lineno)
    return spans


def symbol_source(source: str, symbol: str) -> str:
    """The text of one top-level function or class."""
    first, last = symbol_spans(source)[symbol]
    return "".join(source.splitlines(keepends=True)[first - 1:last])


def splice_symbols(learner: str, stub: str, symbols: tuple[str, ...]) -> str:
    """``learner`` with each of ``symbols`` replaced by its stub; a symbol the learner's file lacks
    is appended. SyntaxError if the learner's file does not parse."""
    lines = learner.splitlines(keepends=True)
    spans = symbol_spans(learner)
    appended = []
    for symbol in sorted(symbols, key=lambda s: spans.get(s, (0, 0)), reverse=True):  # bottom up: spans stay valid
        replacement = symbol_source(stub, symbol)
        if symbol in spans:
            first, last = spans[symbol]
            lines[first - 1:last] = replacement.splitlines(keepends=True)
        else:
            appended.append(replacement)
    text = "".join(lines)
    for replacement in appended:
        text = text.rstrip("\n") + "\n\n\n" + replacement
    return text


def backup(path: Path, backup_dir: Path) -> Path:
    """Copy a learner's file to ``backup_dir/<timestamp>/`` and return the copy's path."""
    target = backup_dir / time.strftime("%Y%m%d-%H%M%S") / path.name
    counter = 1
    while target.exists():
        target = target.with_name(f"{path.stem}.{counter}{path.suffix}")
        counter += 1
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, target)
    return target


@dataclass
class HintState:
    """How many hints of each kata the learner has seen, kept in a small JSON file."""

    path: Path

    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data.get("hints", {}) if isinstance(data, dict) else {}

    def seen(self, kata: Kata) -> int:
        return min(int(self._load().get(kata.id, 0)), len(kata.hints))

    def reveal(self, kata: Kata) -> int:
        """Reveal one more hint (up to the last); return how many are now seen."""
        hints = self._load()
        level = min(self.seen(kata) + 1, len(kata.hints))
        hints[kata.id] = level
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"hints": hints}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return level


def snapshot(folder: Path) -> dict[Path, tuple[float, int]]:
    """Modification time and size of every .py file in a folder."""
    stamps = {}
    for path in folder.glob("*.py"):
        try:
            stat = path.stat()
        except OSError:
            continue
        stamps[path] = (stat.st_mtime, stat.st_size)
    return stamps


def watch(folder: Path, on_change: Callable[[list[Path]], None], *, poll: float = 0.3,
          timeout: float | None = None) -> None:
    """Call ``on_change(changed files)`` whenever .py files in ``folder`` change, until interrupted
    (or ``timeout`` seconds pass). Polls, so it needs nothing beyond the standard library."""
    last = snapshot(folder)
    deadline = None if timeout is None else time.monotonic() + timeout
    while deadline is None or time.monotonic() < deadline:
        time.sleep(poll)
        current = snapshot(folder)
        changed = sorted(p for p in set(current) | set(last) if current.get(p) != last.get(p))
        if changed:
            last = current
            on_change(changed)
