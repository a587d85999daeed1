"""The learner's `kata` commands, as a new user tries them on a fresh copy of the exercises."""
import json
import os
import re
import subprocess
import sys
import threading
import time

import pytest

from grader.checks import checks_of_kata
from grader.cli import main
from grader.core import stubgen
from grader.core.paths import REPO_ROOT, SOLUTIONS_DIR
from grader.learner import verdicts
from tests.browser import render

SEED_CORR2D = '''    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y'''
GOOD_CORR2D = SEED_CORR2D.replace("torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))",
                                  "X.new_zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))")
STUB_CORR2D = '    raise NotImplementedError("corr2d: implement corr2d (d2l 7.2)")'
#: corr2d's checks that run here (its CUDA twin needs a GPU).
CORR2D_CHECKS = sum(check.runnable for check in checks_of_kata("corr2d"))


def status_twice(job, config) -> list[str]:
    """`kata status` twice in fresh processes on fresh stubs: whether each imported torch."""
    exercises = job.root / "exercises"
    stubgen.write(exercises, backup_dir=job.root / "unused")
    script = ("import sys; from grader.cli import main; main(['status', '--seed', '5']); "
              "print('imported torch:', 'torch' in sys.modules)")
    runs = [job.run([sys.executable, "-c", script], env={**os.environ, "KATA_IMPL": str(exercises)}) for _ in range(2)]
    return [run.stdout.splitlines()[-1] if run.stdout else run.stderr[-2000:] for run in runs]


COLD_CHECK = """
import importlib, sys
import torch
from grader.checks.base import meta_info
from grader.cli import main
main(['check', 'corr2d', '--impl', 'solutions'])
print('imported torch._dynamo:', 'torch._dynamo' in sys.modules)
needs_dynamo = lambda: (importlib.import_module('torch._dynamo.utils'), torch.ones(2, device='meta') * 2)[1]
print('a call that needs it:', meta_info(needs_dynamo))
"""


def cold_check(job, config) -> list[str]:
    """A cold `kata check corr2d` on the reference: whether it imported torch._dynamo; then a meta
    call that needs torch._dynamo itself, under the stand-in."""
    run = job.run([sys.executable, "-c", COLD_CHECK])
    return run.stdout.splitlines()[-2:] if run.returncode == 0 else [run.stderr[-2000:]]


BACKGROUND = {"status_twice": status_twice, "cold_check": cold_check}


@pytest.fixture
def learner(tmp_path, monkeypatch):
    """A fresh exercises/ folder of a new learner (its .kata/ state beside it)."""
    exercises = tmp_path / "exercises"
    stubgen.write(exercises, backup_dir=tmp_path / "unused")
    monkeypatch.setenv("KATA_IMPL", str(exercises))
    return exercises


def kata(capsys, *args):
    code = main(list(args) + ["--seed", "5"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def write_corr2d(exercises, body):
    path = exercises / "conv_layer.py"
    path.write_text(path.read_text(encoding="utf-8").replace(STUB_CORR2D, body), encoding="utf-8")


def test_status_on_untouched_stubs(learner, capsys):
    code, out = kata(capsys, "status")
    assert code == 0
    assert "0 done, 0 failing, 22 pending of 22 katas — 0/71 points" in out


def test_impl_names_the_implementation_and_the_old_names_still_work(learner, capsys, monkeypatch):
    """--impl solutions (or a folder) beats $KATA_IMPL; --exercises (hidden) and $KATA_EXERCISES are its old names."""
    code, out = kata(capsys, "check", "corr2d", "--impl", "solutions")
    assert code == 0 and f"done: {CORR2D_CHECKS}/{CORR2D_CHECKS}" in out
    code, out = kata(capsys, "check", "corr2d", "--exercises", "solutions")
    assert code == 0 and f"done: {CORR2D_CHECKS}/{CORR2D_CHECKS}" in out
    monkeypatch.delenv("KATA_IMPL")
    monkeypatch.setenv("KATA_EXERCISES", str(learner))
    code, out = kata(capsys, "check", "corr2d")
    assert code == 1 and "pending: corr2d: implement corr2d (d2l 7.2)" in out
    code, out = kata(capsys, "check", "corr2d", "--impl", str(learner / "nowhere"))
    assert code == 2 and "nowhere is not a folder; give exercises, solutions, or a folder" in out


def test_check_without_a_kata_picks_the_next_unfinished_one(learner, capsys):
    code, out = kata(capsys, "check")
    assert code == 1
    assert out.startswith("corr2d — 2-D cross-correlation")
    assert "pending: corr2d: implement corr2d (d2l 7.2)" in out and "kata hint corr2d" in out
    write_corr2d(learner, GOOD_CORR2D)
    code, out = kata(capsys, "check")
    assert out.startswith("conv2d_module — A Conv2D layer")


def test_check_diagnoses_the_seeds_corr2d(learner, capsys):
    write_corr2d(learner, SEED_CORR2D)
    code, out = kata(capsys, "check", "corr2d")
    assert code == 1
    assert "✗ dtype_and_device" in out and "✓ numeric_sweep" in out
    assert "known mistake — output created without the input's dtype" in out
    assert "rerun with --seed=5" in out
    assert f"failing: {CORR2D_CHECKS - 1}/{CORR2D_CHECKS} checks passed" in out


def test_check_html_writes_the_result_with_its_maps_as_a_page_a_browser_shows(learner, capsys, tmp_path):
    write_corr2d(learner, GOOD_CORR2D.replace("* K).sum()", "* K.flip(0, 1)).sum()"))  # a convolution
    code, text = kata(capsys, "check", "corr2d")
    code_html, text_html = kata(capsys, "check", "corr2d", "--html", str(tmp_path / "corr2d.html"))
    assert code == code_html == 1 and "flipped kernel" in text
    assert text_html == text + f"(the result with its pictures: {tmp_path / 'corr2d.html'})\n"  # the terminal's text as it was
    page = render(tmp_path / "corr2d.html", name="kata-check-html")
    assert page.problems() == [] and len([i for i in page.images if i["kind"] == "data"]) >= 3
    assert "first mismatch at index (0, 0), outlined in red" in page.text and "numeric_sweep" in page.text


def test_a_kata_pending_on_another_sections_stub_names_that_stubs_file(learner, capsys):
    reference = (SOLUTIONS_DIR / "channels.py").read_text()
    (learner / "channels.py").write_text(stubgen.strip_markers(reference))
    code, out = kata(capsys, "check", "corr2d_multi_in")
    assert "pending: corr2d: implement corr2d (d2l 7.2) — replace the `raise NotImplementedError` in conv_layer.py" in out


def test_check_shows_a_syntax_error_once_with_its_line(learner, capsys):
    write_corr2d(learner, "    return X +\n")
    code, out = kata(capsys, "check", "corr2d")
    assert code == 1
    assert out.count("SyntaxError") == 1 and "conv_layer.py could not be imported" in out
    assert "(the same error as above)" in out


def test_unknown_kata_suggests_the_closest(learner, capsys):
    code, out = kata(capsys, "check", "corr2")
    assert code == 2 and "no kata 'corr2' — did you mean 'corr2d'?" in out


def test_hints_are_progressive_and_remembered(learner, capsys):
    _, first = kata(capsys, "hint", "corr2d")
    assert "hint 1 of 3" in first and "  2." not in first
    _, second = kata(capsys, "hint", "corr2d")
    assert "hint 2 of 3" in second and "  1." in second and "  2." in second
    kata(capsys, "hint", "corr2d")
    _, last = kata(capsys, "hint", "corr2d")
    assert "hint 3 of 3" in last and "that was the last hint" in last
    state = json.loads((learner.parent / ".kata" / "state.json").read_text(encoding="utf-8"))
    assert state == {"hints": {"corr2d": 3}}


def test_hint_without_a_kata_is_for_the_next_unfinished_one(learner, capsys):
    code, out = kata(capsys, "hint")
    assert code == 0 and "corr2d — hint 1 of 3" in out
    write_corr2d(learner, GOOD_CORR2D)
    code, out = kata(capsys, "hint")
    assert code == 0 and "conv2d_module — hint 1 of" in out


def test_reset_restores_one_kata_and_keeps_the_learners_file(learner, capsys):
    write_corr2d(learner, GOOD_CORR2D)
    path = learner / "conv_layer.py"
    path.write_text(path.read_text(encoding="utf-8").replace(
        '        raise NotImplementedError("conv2d_module: implement Conv2D.forward (d2l 7.2)")',
        "        return 'my forward'"), encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    code, out = kata(capsys, "reset", "corr2d")
    assert code == 0 and "restored the stub of corr2d" in out
    after = path.read_text(encoding="utf-8")
    assert STUB_CORR2D in after and "return 'my forward'" in after
    backups = list((learner.parent / ".kata" / "backups").rglob("conv_layer.py"))
    assert [b.read_text(encoding="utf-8") for b in backups] == [before]


def test_reset_of_a_file_that_does_not_parse_restores_it_whole(learner, capsys):
    write_corr2d(learner, "    return X +\n")
    broken = (learner / "conv_layer.py").read_text(encoding="utf-8")
    code, out = kata(capsys, "reset", "corr2d")
    assert code == 0
    assert "does not parse" in out and "also resets conv2d_module, edge_detection, learn_kernel" in out
    assert (learner / "conv_layer.py").read_text(encoding="utf-8") == stubgen.generate()["conv_layer.py"]
    assert [b.read_text(encoding="utf-8") for b in (learner.parent / ".kata" / "backups").rglob("*.py")] == [broken]


def test_solution_is_shown_only_once_the_kata_passes(learner, capsys):
    write_corr2d(learner, SEED_CORR2D)
    code, out = kata(capsys, "solution", "corr2d")
    assert code == 1 and "shown once your kata passes; it is failing" in out
    assert "def corr2d" not in out
    (learner / "conv_layer.py").write_text((learner / "conv_layer.py").read_text(encoding="utf-8").replace(
        SEED_CORR2D, GOOD_CORR2D), encoding="utf-8")
    code, out = kata(capsys, "solution", "corr2d")
    assert code == 0 and "def corr2d(X: torch.Tensor, K: torch.Tensor)" in out
    assert "### BEGIN SOLUTION" not in out
    assert "out_h, out_w = X.shape[0] - kh + 1" in (SOLUTIONS_DIR / "conv_layer.py").read_text(encoding="utf-8")
    assert "out_h, out_w = X.shape[0] - kh + 1" in out


def watch_while_saving(learner, capsys, *args: str) -> str:
    """`kata watch ARGS` while an editor saves a correct corr2d after a second; its output."""
    def save_later():
        time.sleep(1.0)
        write_corr2d(learner, GOOD_CORR2D)

    editor = threading.Thread(target=save_later)
    editor.start()
    code = main(["watch", *args, "--seed", "5"])
    editor.join()
    assert code == 0
    return capsys.readouterr().out


def test_watch_rechecks_on_save(learner, capsys):
    out = watch_while_saving(learner, capsys, "corr2d", "--stop-after", "2")
    done = f"done: {CORR2D_CHECKS}/{CORR2D_CHECKS}"
    assert out.index("pending: corr2d") < out.index("— conv_layer.py changed —") < out.index(done)


def test_watch_without_a_kata_says_one_is_done_before_moving_on(learner, capsys):
    out = watch_while_saving(learner, capsys, "--stop-after", "2.5")
    assert out.index("pending: corr2d") < out.index("✓ corr2d is done — on to conv2d_module") < out.index(
        "conv2d_module — A Conv2D layer")


def kept_count(out: str) -> int:
    """How many verdicts `kata status` says it kept (0 when it says nothing)."""
    match = re.search(r"\((\d+) of 22 katas unchanged since they were last checked", out)
    return int(match.group(1)) if match else 0


def test_status_keeps_the_verdicts_of_katas_whose_inputs_did_not_change(learner, capsys):
    code, first = kata(capsys, "status")
    assert code == 0 and kept_count(first) == 0
    code, again = kata(capsys, "status")
    assert kept_count(again) == 22 and again.split("(22 of")[0] == first
    write_corr2d(learner, GOOD_CORR2D)
    code, after_edit = kata(capsys, "status")
    # conv_layer.py's four katas and channels.py's three (it imports corr2d) run again
    assert kept_count(after_edit) == 22 - 7 and "1 done, 0 failing, 21 pending" in after_edit
    code, other_seed = main(["status", "--seed", "6"]), capsys.readouterr().out
    assert kept_count(other_seed) == 0, "a verdict is kept for its seed policy only"
    code, rerun = kata(capsys, "status", "--rerun")
    assert kept_count(rerun) == 0 and "1 done, 0 failing, 21 pending" in rerun


def test_a_kept_verdict_is_dropped_when_the_checks_change_or_the_file_is_damaged(learner, capsys, monkeypatch):
    assert kept_count(kata(capsys, "status")[1]) == 0
    kata(capsys, "check", "corr2d")
    assert kept_count(kata(capsys, "status")[1]) == 22, "kata check keeps its verdict too"
    monkeypatch.setattr(verdicts, "checks_version", lambda: "another version of the checks")
    assert kept_count(kata(capsys, "status")[1]) == 0
    (learner.parent / ".kata" / "verdicts.json").write_text("{not json", encoding="utf-8")
    code, out = kata(capsys, "status")
    assert code == 0 and kept_count(out) == 0 and "0 done, 0 failing, 22 pending" in out


def test_status_with_nothing_changed_does_not_import_torch(background):
    """Kept verdicts answer without the checks: no torch import (the 2 s of a cold check)."""
    assert background["status_twice"].result() == ["imported torch: True", "imported torch: False"]


def test_a_cold_check_of_corr2d_does_not_import_torch_dynamo(background):
    """Its meta-device check runs torch's Python meta kernels, whose first call would import
    torch._dynamo (a second) only to keep torch.compile away from them (base._dynamo_stand_in)."""
    imported, fallback = background["cold_check"].result()
    assert imported == "imported torch._dynamo: False"
    assert fallback == ("a call that needs it: {'shape': [2], 'dtype': 'torch.float32', 'device': 'meta', "
                        "'requires_grad': False}"), (
        "a call that needs torch._dynamo itself runs again with the real module")


def test_a_reader_that_stops_reading_ends_kata_quietly():
    """`kata status | head -0`: no traceback for the closed pipe, and SIGPIPE's status, as any Unix tool."""
    process = subprocess.Popen([sys.executable, "-c", "from grader.cli import run; run()", "status", "--impl", "solutions"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT)
    process.stdout.close()  # before kata writes a line
    assert process.wait(timeout=120) == 141
    assert process.stderr.read() == b""
