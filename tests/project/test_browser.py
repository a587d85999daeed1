"""The HTML convkata writes, looked at in headless Chromium (tests/browser.py): ``kata bench``'s
report.html shows every figure and fits a 1280 px window; and the browser's facts themselves catch a
blank image, a missing one and a table too wide (a handmade page), so that a clean page means
something. Each test file's page is one Chromium launch; the screenshots and facts are kept in
test-artifacts/browser/. Without Chromium these tests skip (``make test`` installs it as root)."""
import base64
import math
import shutil
import struct
import zlib

import pytest

from grader.bench.report import write_report
from grader.bench.sweep import BenchOptions, bench_batch
from grader.core.paths import SOLUTIONS_DIR
from tests import browser
from tests.project.test_bench_report import per_pixel_loop

WIDTH = 1280
@pytest.fixture(scope="module")
def report_page(tmp_path_factory, sandbox):
    """report.html of the reference ("fast") and a per-pixel loop ("loop"), graded and timed on corr2d as
    tests/project/test_bench_report.py's report is, over one more side and with a 2 ms limit per call:
    the loop's sweep stops early and its row gets the table's longest cell, the note saying why."""
    browser.chromium()  # skip before grading anything
    root = tmp_path_factory.mktemp("bench")
    for name in ("fast", "loop"):
        shutil.copytree(SOLUTIONS_DIR, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    conv_layer = root / "loop" / "conv_layer.py"
    conv_layer.write_text(per_pixel_loop(conv_layer.read_text(encoding="utf-8")), encoding="utf-8")
    options = BenchOptions(out=root / "out", sides=(8, 16, 32, 64), rounds=3, katas=["corr2d"], seed=1,
                           call_seconds=0.002)
    summary = bench_batch([root / "fast", root / "loop"], options, server=sandbox)
    files = write_report(summary, root / "out")
    return summary, files, browser.render(files["report.html"], name="bench-report", width=WIDTH)


def test_the_bench_report_shows_every_figure(report_page):
    _, files, page = report_page
    figures = {name for name in files if name.endswith(".png")}
    assert sorted(image["src"].rsplit("/", 1)[-1] for image in page.images) == sorted(figures)
    for image in page.images:
        assert image["kind"] == "file" and image["loaded"] and image["visible"], image
        assert image["blank"] is False and image["ink"] > 0.005, image  # a figure, not an empty canvas
        assert image["natural_width"] > 100 and image["natural_height"] > 100, image
        assert image["box"]["width"] > 200, image  # shown at a readable size
    assert page.image_problems() == []
    assert all(request["url"].startswith("file://") and request["failed"] is None for request in page.requests)
    assert page.errors == []


def test_the_bench_report_fits_a_normal_window(report_page):
    summary, _, page = report_page
    loop = next(entry for entry in summary["submissions"] if entry["student"] == "loop")
    assert loop["timings"]["corr2d"]["skipped"]  # its sweep stopped early: the note, the widest cell, is there
    assert len(page.tables) >= 2 and all(table["rows"] >= 2 for table in page.tables), page.tables
    assert page.document["client_width"] >= WIDTH - 20  # the viewport asked for (less a scroll bar)
    assert page.layout_problems() == []
    for table in page.tables:
        assert not table["overflows_container"] and not table["scrolls"], table
    assert not page.document["scrolls_horizontally"] and page.facts["wide_elements"] == []
    assert page.facts["title"] and "corr2d" in page.text and "loop" in page.text
    shot = page.screenshot
    assert shot == browser.artifacts_dir() / "bench-report.png" and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", shot.read_bytes()[16:24])
    assert width == WIDTH and height >= page.document["scroll_height"]  # the whole page, not the window
    assert (browser.artifacts_dir() / "bench-report.json").is_file()


# --- the facts catch what is wrong ----------------------------------------------------------------

def _png(width: int, height: int, drawn: bool) -> bytes:
    """An RGB PNG, white, with a black square in the middle if ``drawn``."""
    rows = b"".join(b"\0" + b"".join(b"\0\0\0" if drawn and width // 4 <= x < 3 * width // 4 and
                                     height // 4 <= y < 3 * height // 4 else b"\xff\xff\xff" for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def handmade(tmp_path_factory):
    """A page with what the facts must see: a drawn image (a file), a blank one (a data: URI), one
    missing; a table that fits, one too wide for its 600 px column and the window, and the same wide
    table inside a box that scrolls sideways (fine: the reader scrolls it)."""
    root = tmp_path_factory.mktemp("page")
    (root / "drawn.png").write_bytes(_png(40, 30, drawn=True))
    blank = "data:image/png;base64," + base64.b64encode(_png(40, 30, drawn=False)).decode()
    wide = "<table><tr>" + "<td style='white-space:nowrap'>a rather long cell</td>" * 20 + "</tr></table>"
    (root / "page.html").write_text(
        "<!DOCTYPE html><html><head><title>handmade</title></head><body style='max-width:600px'>"
        f"<p>Some text</p><img src='drawn.png' alt='drawn'><img src='{blank}' alt='blank'>"
        "<img src='missing.png' alt='missing'>"
        f"<table><tr><td>fits</td><td>here</td></tr></table>{wide}<div style='overflow-x:auto'>{wide}</div>"
        "</body></html>", encoding="utf-8")
    return browser.render(root / "page.html", name="handmade-page", width=WIDTH)


def test_the_facts_tell_a_drawn_image_from_a_blank_and_a_missing_one(handmade):
    drawn, blank, missing = handmade.images
    assert (drawn["kind"], blank["kind"], missing["kind"]) == ("file", "data", "file")
    assert drawn["loaded"] and (drawn["natural_width"], drawn["natural_height"]) == (40, 30)
    assert drawn["blank"] is False and drawn["ink"] == pytest.approx(0.25) and drawn["background"] == [255, 255, 255, 255]
    assert blank["loaded"] and blank["blank"] is True and blank["ink"] == 0 and blank["colours"] == 1
    assert not missing["loaded"] and missing["natural_width"] == 0 and missing["blank"] is None
    assert [request["failed"] for request in handmade.requests if request["url"].endswith("missing.png")] == [
        "net::ERR_FILE_NOT_FOUND"]
    assert handmade.image_problems() == [
        f"image {blank['src']!r} is blank (every pixel the colour [255, 255, 255, 255])",
        f"image {missing['src']!r} did not load"]


def test_the_facts_catch_a_table_too_wide_and_a_page_that_scrolls_sideways(handmade):
    fits, wide, boxed = handmade.tables
    assert not fits["overflows_container"] and not fits["overflows_viewport"] and fits["columns"] == 2
    assert fits["container"] == "body" and fits["container_box"]["width"] == 600
    assert wide["overflows_container"] and wide["overflows_viewport"] and wide["box"]["width"] > WIDTH
    assert boxed["overflows_container"] and boxed["container_scrolls"] and not boxed["overflows_viewport"]
    assert handmade.document["scrolls_horizontally"] and handmade.document["scroll_width"] == math.ceil(wide["box"]["right"])
    assert handmade.facts["wide_elements"] == [{"element": "table", "right": wide["box"]["right"]}]
    overflows, sticks_out, scrolls = handmade.layout_problems()
    assert overflows.startswith("table 1 (20 columns") and overflows.endswith("overflows its container body (600 px wide)")
    assert sticks_out.startswith("table 1 (20 columns") and sticks_out.endswith(f"sticks out of the {WIDTH} px viewport")
    assert scrolls.startswith(f"the page scrolls horizontally: {handmade.document['scroll_width']} px of content in a "
                              f"{WIDTH} px viewport; sticking out: table (right edge")
    assert "Some text" in handmade.text and handmade.facts["title"] == "handmade" and handmade.errors == []


def test_without_chromium_the_browser_tests_skip_and_say_how_to_install_it(monkeypatch):
    monkeypatch.setenv("CONVKATA_CHROMIUM", "no-such-chromium-binary")
    assert browser.find_chromium() is None
    with pytest.raises(pytest.skip.Exception, match="headless Chromium not installed: run `make test` as root"):
        browser.chromium()
