"""Correct implementations written independently of the reference pass every check: the checks
judge behaviour through the API, not the reference's internals (attribute names, call order)."""
from pathlib import Path

import pytest

from grader.implementation import load_implementation
from grader.manifest import load_manifest
from grader.runner import Runner, Status

EXEMPLARS = Path(__file__).resolve().parent.parent / "exemplars"


@pytest.mark.parametrize("name", ["book_style", "different_style"])
def test_independent_correct_implementation_passes_every_kata(name, kata_seed):
    results = Runner(load_implementation(EXEMPLARS / name), kata_seed).run_all(load_manifest())
    failures = [f"{r.check.id}: {r.message}" for result in results for r in result.results
                if r.status is Status.FAILED]
    assert not failures, "\n\n".join(failures)
    assert all(result.status is Status.PASSED for result in results)
