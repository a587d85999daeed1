"""`kata grade` on one submission: the progress table a learner sees from `make grade` (graded in the sandbox)."""
import subprocess
import sys

import pytest

from grader.cli import main
from grader.core import stubgen
from grader.core.paths import SOLUTIONS_DIR


@pytest.fixture
def grade(capsys, tmp_path):
    def run(*args):
        code = main(["grade", *args, "--out", str(tmp_path / "grades")])
        return code, capsys.readouterr()
    return run


def console_script_run(job, config) -> subprocess.CompletedProcess:
    """`kata grade -v` as a learner runs it, on stubs everywhere but a pool2d that always averages."""
    learner = job.root / "learner"
    stubgen.write(learner, backup_dir=job.root / "backups")
    reference = (SOLUTIONS_DIR / "pooling.py").read_text(encoding="utf-8")
    (learner / "pooling.py").write_text(reference.replace('windows.amax(dim=0) if mode == "max" else ', ""),
                                        encoding="utf-8")
    return job.run([sys.executable, "-m", "grader.cli", "grade", str(learner), "--seed", "3", "-v",
                    "--out", str(job.root / "grades"), "--no-gradebook"])


def console_check_run(job, config) -> subprocess.CompletedProcess:
    """`kata check corr2d` on fresh stubs, through the console script's exit (no torch teardown)."""
    stubgen.write(job.root / "stubs", backup_dir=job.root / "backups")
    return job.run([sys.executable, "-m", "grader.cli", "check", "corr2d", "--impl", str(job.root / "stubs")])


BACKGROUND = {"console_script": console_script_run, "console_check": console_check_run}


def test_the_console_script_shows_pending_stubs_and_partial_work(background):
    """21 katas pending, pool2d failing with partial points and its diagnosis (-v), and the next step."""
    completed = background["console_script"].result()
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "0 done, 1 failing, 21 pending of 22 katas" in out
    assert out.count(" pending  ") == 21  # the status column of every stubbed kata
    row = next(line for line in out.splitlines() if " pool2d " in line)
    assert "failing" in row and "/4" in row and not row.rstrip().endswith(" 0/4")
    assert "--- pool2d::book_example [example]" in out
    assert "next: corr2d (conv_layer.py) — corr2d: implement corr2d (d2l 7.2)" in out
    assert (background["console_script"].root / "grades" / "submissions" / "learner.json").exists()


def test_the_console_script_exits_with_the_commands_status_and_all_its_output(background):
    """It skips torch's teardown at exit (os._exit): the status and every line printed still arrive."""
    completed = background["console_check"].result()
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout.startswith("corr2d — 2-D cross-correlation")
    assert completed.stdout.rstrip().endswith("Stuck? `kata hint corr2d`")


@pytest.mark.parametrize("command", ["grade", "bench"])
def test_grade_and_bench_take_submissions_not_an_implementation(command, capsys):
    """Their SUBMISSION paths say what runs: no --impl (nor its old name --exercises) to ignore."""
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    help_text = capsys.readouterr().out
    assert "SUBMISSION" in help_text and "--impl" not in help_text and "--exercises" not in help_text


def test_dev_exercises_check_finds_exercises_in_sync(capsys):
    """`kata dev exercises --check` (make check-exercises): exercises/ is solutions/ with its solutions stubbed."""
    assert main(["dev", "exercises", "--check"]) == 0
    assert "exercises/ is in sync with solutions/" in capsys.readouterr().out


def test_a_missing_folder_is_a_clear_error(tmp_path, grade):
    code, out = grade(str(tmp_path / "nowhere"))
    assert code == 2
    assert "nowhere: no such folder or zip file" in out.err


def test_an_unknown_kata_is_a_clear_error(grade):
    code, out = grade("solutions", "--katas", "corr2d,pool")
    assert code == 2
    assert "unknown kata 'pool'" in out.err


def test_a_bad_gradebook_url_is_a_clear_error(grade):
    code, out = grade("solutions", "--katas", "corr2d", "--db", "not a url")
    assert code == 2
    assert "--db 'not a url' is not an SQLAlchemy URL" in out.err
