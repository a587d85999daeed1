"""Kata tests for d2l 8.2 (vgg): vgg_block, vgg."""
from grader.checks import checks_of_module
from grader.learner.pytest_plugin import kata_params


@kata_params(checks_of_module("vgg"))
def test_vgg(check, run_check):
    run_check(check)
