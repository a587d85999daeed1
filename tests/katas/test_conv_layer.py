"""Kata tests for d2l 7.2 (conv_layer): corr2d, conv2d_module, edge_detection, learn_kernel."""
from grader.checks import checks_of_module
from grader.learner.pytest_plugin import kata_params


@kata_params(checks_of_module("conv_layer"))
def test_conv_layer(check, run_check):
    run_check(check)
