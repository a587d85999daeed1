"""`kata grade` on one submission: the progress table a learner sees from `make grade` (graded in the sandbox)."""
import subprocess
import sys

import pytest

from grader import stubgen
from grader.cli import main
from grader.paths import REPO_ROOT, SOLUTIONS_DIR


@pytest.fixture
def grade(capsys, tmp_path):
    def run(*args):
        code = main(["grade", *args, "--out", str(tmp_path / "grades")])
        return code, capsys.readouterr()
    return run


def test_pristine_stubs_show_every_kata_pending_with_zero_points(tmp_path, grade):
    stubgen.write(tmp_path / "stubs", backup_dir=tmp_path / "backups")
    code, out = grade(str(tmp_path / "stubs"), "--seed", "3")
    assert code == 0
    assert "0 done, 0 failing, 22 pending of 22 katas — 0/71 points" in out.out
    assert out.out.count(" pending  ") == 22  # the status column of every row
    assert "next: corr2d (conv_layer.py) — corr2d: implement corr2d (d2l 7.2)" in out.out


def test_partial_work_scores_what_passes(tmp_path, grade):
    learner = tmp_path / "learner"
    stubgen.write(learner, backup_dir=tmp_path / "backups")
    reference = (SOLUTIONS_DIR / "pooling.py").read_text(encoding="utf-8")
    (learner / "pooling.py").write_text(reference.replace('windows.amax(dim=0) if mode == "max" else ', ""),
                                        encoding="utf-8")
    code, out = grade(str(learner), "--seed", "3", "--verbose", "--katas", "corr2d,pool2d")
    assert code == 0
    row = next(line for line in out.out.splitlines() if " pool2d " in line)
    assert "failing" in row and "/4" in row and not row.rstrip().endswith(" 0/4")
    assert "--- pool2d::seed_example [example]" in out.out


def test_a_missing_folder_is_a_clear_error(tmp_path, grade):
    code, out = grade(str(tmp_path / "nowhere"))
    assert code == 2
    assert "nowhere: no such folder or zip file" in out.err


def test_an_unknown_kata_is_a_clear_error(grade):
    code, out = grade("solutions", "--katas", "corr2d,pool")
    assert code == 2
    assert "unknown kata 'pool'" in out.err


def test_the_console_script_runs_on_the_real_exercises(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "grader.cli", "grade", "--out", str(tmp_path)], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert "katas" in completed.stdout and "points" in completed.stdout
