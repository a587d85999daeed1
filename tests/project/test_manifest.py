"""katas.toml: the real manifest is valid and matches the checks; bad manifests give clear errors."""
import pytest

from grader.checks import all_checks, checks_of_kata
from grader.checks.base import KINDS
from grader.core.manifest import ManifestError, load_manifest, parse_manifest

GOOD = '''
[[kata]]
id = "corr2d"
title = "2-D cross-correlation"
section = "7.2"
module = "conv_layer"
symbols = ["corr2d"]
points = 4
requires = []
hints = ["one", "two"]
'''


def test_real_manifest_lists_every_seed_kata_in_order():
    manifest = load_manifest()
    assert [k.module for k in manifest][:1] == ["conv_layer"]
    assert manifest.modules == ("conv_layer", "padding_strides", "channels", "pooling", "vgg", "nin",
                                "googlenet", "batch_norm", "resnet")
    assert len(manifest) == 22
    assert manifest.total_points == sum(k.points for k in manifest)


def test_every_kata_has_checks_and_every_check_a_kata():
    manifest = load_manifest()
    ids = {k.id for k in manifest}
    assert {c.kata for c in all_checks()} == ids
    for kata in manifest:
        kinds = {c.kind for c in checks_of_kata(kata.id)}
        assert kinds - {"gpu"}, f"{kata.id} has no CPU checks"
    assert len({c.id for c in all_checks()}) == len(all_checks()), "duplicate check ids"
    assert {c.kind for c in all_checks()} <= set(KINDS)


def test_corr2d_family_has_every_kind_of_check():
    for kata in ("corr2d", "corr2d_multi_in", "corr2d_multi_in_out", "corr2d_1x1"):
        kinds = {c.kind for c in checks_of_kata(kata)}
        assert {"shape", "numeric", "gradient", "dtype_device", "rules", "gpu"} <= kinds, kata


def test_good_manifest_parses():
    manifest = parse_manifest(GOOD)
    assert manifest.get("corr2d").points == 4
    assert manifest.kata_of_symbol("conv_layer", "corr2d").id == "corr2d"


@pytest.mark.parametrize("edit, message", [
    (lambda t: t + t, "duplicate id 'corr2d'"),
    (lambda t: t.replace('"conv_layer"', '"convolution"'), "unknown module 'convolution'"),
    (lambda t: t.replace('symbols = ["corr2d"]', 'symbols = ["corr3d"]'), "does not define ['corr3d']"),
    (lambda t: t.replace("points = 4", "points = 0"), "points must be a positive int"),
    (lambda t: t.replace("points = 4", 'points = "4"'), "'points' must be a int"),
    (lambda t: t.replace("requires = []", 'requires = ["pool2d"]'), "requires 'pool2d'"),
    (lambda t: t.replace('hints = ["one", "two"]', 'hints = ["one"]'), "at least two hints"),
    (lambda t: t.replace('section = "7.2"\n', ""), "missing field 'section'"),
    (lambda t: t + 'colour = "red"\n', "unknown field(s) ['colour']"),
    (lambda t: t.replace("[[kata]]", "[[kata]"), "not valid TOML"),
])
def test_bad_manifest_names_the_kata_and_the_problem(edit, message):
    with pytest.raises(ManifestError) as error:
        parse_manifest(edit(GOOD))
    assert message in str(error.value)
    assert "katas.toml" in str(error.value)
