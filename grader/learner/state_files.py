"""The learner's state files under ``.kata/`` (kept verdicts, hints seen, what notebooks wrote, code
given): small JSON objects, read forgivingly and replaced whole."""
from __future__ import annotations

import json
import os
from pathlib import Path


def read_state(path: Path) -> dict:
    """The JSON object in ``path``; {} when the file is missing, unreadable or holds something else
    (state is a convenience: losing it costs a re-check, never an error)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_state(path: Path, data: dict) -> None:
    """Replace ``path`` with ``data`` as JSON, its folder made if missing: written beside it, then
    renamed over it, so a reader (or a run killed meanwhile) sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, path)
