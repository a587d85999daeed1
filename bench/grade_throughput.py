"""How much faster ``kata grade --nbgrader`` is than ``nbgrader autograde``, on the same course.

    .venv/bin/python bench/grade_throughput.py [--n 20] [--kata corr2d] [--seed 0] [--jobs N]
                                               [--json PATH] [--workdir DIR]

It builds an nbgrader course of one kata with ``kata nbgrader build`` (a grading secret of its own),
releases it, and hands in N notebooks: the reference's solution cell, or for every fifth student
the reference with the kata's return values zeroed. Then it times, wall clock:

- ``nbgrader autograde``: a kernel per notebook, the test cell running the kata's checks;
- ``kata grade --nbgrader`` on the same course (start-up included): the solution cells graded in
  the sandbox, nbgrader's autograde writing the results into the gradebook;

and checks the gradebook: full points for the reference, fewer for the zeroed module, and the same
scores from both. It prints both times, the time per submission and the ratio, and with ``--json`` writes
them. Nothing is downloaded; run it with the project's venv (its python is the notebooks' kernel).
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from grader.checks.runner import Runner, Status
from grader.core.implementation import load_implementation
from grader.core.manifest import Kata, load_manifest
from grader.core.paths import REPO_ROOT, SOLUTIONS_DIR
from grader.integrations.nbgrader.notebooks import build_course

sys.path.insert(0, str(REPO_ROOT))  # the tests' isolated Jupyter environment, when run as a script
from tests.nbgrader_course import handed_in, jupyter_env, reference_answers  # noqa: E402

ASSIGNMENT = "bench"
#: Every WRONG_EVERY-th student hands in the deliberately wrong module.
WRONG_EVERY = 5
BIN = Path(sys.executable).parent


def zero_returns(source: str, symbols: tuple[str, ...]) -> str:
    """``source`` with every ``return X`` inside the top-level definitions of ``symbols``
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
    return data.decode()


def is_correct(number: int) -> bool:
    return number % WRONG_EVERY != 0


def check_zeroed_module_fails(kata: Kata, work: Path, seed: int) -> None:
    """The zeroed reference must fail the kata in-process, or the scores to expect are not 0."""
    folder = work / "zeroed"
    folder.mkdir()
    for path in SOLUTIONS_DIR.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        (folder / path.name).write_text(zero_returns(text, kata.symbols) if path.stem == kata.module else text,
                                        encoding="utf-8")
    if Runner(load_implementation(folder), seed).run_kata(kata).status is Status.PASSED:
        sys.exit(f"{kata.id}: the reference with zeroed returns passes; this benchmark needs a kata it fails")


def run_nbgrader(course: Path, env: dict[str, str], *args: str) -> float:
    """Run ``nbgrader ARGS`` in the course; its seconds. Exits with nbgrader's log if it fails."""
    start = time.perf_counter()
    process = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True)
    if process.returncode != 0:
        tail = "\n".join((process.stderr + process.stdout).strip().splitlines()[-20:])
        sys.exit(f"nbgrader {' '.join(args)} failed (exit {process.returncode}):\n{tail}")
    return time.perf_counter() - start


def write_course(course: Path, env: dict[str, str], n: int, kata: Kata) -> list[str]:
    """Build and release the course, hand in N notebooks; the student ids."""
    [notebook] = build_course(course, ASSIGNMENT, [kata.id])
    run_nbgrader(course, env, "generate_assignment", ASSIGNMENT)
    reference = reference_answers(nbformat.read(notebook, as_version=4))
    zeroed = {grade_id: zero_returns(text, kata.symbols) for grade_id, text in reference.items()}
    students = []
    for number in range(1, n + 1):
        released = nbformat.read(course / "release" / ASSIGNMENT / notebook.name, as_version=4)
        student = f"student{number:03d}"
        (course / "submitted" / student / ASSIGNMENT).mkdir(parents=True)
        nbformat.write(handed_in(released, reference if is_correct(number) else zeroed),
                       course / "submitted" / student / ASSIGNMENT / notebook.name)
        students.append(student)
    return students


def gradebook_scores(course: Path, students: list[str]) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {s: gradebook.find_submission(ASSIGNMENT, s).score for s in students}


def check_nbgrader_scores(scores: dict[str, float], kata: Kata) -> None:
    """Full points for the reference, fewer for the zeroed module (its shapes and dtypes are right)."""
    wrong = {s: score for number, (s, score) in enumerate(scores.items(), start=1)
             if (score == kata.points) != is_correct(number)}
    if wrong:
        sys.exit(f"nbgrader autograde scored these wrongly (want {kata.points} for the reference, fewer for the "
                 f"zeroed module): {wrong}")


def time_kata(course: Path, env: dict[str, str], jobs: int | None) -> float:
    """Seconds for ``kata grade --nbgrader`` over the course, start-up included."""
    command = [str(BIN / "kata"), "grade", "--nbgrader", str(course), ASSIGNMENT]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    start = time.perf_counter()
    process = subprocess.run(command, env=env, capture_output=True, text=True)
    if process.returncode != 0:
        sys.exit(f"kata grade --nbgrader failed (exit {process.returncode}):\n{process.stderr[-3000:]}")
    return time.perf_counter() - start


def figures(kata: Kata, n: int, seed: int, jobs: int | None, nbgrader_s: float, kata_s: float) -> dict:
    return {"kata": kata.id, "n": n, "wrong": n // WRONG_EVERY, "seed": seed, "jobs": jobs,
            "nbgrader_seconds": nbgrader_s, "nbgrader_seconds_per_notebook": nbgrader_s / n,
            "kata_seconds": kata_s, "kata_seconds_per_submission": kata_s / n,
            "ratio_nbgrader_to_kata": nbgrader_s / kata_s}


def print_table(row: dict) -> None:
    header = ["N", "nbgrader s", "per notebook s", "kata s", "per submission s", "nbgrader/kata"]
    cells = [str(row["n"]), f"{row['nbgrader_seconds']:.1f}", f"{row['nbgrader_seconds_per_notebook']:.2f}",
             f"{row['kata_seconds']:.1f}", f"{row['kata_seconds_per_submission']:.2f}",
             f"{row['ratio_nbgrader_to_kata']:.1f}"]
    widths = [max(len(h), len(c)) for h, c in zip(header, cells)]
    print(f"kata {row['kata']}, {row['n']} submissions ({row['wrong']} wrong), seed {row['seed']}")
    for line in (header, cells):
        print("  ".join(text.rjust(width) for text, width in zip(line, widths)))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="number of submissions (default 20)")
    parser.add_argument("--kata", default="corr2d", choices=[k.id for k in load_manifest()], metavar="KATA",
                        help="the kata to grade (default corr2d)")
    parser.add_argument("--seed", type=int, default=0, help="the seed of the check that a zeroed module fails (default 0)")
    parser.add_argument("--jobs", type=int, default=None, help="passed to kata grade as --jobs (default: its own)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="an empty or new folder to work in, kept afterwards (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    return args


def run(args: argparse.Namespace, work: Path) -> dict:
    """Build the course, time both graders in ``work``, check their scores, print the table; the figures."""
    kata = load_manifest().get(args.kata)
    check_zeroed_module_fails(kata, work, args.seed)
    env = jupyter_env(work)
    course = work / "course"
    students = write_course(course, env, args.n, kata)
    nbgrader_s = run_nbgrader(course, env, "autograde", ASSIGNMENT, "--create")
    nbgrader_scores = gradebook_scores(course, students)
    check_nbgrader_scores(nbgrader_scores, kata)
    kata_s = time_kata(course, env, args.jobs)
    if gradebook_scores(course, students) != nbgrader_scores:
        sys.exit(f"kata grade --nbgrader gave other scores than nbgrader autograde: "
                 f"{gradebook_scores(course, students)} vs {nbgrader_scores}")
    row = figures(kata, args.n, args.seed, args.jobs, nbgrader_s, kata_s)
    print_table(row)
    return row


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark in a temporary folder (or --workdir); write --json if asked."""
    args = parse_args(argv)
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"  # nbgrader's Gradebook runs alembic
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
