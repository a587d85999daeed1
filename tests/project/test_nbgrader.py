"""The nbgrader course: built from the reference, graded by real nbgrader, and graded again by
``kata grade --nbgrader`` into the same gradebook with the same scores; its grading secret stays
with the instructor, and each submission is graded on a seed of its own."""
import ast
import re
import shutil
import stat
from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from nbgrader.api import Gradebook
from traitlets.config import Config

from grader.checks import checks_of_kata
from grader.checks.runner import Runner, Status
from grader.cli import main as kata
from grader.core.implementation import load_implementation
from grader.core.manifest import load_manifest
from grader.grading.batch import GradeOptions
from grader.grading.records import SubmissionRecord
from grader.integrations.nbgrader import checks
from grader.integrations.nbgrader.grading import NbgraderCourse, grade_course
from grader.integrations.nbgrader.notebooks import (
    CourseError,
    build_course,
    graded_katas,
    grading_seed,
    module_notebook,
    module_source,
)
from grader.integrations.nbgrader.secret import (
    GradingSecretError,
    NotInCourseError,
    legacy_secret,
    secret_path,
    submission_digest,
    submission_seed,
)
from tests.browser import render
from tests.nbgrader_course import ALONE, ASSIGNMENT, PICTURES, STUDENTS, alone_grades, nbgrader_api


def prepared_course(job, config) -> Path:
    """tests.nbgrader_course: the course built from the reference and autograded by nbgrader."""
    job.run_module("tests.nbgrader_course")
    return job.root / "course"


BACKGROUND = {"nbgrader_course": prepared_course}

#: The checks that run here (no GPU). The book's torch.zeros fails only corr2d's dtype/device check,
#: so 4 points × (n - 1)/n; edge_detection's output is that corr2d's, so it fails its dtype/device too.
RUNNABLE = {kata: sum(c.runnable for c in checks_of_kata(kata)) for kata in ("corr2d", "edge_detection")}
EXPECTED = {"reference": {"corr2d": 4.0, "edge_detection": 2.0},
            "stubs": {"corr2d": 0.0, "edge_detection": 0.0},
            "seed_mistake": {kata: round(points * (RUNNABLE[kata] - 1) / RUNNABLE[kata], 4)
                             for kata, points in (("corr2d", 4), ("edge_detection", 2))}}


@pytest.fixture(scope="module")
def nbgrader_course(background) -> Path:
    return background["nbgrader_course"].result()


def graded_cells(notebook) -> list:
    return [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]


def hidden_lines(cell) -> list[str]:
    """A test cell's hidden lines, without their comments."""
    hidden = cell.source.split("### BEGIN HIDDEN TESTS\n")[1].split("\n### END HIDDEN TESTS")[0]
    return [line.split("#")[0].strip() for line in hidden.splitlines()]


def gradebook_scores(url: str, assignment: str = ASSIGNMENT, students=STUDENTS) -> dict[str, dict[str, float]]:
    with Gradebook(url) as gradebook:
        return {student: {grade.name: grade.score for notebook in gradebook.find_submission(assignment, student).notebooks
                          for grade in notebook.grades}
                for student in students}


def test_every_kata_gets_a_test_cell_with_its_points_and_each_notebook_is_a_module(tmp_path):
    written = build_course(tmp_path, "all")
    manifest = load_manifest()
    notebooks = {path.stem: nbformat.read(path, as_version=4) for path in written}
    assert list(notebooks) == list(manifest.modules)
    assert [k for nb in notebooks.values() for k in graded_katas(nb)] == [k.id for k in manifest]
    secret = secret_path(tmp_path, "all").read_text().strip()
    for module, notebook in notebooks.items():
        assert grading_seed(notebook) is None and secret not in nbformat.writes(notebook)
        assert all(hidden_lines(c) == ["from grader.integrations.nbgrader.checks import grade_with_secret",
                                       "grade_with_secret()"] for c in graded_cells(notebook))
        points = {c.metadata.nbgrader.grade_id: c.metadata.nbgrader.points for c in notebook.cells
                  if c.metadata.nbgrader.get("grade")}
        assert points == {k.id: k.points for k in manifest if k.module == module}
        # the reference's notebook read back is a module defining every kata's symbols, with no relative import
        tree = ast.parse(module_source(notebook, notebook))
        defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        assert {s for k in manifest if k.module == module for s in k.symbols} <= defined
        assert not any(isinstance(node, ast.ImportFrom) and node.level for node in tree.body)
    assert (tmp_path / "nbgrader_config.py").exists()


def test_the_secret_is_the_instructors_and_a_rebuild_keeps_it_and_replaces_edited_notebooks_only_with_force(tmp_path):
    first = build_course(tmp_path, "ps1", ["pool2d"])
    path = secret_path(tmp_path, "ps1")
    secret = path.read_text()
    assert path == tmp_path / ".convkata" / "secrets" / "ps1" and len(bytes.fromhex(secret)) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert build_course(tmp_path, "ps1", ["pool2d"]) == first  # unchanged: nothing to force
    first[0].write_text(first[0].read_text().replace("Kata 1 of 1", "Kata one"))
    with pytest.raises(CourseError, match="--force"):
        build_course(tmp_path, "ps1", ["pool2d"])
    build_course(tmp_path, "ps1", ["pool2d"], force=True)
    assert path.read_text() == secret
    assert [p.read_text().count("Kata one") for p in (tmp_path / ".kata-backups").rglob("*.ipynb")] == [1]
    assert build_course(tmp_path, "other", ["pool2d"]) and secret_path(tmp_path, "other").read_text() != secret


def test_kata_nbgrader_build_takes_no_seed(tmp_path, capsys):
    with pytest.raises(SystemExit, match="2"):  # argparse: unrecognized arguments
        kata(["nbgrader", "build", str(tmp_path), "--katas", "pool2d", "--seed", "7"])
    assert kata(["nbgrader", "build", str(tmp_path), "--katas", "pool2d"]) == 0
    assert str(secret_path(tmp_path, "convkata")) in capsys.readouterr().out


def submit(course: Path, student: str, notebooks: dict[str, str] | None = None) -> Path:
    """A student's submitted folder: a copy of the source notebooks, with ``notebooks`` (name → text) instead."""
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    for source in (course / "source" / ASSIGNMENT).glob("*.ipynb"):
        (folder / source.name).write_text(source.read_text())
    for name, text in (notebooks or {}).items():
        (folder / name).write_text(text)
    return folder


def autograding_in(course: Path, student: str, monkeypatch) -> None:
    """This process as nbgrader autograde's kernel for ``student``: in their autograded folder, NBGRADER_EXECUTION set."""
    folder = course / "autograded" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setattr(checks, "_grading_seed", None)


def test_each_submission_is_graded_on_its_own_seed_the_same_in_the_kernel_and_in_kata_grade(tmp_path, monkeypatch):
    [notebook] = build_course(tmp_path, ASSIGNMENT, ["pool2d"])
    alice, bob = submit(tmp_path, "alice"), submit(tmp_path, "bob")
    course = NbgraderCourse(tmp_path, ASSIGNMENT)
    seeds = {"alice": course.submission_seed("alice", alice), "bob": course.submission_seed("bob", bob)}
    assert seeds["alice"] != seeds["bob"] and all(0 <= s < 2**31 for s in seeds.values())
    secret = bytes.fromhex(secret_path(tmp_path, ASSIGNMENT).read_text())
    assert seeds["alice"] == submission_seed(secret, ASSIGNMENT, "alice", submission_digest(alice))
    assert course.submission_seed("alice", alice) == seeds["alice"]  # the same files, the same seed
    for student, seed in seeds.items():  # nbgrader autograde's hidden line derives the same seed
        autograding_in(tmp_path, student, monkeypatch)
        checks.grade_with_secret()
        assert checks._grading_seed == seed
    submit(tmp_path, "alice", {notebook.name: notebook.read_text().replace("# YOUR CODE", "# my code")})
    assert course.submission_seed("alice", alice) != seeds["alice"]  # other code: other inputs
    (alice / "helper.py").write_text("ANSWERS = {}\n")  # any file a notebook could import counts
    assert course.submission_seed("alice", alice) not in (seeds["alice"], course.submission_seed("alice", bob))
    monkeypatch.delenv("NBGRADER_EXECUTION")  # a run of the notebook by hand: fresh inputs, no secret needed
    monkeypatch.setattr(checks, "_grading_seed", None)
    secret_path(tmp_path, ASSIGNMENT).unlink()
    checks.grade_with_secret()
    assert checks._grading_seed is None


def test_autograding_without_the_secret_fails_with_a_message_for_the_instructor(tmp_path, monkeypatch):
    build_course(tmp_path, ASSIGNMENT, ["pool2d"])
    submit(tmp_path, "alice")
    secret_path(tmp_path, ASSIGNMENT).unlink()
    autograding_in(tmp_path, "alice", monkeypatch)
    message = rf"no grading secret for assignment 'ps1': {re.escape(str(secret_path(tmp_path, ASSIGNMENT)))} is missing"
    with pytest.raises(GradingSecretError, match=message):
        checks.grade_with_secret()
    assert checks._grading_seed is None
    with pytest.raises(CourseError, match=message):
        NbgraderCourse(tmp_path, ASSIGNMENT)
    secret_path(tmp_path, ASSIGNMENT).write_text("not hex\n")
    with pytest.raises(GradingSecretError, match="is damaged"):
        checks.grade_with_secret()
    monkeypatch.chdir(tmp_path)  # not a student's autograded folder
    with pytest.raises(NotInCourseError, match="not a student's autograded folder"):
        checks.grade_with_secret()


def test_a_course_built_with_grade_with_seed_grades_on_it_until_a_rebuild_upgrades_it(tmp_path, monkeypatch, capsys):
    [path] = build_course(tmp_path, ASSIGNMENT, ["pool2d"])
    path.write_text(path.read_text().replace(
        "grade_with_secret\\n", "grade_with_seed\\n").replace(
        "grade_with_secret()  # autograding: this submission's inputs, from the instructor's grading secret",
        "grade_with_seed(1234)  # autograding uses the assignment's seed"))
    assert grading_seed(nbformat.read(path, as_version=4)) == 1234
    secret_path(tmp_path, ASSIGNMENT).unlink()
    alice = submit(tmp_path, "alice")
    legacy = submission_seed(legacy_secret(1234), ASSIGNMENT, "alice", submission_digest(alice))
    assert NbgraderCourse(tmp_path, ASSIGNMENT).submission_seed("alice", alice) == legacy
    autograding_in(tmp_path, "alice", monkeypatch)
    checks.grade_with_seed(1234)
    assert checks._grading_seed == legacy and "Rebuild it with" in capsys.readouterr().out
    build_course(tmp_path, ASSIGNMENT, ["pool2d"])  # only the hidden lines differ: no --force needed
    assert grading_seed(nbformat.read(path, as_version=4)) is None
    course = NbgraderCourse(tmp_path, ASSIGNMENT)
    checks.grade_with_seed(1234)  # the gradebook's copy of the old cells: the secret from now on
    assert checks._grading_seed == course.submission_seed("alice", alice) != legacy
    monkeypatch.delenv("NBGRADER_EXECUTION")
    checks.grade_with_seed(1234)  # run by hand, as before
    assert checks._grading_seed == 1234


def test_grading_an_nbgrader_course_takes_its_katas_from_the_course(capsys):
    assert kata(["grade", "--nbgrader", ".", ASSIGNMENT, "--katas", "corr2d"]) == 2
    assert "leave out --katas" in capsys.readouterr().err


def test_a_test_cell_of_the_instructors_own_is_refused_not_zeroed(tmp_path):
    [path] = build_course(tmp_path, ASSIGNMENT, ["pool2d"])
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("assert True", metadata={"nbgrader": {
        "grade_id": "my_own_test", "grade": True, "solution": False, "locked": True, "points": 1,
        "schema_version": 3}}))
    nbformat.write(notebook, path)
    with pytest.raises(CourseError, match="my_own_test .*not convkata katas"):
        NbgraderCourse(tmp_path, ASSIGNMENT)


def test_nbgrader_autograde_gives_full_marks_zero_and_the_exact_partial_score(nbgrader_course):
    assert gradebook_scores(f"sqlite:///{nbgrader_course.parent / 'autograded-by-nbgrader.db'}") == EXPECTED
    released = (nbgrader_course / "release" / ASSIGNMENT / "conv_layer.ipynb").read_text()
    assert "BEGIN SOLUTION" not in released


def test_no_notebook_holds_the_secret_or_a_seed_and_feedback_names_only_the_students_own(nbgrader_course, capsys):
    secret = secret_path(nbgrader_course, ASSIGNMENT).read_text().strip()
    course = NbgraderCourse(nbgrader_course, ASSIGNMENT)
    submitted = course.submissions()
    seeds = {student: course.submission_seed(student, submitted[student]) for student in STUDENTS}
    assert len(set(seeds.values())) == len(STUDENTS)
    for path in [*(nbgrader_course / "source").rglob("*.ipynb"), *(nbgrader_course / "release").rglob("*.ipynb")]:
        text = path.read_text()
        assert secret not in text and not any(str(seed) in text for seed in seeds.values()), path
        assert not re.search(r"grade_with_\w+\(\d", text), path
    autograded = {student: nbgrader_course / "autograded" / student / ASSIGNMENT / "conv_layer.ipynb"
                  for student in STUDENTS}
    for student, path in autograded.items():
        text, notebook = path.read_text(), nbformat.read(path, as_version=4)
        assert all(hidden_lines(c)[-1] == "grade_with_secret()" for c in graded_cells(notebook))
        assert secret not in text and not any(str(seeds[other]) in text for other in STUDENTS if other != student)
    assert f"rerun with check_kata(…, seed={seeds['seed_mistake']})" in autograded["seed_mistake"].read_text()
    # the seed a failure names reproduces it: the student's cells, then check_kata on that seed, in IPython
    # (as in their kernel) print the feedback they were given
    notebook = nbformat.read(autograded["seed_mistake"], as_version=4)
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell(config=config)
    assert all(shell.run_cell(c.source).success for c in notebook.cells
               if c.cell_type == "code" and not c.metadata.nbgrader.get("grade"))
    capsys.readouterr()
    assert shell.run_cell("from grader.integrations.nbgrader.checks import check_kata\n"
                          f"score = check_kata('corr2d', seed={seeds['seed_mistake']})").success
    [cell] = [c for c in graded_cells(notebook) if c.metadata.nbgrader.grade_id == "corr2d"]
    points = EXPECTED["seed_mistake"]["corr2d"]
    assert capsys.readouterr().out == cell.outputs[0].text and f"{points:.4f}/4 points" in cell.outputs[0].text


def test_kata_grade_nbgrader_writes_nbgraders_scores_and_output_and_feedback_follows(nbgrader_course, sandbox,
                                                                                    tmp_path):
    course = tmp_path / "course"
    shutil.copytree(nbgrader_course, course)
    kernel_outputs = {student: nbformat.read(course / "autograded" / student / ASSIGNMENT / "conv_layer.ipynb",
                                             as_version=4) for student in STUDENTS}
    records = grade_course(NbgraderCourse(course, ASSIGNMENT), GradeOptions(out=tmp_path / "out"), server=sandbox)
    assert {r.student: {k.id: k.score for k in r.katas} for r in records} == EXPECTED
    assert gradebook_scores(f"sqlite:///{course / 'gradebook.db'}") == EXPECTED
    for student in STUDENTS:  # each test cell shows what the checks printed in nbgrader's kernel
        ours = nbformat.read(course / "autograded" / student / ASSIGNMENT / "conv_layer.ipynb", as_version=4)
        tests = [i for i, c in enumerate(ours.cells) if c.metadata.get("nbgrader", {}).get("grade")]
        for index in tests:
            theirs = kernel_outputs[student].cells[index].outputs
            assert [o.output_type for o in theirs] == ["stream", "execute_result"]  # no stderr
            assert ours.cells[index].outputs[0].text == theirs[0].text
            assert ours.cells[index].outputs[1].data == theirs[1].data
    corr2d_feedback = kernel_outputs["seed_mistake"].cells[tests[0]].outputs[0].text
    seed = NbgraderCourse(course, ASSIGNMENT).submission_seed("seed_mistake", course / "submitted" / "seed_mistake" / ASSIGNMENT)
    assert "known mistake" in corr2d_feedback and f"rerun with check_kata(…, seed={seed})" in corr2d_feedback
    assert {r.student: r.seed for r in records}["seed_mistake"] == seed
    mistake = next(r for r in records if r.student == "seed_mistake")
    assert {m for k in mistake.katas for c in k.checks for m in c.mistakes} == {"output_ignores_dtype"}
    assert nbgrader_api(course).generate_feedback(ASSIGNMENT)["success"]
    feedback = (course / "feedback" / "seed_mistake" / ASSIGNMENT / "conv_layer.html").read_text()
    assert f"corr2d — 2-D cross-correlation: {EXPECTED['seed_mistake']['corr2d']:.4f}/4 points" in feedback


@pytest.mark.parametrize("kata_id", [k.id for k in load_manifest() if k.requires])
def test_every_kata_alone_makes_an_assignment_the_reference_completes(kata_id, tmp_path, kata_seed):
    """A kata that builds on others, alone in an assignment: the katas it builds on come as given
    reference code (those of its own module in the given cell, those of others with the given
    imports), and the reference's answer alone passes every check but the convergence runs."""
    alone = load_manifest().get(kata_id)
    notebook = module_notebook(alone.module, [alone])
    assert graded_katas(notebook) == [kata_id]
    (tmp_path / f"{alone.module}.py").write_text(module_source(notebook, notebook), encoding="utf-8")
    runner = Runner(load_implementation(tmp_path), kata_seed)
    results = [runner.run(check, alone.module) for check in checks_of_kata(kata_id) if check.kind != "training"]
    assert [r.message for r in results if r.status not in (Status.PASSED, Status.SKIPPED)] == []


@pytest.mark.parametrize("assignment", ALONE)
def test_a_kata_alone_earns_full_marks_through_nbgrader_autograde_and_kata_grade(assignment, nbgrader_course):
    """The issue's cases: conv2d_module without corr2d, resnet18 without resnet_block and Residual
    scored 0 for every student. The reference's answer alone now earns every point, convergence
    included, in nbgrader's kernel and in kata grade's sandbox (tests.nbgrader_course ran both; kata grade
    --nbgrader of alone_conv2d_module on a Dask cluster, --scheduler local:1)."""
    kata_id = ALONE[assignment]
    full = {"reference": {kata_id: float(load_manifest().get(kata_id).points)}}
    autograded = f"sqlite:///{nbgrader_course.parent / 'autograded-by-nbgrader.db'}"
    assert gradebook_scores(autograded, assignment, ["reference"]) == full
    record = SubmissionRecord.from_json((alone_grades(nbgrader_course.parent, assignment) / "submissions" /
                                         "reference.json").read_text())
    assert {k.id: k.score for k in record.katas} == full["reference"]
    assert gradebook_scores(f"sqlite:///{nbgrader_course / 'gradebook.db'}", assignment, ["reference"]) == full


def test_nbgrader_feedback_of_a_wrong_answer_shows_the_maps_in_a_browser(nbgrader_course):
    feedback = nbgrader_course / "feedback" / "flipped" / PICTURES / "conv_layer.html"
    text = feedback.read_text()
    assert "flipped kernel" in text and "yours − expected" in text
    page = render(feedback, name="nbgrader-feedback")
    pictures = [image for image in page.images if image["kind"] == "data"]
    assert pictures and page.image_problems() == []
