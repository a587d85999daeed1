"""The hints a learner has seen, kata by kata (``kata hint``), kept in ``.kata/state.json``."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from grader.core.manifest import Kata


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
