"""Submissions for the batch grader: folders laid out like ``exercises/``, or ``.zip`` files of one.

Each submission is staged once into a private folder the sandbox cannot see: regular files
only (no symlinks, no device files), within size limits, from a zip without absolute or
``..`` paths. Its digest, over the staged files, tells a resumed run whether it is already graded.
"""
from __future__ import annotations

import hashlib
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_FILES = 200
MAX_BYTES = 20 << 20
#: What a submission's name (its folder or zip name) may be made of, as a student id.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
_SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", "__MACOSX"}


class SubmissionError(ValueError):
    """A submission that cannot be graded as given; the message names it and the fix."""


@dataclass(frozen=True)
class Submission:
    """A submission to grade: the student id (its name) and where it came from."""

    student: str
    source: Path

    @classmethod
    def at(cls, path: str | Path) -> Submission:
        source = Path(path).expanduser().resolve()
        if not source.exists():
            raise SubmissionError(f"{path}: no such folder or zip file")
        if not (source.is_dir() or source.suffix == ".zip"):
            raise SubmissionError(f"{path}: a submission is a folder laid out like exercises/, or a .zip of one")
        student = source.stem if source.suffix == ".zip" else source.name
        if not _NAME.fullmatch(student):
            raise SubmissionError(f"{path}: {student!r} cannot be a student id (letters, digits and ._@+- only); "
                                  "rename the folder or zip")
        return cls(student, source)


def find_submissions(paths: list[str | Path]) -> list[Submission]:
    """One Submission per path, in the order given; two with the same student id are an error."""
    submissions = [Submission.at(path) for path in paths]
    seen: dict[str, Submission] = {}
    for submission in submissions:
        if submission.student in seen:
            raise SubmissionError(f"two submissions for {submission.student!r}: {seen[submission.student].source} "
                                  f"and {submission.source}; give each student one")
        seen[submission.student] = submission
    return submissions


def _safe_relative(name: str, student: str) -> PurePosixPath | None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise SubmissionError(f"{student}: the zip holds {name!r}, which points outside the submission")
    if any(part in _SKIPPED_PARTS or part.startswith(".") for part in path.parts):
        return None
    return path


def _files_of_folder(root: Path):
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in _SKIPPED_PARTS or part.startswith(".") for part in relative.parts):
            continue
        mode = path.lstat().st_mode
        if stat.S_ISREG(mode):
            yield PurePosixPath(relative.as_posix()), path.read_bytes
        elif not stat.S_ISDIR(mode):  # symlinks, fifos, devices: never followed
            continue


def _files_of_zip(archive: zipfile.ZipFile, student: str):
    for info in archive.infolist():
        if info.is_dir():
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            continue
        if info.file_size > MAX_BYTES:
            raise SubmissionError(f"{student}: {info.filename} unpacks to {info.file_size >> 20} MB; "
                                  "submit only your .py files")
        relative = _safe_relative(info.filename, student)
        if relative is not None:
            yield relative, (lambda info=info: archive.read(info))


def _kata_root(files: dict[PurePosixPath, bytes]) -> PurePosixPath:
    """The folder holding the kata modules: the shallowest folder with .py files in it (the top, a
    folder zipped whole, a repository with exercises/ beside its README), or the top if two are."""
    folders = {path.parent for path in files if path.suffix == ".py"}
    depth = min((len(folder.parts) for folder in folders), default=0)
    shallowest = [folder for folder in folders if len(folder.parts) == depth]
    return shallowest[0] if len(shallowest) == 1 else PurePosixPath()


def stage(submission: Submission, target: Path) -> str:
    """Copy the submission's files into ``target`` (a new folder); return their digest."""
    student = submission.student
    try:
        if submission.source.is_dir():
            entries = list(_files_of_folder(submission.source))
            files = _read_within_limits(entries, student)
        else:
            with zipfile.ZipFile(submission.source) as archive:
                files = _read_within_limits(list(_files_of_zip(archive, student)), student)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(f"{student}: {submission.source} cannot be read ({exc})") from exc
    root = _kata_root(files)
    digest = hashlib.sha256()
    target.mkdir(parents=True)
    for path in sorted(files):
        if not path.is_relative_to(root):
            continue
        relative = path.relative_to(root)
        destination = target.joinpath(*relative.parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(files[path])
        digest.update(str(relative).encode() + b"\0" + hashlib.sha256(files[path]).digest())
    if not any(target.glob("*.py")):
        raise SubmissionError(f"{student}: {submission.source} holds no .py file; a submission is laid out like "
                              "exercises/ (conv_layer.py, padding_strides.py, …)")
    return digest.hexdigest()


def _read_within_limits(entries, student: str) -> dict[PurePosixPath, bytes]:
    if len(entries) > MAX_FILES:
        raise SubmissionError(f"{student}: {len(entries)} files; a submission may hold at most {MAX_FILES}")
    files, total = {}, 0
    for relative, read in entries:
        data = read()
        total += len(data)
        if total > MAX_BYTES:
            raise SubmissionError(f"{student}: more than {MAX_BYTES >> 20} MB; submit only your .py files")
        files[relative] = data
    return files
