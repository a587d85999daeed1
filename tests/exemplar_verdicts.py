"""Every check's verdict on an exemplar (tests/exemplars/NAME): what tests/project/test_exemplars.py asserts.

    python -m tests.exemplar_verdicts ROOT NAME SEED      # writes ROOT/verdicts.json, then ROOT/done

tests/conftest.py runs it in the background for the book-style exemplar, whose convergence
checks train five small networks (seconds each); the other exemplar skips them and runs in-process.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from grader.checks import checks_of_kata
from grader.implementation import load_implementation
from grader.manifest import load_manifest
from grader.runner import KataResult, Runner, Status

EXEMPLARS = Path(__file__).resolve().parent / "exemplars"


def verdicts(name: str, seed: int, training: bool = True) -> dict:
    """``{"failures": ["check: message", ...], "statuses": {kata: status}}`` for the exemplar ``name``
    (without the convergence checks unless ``training``)."""
    runner = Runner(load_implementation(EXEMPLARS / name), seed)
    results = [KataResult(kata, [runner.run(check, kata.module) for check in checks_of_kata(kata.id)
                                 if training or check.kind != "training"]) for kata in load_manifest()]
    return {"failures": [f"{r.check.id}: {r.message}" for result in results for r in result.results
                         if r.status is Status.FAILED],
            "statuses": {result.kata.id: result.status.value for result in results}}


if __name__ == "__main__":
    root, name, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    (root / "verdicts.json").write_text(json.dumps(verdicts(name, seed)), encoding="utf-8")
    (root / "done").touch()
