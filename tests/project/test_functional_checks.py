"""The functional katas' checks (corr2d and its family, padding and strides, pooling): they vary every
argument, read inputs in any memory layout, insist on exact types, and name a mistake only where
the data single it out — while the book's own code fails only where a check deliberately says so."""
import inspect
import re

import pytest
import torch

from grader.checks import channels, checks_of_kata, conv_layer, pooling
from grader.checks.judges import identify
from grader.checks.runner import Runner, Status
from solutions import channels as reference_channels
from solutions import conv_layer as reference_conv_layer
from solutions import pooling as reference_pooling

#: The book's code (d2l 7.2–7.5) as it prints it, for the katas whose API it has.
BOOK_CORR2D = '''
def corr2d(X, K):
    """Compute 2D cross-correlation."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
'''
BOOK_COMP_CONV2D = '''
def comp_conv2d(conv2d, X):
    X = X.reshape((1, 1) + X.shape)
    Y = conv2d(X)
    return Y.reshape(Y.shape[2:])
'''
BOOK_1X1 = '''
def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    Y = torch.matmul(K, X)
    return Y.reshape((c_o, h, w))
'''
BOOK_POOL2D = '''
def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == 'avg':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y
'''

#: kata → (module, the book's code, the checks that deliberately fail it: torch.zeros ignores the
#: input's dtype and device; the book's pool2d takes only a pair and accepts any mode).
BOOK_CODE = {
    "corr2d": ("conv_layer", BOOK_CORR2D, {"dtype_and_device"}),
    "comp_conv2d": ("padding_strides", BOOK_COMP_CONV2D, set()),
    "corr2d_1x1": ("channels", BOOK_1X1, set()),
    "pool2d": ("pooling", BOOK_POOL2D, {"dtype_and_device", "int_pool_size", "unknown_mode"}),
}


def with_function(name: str, code: str):
    """An edit of a module's source that replaces the top-level function ``name`` with ``code``."""
    return lambda source: re.sub(rf"^def {name}\(.*?(?=^\S|\Z)", code.strip() + "\n\n\n", source, count=1,
                                 flags=re.S | re.M)


def edited(old: str, new: str):
    def edit(source: str) -> str:
        assert source.count(old) == 1, old
        return source.replace(old, new)
    return edit


def failures(impl, kata: str, module: str, seed: int) -> dict:
    """check name → the failed result, for every failing check of ``kata``."""
    runner = Runner(impl, seed)
    results = [runner.run(check, module) for check in checks_of_kata(kata)]
    return {r.check.name: r for r in results if r.status is Status.FAILED}


@pytest.mark.parametrize("kata", BOOK_CODE)
def test_the_books_code_fails_only_where_a_check_says_so(kata, make_impl, kata_seed):
    module, code, deliberate = BOOK_CODE[kata]
    function = re.search(r"def (\w+)\(", code)[1]
    failed = failures(make_impl(**{module: with_function(function, code)}), kata, module, kata_seed)
    assert set(failed) == deliberate, {name: r.message for name, r in failed.items()}


def test_a_pooling_stride_equal_to_the_window_is_not_called_one_short(make_impl, kata_seed):
    """Reported: the book's 3×3 example pooled with stride 2 (nn.MaxPool2d's default) gives one
    value, which an output one row and column short gives too: that data names neither."""
    impl = make_impl(pooling=edited("X[a:a + out_h, b:b + out_w] for a", "X[a:a + out_h:p_h, b:b + out_w:p_w] for a"))
    failed = failures(impl, "pool2d", "pooling", kata_seed)
    assert failed["book_example"].mistakes == ()
    assert "output_off_by_one" not in {m for r in failed.values() for m in r.mistakes}
    assert "pool_stride_is_window" in failed["numeric_sweep"].mistakes


def test_data_that_two_explanations_fit_names_neither():
    same = lambda a, b: a == b  # noqa: E731
    assert identify([1], [2], {"one_short": [1], "stride": [1]}, same) == []
    assert identify([1], [2], {"one_short": [1]}, same, rivals=[[1]]) == []
    assert identify([1], [1], {"one_short": [1]}, same) == []
    assert identify([1], [2], {"one_short": [1], "stride": [3]}, same) == ["one_short"]


def test_a_gradient_failure_names_the_argument(make_impl, kata_seed):
    missing = failures(make_impl(conv_layer=edited("    kh, kw = K.shape\n", "    kh, kw = K.shape\n    K = K.detach()\n")),
                       "corr2d", "conv_layer", kata_seed)
    assert "no gradient reaches K" in missing["gradient"].message
    detached = edited("Y = X[:out_h, :out_w] * K[0, 0]", "Y = X[:out_h, :out_w].detach() * K[0, 0]")
    wrong = failures(make_impl("wrong", conv_layer=detached), "corr2d", "conv_layer", kata_seed)
    # (with a 1×1 kernel, the seed's choice, that first term is the whole output: no gradient reaches X at all)
    assert re.search(r"the gradient of corr2d with respect to X|no gradient reaches X", wrong["gradient"].message)
    assert "argument 1" not in wrong["gradient"].message


@pytest.mark.parametrize("spec, reference", [
    (conv_layer.CORR2D, reference_conv_layer), (conv_layer.EDGES, reference_conv_layer),
    (channels.MULTI_IN, reference_channels), (channels.MULTI_IN_OUT, reference_channels),
    (channels.ONE_BY_ONE, reference_channels), (pooling.POOL2D, reference_pooling)], ids=lambda v: getattr(v, "kata", ""))
def test_the_messages_use_the_apis_parameter_names(spec, reference):
    assert tuple(inspect.signature(getattr(reference, spec.function)).parameters)[:len(spec.params)] == spec.params


@pytest.mark.parametrize("division", ["(n + 2 * p - k) / s + 1", "torch.div(n + 2 * p - k, s, rounding_mode='floor') + 1"])
def test_conv_output_shape_returns_ints(division, make_impl, kata_seed):
    impl = make_impl(padding_strides=edited("(n + 2 * p - k) // s + 1", division))
    failed = failures(impl, "conv_output_shape", "padding_strides", kata_seed)
    assert "shape_sweep" in failed and "shape_not_ints" in failed["shape_sweep"].mistakes
    assert "a pair of ints" in failed["shape_sweep"].message
    assert "the book prints" in failed["book_example"].message


def test_an_argument_changed_in_place_is_named(make_impl, kata_seed):
    impl = make_impl(padding_strides=edited("conv2d(X.reshape((1, 1) + X.shape))", "conv2d(X.unsqueeze_(0).unsqueeze_(0))"))
    failed = failures(impl, "comp_conv2d", "padding_strides", kata_seed)
    assert "changed its argument X in place" in failed["layer_outputs"].message
    assert failed["layer_outputs"].mistakes == ("input_modified_in_place",)


def test_view_fails_on_a_transposed_input(make_impl, kata_seed):
    impl = make_impl(channels=edited("@ X.reshape(c_i, h * w)", "@ X.view(c_i, h * w)"))
    failed = failures(impl, "corr2d_1x1", "channels", kata_seed)
    assert set(failed) == {"input_layouts"} and failed["input_layouts"].mistakes == ("view_needs_contiguous",)


def test_a_result_of_another_dtype_is_not_blamed_on_torch_zeros(make_impl, kata_seed):
    """A float64 result for float32 inputs fails, but is not 'torch.zeros ignores the dtype' (float32)."""
    impl = make_impl(pooling=edited('windows.amax(dim=0) if mode == "max" else windows.mean(dim=0)',
                                    '(windows.amax(dim=0) if mode == "max" else windows.mean(dim=0)).double()'))
    failed = failures(impl, "pool2d", "pooling", kata_seed)
    assert "expected dtype torch.float32, got torch.float64" in failed["dtype_and_device"].message
    assert failed["dtype_and_device"].mistakes == ()


def test_the_books_constants_survive_code_that_changes_its_arguments(make_impl, kata_seed):
    """An example's fixed X is copied for each call: code that writes into X cannot change it for later checks."""
    before = conv_layer.SEED_X.clone()
    failures(make_impl(conv_layer=edited("Y = X[:out_h, :out_w] * K[0, 0]", "Y = X[:out_h, :out_w].mul_(K[0, 0])")),
             "corr2d", "conv_layer", kata_seed)
    assert torch.equal(conv_layer.SEED_X, before)


def test_pairs_may_come_back_as_lists(make_impl, kata_seed):
    """The README's promise: a pair of ints may be a tuple or a list; only its items' type is exact."""
    impl = make_impl(padding_strides=lambda source: edited("    return shape\n", "    return list(shape)\n")(
        edited("return padding[0] if isinstance(kernel_size, int) else padding",
               "return padding[0] if isinstance(kernel_size, int) else list(padding)")(source)))
    for kata in ("conv_output_shape", "same_padding"):
        assert not failures(impl, kata, "padding_strides", kata_seed), kata
