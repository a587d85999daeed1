"""The runner: pending vs failed, import errors confined to their katas, plain probe data, scores."""
import pytest
import torch

from grader.checks.base import NotPlainData, plain
from grader.checks.runner import Runner, Status
from grader.core.manifest import load_manifest

MANIFEST = load_manifest()


def run(impl, kata_id, seed=7):
    return Runner(impl, seed).run_kata(MANIFEST.get(kata_id))


def messages(result, status=Status.FAILED):
    return "\n".join(r.message for r in result.results if r.status is status)


def test_stub_raise_is_pending_but_torch_not_implemented_is_a_failure(make_impl):
    stub = make_impl("stub", conv_layer=lambda s: s.replace(
        "    if X.dim() != 2 or K.dim() != 2:", '    raise NotImplementedError("corr2d: todo")\n    if X.dim() != 2:'))
    result = run(stub, "corr2d")
    assert result.status is Status.PENDING and result.score == 0
    assert "corr2d: todo" in messages(result, Status.PENDING)

    cpu_output = make_impl("cpu", conv_layer=lambda s: s.replace(
        "    Y = X[:out_h, :out_w] * K[0, 0]\n",
        "    Y = torch.zeros((out_h, out_w), dtype=X.dtype)\n    Y[0, 0] = (X[:kh, :kw] * K).sum()\n"
        "    Y = Y + X[:out_h, :out_w] * K[0, 0] - Y\n"))
    result = run(cpu_output, "corr2d")
    assert result.status is Status.FAILED
    assert "Cannot copy out of meta tensor" in messages(result)
    assert "device=X.device" in messages(result)


def test_a_module_that_does_not_import_fails_only_its_own_katas(make_impl):
    broken = make_impl("broken", conv_layer=lambda s: s.replace("def corr2d(X", "def corr2d(X,, "))
    result = run(broken, "corr2d")
    assert result.status is Status.FAILED
    assert "conv_layer.py could not be imported" in messages(result) and "SyntaxError" in messages(result)
    assert run(broken, "corr2d_multi_in").status is Status.FAILED  # channels imports .conv_layer
    assert run(broken, "pool2d").status is Status.PASSED
    assert run(broken, "conv_output_shape").status is Status.PASSED


def test_import_time_errors_and_missing_files_are_reported(make_impl):
    raising = make_impl("raising", pooling="import torch\nraise RuntimeError('left over from my notebook')\n")
    assert "left over from my notebook" in messages(run(raising, "pool2d"))
    missing = make_impl("missing")
    (missing.root / "nin.py").unlink()
    assert "nin.py is missing" in messages(run(missing, "nin_block"))


def test_missing_name_and_wrong_return_type_are_failures_with_reasons(make_impl):
    renamed = make_impl("renamed", pooling=lambda s: s.replace("def pool2d(", "def pool_2d("))
    assert "has no attribute 'pool2d'" in messages(run(renamed, "pool2d"))
    as_list = make_impl("as_list", pooling=lambda s: s.replace(
        "    return windows.amax(dim=0) if", "    return (windows.amax(dim=0) if").replace(
        'else windows.mean(dim=0)\n', 'else windows.mean(dim=0)).tolist()\n'))
    assert "should return a torch.Tensor, but returned a builtins.list" in messages(run(as_list, "pool2d"))


def test_partial_credit_counts_the_checks_passed(make_impl):
    uses_conv = make_impl("uses_conv", conv_layer=lambda s: s.replace(
        "    kh, kw = K.shape\n", "    return torch.nn.functional.conv2d(X[None, None], K[None, None])[0, 0]\n"
                                 "    kh, kw = K.shape\n", 1))
    result = run(uses_conv, "corr2d")
    assert result.status is Status.FAILED
    assert [r.check.kind for r in result.results if r.status is Status.FAILED] == ["rules"]
    assert result.score == pytest.approx(result.kata.points * (result.applicable - 1) / result.applicable)


def test_failures_print_the_seed_that_reproduces_them(make_impl):
    flipped = make_impl("flipped", conv_layer=lambda s: s.replace("    kh, kw = K.shape\n",
                                                                  "    K = K.flip(0, 1)\n    kh, kw = K.shape\n", 1))
    result = Runner(flipped, 424242).run_kata(MANIFEST.get("corr2d"))
    assert "--kata-seed=424242" in messages(result)


def test_plain_data_is_copied_detached_and_stripped_of_subclasses():
    class Sneaky(torch.Tensor):
        pass

    value = torch.ones(2, requires_grad=True).as_subclass(Sneaky)
    data = plain({"out": [value, 1, "x", None, (2.5, True)]})
    assert type(data["out"][0]) is torch.Tensor and not data["out"][0].requires_grad
    with pytest.raises(NotPlainData):
        plain({"f": lambda: 1})
    with pytest.raises(NotPlainData):
        plain(torch.empty(2, device="meta"))
    with pytest.raises(NotPlainData):
        plain({1: "not a str key"})


def warning_corr2d(source):
    """corr2d that warns, as torch does for some correct code."""
    return source.replace("    kh, kw = K.shape\n", "    import warnings\n    warnings.warn('torch says: this is "
                                                    "deprecated', UserWarning)\n    kh, kw = K.shape\n", 1)


def test_a_warning_from_correct_code_never_fails_it(make_impl):
    import warnings
    warns = make_impl("warns", conv_layer=warning_corr2d)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as under pytest -W error
        result = run(warns, "corr2d")
    assert result.status is Status.PASSED
    assert any("UserWarning: torch says: this is deprecated" in r.warnings for r in result.results)


def test_checks_on_fixed_inputs_alone_earn_nothing(make_impl, kata_seed):
    """A corr2d that knows only the book's example passes that check, and earns no point for it."""
    hard_coded = '''
import torch

def corr2d(X, K):
    return torch.tensor([[19.0, 25.0], [37.0, 43.0]])
'''
    impl = make_impl(conv_layer=lambda source: source + hard_coded)
    result = Runner(impl, kata_seed).run_kata(load_manifest().get("corr2d"))
    passed = [r.check.kind for r in result.results if r.status is Status.PASSED]
    assert passed == ["example"]
    assert result.uncredited and result.score == 0
