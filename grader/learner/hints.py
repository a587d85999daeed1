"""The hints a learner has seen, kata by kata (``kata hint``), kept in ``.kata/state.json``."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.core.manifest import Kata
from grader.learner.state_files import read_state, write_state


@dataclass
class HintState:
    """How many hints of each kata the learner has seen, kept in a small JSON file."""

    path: Path

    def _load(self) -> dict:
        hints = read_state(self.path).get("hints")
        return hints if isinstance(hints, dict) else {}

    def seen(self, kata: Kata) -> int:
        return min(int(self._load().get(kata.id, 0)), len(kata.hints))

    def reveal(self, kata: Kata) -> int:
        """Reveal one more hint (up to the last); return how many are now seen."""
        hints = self._load()
        level = min(self.seen(kata) + 1, len(kata.hints))
        hints[kata.id] = level
        write_state(self.path, {"hints": hints})
        return level
