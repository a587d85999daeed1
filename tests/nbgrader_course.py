"""A real nbgrader course for the end-to-end test, autograded by nbgrader itself.

    python -m tests.nbgrader_course ROOT     # what the test's fixture runs, in the background

``kata nbgrader build`` writes the course (katas KATAS, assignment ASSIGNMENT) into ROOT/course,
``nbgrader generate_assignment`` releases it, three students submit — the reference's solution
cells (its corr2d also writing to stderr every call, as a torch warning would: NOISE), the untouched
release, and the reference with the seed notes' corr2d (MISTAKE) — and ``nbgrader autograde``
grades them in its kernel, each on the seed its hidden line derives from the course's grading
secret. Then the assignments of ALONE (one kata that builds on others, the reference's answer
handed in; graded by ``nbgrader autograde``, then by ``kata grade --nbgrader`` into ``ROOT/graded-…``,
the first on a Dask LocalCluster, ``--scheduler local:1``)
and PICTURES (a flipped-kernel corr2d, whose feedback ``nbgrader generate_feedback`` writes).
nbgrader's output is in ``ROOT/log``; tests/project/test_nbgrader.py runs this in the background
(tests/background.py). Jupyter reads only ROOT/jupyter: a ``python3`` kernel that is this Python.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import nbformat

from grader.cli import main as kata
from grader.core.stubgen import strip_markers
from grader.dev.catalogue import load_mistakes

ASSIGNMENT = "ps1"
KATAS = ("corr2d", "edge_detection")
MISTAKE = "corr2d_seed_zeros"
STUDENTS = ("reference", "stubs", "seed_mistake")
#: Assignments of one kata that builds on others (the issue's cases): the reference student's answer
#: alone must earn full marks; the katas it builds on come as given code.
ALONE = {"alone_conv2d_module": "conv2d_module", "alone_resnet18": "resnet18"}
#: An assignment whose one student's corr2d flips the kernel: its feedback shows the pictures.
PICTURES, PICTURED_MISTAKE = "pictures", "corr2d_flipped_kernel"
#: Appended to the reference student's corr2d cell: every call warns and writes to stderr, from
#: Python and from C, which must cost nothing (nbgrader gives a test cell with stderr output 0).
NOISE = """

import os as _os
import sys as _sys
import warnings as _warnings

_quiet_corr2d = corr2d


def corr2d(X, K):
    _warnings.warn("a warning from the student's code, as torch might give")
    print("a line on Python's stderr", file=_sys.stderr)
    _os.write(2, b"a line on the C level's stderr\\n")
    return _quiet_corr2d(X, K)
"""


def jupyter_env(root: Path) -> dict[str, str]:
    """An environment whose Jupyter reads no user configuration and whose ``python3`` kernel is this Python."""
    spec = root / "jupyter" / "data" / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python"}), encoding="utf-8")
    (root / "jupyter" / "config").mkdir(exist_ok=True)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # nbgrader runs alembic
    return {**os.environ, "PATH": path, "JUPYTER_PATH": str(root / "jupyter" / "data"),
            "JUPYTER_CONFIG_DIR": str(root / "jupyter" / "config"), "JUPYTER_DATA_DIR": str(root / "jupyter" / "data")}


def nbgrader_api(course: Path):
    """nbgrader's Python API on the course, configured by its nbgrader_config.py (as its commands are)."""
    from nbgrader.apps import NbGraderAPI

    from grader.integrations.nbgrader.grading import course_config

    return NbGraderAPI(config=course_config(course))


def check_step(result: dict, log: Path) -> None:
    """Keep an nbgrader API call's log; RuntimeError with its error if it failed."""
    with log.open("a") as out:
        out.write(result.get("log", ""))
    if not result["success"]:
        raise RuntimeError(f"nbgrader failed: {result.get('error')}")


def reference_answers(source: nbformat.NotebookNode) -> dict[str, str]:
    """The source notebook's solution cells, by grade_id, without their solution markers."""
    return {c.metadata.nbgrader.grade_id: strip_markers(c.source) for c in source.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def handed_in(released: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The released notebook with the solution cells ``answers`` names (by grade_id) filled in."""
    for cell in released.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in answers:
            cell.source = answers[cell.metadata.nbgrader.grade_id]
    return released


def submitted_notebook(course: Path, student: str, assignment: str = ASSIGNMENT,
                       module: str = "conv_layer") -> nbformat.NotebookNode:
    """What a student hands in: the release, with solution cells filled in as the student would."""
    released = nbformat.read(course / "release" / assignment / f"{module}.ipynb", as_version=4)
    if student == "stubs":
        return released
    answers = reference_answers(nbformat.read(course / "source" / assignment / f"{module}.ipynb", as_version=4))
    if student == "reference" and assignment == ASSIGNMENT:
        answers["corr2d_code"] += NOISE
    mistaken = {"seed_mistake": MISTAKE, "flipped": PICTURED_MISTAKE}
    if student in mistaken:
        mistake = next(m for m in load_mistakes() if m.id == mistaken[student])
        answers[f"{mistake.kata}_code"] = mistake.applied_to(answers[f"{mistake.kata}_code"])
    return handed_in(released, answers)


def build(course: Path, assignment: str, katas: tuple[str, ...]) -> None:
    if kata(["nbgrader", "build", str(course), "--assignment", assignment, "--katas", ",".join(katas)]) != 0:
        raise RuntimeError(f"kata nbgrader build {assignment} failed")


def hand_in_and_autograde(api, course: Path, assignment: str, students: tuple[str, ...], log: Path) -> None:
    """Release ``assignment`` and autograde each student's hand-in."""
    check_step(api.generate_assignment(assignment), log)
    for student in students:
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        for notebook in sorted((course / "release" / assignment).glob("*.ipynb")):
            nbformat.write(submitted_notebook(course, student, assignment, notebook.stem), folder / notebook.name)
        check_step(api.autograde(assignment, student), log)


def prepare(root: Path) -> Path:
    """Build, release, submit and autograde the course under ``root``; the course folder. (nbgrader
    runs in this process, through its API: one start-up for both steps.)"""
    course, log = root / "course", root / "log"
    os.environ.update(jupyter_env(root))
    build(course, ASSIGNMENT, KATAS)
    for assignment, kata_id in ALONE.items():
        build(course, assignment, (kata_id,))
    build(course, PICTURES, ("corr2d",))
    api = nbgrader_api(course)
    hand_in_and_autograde(api, course, ASSIGNMENT, STUDENTS, log)
    for assignment in ALONE:
        hand_in_and_autograde(api, course, assignment, ("reference",), log)
    hand_in_and_autograde(api, course, PICTURES, ("flipped",), log)
    check_step(api.generate_feedback(PICTURES), log)
    shutil.copy(course / "gradebook.db", root / "autograded-by-nbgrader.db")
    for index, assignment in enumerate(ALONE):  # then graded again by kata grade, into the course's gradebook:
        cluster = ["--scheduler", "local:1"] if index == 0 else []  # the first on a Dask cluster of one worker
        if kata(["grade", "--nbgrader", str(course), assignment, "--out", str(alone_grades(root, assignment)), *cluster]) != 0:
            raise RuntimeError(f"kata grade --nbgrader {assignment} {' '.join(cluster)} failed")
    return course


def alone_grades(root: Path, assignment: str) -> Path:
    """Where ``kata grade --nbgrader`` put its grades of an assignment of ALONE."""
    return root / f"graded-{assignment}"


if __name__ == "__main__":
    prepare(Path(sys.argv[1]))
