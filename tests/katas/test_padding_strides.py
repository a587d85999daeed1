"""Kata tests for d2l 7.3 (padding_strides): conv_output_shape, comp_conv2d, same_padding."""
from grader.checks import checks_of_module
from grader.learner.pytest_plugin import kata_params


@kata_params(checks_of_module("padding_strides"))
def test_padding_strides(check, run_check):
    run_check(check)
