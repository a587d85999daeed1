"""The module and network katas: a diagnosis names the mistake the data show — in the learner's symbol
that makes it — and never one a simpler explanation covers; and their checks see more than the
fixed cases: arguments drawn from the seed, inputs that must come back unchanged, the meta device."""
from pathlib import Path

import pytest

from grader.checks import checks_of_kata, googlenet, nin, resnet, vgg
from grader.checks.batch_norm import bn_cases
from grader.checks.runner import CheckResult, Runner, Status
from grader.core.implementation import load_implementation
from grader.core.manifest import load_manifest

MANIFEST = load_manifest()
SEED = 7


def failures(impl, kata_id: str, *names: str) -> dict[str, CheckResult]:
    """The failed checks of a kata, by check name: those ``names``, or all but the convergence checks."""
    runner, kata = Runner(impl, SEED), MANIFEST.get(kata_id)
    results = [runner.run(check, kata.module) for check in checks_of_kata(kata_id)
               if check.name in names or not names and check.kind != "training"]
    return {r.check.name: r for r in results if r.status is Status.FAILED}


def named(results: dict[str, CheckResult]) -> set[str]:
    return {mistake for result in results.values() for mistake in result.mistakes}


def replacing(old: str, new: str):
    def edit(source: str) -> str:
        assert source.count(old) == 1, old
        return source.replace(old, new)
    return edit


# --- the reported diagnoses ----------------------------------------------------------------------

LAYER_CALL = """        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=self.eps, momentum=self.momentum)"""
#: The layer updates the moving statistics itself, d2l 0.17's way round, around a correct batch_norm.
OWN_FLIPPED_UPDATE = """        Y, mean, var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=self.eps, momentum=1.0)
        if torch.is_grad_enabled():
            self.moving_mean = self.momentum * self.moving_mean + (1 - self.momentum) * mean
            self.moving_var = self.momentum * self.moving_var + (1 - self.momentum) * var"""


@pytest.mark.parametrize("old, new", [
    ("        self.eps, self.momentum = 1e-5, 0.1", "        self.eps, self.momentum = 1e-5, 0.9"),
    (LAYER_CALL, OWN_FLIPPED_UPDATE),
], ids=["passes_momentum_0.9", "updates_the_statistics_itself"])
def test_a_layer_whose_momentum_is_the_other_way_round_is_told_so_not_to_fix_its_correct_batch_norm(make_impl, old, new):
    impl = make_impl(batch_norm=replacing(old, new))
    assert not failures(impl, "batch_norm"), "its batch_norm is correct"
    failed = failures(impl, "batch_norm_module")
    assert set(failed) == {"train_then_infer"}
    message = failed["train_then_infer"].message
    assert failed["train_then_infer"].mistakes == ("layer_momentum",)
    assert "the difference is in BatchNorm itself" in message
    assert "swap the two weights" not in message and "flipped momentum" not in message


def test_a_flipped_batch_norm_is_blamed_on_batch_norm_in_the_layer_too(make_impl):
    impl = make_impl(batch_norm=replacing(
        "        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean\n"
        "        moving_var = (1.0 - momentum) * moving_var + momentum * var",
        "        moving_mean = momentum * moving_mean + (1.0 - momentum) * mean\n"
        "        moving_var = momentum * moving_var + (1.0 - momentum) * var"))
    assert "flipped_momentum" in named(failures(impl, "batch_norm"))
    layer = failures(impl, "batch_norm_module")["train_then_infer"]
    assert "the difference comes from batch_norm" in layer.message
    assert "layer_momentum" not in layer.mistakes


def test_a_hard_coded_class_count_is_told_about_num_classes_not_kernel_sizes(make_impl):
    impl = make_impl(nin=replacing("nin_block(384, num_classes,", "nin_block(384, 10,"))
    failed = failures(impl, "nin")
    assert {"structure", "forward", "arguments"} <= set(failed)
    for name in ("structure", "forward", "arguments"):
        assert failed[name].mistakes == ("num_classes_ignored",), (name, failed[name].mistakes)
    assert "1×1" not in failed["structure"].message and "wrong order" not in failed["structure"].message


#: b1's max pooling with stride 1: the same blocks, their shapes different from b2 on.
POOL_STRIDE_1 = ("nn.MaxPool2d(kernel_size=3, stride=2, padding=1))\n    b2 = ",
                 "nn.MaxPool2d(kernel_size=3, stride=1, padding=1))\n    b2 = ")


@pytest.mark.parametrize("kata, module, old, new", [
    ("resnet18", "resnet", "nn.Sequential(*resnet_block(256, 512, 2))", "nn.Sequential(*resnet_block(256, 512, 1))"),
    ("resnet18", "resnet", *POOL_STRIDE_1),
    ("googlenet", "googlenet", *POOL_STRIDE_1),
], ids=["resnet18_a_residual_missing", "resnet18_another_pooling", "googlenet_another_pooling"])
def test_a_structure_diff_says_wrong_order_only_for_the_same_layers_in_another_order(make_impl, kata, module, old, new):
    structure = failures(make_impl(**{module: replacing(old, new)}), kata, "structure")["structure"]
    assert "layers_out_of_order" not in structure.mistakes
    assert "missing_batch_norm" not in structure.mistakes, "a missing block is no missing batch norm"


def test_the_same_layers_in_another_order_are_still_told_so(make_impl):
    impl = make_impl(vgg=replacing(
        "        layers += [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1), nn.ReLU()]",
        "        layers += [nn.ReLU(), nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)]"))
    assert "layers_out_of_order" in failures(impl, "vgg_block", "structure")["structure"].mistakes


# --- checks that see more ------------------------------------------------------------------------

def test_a_module_that_changes_its_input_in_place_fails_with_a_clear_message(make_impl):
    impl = make_impl(resnet=replacing("        return F.relu(Y + X)", "        X += Y\n        return F.relu(X)"))
    failed = failures(impl, "residual")
    assert failed["forward"].mistakes == ("forward_modifies_input",)
    assert "changed its argument X in place" in failed["forward"].message
    assert "forward_modifies_input" in failed["gradient"].mistakes  # X requires grad there: torch refuses


def test_a_module_that_creates_a_cpu_tensor_in_forward_fails_on_the_meta_device(make_impl):
    impl = make_impl(resnet=replacing("        return F.relu(Y + X)", "        return F.relu(Y + X + torch.zeros(Y.shape))"))
    device = failures(impl, "residual", "device")["device"]
    assert device.mistakes == ("output_on_cpu",) and ".to('meta')" in device.message


def test_the_books_batch_norm_layer_which_moves_its_statistics_in_forward_passes_on_the_meta_device():
    book = load_implementation(Path(__file__).resolve().parents[1] / "exemplars" / "book_style")
    check = next(c for c in checks_of_kata("batch_norm_module") if c.name == "device")
    assert Runner(book, SEED).run(check, "batch_norm").status is Status.PASSED


def test_batch_norm_is_checked_with_other_eps_and_momentum_than_the_layers():
    cases = bn_cases(SEED)
    assert {(case[5], case[6]) for case in cases[1:]}.isdisjoint({(1e-5, 0.1)})
    assert all(0.1 < momentum < 0.9 and abs(momentum - 0.5) > 0.05 for *_, momentum in cases[1:])


#: Every network kata's spec, by kata.
SPECS = {spec.kata: spec for spec in (vgg.VGG_BLOCK, vgg.VGG, nin.NIN_BLOCK, nin.NIN, googlenet.INCEPTION,
                                      googlenet.GOOGLENET, resnet.RESIDUAL, resnet.RESNET_BLOCK, resnet.RESNET18)}


@pytest.mark.parametrize("kata", SPECS)
def test_a_network_katas_seeded_arguments_vary_every_argument(kata):
    """Over a few seeds every argument takes several values, batch size 1 is drawn, and inputs are
    non-square where the network allows."""
    cases = [case for seed in range(12) for case in SPECS[kata].seeded_cases(seed)]
    for position in range(len(cases[0].args)):
        assert len({repr(c.args[position]) for c in cases}) > 1, f"{kata}: argument {position} is fixed"
    for key in {k for c in cases for k in c.kwargs}:
        assert len({repr(c.kwargs.get(key)) for c in cases}) > 1, f"{kata}: {key} is fixed"
    assert 1 in {c.input_shape[0] for c in cases}
    if kata != "vgg":  # VGG's fully connected part fixes its input at 224×224
        assert all(c.input_shape[2] != c.input_shape[3] for c in cases)


# --- found by an outside red team -----------------------------------------------------------------

@pytest.mark.parametrize("kata, module, old, new", [
    ("vgg_block", "vgg", "nn.MaxPool2d(kernel_size=2, stride=2)", "nn.AvgPool2d(kernel_size=2, stride=2)"),
    ("vgg_block", "vgg", "padding=1), nn.ReLU()]", "padding=1), nn.BatchNorm2d(out_channels), nn.ReLU()]"),
], ids=["avg_pooling", "extra_batch_norm"])
def test_a_layer_kind_the_reference_lacks_is_judged_not_a_crash_of_the_judge(make_impl, kata, module, old, new):
    failed = failures(make_impl(**{module: replacing(old, new)}), kata)
    assert "structure" in failed and not named(failed)
    assert not any("could not be judged" in result.message for result in failed.values())


@pytest.mark.parametrize("kata, old, new", [
    ("residual", "nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)",
     "nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1, stride=strides)"),
    ("resnet_block", "use_1x1conv=True, strides=2))", "use_1x1conv=True, strides=1))"),
], ids=["second_conv_strided", "stage_without_stride"])
def test_a_shortcut_with_the_main_paths_stride_is_not_told_to_add_one(make_impl, kata, old, new):
    """Its 1×1 shortcut matches its main path: the difference is elsewhere (the sizes in the error
    are not the input's; the main path lost the stride too)."""
    failed = failures(make_impl(resnet=replacing(old, new)), kata)
    assert failed and "shortcut_without_stride" not in named(failed)


FUNCTIONAL_BLOCK = '''    from torch.nn import functional as F

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.convs = nn.ModuleList(nn.Conv2d(in_channels if i == 0 else out_channels, out_channels,
                                                 kernel_size=3, padding=1) for i in range(num_convs))

        def forward(self, X):
            for conv in self.convs:
                X = F.relu(conv(X))
            return F.max_pool2d(X, kernel_size=2, stride=2)
    return Block()'''


def test_relu_and_pooling_called_as_functions_are_not_missing_layers(make_impl):
    """A block with its own forward (F.relu, F.max_pool2d): vgg_block is told it must return a
    Sequential (its API), and neither kata is told a ReLU or a pooling layer is missing."""
    impl = make_impl(vgg=replacing('''    layers = []
    for _ in range(num_convs):
        layers += [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1), nn.ReLU()]
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)''', FUNCTIONAL_BLOCK))
    block = failures(impl, "vgg_block")
    assert "should return an nn.Sequential of modules, got Block" in block["structure"].message
    assert not named(block) and not named(failures(impl, "vgg"))
