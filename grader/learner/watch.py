"""``kata watch``: call back whenever a .py file of a folder changes (polling: the standard library only)."""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path


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
