"""An nbgrader assignment's grading secret, and the seed each submission is graded on.

``kata nbgrader build`` draws a secret per assignment (32 random bytes, hex) and keeps it with the
instructor only: ``COURSE_DIR/.convkata/secrets/<assignment>``, mode 0600, outside ``source/``, so
nbgrader never releases, collects or shows it. No notebook holds it, nor any seed.

A submission is graded on its own seed, a keyed hash of the assignment, the student and a digest
of everything the student handed in (``submission_seed``): another student's seed, or this
student's seed for other code, says nothing about it without the secret. A failure names this
seed — ``check_kata(kata, seed=N)`` reproduces the student's own failure — and a resubmission
with other code is graded on other inputs. ``nbgrader autograde`` (the hidden line
``grade_with_secret()``, in the kernel: ``autograded_submission``) and ``kata grade --nbgrader``
(``grading.NbgraderCourse``) derive the same seed from the same files.

Courses built before the secret have ``grade_with_seed(N)`` in their hidden lines; until they are
rebuilt, N stands in for the secret (``legacy_secret``) — N is in their students' feedback, so
such a course is no better protected than before: rebuild it.

Light on purpose (no nbgrader, no nbformat): the kernel imports it at every autograded test cell.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import stat
import string
from pathlib import Path

from grader.core.i18n import _

#: Where a course keeps its assignments' secrets, under its root.
SECRETS_DIR = Path(".convkata") / "secrets"
#: nbgrader's own defaults, for the settings a course's nbgrader_config.py does not change.
NBGRADER_DEFAULTS = {"directory_structure": "{nbgrader_step}/{student_id}/{assignment_id}",
                     "source_directory": "source", "submitted_directory": "submitted",
                     "autograded_directory": "autograded"}
_SEED_DOMAIN = b"convkata nbgrader submission seed v1"


class GradingSecretError(RuntimeError):
    """The grading secret cannot be found or read; the message tells the instructor what to do."""


class NotInCourseError(GradingSecretError):
    """The kernel does not run in a student's autograded folder of a course: no secret to look for."""


def secret_path(root: Path, assignment: str) -> Path:
    return Path(root) / SECRETS_DIR / assignment


def read_secret(root: Path, assignment: str) -> bytes | None:
    """The assignment's secret (None if it has none); GradingSecretError if the file is damaged."""
    path = secret_path(root, assignment)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        # Translators: {error} is the system's reason, in English (e.g. "[Errno 13] Permission denied: '…'")
        raise GradingSecretError("convkata: " + _("the grading secret {path} cannot be read ({error})").format(
            path=path, error=exc)) from None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) < 16:
        raise GradingSecretError("convkata: " + _(
            "the grading secret {path} is damaged (want 64 hex digits); restore it from a backup, or delete it and "
            "run `kata nbgrader build` again (a new secret: submissions graded so far get new seeds when graded "
            "again)").format(path=path))
    return secret


def ensure_secret(root: Path, assignment: str) -> Path:
    """The assignment's secret file: kept if it exists, else made (32 random bytes, mode 0600, in
    folders only the instructor can enter)."""
    path = secret_path(root, assignment)
    if read_secret(root, assignment) is not None:
        return path
    for folder in (path.parent.parent, path.parent):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w", encoding="ascii") as file:
        file.write(os.urandom(32).hex() + "\n")
    return path


def legacy_secret(seed: int) -> bytes:
    """What stands in for the secret in a course built with ``grade_with_seed(seed)`` lines."""
    return f"convkata legacy seed {int(seed)}".encode()


def submission_digest(folder: Path) -> str:
    """sha256 over every regular file of a submitted assignment folder (its relative path and its
    bytes; symbolic links are not followed): any change to what the student handed in changes it."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for directory, subfolders, files in os.walk(folder):
        subfolders.sort()
        for name in sorted(files):
            path = Path(directory, name)
            try:
                if not stat.S_ISREG(path.lstat().st_mode):
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def submission_seed(secret: bytes, assignment: str, student: str, digest: str) -> int:
    """The seed a submission is graded on: HMAC-SHA256 keyed by the assignment's secret over the
    assignment, the student and ``submission_digest`` of their submitted folder, cut to 31 bits
    (the size of every other seed a learner types)."""
    message = b"\0".join([_SEED_DOMAIN, assignment.encode(), student.encode(), digest.encode()])
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:4], "big") & 0x7FFFFFFF


def run_seed(secret: bytes, assignment: str) -> int:
    """The seed of a ``kata grade --nbgrader`` run (``GradeOptions.seed``), derived from the secret:
    63 bits, never shown — every submission is graded, and named, on its ``submission_seed``."""
    message = b"\0".join([b"convkata nbgrader run seed v1", assignment.encode()])
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:8], "big") >> 1


def course_config(root: Path):
    """nbgrader's configuration of the course at ``root``, as its commands read it there (a
    traitlets ``Config``)."""
    from traitlets.config import Config, PyFileConfigLoader

    config = Config()
    if (Path(root) / "nbgrader_config.py").is_file():
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
    config.CourseDirectory.root = str(root)
    return config


class CourseLayout:
    """Where a course's folders are (its ``CourseDirectory`` settings, else nbgrader's defaults),
    without importing nbgrader (a second, in every autograded notebook's kernel)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        settings = course_config(self.root).CourseDirectory
        self._settings = {name: str(settings.get(name, default)) for name, default in NBGRADER_DEFAULTS.items()}

    def folder(self, step: str, student: str, assignment: str) -> Path:
        """``step`` (``submitted_directory``, …) of a student's assignment."""
        structure = self._settings["directory_structure"]
        return self.root / structure.format(nbgrader_step=self._settings[step], student_id=student,
                                            assignment_id=assignment)

    def match(self, step: str, folder: Path) -> tuple[str, str] | None:
        """(student, assignment) if ``folder`` is a student's assignment folder of ``step``."""
        try:
            relative = Path(folder).relative_to(self.root).as_posix()
        except ValueError:
            return None
        pattern, seen = "", set()
        for literal, field, _spec, _conversion in string.Formatter().parse(self._settings["directory_structure"]):
            pattern += re.escape(literal)
            if field == "nbgrader_step":
                pattern += re.escape(self._settings[step])
            elif field in ("student_id", "assignment_id"):
                pattern += f"(?P={field})" if field in seen else f"(?P<{field}>[^/]+)"
                seen.add(field)
            elif field is not None:
                return None
        found = re.fullmatch(pattern, relative)
        if not found or seen != {"student_id", "assignment_id"}:
            return None
        return found["student_id"], found["assignment_id"]


def autograded_submission(cwd: Path) -> tuple[CourseLayout, str, str]:
    """Which course, student and assignment ``nbgrader autograde`` is grading in this kernel: its
    working folder is the student's autograded folder (``autograded/<student>/<assignment>/``) of
    a course above it. NotInCourseError if it is none."""
    cwd = Path(cwd).resolve()
    for root in cwd.parents:
        if not ((root / SECRETS_DIR.parent).is_dir() or (root / "nbgrader_config.py").is_file()):
            continue
        layout = CourseLayout(root)
        found = layout.match("autograded_directory", cwd)
        if found:
            return layout, *found
    # Translators: {folder} is where the notebook runs; {secrets} the folder a course keeps (".convkata")
    raise NotInCourseError("convkata: " + _(
        "nbgrader autograde runs this notebook in {folder}, which is not a student's autograded folder of a course "
        "built by `kata nbgrader build` (no folder above it holds {secrets}/ or nbgrader_config.py and matches its "
        "directory_structure): the grading secret cannot be found, so nothing is graded. Run nbgrader autograde in "
        "the course folder.").format(folder=cwd, secrets=SECRETS_DIR.parent))


def missing_secret_message(root: Path, assignment: str) -> str:
    # Translators: {quoted} is the assignment's id in quotes ('ps1'), {assignment} the same id bare; {path} the
    # secret's file, {root} the course folder
    return "convkata: " + _(
        "no grading secret for assignment {quoted}: {path} is missing, so nothing is graded (the seeds students "
        "would be graded on must come from it). It is made by `kata nbgrader build {root} --assignment {assignment} "
        "--katas …` (which leaves the notebooks as they are), and must stay in the course folder, out of reach of "
        "students; restore it from a backup if you have one, so that submissions already graded keep their "
        "seeds.").format(quoted=repr(assignment), path=secret_path(root, assignment), root=root, assignment=assignment)


def autograding_seed(cwd: Path, legacy_seed: int | None = None) -> tuple[int, bool]:
    """In ``nbgrader autograde``'s kernel: the seed of the submission being graded, and whether it
    comes from a legacy seed (``legacy_seed``, the hidden line's ``grade_with_seed(N)``) for want of
    a secret. GradingSecretError if there is no secret (and no legacy seed)."""
    layout, student, assignment = autograded_submission(cwd)
    secret, legacy = read_secret(layout.root, assignment), False
    if secret is None:
        if legacy_seed is None:
            raise GradingSecretError(missing_secret_message(layout.root, assignment))
        secret, legacy = legacy_secret(legacy_seed), True
    submitted = layout.folder("submitted_directory", student, assignment)
    return submission_seed(secret, assignment, student, submission_digest(submitted)), legacy
