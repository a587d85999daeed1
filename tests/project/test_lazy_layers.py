"""Networks written with Lazy layers, as d2l 1.0 writes them (nn.LazyConv2d, nn.LazyLinear,
nn.LazyBatchNorm2d: no input size, taken from the first input), are judged as the same networks
written with sized layers: every check that builds a module shapes it first with a dry run
(grader.checks.structure.materialised)."""
import re

import pytest
import torch
from torch import nn

from grader.checks import checks_of_kata
from grader.checks.googlenet import TINY_GOOGLENET
from grader.checks.nin import TINY_NIN
from grader.checks.resnet import TINY_RESNET
from grader.checks.runner import Runner, Status
from grader.checks.structure import describe_layer, materialised, parameter_count
from grader.checks.vgg import TINY_VGG
from grader.core.manifest import load_manifest
from grader.dev.catalogue import load_mistakes

NETWORK_MODULES = ("vgg", "nin", "googlenet", "resnet")


def lazy(source: str) -> str:
    """The reference's layers made Lazy: their first argument, the input size, is dropped."""
    made = re.sub(r"nn\.(Conv2d|Linear|BatchNorm2d)\([^,()]+(?:, |(?=\)))", r"nn.Lazy\1(", source)
    assert not re.search(r"nn\.(Conv2d|Linear|BatchNorm2d)\(", made), "a layer of the reference stayed sized"
    return made


def the_check(kata: str, kind: str):
    [check] = [c for c in checks_of_kata(kata) if c.kind == kind]
    return check


def test_a_module_without_lazy_layers_is_left_untouched():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Dropout(0.5))
    calls = []
    net.register_forward_hook(lambda *_: calls.append(1))
    state = torch.get_rng_state()
    assert materialised(net, (2, 1, 5, 5)) is net
    assert not calls, "no forward pass runs"
    assert torch.equal(torch.get_rng_state(), state), "nothing is drawn from the random generator"


def test_the_dry_run_shapes_the_layers_and_moves_no_statistic():
    net = nn.Sequential(nn.LazyConv2d(4, 3, padding=1), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Dropout(0.5),
                        nn.Flatten(), nn.LazyLinear(10))
    net[3].eval()
    materialised(net, (2, 3, 6, 6))
    assert [describe_layer(layer) for layer in (net[0], net[1], net[5])] == [
        "Conv2d(3, 4, k=3, s=1, p=1)", "BatchNorm2d(4)", "Linear(144, 10)"]
    assert parameter_count(net) == 4 * 3 * 9 + 4 + 2 * 4 + 144 * 10 + 10
    assert torch.equal(net[1].running_mean, torch.zeros(4)) and int(net[1].num_batches_tracked) == 0
    assert [m.training for m in net] == [True, True, True, False, True, True], "each module keeps its mode"


def test_a_lazy_layer_that_never_runs_is_named():
    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.spare = nn.LazyConv2d(2, 1), nn.LazyLinear(3)

        def forward(self, x):
            return self.used(x)

    with pytest.raises(ValueError, match=r"LazyLinear \(spare\) never ran in a forward pass on an input \(1, 1, 2, 2\)"):
        materialised(Unused(), (1, 1, 2, 2))


@pytest.mark.parametrize("run", [TINY_VGG, TINY_NIN, TINY_GOOGLENET, TINY_RESNET], ids=lambda run: run.kata)
def test_a_lazy_network_starts_training_from_the_references_weights(run, make_impl, kata_seed):
    """The same layers get the same initial weights, so the convergence runs are the reference's."""
    reference, made_lazy = make_impl("reference"), make_impl("lazy", **dict.fromkeys(NETWORK_MODULES, lazy))
    name = load_manifest().get(run.kata).module
    want = run.fresh(reference.module(name), kata_seed, "cpu")[0].state_dict()
    got = run.fresh(made_lazy.module(name), kata_seed, "cpu")[0].state_dict()
    assert got.keys() == want.keys()
    assert all(torch.equal(got[key], want[key]) for key in want)


def test_a_lazy_network_passes_a_convergence_check(make_impl, kata_seed):
    result = Runner(make_impl("lazy", resnet=lazy), kata_seed).run(the_check("resnet18", "training"), "resnet")
    assert result.status is Status.PASSED, result.message


def test_an_error_in_the_dry_run_is_the_learners(make_impl, kata_seed):
    """The second convolution applied to the block's input: a shape error, raised by the dry run."""
    def mistaken(source):
        made = lazy(source)
        assert made.count("self.conv2(Y)") == 1
        return made.replace("self.conv2(Y)", "self.conv2(X)")
    result = Runner(make_impl("lazy", resnet=mistaken), kata_seed).run(the_check("resnet18", "training"), "resnet")
    assert result.status is Status.FAILED
    assert result.message.startswith("your code raised an exception:")
    assert "resnet.py" in result.message and "in forward" in result.message and "RuntimeError" in result.message


#: Catalogued mistakes that a network written with Lazy layers can make too.
LAZY_MISTAKES = ["vgg_block_no_pool", "nin_block_1x1_kernel_size", "residual_shortcut_always",
                 "residual_bn_momentum", "resnet18_b1_no_batch_norm"]


@pytest.mark.parametrize("mistake", [m for m in load_mistakes() if m.id in LAZY_MISTAKES], ids=lambda m: m.id)
def test_a_lazy_networks_structure_is_diagnosed_in_real_shapes(mistake, make_impl, kata_seed):
    """The layer table, layer list and parameter count a learner reads are those of the same
    mistake made with sized layers: the shapes the dry run gave the layers, never 'uninitialized'."""
    sized = make_impl("sized", **{mistake.module: mistake.applied_to})
    made_lazy = make_impl("lazy", **{mistake.module: lambda source: lazy(mistake.applied_to(source))})
    check = the_check(mistake.kata, "structure")
    want, got = (Runner(impl, kata_seed).run(check, mistake.module) for impl in (sized, made_lazy))
    assert got.status is Status.FAILED and mistake.diagnosis in got.mistakes
    assert (got.message, got.mistakes) == (want.message, want.mistakes)
