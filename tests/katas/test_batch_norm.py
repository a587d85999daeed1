"""Kata tests for d2l 8.5 (batch_norm): batch_norm, batch_norm_module."""
from grader.checks import checks_of_module
from grader.learner.pytest_plugin import kata_params


@kata_params(checks_of_module("batch_norm"))
def test_batch_norm(check, run_check):
    run_check(check)
