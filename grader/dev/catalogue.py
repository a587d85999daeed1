"""The catalogue of learner mistakes (tests/mistakes/catalogue.toml, in a checkout of the
repository), and how to turn one into an implementation."""
from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from grader.core.paths import REPO_ROOT, SOLUTIONS_DIR

CATALOGUE = REPO_ROOT / "tests" / "mistakes" / "catalogue.toml"


@dataclass(frozen=True)
class Mistake:
    id: str
    kata: str
    description: str
    diagnosis: str
    module: str
    replace: str
    with_: str
    only_in_training: bool = False

    def applied_to(self, source: str) -> str:
        """``source`` (the reference's text of the module) with this mistake made."""
        if source.count(self.replace) != 1:
            raise ValueError(f"mistake {self.id}: the text to replace occurs {source.count(self.replace)} "
                             f"times in {self.module}.py, not once")
        return source.replace(self.replace, self.with_)

    def apply(self, target: Path) -> Path:
        """Write the reference with this mistake into ``target`` (a new implementation folder)."""
        shutil.copytree(SOLUTIONS_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
        path = target / f"{self.module}.py"
        path.write_text(self.applied_to(path.read_text(encoding="utf-8")), encoding="utf-8")
        return target


def load_mistakes() -> list[Mistake]:
    entries = tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))["mistake"]
    return [Mistake(e["id"], e["kata"], e["description"], e["diagnosis"], e["module"], e["replace"], e["with"],
                    e.get("only_in_training", False)) for e in entries]
