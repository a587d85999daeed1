"""Kata tests for d2l 7.4 (channels): corr2d_multi_in, corr2d_multi_in_out, corr2d_1x1."""
from grader.checks import checks_of_module
from grader.learner.pytest_plugin import kata_params


@kata_params(checks_of_module("channels"))
def test_channels(check, run_check):
    run_check(check)
