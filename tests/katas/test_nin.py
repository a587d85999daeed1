"""Kata tests for d2l 8.3 (nin): nin_block, nin."""
from grader.checks import checks_of_module
from grader.learner.pytest_plugin import kata_params


@kata_params(checks_of_module("nin"))
def test_nin(check, run_check):
    run_check(check)
