"""The nbgrader course: built from the reference, graded by real nbgrader, and graded again by
``kata grade --nbgrader`` into the same gradebook with the same scores."""
import ast
import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader.cli import main as kata
from grader.core.manifest import load_manifest
from grader.grading.batch import GradeOptions
from grader.integrations.nbgrader.grading import NbgraderCourse, grade_course
from grader.integrations.nbgrader.notebooks import CourseError, build_course, graded_katas, grading_seed, module_source
from tests.nbgrader_course import ASSIGNMENT, STUDENTS, nbgrader_api


def prepared_course(job, config) -> Path:
    """tests.nbgrader_course: the course built from the reference and autograded by nbgrader."""
    job.run_module("tests.nbgrader_course")
    return job.root / "course"


BACKGROUND = {"nbgrader_course": prepared_course}

#: Without a GPU, corr2d has 6 checks (example, shapes, values, gradient, dtype/device, no builtin
#: convolution): the seed's torch.zeros fails only dtype/device, so 4 points × 5/6. edge_detection
#: has the same minus the rule (5): its output is the seed corr2d's, so it fails dtype/device too: 2 × 4/5.
EXPECTED = {"reference": {"corr2d": 4.0, "edge_detection": 2.0},
            "stubs": {"corr2d": 0.0, "edge_detection": 0.0},
            "seed_mistake": {"corr2d": round(4 * 5 / 6, 4), "edge_detection": 2 * 4 / 5}}


@pytest.fixture(scope="module")
def nbgrader_course(background) -> Path:
    return background["nbgrader_course"].result()


def gradebook_scores(url: str) -> dict[str, dict[str, float]]:
    with Gradebook(url) as gradebook:
        return {student: {grade.name: grade.score for notebook in gradebook.find_submission(ASSIGNMENT, student).notebooks
                          for grade in notebook.grades}
                for student in STUDENTS}


def test_every_kata_gets_a_test_cell_with_its_points_and_each_notebook_is_a_module(tmp_path):
    written = build_course(tmp_path, "all", seed=7)
    manifest = load_manifest()
    notebooks = {path.stem: nbformat.read(path, as_version=4) for path in written}
    assert list(notebooks) == list(manifest.modules)
    assert [k for nb in notebooks.values() for k in graded_katas(nb)] == [k.id for k in manifest]
    for module, notebook in notebooks.items():
        assert grading_seed(notebook) == 7
        points = {c.metadata.nbgrader.grade_id: c.metadata.nbgrader.points for c in notebook.cells
                  if c.metadata.nbgrader.get("grade")}
        assert points == {k.id: k.points for k in manifest if k.module == module}
        # the reference's notebook read back is a module defining every kata's symbols, with no relative import
        tree = ast.parse(module_source(notebook, notebook))
        defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        assert {s for k in manifest if k.module == module for s in k.symbols} <= defined
        assert not any(isinstance(node, ast.ImportFrom) and node.level for node in tree.body)
    assert (tmp_path / "nbgrader_config.py").exists()


def test_a_rebuild_keeps_the_seed_and_replaces_edited_notebooks_only_with_force(tmp_path):
    first = build_course(tmp_path, "ps1", ["pool2d"])
    seed = grading_seed(nbformat.read(first[0], as_version=4))
    assert build_course(tmp_path, "ps1", ["pool2d"]) == first  # unchanged: nothing to force
    first[0].write_text(first[0].read_text().replace("Kata 1 of 1", "Kata one"))
    with pytest.raises(CourseError, match="--force"):
        build_course(tmp_path, "ps1", ["pool2d"])
    build_course(tmp_path, "ps1", ["pool2d"], force=True)
    assert grading_seed(nbformat.read(first[0], as_version=4)) == seed
    assert [p.read_text().count("Kata one") for p in (tmp_path / ".kata-backups").rglob("*.ipynb")] == [1]


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
    seed = grading_seed(nbformat.read(nbgrader_course / "source" / ASSIGNMENT / "conv_layer.ipynb", as_version=4))
    assert str(seed) not in released and "BEGIN SOLUTION" not in released


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
    assert "known mistake" in corr2d_feedback and "rerun with check_kata(…, seed=" in corr2d_feedback
    mistake = next(r for r in records if r.student == "seed_mistake")
    assert {m for k in mistake.katas for c in k.checks for m in c.mistakes} == {"output_ignores_dtype"}
    assert nbgrader_api(course).generate_feedback(ASSIGNMENT)["success"]
    feedback = (course / "feedback" / "seed_mistake" / ASSIGNMENT / "conv_layer.html").read_text()
    assert "corr2d — 2-D cross-correlation: 3.3333/4 points" in feedback
