"""Kata tests for d2l 8.6 (resnet): residual, resnet_block, resnet18."""
from grader.checks import checks_of_module
from grader.learner.pytest_plugin import kata_params


@kata_params(checks_of_module("resnet"))
def test_resnet(check, run_check):
    run_check(check)
