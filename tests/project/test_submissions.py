"""Staging submissions: folders and zips become private copies of regular files, or clear errors."""
import os
import random
import re
import struct
import zipfile
from pathlib import Path

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


# Bad zips: each one a clear SubmissionError, nothing half-staged, and the rest of a batch staged.

CENTRAL_HEADER = struct.Struct("<4s6H3L5H2L")
END_OF_CENTRAL_DIRECTORY = struct.Struct("<4s4H2LH")


def deflated_zip_of(folder, target):
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.glob("*.py")):
            archive.write(path, path.name)
    return target


def patch_headers(archive, *, flag_bits=0, method=None):
    """Set ``flag_bits`` (and ``method``, the compression) in every entry's local and central headers."""
    data = bytearray(archive.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    *_, entries, _, central_offset, _ = END_OF_CENTRAL_DIRECTORY.unpack_from(data, end)
    for _ in range(entries):
        fields = CENTRAL_HEADER.unpack_from(data, central_offset)
        local_offset = fields[-1]
        for flags_at in (central_offset + 8, local_offset + 6):
            struct.pack_into("<H", data, flags_at, struct.unpack_from("<H", data, flags_at)[0] | flag_bits)
            if method is not None:
                struct.pack_into("<H", data, flags_at + 2, method)
        central_offset += CENTRAL_HEADER.size + sum(fields[10:13])
    archive.write_bytes(bytes(data))
    return archive


def encrypted_zip(target):
    return patch_headers(deflated_zip_of(CLASS_DIR / "bob", target), flag_bits=0x1)


def unknown_compression_zip(target):
    return patch_headers(deflated_zip_of(CLASS_DIR / "bob", target), method=99)


def corrupt_deflate_zip(target):
    """conv_layer.py's deflate stream starts with a block of the reserved type 3: zlib.error."""
    deflated_zip_of(CLASS_DIR / "bob", target)
    with zipfile.ZipFile(target) as archive:
        local_offset = archive.getinfo("conv_layer.py").header_offset
    data = bytearray(target.read_bytes())
    name_length, extra_length = struct.unpack_from("<2H", data, local_offset + 26)
    data[local_offset + 30 + name_length + extra_length] = 0xFF
    target.write_bytes(bytes(data))
    return target


def file_and_folder_zip(target, folder_first=False):
    entries = [("a", "not a folder\n"), ("a/b.py", "y = 2\n")]
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("conv_layer.py", "x = 1\n")
        for name, text in reversed(entries) if folder_first else entries:
            archive.writestr(name, text)
    return target


def too_long_path_zip(target):
    """Every name within NAME_MAX, the path beyond PATH_MAX: laying it out fails half-way."""
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("conv_layer.py", "x = 1\n")
        archive.writestr("/".join(["n" * 250] * 20) + "/deep.py", "y = 2\n")
    return target


def random_bytes_zip(target):
    target.write_bytes(random.Random(0).randbytes(3000))
    return target


BAD_ZIPS = {
    "locked": (encrypted_zip, "locked.zip is encrypted .*; zip it without a password"),
    "squeezed": (unknown_compression_zip, r"compression .*method 99.*; zip it with the standard \(deflate\) compression"),
    "garbled": (corrupt_deflate_zip, r"garbled.zip cannot be read \(.*\): the zip is damaged; zip it again"),
    "clash": (file_and_folder_zip, "clash.zip holds both a file and a folder named 'a'; rename one of them"),
    "clash2": (lambda target: file_and_folder_zip(target, folder_first=True), "a file and a folder named 'a'"),
    "deep": (too_long_path_zip, r"cannot be written out for grading \(OSError: .*File name too long"),
    "noise": (random_bytes_zip,
              r"noise.zip cannot be read \(File is not a zip file\): the zip is damaged; zip it again"),
}


@pytest.mark.parametrize("student", BAD_ZIPS)
def test_a_bad_zip_is_a_submission_error_that_says_what_to_fix_and_stages_nothing(tmp_path, student):
    make, message = BAD_ZIPS[student]
    archive = make(tmp_path / f"{student}.zip")
    with pytest.raises(SubmissionError, match=f"^{student}: .*{message}"):
        stage(Submission.at(archive), tmp_path / "staging" / student)
    assert not (tmp_path / "staging" / student).exists()


def test_entries_named_dot_or_with_empty_parts_are_skipped_or_normalised(tmp_path):
    archive = tmp_path / "dot.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for name in (".", "./", "./conv_layer.py", "scratch//try.py", "scratch/./more.py"):
            handle.writestr(zipfile.ZipInfo(name), "x = 1\n")
    stage(Submission.at(archive), tmp_path / "staged")
    assert sorted(p.relative_to(tmp_path / "staged").as_posix() for p in (tmp_path / "staged").rglob("*")) == [
        "conv_layer.py", "scratch", "scratch/more.py", "scratch/try.py"]
    with zipfile.ZipFile(archive, "a") as handle:
        handle.writestr(zipfile.ZipInfo(""), "x = 1\n")  # a nameless entry, which zipfile cannot read back
    with pytest.raises(SubmissionError, match="dot: dot.zip cannot be read .*: the zip is damaged; zip it again"):
        stage(Submission.at(archive), tmp_path / "staged again")
    assert not (tmp_path / "staged again").exists()


def staged_alone(source, folder: Path) -> str:
    return stage(Submission.at(source), folder / Submission.at(source).student)


def test_a_session_stages_the_good_submissions_and_lists_every_bad_one_with_its_reason(tmp_path, monkeypatch):
    from grader.grading import session as session_module
    from grader.grading.session import GradingSession
    from grader.sandbox.confine import Limits

    good_zip = zip_of(CLASS_DIR / "alice", tmp_path / "alice.zip", prefix="alice/")
    bad = [make(tmp_path / f"{student}.zip") for student, (make, _) in BAD_ZIPS.items()]
    faulty = zip_of(CLASS_DIR / "carol", tmp_path / "faulty.zip")
    expected = {source: staged_alone(source, tmp_path / "alone") for source in (CLASS_DIR / "bob", good_zip)}
    real_stage = session_module.stage

    def stage_with_a_fault(submission, target):  # a fault of the grader's, half-way through one
        if submission.student == "faulty":
            target.mkdir()
            raise KeyError("a bug")
        return real_stage(submission, target)

    monkeypatch.setattr(session_module, "stage", stage_with_a_fault)
    with GradingSession([CLASS_DIR / "bob", *bad, faulty, good_zip], jobs=1, limits=Limits(), katas=None) as session:
        assert session.digests == {"bob": expected[CLASS_DIR / "bob"], "alice": expected[good_zip]}
        assert sorted(session.unreadable) == sorted([*BAD_ZIPS, "faulty"])
        for student, (_, message) in BAD_ZIPS.items():
            assert re.search(f"^{student}: .*{message}", session.unreadable[student])
        assert session.unreadable["faulty"].startswith("faulty: faulty.zip could not be staged (KeyError: 'a bug')")
        assert sorted(p.name for p in session.staging.iterdir()) == ["alice", "bob"]
        assert [session.staged(s) is not None for s in session.submissions] == [True] + [False] * (len(bad) + 1) + [True]
    assert not session.staging.exists()


def test_randomly_damaged_zips_are_staged_or_refused_never_crash_the_batch(tmp_path):
    from grader.grading.session import GradingSession
    from grader.sandbox.confine import Limits

    valid = deflated_zip_of(CLASS_DIR / "bob", tmp_path / "valid.zip").read_bytes()
    rng = random.Random(20240601)
    paths = []
    for number in range(50):
        data = bytearray(valid)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        if rng.random() < 0.3:
            del data[rng.randrange(len(data)):]
        paths.append(tmp_path / f"m{number:02}.zip")
        paths[-1].write_bytes(bytes(data))
    outcomes = {}
    for path in paths:
        try:
            stage(Submission.at(path), tmp_path / "alone" / path.stem)
            outcomes[path.stem] = "staged"
        except SubmissionError as exc:
            assert str(exc).startswith(f"{path.stem}: ")
            assert not (tmp_path / "alone" / path.stem).exists()
            outcomes[path.stem] = "refused"
    with GradingSession(paths, jobs=1, limits=Limits(), katas=None) as session:
        assert set(session.digests).isdisjoint(session.unreadable)
        assert {student: "staged" if student in session.digests else "refused"
                for student in [*session.digests, *session.unreadable]} == outcomes
