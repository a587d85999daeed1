"""``kata bench`` and its report: timing helpers, the sandboxed sweep on two tiny submissions (the
reference and a correct per-pixel loop), and the numbers in bench.json, report.md and the figures.

No assert compares speeds: the sweep's numbers are checked against the raw samples they come
from, and the loop's growth exponent only against loose bounds."""
import json
import math
import shutil
import statistics

import matplotlib.image
import pytest

from grader.bench.probes import CONTENDERS, SweepSettings
from grader.bench.report import duration, ratio, write_report
from grader.bench.sweep import BenchOptions, analyse, bench_batch, class_summary, parse_sides
from grader.bench.timing import growth_exponent, interleaved, sweep
from grader.cli import main
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


def _loop(source: str) -> str:
    start = source.index("    Y = X[:out_h, :out_w] * K[0, 0]")
    return source[:start] + PER_PIXEL_LOOP + source[source.index("    return Y", start) + len("    return Y"):]


@pytest.fixture(scope="module")
def report(tmp_path_factory, sandbox):
    """The reference ("fast") and a per-pixel loop ("loop"), graded and timed on corr2d, rendered."""
    root = tmp_path_factory.mktemp("bench")
    for name in ("fast", "loop"):
        shutil.copytree(SOLUTIONS_DIR, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    conv_layer = root / "loop" / "conv_layer.py"
    conv_layer.write_text(_loop(conv_layer.read_text(encoding="utf-8")), encoding="utf-8")
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
            if contender != "reference":
                assert timing["ratio_to_reference"][contender] == pytest.approx(
                    [t / r for t, r in zip(medians, timing["median_s"]["reference"])])
    # a loop over the (n - 2)² output pixels: time grows about as the square of the side
    assert 1.0 < _timing(summary, "loop")["growth_exponent"]["submission"] < 4.0


def test_the_markdown_shows_the_json_numbers(report):
    summary, files, _, _ = report
    text = files["report.md"].read_text(encoding="utf-8")
    for student in ("fast", "loop"):
        timing = _timing(summary, student)
        row = next(line for line in text.splitlines() if line.startswith(f"| {student} |"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[1:8] == ["8–32", duration(timing["median_s"]["submission"][-1]),
                              duration(timing["median_s"]["reference"][-1]), duration(timing["median_s"]["conv2d"][-1]),
                              ratio(timing["ratio_to_reference"]["submission"][-1]),
                              ratio(timing["ratio_to_reference"]["conv2d"][-1]),
                              f"{timing['spread']['submission'][-1]:.0%} / {timing['spread']['reference'][-1]:.0%}"]
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
