"""The batch grader on the sample class: scores, diagnoses, and the files it writes
(Gradescope results.json, the class CSV, nbgrader's gradebook)."""
import csv
import json

import pytest

from grader.core.manifest import load_manifest
from grader.dev.catalogue import load_mistakes
from grader.dev.examples import CLASS_DIR, load_students, out_of_sync
from grader.grading.batch import GradeOptions, grade_batch
from grader.sandbox.confine import Limits

#: Cheap katas (no convergence checks) that still cover every student's situation.
KATAS = ["corr2d", "conv2d_module", "pool2d", "vgg_block", "batch_norm", "residual"]
POINTS = {k.id: k.points for k in load_manifest()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, sandbox):
    out = tmp_path_factory.mktemp("grades")
    records = grade_batch(sorted(CLASS_DIR.iterdir()), GradeOptions(out=out, katas=KATAS, jobs=2,
                                                                    limits=Limits(cpu_seconds=20)), server=sandbox)
    return out, {r.student: r for r in records}


def scores(record):
    return {k.id: k.score for k in record.katas}


def test_the_sample_class_is_in_sync_with_its_spec():
    assert out_of_sync() == [], "run `make examples`"


def test_the_complete_submission_earns_every_point(graded):
    _, records = graded
    assert scores(records["alice"]) == {k: POINTS[k] for k in KATAS}


def test_the_partial_submission_earns_the_chapter_it_did(graded):
    _, records = graded
    student = next(s for s in load_students() if s.id == "bob")
    manifest = load_manifest()
    expected = {k: 0 if manifest.get(k).module in student.stubs else POINTS[k] for k in KATAS}
    assert scores(records["bob"]) == expected
    stubbed = [k for k in records["bob"].katas if expected[k.id] == 0]
    assert stubbed and all(k.status == "pending" for k in stubbed)


def test_each_typical_mistake_loses_points_on_its_kata_and_is_named(graded):
    _, records = graded
    student = next(s for s in load_students() if s.id == "carol")
    mistakes = {m.id: m for m in load_mistakes()}
    by_kata = {k.id: k for k in records["carol"].katas}
    mistaken = {mistakes[m].kata: mistakes[m].diagnosis for m in student.mistakes}
    for kata_id, kata in by_kata.items():
        if kata_id in mistaken:
            assert kata.status == "failed" and kata.score < POINTS[kata_id], kata_id
            named = {m for check in kata.checks for m in check.mistakes}
            assert mistaken[kata_id] in named, (kata_id, named)
        else:
            assert kata.score == POINTS[kata_id], kata_id


def test_the_hostile_submission_earns_nothing_and_forges_nothing(graded):
    out, records = graded
    assert records["mallory"].score == 0
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert sorted(r["student"] for r in rows) == ["alice", "bob", "carol", "mallory"]
    assert next(r for r in rows if r["student"] == "mallory")["score"] == "0"
    pool2d = next(k for k in records["mallory"].katas if k.id == "pool2d")
    assert "exited (status 0) during this check" in pool2d.checks[0].message


def test_diagnoses_show_the_students_own_file_names(graded):
    _, records = graded
    messages = "\n".join(c.message for k in records["carol"].katas for c in k.checks)
    assert 'File "carol/pooling.py"' in messages or 'File "carol/conv_layer.py"' in messages
    assert "convkata-sandbox" not in messages


GRADESCOPE_TOP = {"score": (int, float), "execution_time": (int, float), "output": str, "visibility": str,
                  "stdout_visibility": str, "tests": list, "extra_data": dict}
GRADESCOPE_TEST = {"name": str, "number": str, "score": (int, float), "max_score": (int, float), "status": str,
                   "output": str, "visibility": str, "tags": list}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def validate_gradescope(results: dict) -> None:
    """The fields Gradescope's autograder specification defines, with their types and allowed values."""
    assert set(results) <= set(GRADESCOPE_TOP), set(results) - set(GRADESCOPE_TOP)
    for name, kind in GRADESCOPE_TOP.items():
        assert isinstance(results.get(name), kind), name
    assert results["visibility"] in VISIBILITY and results["stdout_visibility"] in VISIBILITY
    for test in results["tests"]:
        assert set(test) <= set(GRADESCOPE_TEST), set(test) - set(GRADESCOPE_TEST)
        for name, kind in GRADESCOPE_TEST.items():
            assert isinstance(test.get(name), kind), name
        assert test["status"] in ("passed", "failed") and test["visibility"] in VISIBILITY
        assert 0 <= test["score"] <= test["max_score"]
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))


def test_gradescope_results_follow_the_spec_and_match_the_records(graded):
    out, records = graded
    for student, record in records.items():
        results = json.loads((out / "gradescope" / student / "results.json").read_text())
        validate_gradescope(results)
        assert [t["score"] for t in results["tests"]] == [k.score for k in record.katas]
        assert [t["max_score"] for t in results["tests"]] == [POINTS[k] for k in KATAS]
    failing = json.loads((out / "gradescope" / "carol" / "results.json").read_text())["tests"][0]
    assert failing["status"] == "failed" and "checks passed" in failing["output"] and "seed" in failing["output"]


def test_nbgrader_gradebook_holds_every_score(graded):
    from nbgrader.api import Gradebook

    out, records = graded
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gradebook:
        assert sorted(s.id for s in gradebook.students) == sorted(records)
        for student, record in records.items():
            submission = gradebook.find_submission("convkata", student)
            assert submission.max_score == sum(POINTS[k] for k in KATAS)
            assert submission.score == pytest.approx(record.score)
            for kata in record.katas:
                grade = gradebook.find_grade(kata.id, kata.module, "convkata", student)
                assert grade.auto_score == pytest.approx(kata.score)


def test_a_second_run_skips_what_is_graded_and_force_regrades(graded, sandbox, monkeypatch):
    out, records = graded
    seen = []
    from grader.grading.batch import Progress
    progress = Progress(finished=lambda record, skipped: seen.append((record.student, skipped)))
    monkeypatch.setattr("grader.grading.batch.ForkServer", None)  # nothing is left to grade: no sandbox starts
    again = grade_batch([CLASS_DIR / "alice", CLASS_DIR / "mallory"], GradeOptions(out=out, katas=KATAS), progress)
    assert sorted(seen) == [("alice", True), ("mallory", True)]
    assert again[0] == records["alice"]
    seen.clear()
    grade_batch([CLASS_DIR / "mallory"], GradeOptions(out=out, katas=KATAS, force=True), progress, sandbox)
    assert seen == [("mallory", False)]
    assert len(list(csv.DictReader((out / "grades.csv").open()))) == 4


def test_the_class_csv_is_written_at_the_first_commit_then_at_most_every_few_seconds_and_at_the_end(graded, tmp_path,
                                                                                                    monkeypatch):
    from dataclasses import replace

    from grader.grading import store

    _, records = graded
    built, class_csv = [], store.class_csv
    monkeypatch.setattr(store, "class_csv", lambda rows, manifest: built.append(len(rows)) or class_csv(rows, manifest))
    monkeypatch.setattr(store, "CSV_SECONDS", 3600.0)
    results = store.ResultStore(tmp_path, load_manifest(), gradebook=False)
    for number in range(40):
        results.commit(replace(records["alice"], student=f"student{number:02d}"))
    assert built == [1]  # a class of thousands does not rebuild it from every record at every commit
    results.close()
    assert built == [1, 40]
    assert [row["student"] for row in csv.DictReader((tmp_path / "grades.csv").open())] == [f"student{n:02d}" for n in range(40)]
