"""Submissions for the batch grader: folders laid out like ``exercises/``, or ``.zip`` files of one.

Each submission is staged once into a private folder the sandbox cannot see: regular files
only (no symlinks, no device files), within size limits, from a zip without absolute or
``..`` paths, all or nothing; whatever keeps one from being staged is a SubmissionError that says
what to fix. Its digest, over the staged files, tells a resumed run whether it is already graded.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.core.files import remove_tree
from grader.core.i18n import _

MAX_FILES = 200
MAX_BYTES = 20 << 20
#: What a submission's name (its folder or zip name) may be made of, as a student id.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
_SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", "__MACOSX"}
#: The zip compressions zipfile reads: stored, deflate, bzip2, lzma.
_READABLE_COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
#: General-purpose flag bits of an encrypted zip entry: encrypted (bit 0), strong encryption (bit 6).
_ENCRYPTED_FLAGS = 0x1 | 0x40
#: The longest file name a file system takes (NAME_MAX), in bytes.
_MAX_NAME_BYTES = 255


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
            raise SubmissionError(_("{path}: no such folder or zip file").format(path=path))
        if not (source.is_dir() or source.suffix == ".zip"):
            raise SubmissionError(_("{path}: a submission is a folder laid out like exercises/, or a .zip of one")
                                  .format(path=path))
        student = source.stem if source.suffix == ".zip" else source.name
        if not _NAME.fullmatch(student):
            raise SubmissionError(_("{path}: {student} cannot be a student id (letters, digits and ._@+- only); "
                                    "rename the folder or zip").format(path=path, student=repr(student)))
        return cls(student, source)


def find_submissions(paths: list[str | Path]) -> list[Submission]:
    """One Submission per path, in the order given; two with the same student id are an error."""
    submissions = [Submission.at(path) for path in paths]
    seen: dict[str, Submission] = {}
    for submission in submissions:
        if submission.student in seen:
            raise SubmissionError(_("two submissions for {student}: {first} and {second}; give each student one")
                                  .format(student=repr(submission.student), first=seen[submission.student].source,
                                          second=submission.source))
        seen[submission.student] = submission
    return submissions


def _safe_relative(name: str, student: str) -> PurePosixPath | None:
    """The entry's path inside the submission (``.`` and empty parts dropped), or None for one that
    is skipped: hidden, a cache, or naming no file at all (``.``, an empty name)."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise SubmissionError(_("{student}: the zip holds {name}, which points outside the submission")
                              .format(student=student, name=repr(name)))
    if not path.parts or any(part in _SKIPPED_PARTS or part.startswith(".") for part in path.parts):
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


def _files_of_zip(archive: zipfile.ZipFile, submission: Submission):
    student = submission.student
    for info in archive.infolist():
        if info.is_dir():
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            continue
        if info.file_size > MAX_BYTES:
            raise SubmissionError(_("{student}: {file} unpacks to {size} MB; submit only your .py files")
                                  .format(student=student, file=info.filename, size=info.file_size >> 20))
        relative = _safe_relative(info.filename, student)
        if relative is None:
            continue
        if info.flag_bits & _ENCRYPTED_FLAGS:
            raise SubmissionError(_encrypted_message(submission))
        if info.compress_type not in _READABLE_COMPRESSIONS:
            # Translators: {method} is a zip compression method's number, {file} a file in the zip
            raise SubmissionError(_compression_message(submission, _("method {method} for {file}").format(
                method=info.compress_type, file=info.filename)))
        yield relative, (lambda info=info: archive.read(info))


def _encrypted_message(submission: Submission) -> str:
    return _("{student}: {source} is encrypted (it asks for a password); zip it without a password").format(
        student=submission.student, source=submission.source.name)


def _compression_message(submission: Submission, detail: str) -> str:
    return _("{student}: {source} uses a compression the grader cannot read ({detail}); "
             "zip it with the standard (deflate) compression").format(
        student=submission.student, source=submission.source.name, detail=detail)


def _unreadable(submission: Submission, exc: Exception, *, is_folder: bool) -> SubmissionError:
    """What went wrong reading the submission, in plain words, with the fix."""
    student, source = submission.student, submission.source
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
        return SubmissionError(_("{student}: {source} cannot be read ({detail}); check that it is there and readable")
                               .format(student=student, source=source, detail=detail))
    if is_folder:
        return SubmissionError(_("{student}: {source} cannot be read ({error_type}: {detail}); "
                                 "check that the folder and its files can be read").format(
            student=student, source=source, error_type=type(exc).__name__, detail=detail))
    if isinstance(exc, RuntimeError | NotImplementedError) and ("password" in detail or "encrypt" in detail):
        return SubmissionError(_encrypted_message(submission))
    if isinstance(exc, NotImplementedError) or (isinstance(exc, RuntimeError) and "compression" in detail.lower()):
        return SubmissionError(_compression_message(submission, detail))
    return SubmissionError(_("{student}: {source} cannot be read ({detail}): the zip is damaged; zip it again")
                           .format(student=student, source=source.name, detail=detail))


def _kata_root(files: dict[PurePosixPath, bytes]) -> PurePosixPath:
    """The folder holding the kata modules: the shallowest folder with .py files in it (the top, a
    folder zipped whole, a repository with exercises/ beside its README), or the top if two are."""
    folders = {path.parent for path in files if path.suffix == ".py"}
    depth = min((len(folder.parts) for folder in folders), default=0)
    shallowest = [folder for folder in folders if len(folder.parts) == depth]
    return shallowest[0] if len(shallowest) == 1 else PurePosixPath()


def stage(submission: Submission, target: Path) -> str:
    """Copy the submission's files into ``target`` (a new folder); return their digest.

    Anything that keeps the submission from being read or laid out raises SubmissionError, naming
    the student and the fix; a failed stage leaves no ``target`` behind.
    """
    files = _read_submission(submission)
    _check_layout(files, submission)
    root = _kata_root(files)
    kata_files = {path.relative_to(root): data for path, data in sorted(files.items()) if path.is_relative_to(root)}
    if not any(relative.parts[0].endswith(".py") for relative in kata_files):
        raise SubmissionError(_("{student}: {source} holds no .py file; a submission is laid out "
                                "like exercises/ (conv_layer.py, padding_strides.py, …)").format(
            student=submission.student, source=submission.source))
    _write_files(kata_files, submission, target)
    digest = hashlib.sha256()
    for relative, data in kata_files.items():
        digest.update(str(relative).encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def _read_submission(submission: Submission) -> dict[PurePosixPath, bytes]:
    """The submission's files by path, read within the limits; any failure is a SubmissionError."""
    is_folder = False
    try:
        is_folder = submission.source.is_dir()
        if is_folder:
            return _read_within_limits(list(_files_of_folder(submission.source)), submission.student)
        with zipfile.ZipFile(submission.source) as archive:
            return _read_within_limits(list(_files_of_zip(archive, submission)), submission.student)
    except SubmissionError:
        raise
    except Exception as exc:  # zipfile and zlib raise many kinds (BadZipFile, zlib.error, EOFError, …)
        raise _unreadable(submission, exc, is_folder=is_folder) from exc


def _check_layout(files: dict[PurePosixPath, bytes], submission: Submission) -> None:
    """Refuse a layout that cannot be written out: a file and a folder of one name, over-long names."""
    folders = {folder for path in files for folder in path.parents}
    for path in files:
        if path in folders:
            raise SubmissionError(_("{student}: {source} holds both a file and a folder named {name}; "
                                    "rename one of them and submit again").format(
                student=submission.student, source=submission.source.name, name=repr(str(path))))
        if any(len(os.fsencode(part)) > _MAX_NAME_BYTES for part in path.parts):
            raise SubmissionError(_("{student}: {source} holds a name longer than {limit} bytes ({name}…); "
                                    "rename it and submit again").format(
                student=submission.student, source=submission.source.name, limit=_MAX_NAME_BYTES,
                name=repr(str(path)[:60])))


def _write_files(files: dict[PurePosixPath, bytes], submission: Submission, target: Path) -> None:
    """Write the files into the new folder ``target``, all or nothing."""
    student = submission.student
    try:
        target.mkdir(parents=True)
    except OSError as exc:
        raise SubmissionError(_("{student}: cannot stage into {target} ({error})").format(
            student=student, target=target, error=exc)) from exc
    written = False
    try:
        for relative, data in files.items():
            destination = target.joinpath(*relative.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(data)
        written = True
    except Exception as exc:
        raise SubmissionError(_("{student}: the files of {source} cannot be written out for grading "
                                "({error_type}: {error}); give its files short, ordinary names and submit "
                                "again").format(student=student, source=submission.source.name,
                                                error_type=type(exc).__name__, error=exc)) from exc
    finally:
        if not written:
            remove_tree(target)


def _read_within_limits(entries, student: str) -> dict[PurePosixPath, bytes]:
    if len(entries) > MAX_FILES:
        raise SubmissionError(_("{student}: {count} files; a submission may hold at most {limit}").format(
            student=student, count=len(entries), limit=MAX_FILES))
    files, total = {}, 0
    for relative, read in entries:
        data = read()
        total += len(data)
        if total > MAX_BYTES:
            raise SubmissionError(_("{student}: more than {limit} MB; submit only your .py files").format(
                student=student, limit=MAX_BYTES >> 20))
        files[relative] = data
    return files
