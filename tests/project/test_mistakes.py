"""The tests are tested: every catalogued mistake fails its own kata, and the katas of the same
module that don't build on the mistaken one stay green."""
import pytest

from grader.implementation import load_implementation
from grader.manifest import load_manifest
from grader.runner import Runner, Status
from tests.mistakes.catalogue import load_mistakes

MISTAKES = load_mistakes()


def dependents(kata_id: str) -> set[str]:
    """The kata and every kata that requires it, directly or not."""
    found = {kata_id}
    for kata in load_manifest():  # manifest order: requirements come first
        if found.intersection(kata.requires):
            found.add(kata.id)
    return found


def test_catalogue_is_well_formed():
    manifest = load_manifest()
    ids = [m.id for m in MISTAKES]
    assert len(ids) == len(set(ids)), "duplicate mistake ids"
    for mistake in MISTAKES:
        assert manifest.get(mistake.kata).module == mistake.module, mistake.id
    assert {m.kata for m in MISTAKES} >= {"corr2d", "batch_norm", "residual", "inception"}


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_mistake_is_caught(mistake, tmp_path, kata_seed):
    manifest = load_manifest()
    runner = Runner(load_implementation(mistake.apply(tmp_path / mistake.id)), kata_seed)
    result = runner.run_kata(manifest.get(mistake.kata))
    assert result.status is Status.FAILED, f"{mistake.id} ({mistake.description}) passed every check of {mistake.kata}"
    assert result.score < result.kata.points
    untouched = [k for k in manifest if k.module == mistake.module and k.id not in dependents(mistake.kata)]
    for kata in untouched:
        other = runner.run_kata(kata)
        failures = [r.message for r in other.results if r.status is not Status.PASSED and r.status is not Status.SKIPPED]
        assert not failures, f"{mistake.id} should not affect {kata.id}: {failures}"
