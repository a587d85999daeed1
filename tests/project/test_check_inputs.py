"""A check of a seeded kind draws its inputs from its seed: the reference's data differ from seed to
seed, so no constant — an answer hard-coded for one seed, or replayed from another — can pass it.
(Fixed inputs are the fixed kinds' business: the book's examples, the architecture, the errors.)
A dtype_device check draws its inputs from its seed too, but its data (dtypes, devices, shapes) are
few enough for a constant to match on some seeds: it earns only beside a value check."""
from functools import cache

import pytest
import torch

from grader.checks import all_checks, base
from grader.checks.base import Mismatch, plain
from grader.core.implementation import load_implementation
from grader.core.manifest import load_manifest
from grader.core.paths import SOLUTIONS_DIR

#: The kinds whose inputs come from the seed.
SEEDED_KINDS = (*base.SEEDED_KINDS, "dtype_device")

#: Run seeds whose check seeds (Check.seed_for) are tried in turn, until one gives data other than the first's.
RUN_SEEDS = (0, 1, 2, 3, 4, 5)

SEEDED = [check for check in all_checks() if check.kind in SEEDED_KINDS]
MANIFEST = load_manifest()


@cache
def _reference():
    return load_implementation(SOLUTIONS_DIR)


@cache
def reference_data(check_id: str, run_seed: int):
    check = next(c for c in SEEDED if c.id == check_id)
    module = _reference().module(MANIFEST.get(check.kata).module)
    return plain(check.probe(module, check.seed_for(run_seed)))


def same(a, b) -> bool:
    """Whether two pieces of probe data are identical (tensors: same shape, dtype and values)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape
                and a.dtype == b.dtype and torch.equal(a, b))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _param(check):
    return pytest.param(check, id=check.id, marks=[pytest.mark.skipif(not check.runnable, reason="needs a CUDA device")])


def test_there_are_seeded_checks():
    assert SEEDED_KINDS and SEEDED, "no check of a seeded kind"


def another_seed(check_id: str) -> int | None:
    """The first run seed after RUN_SEEDS[0] whose reference data differ from RUN_SEEDS[0]'s."""
    first = reference_data(check_id, RUN_SEEDS[0])
    return next((seed for seed in RUN_SEEDS[1:] if not same(first, reference_data(check_id, seed))), None)


@pytest.mark.parametrize("check", [_param(c) for c in SEEDED])
def test_a_seeded_check_draws_its_inputs_from_the_seed(check):
    assert another_seed(check.id) is not None, (
        f"{check.id} ({check.kind}): the reference's data are the same for every seed — its inputs are "
        "fixed, so a constant answer passes it; draw them from the seed (grader/checks/generators.py) or "
        "give it a fixed kind (example, structure, errors)")


@pytest.mark.parametrize("check", [_param(c) for c in SEEDED])
def test_a_seeded_judge_refuses_another_seeds_data(check):
    """The differences between seeds are ones the judge sees: the reference's data for one seed,
    replayed as the answer for another, fail."""
    seed = another_seed(check.id)
    assert seed is not None, f"{check.id}: the same data for every seed"
    want = reference_data(check.id, seed)
    check.judge(want, want, check.seed_for(seed))
    with pytest.raises(Mismatch):
        check.judge(reference_data(check.id, RUN_SEEDS[0]), want, check.seed_for(seed))


#: The seeds one seed's data are replayed on: a check that one constant passes on 1 seed in 100 fails.
REPLAY_SEEDS = range(1, 101)


@pytest.mark.parametrize("check", [_param(c) for c in SEEDED if c.kind in base.SEEDED_KINDS and c.kind not in base.VALUE_KINDS])
def test_a_check_that_earns_on_its_own_refuses_one_seeds_data_on_every_other(check):
    """A check that earns points without a value check (the shape sweeps) refuses the reference's data
    for one seed replayed on each of 100 others, not only on the first seed whose data differ.
    (With the dtype_device checks in, this failed 14 of them: one constant passed each on 1–10% of seeds.)"""
    replayed = reference_data(check.id, RUN_SEEDS[0])
    for seed in REPLAY_SEEDS:
        with pytest.raises(Mismatch):
            check.judge(replayed, reference_data(check.id, seed), check.seed_for(seed))


#: The two checks the red team passed with constants (1.5 and 2 points).
REPORTED = ["learn_kernel::recovers_edge_kernel", "same_padding::odd_kernels"]


@pytest.mark.parametrize("check_id", REPORTED)
def test_a_constant_answer_fails_the_reported_checks(check_id):
    """The reference's data for one seed, replayed as the answer for another, is refused."""
    check = next(c for c in SEEDED if c.id == check_id)
    assert check.kind in SEEDED_KINDS
    replayed, seed = reference_data(check_id, RUN_SEEDS[0]), check.seed_for(RUN_SEEDS[1])
    want = reference_data(check_id, RUN_SEEDS[1])
    check.judge(want, want, seed)  # the reference's own data for the seed passes
    with pytest.raises(Mismatch):
        check.judge(replayed, want, seed)


def test_the_recovery_learns_back_a_kernel_drawn_from_the_seed():
    """What made the red team's constant pass: the kernel to recover was always [[1, -1]]."""
    from grader.checks.conv_layer import _recovery_case

    kernels = {tuple(_recovery_case(seed)[2].reshape(-1).tolist()) for seed in range(5)}
    images = {tuple(_recovery_case(seed)[1].shape) + tuple(_recovery_case(seed)[1][0].tolist()) for seed in range(5)}
    assert len(kernels) == 5 and len(images) > 1
