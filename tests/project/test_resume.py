"""A grading run killed with SIGKILL and started again loses no grade and duplicates none."""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from grader.dev.examples import CLASS_DIR
from grader.grading.batch import GradeOptions, Progress, grade_batch
from grader.sandbox.confine import descendants_cpu_seconds, process_table

KATAS = "corr2d,pool2d"
STUDENTS = [f"student{n}" for n in range(4)]


def slow_class(root):
    """Copies of the complete submission whose conv_layer.py takes 0.3 s to import
    (corr2d and pool2d: 8 points each)."""
    for student in STUDENTS:
        shutil.copytree(CLASS_DIR / "alice", root / student)
        with (root / student / "conv_layer.py").open("a") as module:
            module.write("\nimport time\ntime.sleep(0.3)\n")
    return [root / s for s in STUDENTS]


def grade_command(submissions, out):
    return [sys.executable, "-m", "grader.cli", "grade", *map(str, submissions), "--out", str(out),
            "--katas", KATAS, "--jobs", "1", "--seed", "5"]


def sandbox_servers(grader: int) -> list[int]:
    """The sandbox servers that the grader with this pid started (their first argument)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"{entry.path}/cmdline", "rb") as cmdline:
                    argv = cmdline.read().split(b"\0")
            except OSError:
                continue
            if b"grader.sandbox.server" in argv and argv[argv.index(b"grader.sandbox.server") + 1] == str(grader).encode():
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """The CPU time of a process and everything below it (a hang guard that load does not trip;
    the first record takes about 12 s of it)."""
    return process_table().get(pid, (0, 0.0))[1] + descendants_cpu_seconds(pid)


def killed_mid_run(job, config) -> tuple[list, set[str], list[int]]:
    """`kata grade` on the slow class, killed with SIGKILL once it has committed a record (the grader
    alone: its sandbox server must die with it): (the submissions, the students committed, the
    sandbox servers left 10 s later)."""
    submissions, out = slow_class(job.root / "class"), job.root / "out"
    run = job.start(grade_command(submissions, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 1200  # the clock is only a last resort: a busy machine slows the run
    while not list((out / "submissions").glob("*.json")) and run.poll() is None and not job.stopped:
        if cpu_seconds(run.pid) > 120 or time.monotonic() > deadline:
            raise RuntimeError("kata grade committed no record within 120 s of CPU time")
        time.sleep(0.05)
    if run.poll() is not None:
        raise RuntimeError(f"kata grade ended ({run.returncode}) before it was killed")
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    committed = {p.stem for p in (out / "submissions").glob("*.json")}
    deadline = time.monotonic() + 10
    while sandbox_servers(run.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return submissions, committed, sandbox_servers(run.pid)


BACKGROUND = {"killed_mid_run": killed_mid_run}


def test_kill_9_mid_run_then_resume(background, sandbox):
    submissions, committed, servers_left = background["killed_mid_run"].result()
    out = background["killed_mid_run"].root / "out"
    assert 1 <= len(committed) < len(STUDENTS), "the kill should land mid-run"
    assert servers_left == [], "the sandbox servers die with the grader"

    seen = []
    grade_batch(submissions, GradeOptions(out=out, katas=KATAS.split(","), jobs=1, seed=5),
                Progress(finished=lambda record, skipped: seen.append((record.student, skipped, record.score))),
                sandbox)
    assert sorted(seen) == [(s, s in committed, 8) for s in STUDENTS]
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert sorted(r["student"] for r in rows) == STUDENTS
    assert all(r["score"] == "8" for r in rows)

    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gradebook:
        assert sorted(s.id for s in gradebook.students) == STUDENTS
        assert [gradebook.find_submission("convkata", s).score for s in STUDENTS] == [8.0] * len(STUDENTS)
        assert len(gradebook.assignments[0].submissions) == len(STUDENTS)


def test_outputs_lost_after_a_commit_are_derived_again_without_regrading(tmp_path, sandbox):
    """As after a kill between the record and what derives from it; the gradebook is elsewhere (--db)."""
    out, database = tmp_path / "out", tmp_path / "course" / "gradebook.db"
    database.parent.mkdir()
    options = GradeOptions(out=out, katas=["corr2d", "vgg_block"], db_url=f"sqlite:///{database}")
    first = grade_batch([CLASS_DIR / "bob"], options, server=sandbox)
    assert not (out / "gradebook.db").exists() and database.exists()
    for derived in (out / "grades.csv", database, out / "gradescope"):
        shutil.rmtree(derived) if derived.is_dir() else derived.unlink()
    regraded = []
    again = grade_batch([CLASS_DIR / "bob"], options, Progress(finished=lambda record, skipped: regraded.append(not skipped)))
    assert regraded == [False] and again == first
    assert json.loads((out / "gradescope" / "bob" / "results.json").read_text())["score"] == first[0].score
    assert [r["score"] for r in csv.DictReader((out / "grades.csv").open())] == ["4"]
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{database}") as gradebook:
        assert gradebook.find_submission("convkata", "bob").score == 4.0
