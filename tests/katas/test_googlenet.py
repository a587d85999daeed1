"""Kata tests for d2l 8.4 (googlenet): inception, googlenet."""
from grader.checks import checks_of_module
from grader.learner.pytest_plugin import kata_params


@kata_params(checks_of_module("googlenet"))
def test_googlenet(check, run_check):
    run_check(check)
