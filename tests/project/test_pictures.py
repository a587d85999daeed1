"""Pictures in the feedback: the judges describe a failure's figures as plain data (Mismatch.figures,
CheckResult.figures) and grader.grading.pictures draws them as HTML; the terminal's text is unchanged."""
import base64
import dataclasses
import io
import json
import logging
import re
import shutil
import sys

import matplotlib
import pytest
import torch
from PIL import Image

from grader.checks import checks_of_kata, conv_layer
from grader.checks import judges as judges_module
from grader.checks.base import Mismatch, plain
from grader.checks.generators import edge_image
from grader.checks.judges import MAX_MAP, judge_close
from grader.checks.runner import CheckResult, KataResult, Runner, Status
from grader.checks.training import TrainingRun, judge_training
from grader.core.implementation import load_implementation
from grader.core.manifest import load_manifest
from grader.core.paths import SOLUTIONS_DIR
from grader.grading import pictures
from grader.grading.pictures import figure_html, kata_html, page
from grader.grading.records import KataRecord

MANIFEST = load_manifest()
SEED = 7
FLIPPED_CORR2D = ("def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:\n",
                  "def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:\n    K = K.flip(0, 1)\n")


def edited(old: str, new: str):
    def edit(source: str) -> str:
        assert source.count(old) == 1, old
        return source.replace(old, new)
    return edit


def run_checks(impl, kata: str, *names: str) -> KataResult:
    """The kata's checks (those named, or all but the convergence runs) on ``impl``."""
    runner = Runner(impl, SEED)
    module = MANIFEST.get(kata).module
    return KataResult(MANIFEST.get(kata), [runner.run(c, module) for c in checks_of_kata(kata)
                                           if (c.name in names if names else not c.trains)])


def pngs(html: str) -> list[Image.Image]:
    """The PNGs embedded in ``html``, decoded (each must start with the PNG signature)."""
    images = []
    for data in re.findall(r'<img alt="[^"]+" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html):
        raw = base64.b64decode(data, validate=True)
        assert raw.startswith(b"\x89PNG\r\n\x1a\n")
        images.append(Image.open(io.BytesIO(raw)))
    return images


def panels(image: Image.Image) -> int:
    """How many panels wide a picture was drawn."""
    return round(image.width / (pictures.PANEL_WIDTH * pictures.DPI))


@pytest.fixture(scope="module")
def flipped(tmp_path_factory):
    """corr2d with its kernel flipped (a convolution): its checks, run once for the module's tests."""
    root = tmp_path_factory.mktemp("flipped") / "impl"
    shutil.copytree(SOLUTIONS_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    path = root / "conv_layer.py"
    path.write_text(edited(*FLIPPED_CORR2D)(path.read_text(encoding="utf-8")), encoding="utf-8")
    impl = load_implementation(root)
    return impl, run_checks(impl, "corr2d", "book_example", "numeric_sweep")


def test_a_failed_numeric_check_shows_the_expected_and_the_learners_maps(flipped):
    _, result = flipped
    failed = {r.check.name: r for r in result.results}
    book = failed["book_example"]
    assert book.status is Status.FAILED
    (figure,) = book.figures
    assert figure["kind"] == "maps" and figure["same_shape"]
    assert torch.equal(figure["expected"], torch.tensor([[19.0, 25.0], [37.0, 43.0]], dtype=torch.float64))
    assert torch.equal(figure["yours"], conv_layer.conv2d_oracle(conv_layer.SEED_X, conv_layer.SEED_K.flip(0, 1)).double())
    assert figure["first"] == [0, 0] and figure["index"] == [] and figure["offset"] == [0, 0]
    assert "first at index (0, 0): got 5, expected 19" in book.message
    # the seeded sweep: the figure holds the failing case's outputs, its first mismatch where the message says
    sweep = failed["numeric_sweep"]
    (figure,) = sweep.figures
    first = tuple(int(i) for i in re.search(r"first at index \((\d+), (\d+)\)", sweep.message).groups())
    assert figure["first"] == list(first)
    case = re.search(r"corr2d\(X \((\d+), (\d+)\), K \((\d+), (\d+)\)\)", sweep.message)
    check = next(c for c in checks_of_kata("corr2d") if c.name == "numeric_sweep")
    X, K = next((X, K) for X, K in conv_layer.CORR2D.cases(check.seed_for(SEED)) if
                [*X.shape, *K.shape] == [int(g) for g in case.groups()])
    assert torch.allclose(figure["expected"], conv_layer.conv2d_oracle(X, K).double(), atol=1e-5)
    assert torch.allclose(figure["yours"], conv_layer.conv2d_oracle(X, K.flip(0, 1)).double(), atol=1e-5)
    assert plain(figure) is not None  # plain data: it could cross the sandbox's boundary


def test_the_terminal_text_is_unchanged_by_the_pictures(flipped, monkeypatch):
    impl, result = flipped
    monkeypatch.setattr(judges_module, "maps_figure", lambda *args, **kwargs: None)
    without = run_checks(impl, "corr2d", "book_example", "numeric_sweep")
    assert [r.message for r in without.results] == [r.message for r in result.results]
    assert all(r.figures == () for r in without.results)
    assert result.results[0].message.splitlines()[0] == (
        "corr2d(the book's X and K): values differ at 4 of 4 positions; first at index (0, 0): got 5, expected 19")
    json.dumps(dataclasses.asdict(KataRecord.of(result)))  # the figures stay out of grading records


def test_kata_html_shows_three_panel_pictures_that_decode(flipped, capfd):
    _, result = flipped
    pyplot_before = "matplotlib.pyplot" in sys.modules
    backend = dict.__getitem__(matplotlib.rcParams, "backend")
    html = kata_html(result)
    images = pngs(html)
    assert len(images) == 2 and all(panels(image) == 3 for image in images)
    assert html.count("yours − expected") == 2  # the images' alt text
    assert "first mismatch at index (0, 0), outlined in red" in html
    assert "<pre" in html and "values differ at 4 of 4 positions" in html and "corr2d — 2-D cross-correlation" in html
    # drawn on an Agg canvas of its own: no pyplot, the backend untouched, nothing on stderr
    assert ("matplotlib.pyplot" in sys.modules) == pyplot_before
    assert dict.__getitem__(matplotlib.rcParams, "backend") == backend
    assert capfd.readouterr().err == ""
    standalone = page([html], "corr2d <check>")
    assert standalone.startswith("<!DOCTYPE html>") and "<title>corr2d &lt;check&gt;</title>" in standalone
    assert "<link" not in standalone and "<script" not in standalone


def test_a_correct_implementation_has_no_figures():
    reference = load_implementation(SOLUTIONS_DIR)
    runner = Runner(reference, SEED, reference)
    result = KataResult(MANIFEST.get("corr2d"), [runner.run(c, "conv_layer") for c in checks_of_kata("corr2d")])
    assert result.status is Status.PASSED
    assert all(r.figures == () for r in result.results)
    assert not pngs(kata_html(result))


def test_large_and_many_dimensional_tensors_show_a_cropped_slice_around_the_first_mismatch():
    want = torch.zeros(2, 3, 100, 120)
    got = want.clone()
    got[1, 2, 80, 100] = 1.0
    got[1, 2, 90, 110] = 1.0
    with pytest.raises(Mismatch) as caught:
        judge_close(got, want, what="the output")
    (figure,) = caught.value.figures
    assert figure["index"] == [1, 2] and figure["expected"].shape == (MAX_MAP, MAX_MAP)
    top, left = figure["offset"]
    assert [top + figure["first"][0], left + figure["first"][1]] == [80, 100]
    assert figure["yours"][figure["first"][0], figure["first"][1]] == 1.0
    html = figure_html(figure)
    assert "slice [1, 2, :, :] of (2, 3, 100, 120)" in html and "first mismatch at index (1, 2, 80, 100)" in html
    assert panels(pngs(html)[0]) == 3


def test_a_shape_mismatch_shows_both_maps_with_their_shapes_and_no_difference():
    with pytest.raises(Mismatch) as caught:
        judge_close(torch.ones(3, 5), torch.ones(4, 6), what="corr2d(X (5, 7), K (2, 2))")
    (figure,) = caught.value.figures
    assert not figure["same_shape"] and figure["first"] is None
    assert figure["expected_shape"] == [4, 6] and figure["yours_shape"] == [3, 5]
    html = figure_html(figure)
    assert panels(pngs(html)[0]) == 2 and "yours − expected" not in html
    # one-dimensional values have no maps
    with pytest.raises(Mismatch) as caught:
        judge_close(torch.ones(4), torch.zeros(4), what="losses")
    assert caught.value.figures == ()


def test_the_edge_detector_shows_the_image_and_both_edge_maps(make_impl):
    impl = make_impl(conv_layer=edited("K = torch.tensor([[1.0, -1.0]], dtype=X.dtype",
                                       "K = torch.tensor([[-1.0, 1.0]], dtype=X.dtype"))
    result = run_checks(impl, "edge_detection", "book_example")
    (figure,) = result.results[0].figures
    assert figure["kind"] == "edges" and figure["kernel"] == [[1.0, -1.0]]
    assert torch.equal(figure["image"], edge_image().double())
    assert torch.equal(figure["expected"], conv_layer.EDGE_EXAMPLES[0][2].double())
    assert torch.equal(figure["yours"], -figure["expected"]) and figure["first"] == [0, 1]
    html = kata_html(result)
    (image,) = pngs(html)
    assert panels(image) == 3 and "the input image, the expected edge map and yours" in html


def test_a_wrong_learned_kernel_shows_its_edge_map_and_the_loss_curves(make_impl):
    impl = make_impl(conv_layer=edited("loss = ((conv2d(X) - Y) ** 2).sum()", "loss = ((conv2d(X) - Y) ** 2).mean()"))
    result = run_checks(impl, "learn_kernel", "training_run")
    kinds = [f["kind"] for f in result.results[0].figures]
    assert kinds == ["edges", "curves"]
    edges = result.results[0].figures[0]
    assert edges["kernel_yours"] is not None and torch.equal(edges["image"], edge_image().double())
    assert len(pngs(kata_html(result))) == 2


def test_the_block_table_highlights_the_first_block_that_differs(make_impl):
    impl = make_impl(vgg=edited("nn.MaxPool2d(kernel_size=2, stride=2)", "nn.MaxPool2d(kernel_size=3, stride=2)"))
    result = run_checks(impl, "vgg_block", "structure", "forward")
    structure, forward = result.results
    (table,) = structure.figures
    assert table["kind"] == "blocks" and table["first"] == 2
    assert [row["name"] for row in table["expected"]] == ["Conv2d(3, 8, k=3, s=1, p=1)", "ReLU", "MaxPool2d(k=2, s=2, p=0)"]
    assert table["expected"][2]["shape"] == [2, 8, 8, 8] and table["yours"][2]["shape"] == [2, 8, 7, 7]
    (numeric,) = forward.figures
    assert numeric["kind"] == "blocks" and numeric["start"] == 1  # numbered as the message numbers blocks
    assert numeric["yours"][numeric["first"]]["name"] == "MaxPool2d(k=3, s=2, p=0)"
    assert f"block {numeric['first'] + 1} passes on" in forward.message
    html = kata_html(result)
    rows = re.findall(r"<tr style=\"([^\"]*)\">(.*?)</tr>", html, flags=re.S)
    highlighted = [cells for style, cells in rows if "font-weight: bold" in style]
    assert len(highlighted) == 2 and all("MaxPool2d(k=3, s=2, p=0)" in cells for cells in highlighted)
    assert "✗ first difference" in html and not pngs(html)


def test_a_failed_convergence_check_shows_the_curves_over_the_references():
    run = TrainingRun("vgg", "a small VGG built from your vgg_block", lambda m: None, steps=20)
    want = {"losses": [2.3 - 0.1 * i for i in range(20)], "train_accuracies": [0.1 + 0.04 * i for i in range(20)],
            "accuracy": 0.9, "frozen": 0, "parameters": 6, "overfit_loss": 0.05}
    got = {**want, "losses": [2.3] * 20, "train_accuracies": [0.1] * 20, "accuracy": 0.1}
    with pytest.raises(Mismatch) as caught:
        judge_training(run, got, want)
    (figure,) = caught.value.figures
    assert figure["kind"] == "curves" and [p["title"] for p in figure["panels"]] == [
        "training loss", "accuracy on the training batches"]
    assert figure["panels"][0]["yours"] == got["losses"] and figure["panels"][0]["expected"] == want["losses"]
    assert {line["label"] for line in figure["panels"][1]["lines"]} == {
        "held-out (expected)", "held-out (yours)", "held-out needed"}
    # the probe data of an older run (no per-step accuracies) still shows its losses
    old = {k: v for k, v in got.items() if k != "train_accuracies"}
    with pytest.raises(Mismatch) as caught:
        judge_training(run, old, want)
    assert caught.value.figures[0]["panels"][1]["yours"] == []
    kata = MANIFEST.get("vgg")
    check = next(c for c in checks_of_kata("vgg") if c.name == "trains")
    result = KataResult(kata, [CheckResult(check, Status.FAILED, str(caught.value), figures=(figure,))])
    (image,) = pngs(kata_html(result))
    assert image.width > 0 and image.height > 0


def test_html_escapes_the_learners_text_and_survives_a_figure_it_cannot_draw():
    check = checks_of_kata("corr2d")[1]
    broken = {"kind": "maps", "what": "<b>what</b>", "expected": "not a tensor", "yours": None, "first": [0, 0]}
    result = KataResult(MANIFEST.get("corr2d"), [
        CheckResult(check, Status.FAILED, "got <script>alert(1)</script>", figures=(broken, {"kind": "unknown"})),
        CheckResult(checks_of_kata("corr2d")[2], Status.PASSED, warnings=("<i>note</i>",))])
    logging.getLogger("matplotlib").setLevel(logging.NOTSET)
    html = kata_html(result)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;i&gt;note&lt;/i&gt;" in html
    assert "this picture could not be drawn" in html
    assert logging.getLogger("matplotlib").level == logging.NOTSET  # put back as it was
