"""``kata bench`` and its report: timing helpers, the sandboxed sweep on two tiny submissions (the
reference and a correct per-pixel loop), and the numbers in bench.json, report.md and the figures;
then the report's conventions on a summary made up here (known medians and spreads): speed-ups,
the side compared, figures as the spread allows, the charts' axes and labels, the score tables.

No assert compares measured speeds: the sweep's numbers are checked against the raw samples they
come from, and the loop's growth exponent only against loose bounds."""
import json
import math
import shutil
import statistics

import matplotlib.image
import pytest

from grader.bench.probes import CONTENDERS, SweepSettings
from grader.bench.report import (
    blocks,
    duration,
    growth_text,
    log_limits,
    log_ticks,
    markdown,
    mistakes_caption,
    mistakes_figure,
    significant_figures,
    speedup,
    speedup_at,
    speedup_figure,
    speedup_rows,
    student_table,
    write_report,
)
from grader.bench.sweep import BenchOptions, analyse, bench_batch, class_summary, parse_sides
from grader.bench.timing import growth_exponent, interleaved, sweep
from grader.cli import main
from grader.cli.bench import _timed_line
from grader.cli.common import Output
from grader.core.manifest import load_manifest
from grader.core.paths import SOLUTIONS_DIR
from grader.core.scoring import Status
from grader.grading.records import CheckRecord, KataRecord, SubmissionRecord

SIDES = (8, 16, 32)
ROUNDS = 3
PER_PIXEL_LOOP = '''    Y = X.new_zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            Y[i, j] = (X[i:i + kh, j:j + kw] * K).sum()
    return Y'''


def per_pixel_loop(source: str) -> str:
    """The reference's corr2d with its body a per-pixel loop."""
    start = source.index("    Y = X[:out_h, :out_w] * K[0, 0]")
    return source[:start] + PER_PIXEL_LOOP + source[source.index("    return Y", start) + len("    return Y"):]


@pytest.fixture(scope="module")
def report(tmp_path_factory, sandbox):
    """The reference ("fast") and a per-pixel loop ("loop"), graded and timed on corr2d, rendered."""
    root = tmp_path_factory.mktemp("bench")
    for name in ("fast", "loop"):
        shutil.copytree(SOLUTIONS_DIR, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    conv_layer = root / "loop" / "conv_layer.py"
    conv_layer.write_text(per_pixel_loop(conv_layer.read_text(encoding="utf-8")), encoding="utf-8")
    out = root / "out"
    options = BenchOptions(out=out, sides=SIDES, rounds=ROUNDS, katas=["corr2d"], seed=1)
    summary = bench_batch([root / "fast", root / "loop"], options, server=sandbox)
    return summary, write_report(summary, out), out, root


def _timing(summary: dict, student: str) -> dict:
    return next(s for s in summary["submissions"] if s["student"] == student)["timings"]["corr2d"]


def test_the_report_writes_every_file_and_valid_plots(report):
    summary, files, out, _ = report
    assert sorted(files) == sorted(["report.md", "report.html", "time-corr2d.png", "speedup.png", "scores.png",
                                    "mistakes.png"])
    assert (out / "bench.json").is_file() and (out / "grades" / "submissions" / "loop.json").is_file()
    page = files["report.html"].read_text(encoding="utf-8")
    for name, path in files.items():
        if name.endswith(".png"):
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            height, width, channels = matplotlib.image.imread(path).shape
            assert height > 100 and width > 100 and channels in (3, 4)
            assert f'<img src="{name}"' in page and f"]({name})" in files["report.md"].read_text(encoding="utf-8")
    assert "http" not in page and "<script" not in page  # nothing loaded from the network


def test_bench_json_holds_the_raw_samples_and_what_follows_from_them(report):
    summary, _, out, _ = report
    assert json.loads((out / "bench.json").read_text(encoding="utf-8")) == summary
    for student in ("fast", "loop"):
        timing = _timing(summary, student)
        assert timing["sides"] == list(SIDES) and timing["skipped"] == [] and timing["stopped"] is None
        assert timing["threads"] == 1
        for contender in CONTENDERS:
            samples = timing["samples_ns"][contender]
            assert [len(run) for run in samples] == [ROUNDS] * len(SIDES)
            medians = [statistics.median(run) / 1e9 for run in samples]
            assert timing["median_s"][contender] == pytest.approx(medians)
            quartiles = [statistics.quantiles(run, n=4, method="inclusive") for run in samples]
            assert timing["spread"][contender] == pytest.approx(
                [(q[2] - q[0]) / statistics.median(run) for q, run in zip(quartiles, samples)])
            slope = statistics.linear_regression([math.log(s) for s in SIDES], [math.log(t) for t in medians]).slope
            assert timing["growth_exponent"][contender] == pytest.approx(slope)
            if contender != "reference":  # speed-up: the reference's time over this one's
                assert timing["speedup"][contender] == pytest.approx(
                    [r / t for t, r in zip(medians, timing["median_s"]["reference"])])
    # a loop over the (n - 2)² output pixels: time grows about as the square of the side
    assert 1.0 < _timing(summary, "loop")["growth_exponent"]["submission"] < 4.0


def test_the_markdown_shows_the_json_numbers(report):
    summary, files, _, _ = report
    text = files["report.md"].read_text(encoding="utf-8")
    assert "| student | sides timed | median at n = 32 | reference at n = 32 | F.conv2d at n = 32 |" in text
    for student in ("fast", "loop"):
        timing = _timing(summary, student)
        spreads = [timing["spread"][name][-1] for name in CONTENDERS]
        row = next(line for line in text.splitlines() if line.startswith(f"| {student} | 8–32 |"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[1:8] == ["8–32", *(duration(timing["median_s"][name][-1], significant_figures(spread))
                                        for name, spread in zip(CONTENDERS, spreads)),
                              speedup_at(timing, "submission", 32)[1], speedup_at(timing, "conv2d", 32)[1],
                              " / ".join(f"{spread:.0%}" for spread in spreads)]
        assert f"| {student} | 4 / 4 | 100% | 1 of 1 | — |" in text  # the total score table
    assert "| corr2d | 4 | 2 | 0 | 0 | 4.00 | 4 | 4 |" in text
    assert "No check failed." in text


def test_grades_of_an_earlier_run_are_reused_only_for_the_same_files(report, sandbox, tmp_path):
    summary, _, out, root = report
    options = BenchOptions(out=tmp_path / "again", sides=SIDES, rounds=1, katas=["corr2d"], grades=out / "grades")
    again = bench_batch([root / "fast"], options, server=sandbox)
    assert again["submissions"][0]["score"] == 4.0 and _timing(again, "fast")["benchmarked"]
    assert not (tmp_path / "again" / "grades").exists()  # nothing graded again
    changed = tmp_path / "loop"
    shutil.copytree(root / "loop", changed)
    (changed / "conv_layer.py").write_text("# changed since it was graded\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no record of loop's present files"):
        bench_batch([changed], options, server=sandbox)


def _record(student: str, checks: list[tuple[str, list[str]]], score: float) -> SubmissionRecord:
    kata = KataRecord("corr2d", "2-D cross-correlation", "7.2", "conv_layer", 4, score,
                      Status.FAILED if score < 4 else Status.PASSED, False,
                      tuple(CheckRecord(f"corr2d::check{i}", f"check{i}", "numeric", Status(status), "", tuple(mistakes))
                            for i, (status, mistakes) in enumerate(checks)))
    return SubmissionRecord(student, student, "digest", 1, score, 4, 0.1, None, (kata,))


def test_failures_are_grouped_by_diagnosed_mistake():
    records = [_record("ann", [("failed", ["flipped_kernel"]), ("failed", ["flipped_kernel"]), ("passed", [])], 1.3),
               _record("ben", [("failed", ["flipped_kernel"]), ("failed", [])], 0.0),
               _record("cat", [("passed", [])], 4.0)]
    summary = class_summary(records, load_manifest())
    assert summary["katas"] == [{"id": "corr2d", "title": "2-D cross-correlation", "points": 4,
                                 "scores": {"ann": 1.3, "ben": 0.0, "cat": 4.0},
                                 "statuses": {"ann": "failed", "ben": "failed", "cat": "passed"}}]
    flipped, unexplained = summary["mistakes"]
    assert flipped["id"] == "flipped_kernel" and flipped["name"].startswith("flipped kernel")
    assert (flipped["students"], flipped["checks"], flipped["katas"]) == (["ann", "ben"], 3, ["corr2d"])
    assert (unexplained["id"], unexplained["students"], unexplained["checks"]) == (None, ["ben"], 1)


def test_timing_data_of_the_wrong_shape_is_refused():
    settings = SweepSettings((8, 16), 2, 10.0, 1.0)
    good = {"sides": [8], "skipped": [16], "stopped": "why", "threads": 1,
            "samples": {name: [[5, 7]] for name in CONTENDERS}}
    assert analyse(good, settings)["median_s"]["reference"] == [6e-9]
    assert analyse(good, settings)["spread"]["reference"] == [pytest.approx(1 / 6)]
    for forged in ({**good, "sides": [8, 16], "skipped": []}, {**good, "extra": 1}, {**good, "skipped": [32]},
                   {**good, "samples": {**good["samples"], "reference": [[5, -1]]}},
                   {**good, "samples": {**good["samples"], "conv2d": [[5]]}}, {**good, "stopped": 3}):
        with pytest.raises(ValueError):
            analyse(forged, settings)


def test_growth_exponent_is_the_log_log_slope_in_the_side():
    assert growth_exponent([32, 64, 128], [1.0, 4.0, 16.0]) == pytest.approx(2.0)
    assert growth_exponent([32, 64], [3.0, 3.0]) == pytest.approx(0.0)
    assert growth_exponent([32], [1.0]) is None


def test_interleaved_rounds_go_through_every_order_of_the_contenders():
    calls = []
    interleaved({name: (lambda name=name: calls.append(name)) for name in "abc"}, rounds=7, warmup=1)
    assert calls == list("abc" "abc" "acb" "bac" "bca" "cab" "cba" "abc")


def test_a_sweep_stops_at_the_call_or_time_budget_and_says_so():
    contenders = lambda side: {"only": lambda: None}  # noqa: E731
    slow = sweep([8, 16, 32], contenders, rounds=2, budget_seconds=60, call_seconds=0)
    assert (slow["sides"], slow["skipped"]) == ([8], [16, 32]) and "a call may take" in slow["stopped"]
    late = sweep([8, 16, 32], contenders, rounds=2, budget_seconds=0, call_seconds=60)
    assert (late["sides"], late["skipped"]) == ([8], [16, 32]) and "time budget" in late["stopped"]
    assert [len(runs) for runs in late["samples"]["only"]] == [2]


def test_sizes_are_checked_before_anything_runs(capsys):
    assert parse_sides("64, 32,64") == (32, 64)
    for sizes, message in (("2,8", "smaller than the 3×3 kernel"), ("a", "comma-separated integers")):
        assert main(["bench", "examples/class/alice", "--sizes", sizes]) == 2
        assert message in capsys.readouterr().err
    assert main(["bench", "examples/class/alice", "--katas", "vgg"]) == 2
    assert "choose among corr2d" in capsys.readouterr().err


# --- the report's conventions, on a made-up summary ---------------------------------------------

def _analysed(sides: tuple, timed: int, seconds: dict[str, list[float]], spreads: dict[str, float]) -> dict:
    """``analyse`` of samples [m(1 - s), m, m(1 + s)] per side: median m, spread s, for the first ``timed`` sides."""
    samples = {name: [[round(t * 1e9 * (1 - spreads[name])), round(t * 1e9), round(t * 1e9 * (1 + spreads[name]))]
                      for t in seconds[name]] for name in CONTENDERS}
    data = {"sides": list(sides[:timed]), "skipped": list(sides[timed:]), "samples": samples, "threads": 1,
            "stopped": "submission took 2 s a call at 16×16, over the 1 s a call may take" if timed < len(sides) else None}
    return analyse(data, SweepSettings(sides, 3, 10.0, 1.0))


def _made_up() -> dict:
    """ann: twice the reference's speed, timed at 8, 16, 32; ben: a third of it, with a 70% spread, stopped
    after 16. F.conv2d: half the reference's speed at 16, its time flat from 8 to 16, then ×8 for 32 (k 0, 3)."""
    sides, reference, conv2d = (8, 16, 32), [1e-5, 2e-5, 8e-5], [4e-5, 4e-5, 3.2e-4]
    ann = _analysed(sides, 3, {"submission": [t / 2 for t in reference], "reference": reference, "conv2d": conv2d},
                    {"submission": 0.1, "reference": 0.1, "conv2d": 0.1})
    ben = _analysed(sides, 2, {"submission": [3 * t for t in reference[:2]], "reference": reference[:2],
                               "conv2d": conv2d[:2]}, {"submission": 0.7, "reference": 0.1, "conv2d": 0.1})
    records = [_record("ann", [("passed", [])], 4.0),
               _record("ben", [("failed", ["flipped_kernel"]), ("failed", []), ("failed", [])], 1.5)]
    settings = {"katas": [{"id": "corr2d", "title": "2-D cross-correlation", "function": "corr2d",
                           "inputs": "X n×n, K 3×3"}], "sides": list(sides), "rounds": 3, "kernel": 3, "device": "cpu",
                "torch": "2", "graded_in": "grades", "call_seconds": 1.0, "budget_seconds": 10.0,
                "created": "today", "seconds": 1.0}
    return {"settings": settings, "class": class_summary(records, load_manifest()),
            "submissions": [{"student": r.student, "score": r.score, "max_score": r.max_score, "timings": {"corr2d": t}}
                            for r, t in zip(records, (ann, ben))]}


def _made_up_markdown() -> tuple[str, list[list[str]]]:
    text = markdown(blocks(_made_up(), {"corr2d": "time-corr2d.png", "speedup": "speedup.png",
                                        "scores": "scores.png", "mistakes": "mistakes.png"}))
    return text, [[cell.strip() for cell in line.strip("|").split("|")] for line in text.splitlines()
                  if line.startswith("| ")]


def test_speed_ups_over_the_reference_everywhere_higher_is_faster(capsys):
    summary = _made_up()
    ann = _timing(summary, "ann")
    assert ann["speedup"]["submission"] == pytest.approx([2.0, 2.0, 2.0])
    _, rows = _made_up_markdown()
    header = rows[0]
    assert header[5:7] == ["speed-up at n = 16", "F.conv2d's speed-up at n = 16"]
    assert rows[1][5:7] == ["2.0×", "0.50×"] and rows[2][5:7] == ["0.3×", "0.50×"]
    assert [(label, mine, torch_s) for label, mine, torch_s, _ in speedup_rows(summary)] == [
        ("corr2d at n = 16: ann", pytest.approx(2.0), pytest.approx(0.5)),
        ("corr2d at n = 16: ben", pytest.approx(1 / 3), pytest.approx(0.5))]
    _timed_line(Output())("ann", {"corr2d": ann})
    assert capsys.readouterr().out == "  ann: corr2d 2.0× the reference's speed at 32²\n"


def test_every_submission_is_compared_at_the_side_in_the_headers():
    """ben's sweep stopped after 16: both rows show their times at 16, and the headers say so."""
    _, rows = _made_up_markdown()
    assert rows[0][1:8] == ["sides timed", "median at n = 16", "reference at n = 16", "F.conv2d at n = 16",
                            "speed-up at n = 16", "F.conv2d's speed-up at n = 16",
                            "spread at n = 16 (submission / reference / F.conv2d)"]
    assert rows[1][1:5] == ["8–32", "10 µs", "20 µs", "40 µs"]
    assert rows[2][1:5] == ["8–16", "60 µs", "20 µs", "40 µs"] and rows[2][9].startswith("32 not timed: submission took")


def test_times_and_speed_ups_show_the_figures_their_spread_allows():
    assert [speedup(2.1345, spread) for spread in (0.0, 0.3, 0.5, 0.9)] == ["2.1×", "2.1×", "2×", "2×"]
    assert (speedup(0.012345, 0.1), speedup(770.3, 0.6), speedup(0.96, 0.6)) == ("0.012×", "800×", "1×")
    assert (duration(0.0069876, 2), duration(0.00099996, 2), duration(6.9876e-3)) == ("7.0 ms", "1.0 ms", "6.99 ms")
    _, rows = _made_up_markdown()
    assert rows[2][2:8] == ["60 µs", "20 µs", "40 µs", "0.3×", "0.50×", "70% / 10% / 10%"]  # ben: 70% on his own time


def test_the_speed_up_chart_has_axes_from_the_data_and_labels_clear_of_each_other():
    assert log_limits([0.035, 1.2]) == (0.01, 10.0) and log_limits([0.7, 1.3]) == (0.1, 10.0)
    assert log_limits([3.0, 400.0]) == (1.0, 1000.0)
    assert log_ticks(0.01, 10.0) == pytest.approx([0.01, 0.1, 1.0, 10.0])
    assert log_ticks(0.1, 10.0) == pytest.approx([0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0])
    figure = speedup_figure(_made_up())
    figure.canvas.draw()
    axes, renderer = figure.axes[0], figure.canvas.get_renderer()
    assert axes.get_xlim() == pytest.approx((0.1, 10.0))
    assert [label.get_text() for label in axes.get_xticklabels()] == ["0.1×", "0.2×", "0.5×", "1×", "2×", "5×", "10×"]
    assert not any(label.get_text() for label in axes.get_xticklabels(minor=True))
    for labels in (axes.get_xticklabels(), axes.get_yticklabels()):
        boxes = [label.get_window_extent(renderer) for label in labels]
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    values = [text.get_window_extent(renderer) for text in axes.texts]
    assert [text.get_text() for text in axes.texts] == ["2.0×  (F.conv2d 0.50×)", "0.3×  (F.conv2d 0.50×)"]
    assert all(box.x0 > axes.get_window_extent(renderer).x1 for box in values)  # beside the axes, clear of markers
    assert min(label.get_fontsize() for label in [*axes.get_yticklabels(), *axes.texts]) >= 9


def test_the_mistakes_chart_counts_students_of_known_mistakes_and_leaves_the_rest_to_the_caption():
    class_ = _made_up()["class"]
    figure = mistakes_figure(class_)
    axes = figure.axes[0]
    assert axes.get_title() == "students whose failed checks show each known mistake"
    assert axes.get_xlabel() == "students (of 2)"
    assert [label.get_text() for label in axes.get_yticklabels()] == [class_["mistakes"][0]["name"][:47] + "…"]
    assert [bar.get_width() for bar in axes.patches] == [1]
    assert min(text.get_fontsize() for text in [*axes.get_yticklabels(), *axes.texts, axes.title]) >= 9
    assert mistakes_caption(class_).endswith("Not drawn: 2 failed checks no known mistake explains, of 1 student "
                                             "(ben) — the table's last row.")


def test_the_report_has_each_students_total_and_what_the_growth_exponent_means():
    summary = _made_up()
    assert student_table(summary).rows == [["ann", "4 / 4", "100%", "1 of 1", "—"],
                                           ["ben", "1.5 / 4", "38%", "0 of 1", "every kata"]]
    assert growth_text(summary, "corr2d") == (
        "Growth from one side to the next in ann's sweep (8→16, 16→32): submission 1.0, 2.0; reference 1.0, 2.0; "
        "F.conv2d 0.0, 3.0. The table's k is fitted over all of them (see Growth exponent above).")
    text, _ = _made_up_markdown()
    assert "## Total score per student" in text and "| ben | 1.5 / 4 | 38% | 0 of 1 | every kata |" in text
    assert "k = 2 where the time per pixel is constant" in text and "oneDNN" in text


def test_the_report_speaks_chinese_but_its_data_as_it_was_recorded():
    """In Chinese every text the report writes is Chinese; a kata's title and a sweep's stop are data,
    written in the language of the run that recorded them (English, here)."""
    from grader.core.i18n import speaking
    from tests.project.test_i18n import english_prose

    with speaking("zh"):
        text, rows = _made_up_markdown()
    assert rows[0][1:3] == ["计时的边长", "中位时间 (n = 16)"]
    recorded = ("2-D cross-correlation", "submission took 2 s a call")
    assert not [line for line in text.splitlines() if english_prose(line) and not any(r in line for r in recorded)]
