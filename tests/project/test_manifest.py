"""katas.toml: the real manifest is valid and matches the checks; bad manifests give clear errors."""
import pytest

from grader.checks import all_checks, checks_of_kata
from grader.checks.base import KINDS
from grader.core.i18n import speaking
from grader.core.manifest import ManifestError, load_manifest, parse_manifest

SECTIONS = '''
[sections]
corr2d = { en = "7.2", zh = "6.2" }
'''
KATA = '''
[[kata]]
id = "corr2d"
title = "2-D cross-correlation"
module = "conv_layer"
symbols = ["corr2d"]
points = 4
requires = []
hints = ["one", "two"]
'''
GOOD = SECTIONS + KATA


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


def test_a_kata_cites_the_section_of_the_readers_edition_of_the_book():
    kata = parse_manifest(GOOD).get("corr2d")
    assert (kata.section, kata.citation) == ("7.2", "d2l 7.2")
    with speaking("zh"):
        assert (kata.section, kata.citation) == ("6.2", "d2l-zh 6.2")


def test_d2l_zh_numbers_the_convolution_chapters_one_below_the_english_edition():
    """d2l-zh's chapters 6 and 7 (卷积神经网络, 现代卷积神经网络) are the English edition's 7 and 8."""
    for kata in load_manifest():
        english, chinese = dict(kata.sections)["en"].split("."), dict(kata.sections)["zh"].split(".")
        assert english[0] in ("7", "8"), kata.id
        assert [int(chinese[0]) + 1, *chinese[1:]] == [int(english[0]), *english[1:]], kata.id


@pytest.mark.parametrize("edit, message", [
    (lambda t: t + KATA, "duplicate id 'corr2d'"),
    (lambda t: t.replace('"conv_layer"', '"convolution"'), "unknown module 'convolution'"),
    (lambda t: t.replace('symbols = ["corr2d"]', 'symbols = ["corr3d"]'), "does not define ['corr3d']"),
    (lambda t: t.replace("points = 4", "points = 0"), "points must be a positive int"),
    (lambda t: t.replace("points = 4", 'points = "4"'), "'points' must be a int"),
    (lambda t: t.replace("requires = []", 'requires = ["pool2d"]'), "requires 'pool2d'"),
    (lambda t: t.replace('hints = ["one", "two"]', 'hints = ["one"]'), "at least two hints"),
    (lambda t: t.replace('module = "conv_layer"\n', ""), "missing field 'module'"),
    (lambda t: t.replace(SECTIONS, ""), "no [sections] table"),
    (lambda t: t.replace('corr2d = {', 'corr2d_1x1 = {'), "[sections] has no 'corr2d'"),
    (lambda t: t.replace('[sections]\n', '[sections]\npool2d = { en = "7.5", zh = "6.5" }\n'),
     "[sections] lists ['pool2d'], which no [[kata]] has"),
    (lambda t: t.replace(', zh = "6.2"', ""), "give the section in each edition of the book"),
    (lambda t: t.replace('zh = "6.2"', 'zh = "six"'), "zh must be a section number"),
    (lambda t: t + 'colour = "red"\n', "unknown field(s) ['colour']"),
    (lambda t: t.replace("[[kata]]", "[[kata]"), "not valid TOML"),
])
def test_bad_manifest_names_the_kata_and_the_problem(edit, message):
    with pytest.raises(ManifestError) as error:
        parse_manifest(edit(GOOD))
    assert message in str(error.value)
    assert "katas.toml" in str(error.value)
