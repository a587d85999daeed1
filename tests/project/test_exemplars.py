"""Correct implementations written independently of the reference pass every check: the checks
judge behaviour through the API, not the reference's internals (attribute names, call order)."""
from pathlib import Path

import pytest

from grader.implementation import load_implementation
from grader.manifest import load_manifest
from grader.checks import checks_of_kata
from grader.runner import KataResult, Runner, Status

EXEMPLARS = Path(__file__).resolve().parent.parent / "exemplars"


@pytest.mark.parametrize("name, training", [("book_style", True), ("different_style", False)])
def test_independent_correct_implementation_passes_every_kata(name, training, kata_seed):
    """Every check; the second exemplar skips the convergence checks (seconds each), which build
    the same small networks from its blocks as from the first's."""
    runner = Runner(load_implementation(EXEMPLARS / name), kata_seed)
    results = [KataResult(kata, [runner.run(check, kata.module) for check in checks_of_kata(kata.id)
                                 if training or check.kind != "training"]) for kata in load_manifest()]
    failures = [f"{r.check.id}: {r.message}" for result in results for r in result.results
                if r.status is Status.FAILED]
    assert not failures, "\n\n".join(failures)
    assert all(result.status is Status.PASSED for result in results)
