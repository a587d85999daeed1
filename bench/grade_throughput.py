"""How much faster convkata's batch grader is than ``nbgrader autograde``, on the same submissions
and the same checks.

    .venv/bin/python bench/grade_throughput.py [--n 20] [--kata corr2d] [--seed 0] [--jobs N]
                                               [--json PATH] [--workdir DIR]

It makes N submissions (copies of exercises/ whose kata module is the reference, or for every
fifth student the reference with the kata's return values zeroed), then times, wall clock:

- ``nbgrader autograde``, one run over all N students, in a throwaway course: one notebook per
  student, whose solution cell writes the student's module to a folder laid out like exercises/
  and whose autograded test cell runs the kata's convkata checks on it in-process (full points
  when every check passes, else 0). The scores are read back from the gradebook and must be right;
- ``kata grade SUB1 … SUBN --out OUT --katas KATA`` (start-up included).

It prints both times, the time per submission and the ratio, and with ``--json`` writes them.
Nothing is downloaded; run it with the project's venv (its python is the notebooks' kernel).
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.api import Gradebook

from grader.implementation import load_implementation
from grader.manifest import Kata, load_manifest
from grader.paths import EXERCISES_DIR, REPO_ROOT, SOLUTIONS_DIR
from grader.runner import Runner, Status

ASSIGNMENT = "bench"
KERNEL_NAME = "convkata-bench"
#: Every WRONG_EVERY-th student hands in the deliberately wrong module.
WRONG_EVERY = 5
#: The per-cell limit for nbgrader's kernel (its default, 30 s, is tight for a slow kata on 2 cores).
CELL_TIMEOUT_S = 600
BIN = Path(sys.executable).parent

SETUP_CELL = """\
import shutil, sys
from pathlib import Path
from grader.paths import EXERCISES_DIR

# The student's module goes into a folder laid out like exercises/, next to this notebook.
SUBMISSION_DIR = Path("submission").resolve()
shutil.copytree(EXERCISES_DIR, SUBMISSION_DIR, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
print(sys.executable)
"""

TEST_CELL = """\
import contextlib, os, warnings
from grader.implementation import load_implementation
from grader.manifest import load_manifest
from grader.runner import Runner, Status

@contextlib.contextmanager
def no_stderr():
    \"\"\"Send stderr nowhere, Python's and the C level's: any output on it (a torch warning, say)
    makes nbgrader give this cell 0 points. (convkata shows warnings raised while importing the
    student's module, so ignoring warnings is not enough.)\"\"\"
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)

with no_stderr():
    result = Runner(load_implementation(SUBMISSION_DIR), {seed}).run_kata(load_manifest().get({kata!r}))
problems = [f"{{r.check.id}}: {{r.message}}" for r in result.results if r.status in (Status.FAILED, Status.PENDING)]
assert result.status is Status.PASSED, "\\n\\n".join(problems)
"""


def zero_returns(source: str, symbols: tuple[str, ...]) -> str:
    """The module ``source`` with every ``return X`` inside the top-level definitions of ``symbols``
    (functions, or methods of classes) turned into ``return torch.zeros_like(X)``."""
    data = source.encode()  # ast's column offsets count UTF-8 bytes
    line_starts = [0]
    for line in data.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    returns = [node.value for top in ast.parse(source).body if getattr(top, "name", None) in symbols
               for node in ast.walk(top) if isinstance(node, ast.Return) and node.value is not None]
    for value in sorted(returns, key=lambda v: (v.lineno, v.col_offset), reverse=True):
        start = line_starts[value.lineno - 1] + value.col_offset
        end = line_starts[value.end_lineno - 1] + value.end_col_offset
        data = data[:start] + b"torch.zeros_like(" + data[start:end] + b")" + data[end:]
    return data.decode() + "\nimport torch  # for the zeroed returns above\n"


@dataclass(frozen=True)
class Submission:
    """One student's folder, laid out like exercises/, and whether its kata module is the reference."""

    student: str
    folder: Path
    correct: bool


def make_submissions(root: Path, n: int, kata: Kata) -> list[Submission]:
    """N copies of exercises/ under ``root``: the kata's module is the reference, except for every
    WRONG_EVERY-th student, whose module returns zeros (see ``zero_returns``)."""
    reference = (SOLUTIONS_DIR / f"{kata.module}.py").read_text(encoding="utf-8")
    wrong = zero_returns(reference, kata.symbols)
    submissions = []
    for number in range(1, n + 1):
        correct = number % WRONG_EVERY != 0
        folder = root / f"student{number:03d}"
        shutil.copytree(EXERCISES_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
        (folder / f"{kata.module}.py").write_text(reference if correct else wrong, encoding="utf-8")
        submissions.append(Submission(folder.name, folder, correct))
    return submissions


def check_variants(submissions: list[Submission], kata: Kata, seed: int) -> None:
    """Grade one reference and one wrong submission in-process: the reference must pass every check
    and the wrong one must not, or the scores nbgrader should give are not full and zero."""
    for correct in (True, False):
        sample = next((s for s in submissions if s.correct is correct), None)
        if sample is None:
            continue
        status = Runner(load_implementation(sample.folder), seed).run_kata(kata).status
        if (status is Status.PASSED) is not correct:
            sys.exit(f"{kata.id}: the {'reference' if correct else 'zeroed'} module is {status.value} in-process; "
                     "this benchmark needs a kata whose checks the reference passes and zeroed returns fail")


def notebook(module_source: str, kata: Kata, seed: int) -> nbformat.NotebookNode:
    """The assignment's notebook: a locked setup cell, the solution cell (``%%writefile`` of the
    module into the submission folder) and the autograded test cell running the kata's checks."""
    def meta(grade_id: str, *, solution=False, grade=False, locked=True, **extra) -> dict:
        return {"nbgrader": {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": locked,
                             "schema_version": 3, **extra}}

    cells = [
        new_code_cell(SETUP_CELL, metadata=meta("setup")),
        new_code_cell(f"%%writefile {{SUBMISSION_DIR}}/{kata.module}.py\n{module_source}",
                      metadata=meta(f"{kata.id}_solution", solution=True, locked=False)),
        new_code_cell(TEST_CELL.format(seed=seed, kata=kata.id),
                      metadata=meta(kata.id, grade=True, points=kata.points)),
    ]
    kernelspec = {"name": KERNEL_NAME, "display_name": "convkata (venv)", "language": "python"}
    return new_notebook(cells=cells, metadata={"kernelspec": kernelspec})


def db_url(course: Path) -> str:
    """The course's gradebook, where nbgrader keeps it by default."""
    return f"sqlite:///{course / 'gradebook.db'}"


def write_course(course: Path, submissions: list[Submission], kata: Kata, seed: int) -> None:
    """An nbgrader course: its config, the source notebook (the reference) and each student's
    notebook under submitted/<student>/<assignment>/; the students are registered in the gradebook."""
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.db_url = {db_url(course)!r}\n"
        f"c.Execute.kernel_name = {KERNEL_NAME!r}\n"
        f"c.Execute.timeout = {CELL_TIMEOUT_S}\n", encoding="utf-8")
    name = f"{kata.id}.ipynb"
    reference = (SOLUTIONS_DIR / f"{kata.module}.py").read_text(encoding="utf-8")
    targets = {course / "source" / ASSIGNMENT / name: reference}
    for sub in submissions:
        source = (sub.folder / f"{kata.module}.py").read_text(encoding="utf-8")
        targets[course / "submitted" / sub.student / ASSIGNMENT / name] = source
    for path, source in targets.items():
        path.parent.mkdir(parents=True)
        nbformat.write(notebook(source, kata, seed), path)
    with Gradebook(db_url(course)) as gradebook:
        for sub in submissions:
            gradebook.add_student(sub.student)


def jupyter_env(root: Path) -> dict[str, str]:
    """An environment in which Jupyter reads no user config and finds the kernelspec KERNEL_NAME
    (written under ``root``): this python, with the repository importable."""
    spec_dir = root / "data" / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "convkata (venv)", "language": "python",
            "env": {"PYTHONPATH": str(REPO_ROOT)}}
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    (root / "config").mkdir()
    return {**os.environ, "JUPYTER_PATH": str(root / "data"), "JUPYTER_CONFIG_DIR": str(root / "config")}


def timed(command: list[str], **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    """Run a command to the end; its wall-clock seconds and the finished process (output captured)."""
    start = time.perf_counter()
    process = subprocess.run(command, capture_output=True, text=True, **kwargs)
    return time.perf_counter() - start, process


def tail(text: str, lines: int = 20) -> str:
    """The last ``lines`` lines of a command's output."""
    return "\n".join(text.strip().splitlines()[-lines:])


def run_nbgrader(course: Path, env: dict[str, str], *args: str) -> float:
    """Run ``nbgrader ARGS`` in the course; its seconds. Exits with nbgrader's log if it fails."""
    seconds, process = timed([str(BIN / "nbgrader"), *args], cwd=course, env=env)
    if process.returncode != 0:
        sys.exit(f"nbgrader {' '.join(args)} failed (exit {process.returncode}):\n{tail(process.stderr + process.stdout)}")
    return seconds


def check_nbgrader_results(course: Path, submissions: list[Submission], kata: Kata) -> None:
    """The kernel ran this python, and the gradebook gives the reference full points and the
    zeroed module 0; exits naming what is off."""
    autograded = nbformat.read(course / "autograded" / submissions[0].student / ASSIGNMENT / f"{kata.id}.ipynb",
                               as_version=4)
    kernel_python = "".join(o.get("text", "") for o in autograded.cells[0].outputs).strip()
    if kernel_python != sys.executable:
        sys.exit(f"nbgrader's kernel ran {kernel_python or 'nothing'!r}, not {sys.executable}")
    with Gradebook(db_url(course)) as gradebook:
        scores = {s.student: gradebook.find_submission(ASSIGNMENT, s.student).score for s in submissions}
    misgraded = {s.student: scores[s.student] for s in submissions
                 if scores[s.student] != (kata.points if s.correct else 0)}
    if misgraded:
        sys.exit(f"nbgrader scored these submissions wrongly (want {kata.points} for the reference, 0 for "
                 f"the zeroed module; see {course / 'autograded'}): {misgraded}")


def time_nbgrader(work: Path, submissions: list[Submission], kata: Kata, seed: int) -> float:
    """Seconds for one ``nbgrader autograde`` over every submission (after an untimed generate_assignment)."""
    course = work / "course"
    write_course(course, submissions, kata, seed)
    env = jupyter_env(work / "jupyter")
    run_nbgrader(course, env, "generate_assignment", ASSIGNMENT)
    seconds = run_nbgrader(course, env, "autograde", ASSIGNMENT)
    check_nbgrader_results(course, submissions, kata)
    return seconds


def time_kata(work: Path, submissions: list[Submission], kata: Kata, seed: int, jobs: int | None) -> float | None:
    """Seconds for ``kata grade`` over every submission, start-up included; None if it fails."""
    command = [str(BIN / "kata"), "grade", *(str(s.folder) for s in submissions),
               "--out", str(work / "kata-out"), "--katas", kata.id, "--seed", str(seed)]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    seconds, process = timed(command)
    if process.returncode != 0:
        print(f"kata grade failed (exit {process.returncode}), so there is no kata timing (before the batch grader, "
              f"`kata grade` took one folder and no --out or --katas):\n{tail(process.stderr + process.stdout)}\n")
        return None
    return seconds


def figures(kata: Kata, submissions: list[Submission], seed: int, jobs: int | None,
            nbgrader_s: float, kata_s: float | None) -> dict:
    """The benchmark's figures (kata figures None when ``kata grade`` did not run)."""
    n = len(submissions)
    return {"kata": kata.id, "n": n, "wrong": sum(not s.correct for s in submissions), "seed": seed, "jobs": jobs,
            "nbgrader_seconds": nbgrader_s, "nbgrader_seconds_per_notebook": nbgrader_s / n,
            "kata_seconds": kata_s, "kata_seconds_per_submission": None if kata_s is None else kata_s / n,
            "ratio_nbgrader_to_kata": None if kata_s is None else nbgrader_s / kata_s}


def print_table(row: dict) -> None:
    """The figures as a one-row table under a line saying what was graded."""
    def show(value, digits):
        return "n/a" if value is None else f"{value:.{digits}f}"

    header = ["N", "nbgrader s", "per notebook s", "kata s", "per submission s", "nbgrader/kata"]
    cells = [str(row["n"]), show(row["nbgrader_seconds"], 1), show(row["nbgrader_seconds_per_notebook"], 2),
             show(row["kata_seconds"], 1), show(row["kata_seconds_per_submission"], 2),
             show(row["ratio_nbgrader_to_kata"], 1)]
    widths = [max(len(h), len(c)) for h, c in zip(header, cells)]
    print(f"kata {row['kata']}, {row['n']} submissions ({row['wrong']} wrong), seed {row['seed']}")
    for line in (header, cells):
        print("  ".join(text.rjust(width) for text, width in zip(line, widths)))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="number of submissions (default 20)")
    parser.add_argument("--kata", default="corr2d", choices=[k.id for k in load_manifest()], metavar="KATA",
                        help="the kata to grade (default corr2d)")
    parser.add_argument("--seed", type=int, default=0, help="the checks' seed, the same on both sides (default 0)")
    parser.add_argument("--jobs", type=int, default=None, help="passed to kata grade as --jobs (default: its own)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="an empty or new folder to work in, kept afterwards (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    return args


def run(args: argparse.Namespace, work: Path) -> dict:
    """Make the submissions, time both graders in ``work``, print the table; the figures."""
    kata = load_manifest().get(args.kata)
    submissions = make_submissions(work / "submissions", args.n, kata)
    check_variants(submissions, kata, args.seed)
    nbgrader_s = time_nbgrader(work, submissions, kata, args.seed)
    kata_s = time_kata(work, submissions, kata, args.seed, args.jobs)
    row = figures(kata, submissions, args.seed, args.jobs, nbgrader_s, kata_s)
    print_table(row)
    return row


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark in a temporary folder (or --workdir); write --json if asked."""
    args = parse_args(argv)
    # nbgrader's Gradebook runs `alembic` from PATH, here and in the nbgrader commands: the venv's.
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    if args.workdir is None:
        with tempfile.TemporaryDirectory(prefix="convkata-bench-") as tmp:
            row = run(args, Path(tmp))
    else:
        args.workdir.mkdir(parents=True, exist_ok=True)
        if any(args.workdir.iterdir()):
            sys.exit(f"--workdir {args.workdir} is not empty")
        row = run(args, args.workdir.resolve())
    if args.json is not None:
        args.json.write_text(json.dumps(row, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
