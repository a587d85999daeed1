"""Backups of a learner's files before anything replaces them (``kata reset``, ``kata dev exercises``,
a rebuilt notebook): nothing a learner wrote is lost."""
from __future__ import annotations

import shutil
import time
from pathlib import Path


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
