"""The tests are tested: every catalogued mistake fails its own kata (one that only shows in training
fails only the convergence checks), a failure message names it, and the katas of the same module
that don't build on the mistaken one stay green."""
import pytest

from grader.checks.runner import Status
from grader.core.diagnosis import known_mistakes
from grader.core.manifest import load_manifest
from grader.dev.catalogue import load_mistakes
from grader.dev.mutation import judge_mistake, main

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
    assert len(ids) >= 30 and len(ids) == len(set(ids))
    assert {m.kata for m in MISTAKES} == {k.id for k in manifest}, "every kata has catalogued mistakes"
    for mistake in MISTAKES:
        assert manifest.get(mistake.kata).module == mistake.module, mistake.id
        assert known_mistakes()[mistake.diagnosis].applies_to(mistake.kata), mistake.id


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_mistake_is_caught_and_named(mistake, tmp_path, kata_seed, mutation_verdicts):
    verdict, runner = judge_mistake(mistake, tmp_path, kata_seed)
    mutation_verdicts.append(verdict)
    assert verdict.caught, f"{mistake.id} ({mistake.description}) passed every check of {mistake.kata}"
    assert verdict.result.score < verdict.result.kata.points
    messages = "\n\n".join(r.message for r in verdict.result.results if r.status is Status.FAILED)
    assert verdict.named, f"no failure names {mistake.diagnosis!r}:\n{messages}"
    if mistake.only_in_training:
        failing = {r.check.kind for r in verdict.result.results if r.status is Status.FAILED}
        assert failing == {"training"}, f"{mistake.id} should fail only the convergence checks"
    untouched = [k for k in load_manifest() if k.module == mistake.module and k.id not in dependents(mistake.kata)]
    for kata in untouched:
        other = runner.run_kata(kata)
        failures = [r.message for r in other.results if r.status is Status.FAILED]
        assert not failures, f"{mistake.id} should not affect {kata.id}: {failures}"



@pytest.mark.parametrize("seed", [1065667981, 782009009])
def test_a_difference_early_in_a_network_is_caught_on_seeds_where_the_output_hid_it(seed, tmp_path):
    """On these seeds GoogLeNet without b1's ReLU changed the final output by about 5e-4 relative,
    under the check's rtol of 1e-4, and passed; the block-by-block comparison catches it."""
    mistake = next(m for m in MISTAKES if m.id == "googlenet_b1_no_relu")
    verdict, _ = judge_mistake(mistake, tmp_path, seed)
    assert verdict.caught and verdict.named
    failed = [r for r in verdict.result.results if r.status is Status.FAILED]
    assert any("the output of block 1 already differs" in r.message for r in failed)


def test_mutation_score_command_prints_the_score(capsys, kata_seed, monkeypatch):
    monkeypatch.setattr("grader.dev.mutation.load_mistakes", lambda: MISTAKES[:2])
    assert main(["--seed", str(kata_seed)]) == 0
    assert "mutation score: 2/2 caught (100%), 2/2 named (100%)" in capsys.readouterr().out
