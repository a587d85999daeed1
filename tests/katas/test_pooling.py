"""Kata tests for d2l 7.5 (pooling): pool2d."""
from grader.checks import checks_of_module
from grader.learner.pytest_plugin import kata_params


@kata_params(checks_of_module("pooling"))
def test_pooling(check, run_check):
    run_check(check)
