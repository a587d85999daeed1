"""Staging submissions: folders and zips become private copies of regular files, or clear errors."""
import os
import zipfile

import pytest

from grader.dev.examples import CLASS_DIR
from grader.grading.submissions import MAX_BYTES, Submission, SubmissionError, find_submissions, stage


def zip_of(folder, target, prefix=""):
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.glob("*.py")):
            archive.write(path, f"{prefix}{path.name}")
    return target


def test_a_folder_and_its_zip_stage_to_the_same_files(tmp_path):
    folder_digest = stage(Submission.at(CLASS_DIR / "bob"), tmp_path / "folder")
    archive = zip_of(CLASS_DIR / "bob", tmp_path / "bob.zip", prefix="bob/")  # zipped with its folder
    zip_digest = stage(Submission.at(archive), tmp_path / "zip")
    assert Submission.at(archive).student == "bob"
    assert zip_digest == folder_digest
    assert sorted(p.name for p in (tmp_path / "zip").iterdir()) == sorted(p.name for p in (tmp_path / "folder").iterdir())


def test_a_repository_is_staged_from_the_shallowest_folder_of_modules(tmp_path):
    """A student's repository: exercises/ beside a README (and a scratch folder inside it)."""
    repo = tmp_path / "dana"
    (repo / "exercises" / "scratch").mkdir(parents=True)
    (repo / "README.md").write_text("# katas\n")
    (repo / "exercises" / "conv_layer.py").write_text("x = 1\n")
    (repo / "exercises" / "scratch" / "try.py").write_text("y = 2\n")
    stage(Submission.at(repo), tmp_path / "staged")
    assert sorted(p.relative_to(tmp_path / "staged").as_posix() for p in (tmp_path / "staged").rglob("*.py")) == [
        "conv_layer.py", "scratch/try.py"]


def test_symlinks_and_caches_are_not_copied(tmp_path):
    submission = tmp_path / "eve"
    submission.mkdir()
    (submission / "conv_layer.py").write_text("x = 1\n")
    os.symlink("/etc/passwd", submission / "pooling.py")
    (submission / "__pycache__").mkdir()
    (submission / "__pycache__" / "conv_layer.cpython-311.pyc").write_bytes(b"\0")
    stage(Submission.at(submission), tmp_path / "staged")
    assert sorted(p.name for p in (tmp_path / "staged").rglob("*")) == ["conv_layer.py"]


def test_a_zip_that_points_outside_is_refused(tmp_path):
    archive = tmp_path / "zed.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("../../conv_layer.py", "x = 1\n")
    with pytest.raises(SubmissionError, match="zed: the zip holds '../../conv_layer.py'"):
        stage(Submission.at(archive), tmp_path / "staged")


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("conv_layer.py", b"#" * (MAX_BYTES + 1))
    with pytest.raises(SubmissionError, match="submit only your .py files"):
        stage(Submission.at(archive), tmp_path / "staged")


def test_bad_submission_lists_are_usage_errors(tmp_path):
    with pytest.raises(SubmissionError, match="no such folder or zip file"):
        find_submissions([tmp_path / "missing"])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "a").mkdir()
    with pytest.raises(SubmissionError, match="two submissions for 'a'"):
        find_submissions([tmp_path / "a", tmp_path / "b" / "a"])
    (tmp_path / "no way").mkdir()
    with pytest.raises(SubmissionError, match="cannot be a student id"):
        find_submissions([tmp_path / "no way"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(SubmissionError, match="holds no .py file"):
        stage(Submission.at(tmp_path / "empty"), tmp_path / "staged")


def test_an_unreadable_submission_scores_zero_with_the_reason_and_the_batch_goes_on(tmp_path, sandbox):
    from grader.grading.batch import GradeOptions, grade_batch

    archive = tmp_path / "zed.zip"
    archive.write_bytes(b"not a zip at all")
    [record] = grade_batch([archive], GradeOptions(out=tmp_path / "out", katas=["corr2d"]), server=sandbox)
    assert record.score == 0 and "zed: " in record.error and "cannot be read" in record.error
    assert all(c.status == "failed" and "cannot be read" in c.message
               for c in record.katas[0].checks if c.status != "skipped")
