"""``kata grade --nbgrader COURSE_DIR ASSIGNMENT``: an nbgrader course's submissions, graded in the sandbox.

1. Each submitted notebook (``submitted/<student>/<assignment>/<module>.ipynb``) becomes the module
   it amounts to (``grader.integrations.nbgrader.notebooks.module_source``), written to ``OUT/code/<student>/<module>.py``
   where the instructor can read it.
2. The batch grader grades each of those folders on its submission's seed
   (``GradeOptions.submission_seeds``), derived from the assignment's grading secret exactly as
   ``nbgrader autograde``'s hidden line derives it (``secret.submission_seed``: the secret, the
   assignment, the student, a digest of their submitted folder), so each kata scores what
   ``nbgrader autograde`` gives it and a failure names the same seed — but the students' code runs
   confined (it cannot read the secret), and the judges outside it.
3. nbgrader's own autograde then runs with its kernel-executing preprocessor (``Execute``) replaced
   by ``RecordedVerdicts``, which gives each test cell the feedback ``check_kata`` prints and, as
   its value, the points from the records. The rest is nbgrader's: ``autograded/``, timestamps,
   late penalties, the gradebook — so ``nbgrader generate_feedback`` and formgrader work as after
   ``nbgrader autograde``.
"""
from __future__ import annotations

import glob
import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
from nbformat.v4 import new_output
from nbgrader import utils as nbgrader_utils
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode
from traitlets.config import Config

from grader.core.i18n import _
from grader.core.manifest import load_manifest
from grader.grading.batch import GradeOptions, Progress, grade_batch
from grader.grading.formats import kata_feedback
from grader.grading.gradebook import schema_version_in_process
from grader.grading.records import KataRecord, RecordError, SubmissionRecord
from grader.sandbox.client import ForkServer

from .checks import RERUN_IN_NOTEBOOK

if TYPE_CHECKING:
    from grader.grading.cluster import SandboxCluster
from .notebooks import CourseError, graded_katas, grading_seed, module_source, read_notebook
from .secret import (
    GradingSecretError,
    course_config,
    legacy_secret,
    missing_secret_message,
    read_secret,
    run_seed,
    submission_digest,
    submission_seed,
)

__all__ = ["NbgraderCourse", "RecordedVerdicts", "course_config", "grade_course", "test_cell_outputs"]
log = logging.getLogger(__name__)


class RecordedVerdicts(NbGraderPreprocessor):
    """Stands in for nbgrader's ``Execute``: each autograded test cell gets the feedback that
    ``check_kata`` prints and, as its value (nbgrader's partial credit), the points recorded by
    the sandboxed grader. A test cell the records do not cover gets an error: 0 points."""

    records_dir = Unicode(help="the batch grader's records (OUT/submissions)").tag(config=True)

    def preprocess(self, nb, resources):
        path = Path(self.records_dir) / f"{resources['nbgrader']['student']}.json"
        self._katas = {k.id: k for k in SubmissionRecord.from_json(path.read_text(encoding="utf-8")).katas}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and nbgrader_utils.is_grade(cell) and not nbgrader_utils.is_solution(cell):
            cell.outputs = test_cell_outputs(self._katas.get(cell.metadata.nbgrader.grade_id))
        return cell, resources


def test_cell_outputs(kata: KataRecord | None) -> list:
    """A test cell's outputs for a kata's record (None: no record, an error)."""
    if kata is None:
        reason = _("kata grade has no result for this cell")
        return [new_output("error", ename="NotGraded", evalue=reason, traceback=[f"NotGraded: {reason}"])]
    return [new_output("stream", name="stdout", text=kata_feedback(kata) + "\n"),
            new_output("execute_result", data={"text/plain": repr(float(kata.score))}, execution_count=None)]


class NbgraderCourse:
    """An nbgrader course folder, read with its ``nbgrader_config.py`` (if any) as nbgrader reads it."""

    def __init__(self, root: Path, assignment: str):
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise CourseError(_("{root}: no such course folder (make one with `kata nbgrader build {root}`)").format(
                root=root))
        self.config = course_config(self.root)
        self.config.CourseDirectory.assignment_id = assignment
        self.assignment = assignment
        self.coursedir = CourseDirectory(config=self.config)
        self.sources = self._source_notebooks()
        self.katas = [kata for notebook in self.sources.values() for kata in graded_katas(notebook)]
        known = {kata.id for kata in load_manifest()}
        foreign = [cell for cell in self.katas if cell not in known]
        if foreign:
            # Translators: {cells} lists the test cells' ids (grade_id), comma-separated; {assignment} is an id
            raise CourseError(_("the test cells {cells} of {assignment} are not convkata katas: kata grade --nbgrader "
                                "can only grade convkata's own test cells; use nbgrader autograde").format(
                cells=", ".join(foreign), assignment=assignment))
        self._secret = self._grading_secret()

    def _grading_secret(self) -> bytes:
        """The assignment's secret; in a course built before there was one, the seed of its hidden
        lines stands in for it, as in ``nbgrader autograde`` (with a warning). CourseError if neither."""
        try:
            secret = read_secret(self.root, self.assignment)
        except GradingSecretError as exc:
            raise CourseError(str(exc)) from None
        if secret is not None:
            return secret
        seeds = {grading_seed(notebook) for notebook in self.sources.values()} - {None}
        if not seeds:
            raise CourseError(missing_secret_message(self.root, self.assignment))
        if len(seeds) > 1:
            # Translators: {count} is always 2 or more; {seeds} a list of numbers such as "[1234, 5678]"
            raise CourseError(_("the source notebooks of {assignment} have {count} grading seeds ({seeds}): rebuild "
                                "them with `kata nbgrader build`").format(
                assignment=self.assignment, count=len(seeds), seeds=sorted(seeds)))
        # Translators: {assignment} is the assignment's id, {root} the course folder
        log.warning("%s", _("warning: {assignment} was built by an older convkata, whose hidden test lines "
                            "(grade_with_seed) show the grading seed in students' feedback; rebuild it with `kata "
                            "nbgrader build {root} --assignment {assignment} --katas …` (it keeps a grading secret in "
                            ".convkata/secrets/, used from then on), then `nbgrader generate_assignment {assignment} "
                            "--force`").format(assignment=self.assignment, root=self.root))
        return legacy_secret(seeds.pop())

    def submission_seed(self, student: str, submitted: Path) -> int:
        """The seed a student's submission (their submitted folder) is graded on — the one
        ``nbgrader autograde``'s hidden line derives for it."""
        return submission_seed(self._secret, self.assignment, student, submission_digest(submitted))

    @property
    def run_seed(self) -> int:
        """The seed of a run (``GradeOptions.seed``), never shown: see ``secret.run_seed``."""
        return run_seed(self._secret, self.assignment)

    def _source_notebooks(self) -> dict[str, nbformat.NotebookNode]:
        folder = Path(self.coursedir.format_path(self.coursedir.source_directory, ".", self.assignment))
        notebooks = {path.stem: read_notebook(path) for path in sorted(folder.glob("*.ipynb"))}
        notebooks = {module: nb for module, nb in notebooks.items() if graded_katas(nb)}
        if not notebooks:
            raise CourseError(_("{folder} has no notebooks with convkata test cells: build the assignment with "
                                "`kata nbgrader build {root} --assignment {assignment}`").format(
                folder=folder, root=self.root, assignment=self.assignment))
        return notebooks

    def submissions(self) -> dict[str, Path]:
        """Student id → their submitted assignment folder."""
        pattern = self.coursedir.format_path(self.coursedir.submitted_directory, "*", self.assignment)
        student_part = Path(pattern).parts.index("*")
        found = {Path(folder).parts[student_part]: Path(folder) for folder in sorted(glob.glob(pattern))
                 if Path(folder).is_dir()}
        if not found:
            # Translators: {pattern} is a path with a * where each student's id goes
            raise CourseError(_("no submissions of {assignment}: nbgrader expects them in {pattern}").format(
                assignment=self.assignment, pattern=pattern))
        return found

    def write_modules(self, submitted: Path, target: Path) -> None:
        """The modules a student's submitted notebooks amount to, one file each; a notebook that
        cannot be read becomes a module that fails to import, saying so."""
        target.mkdir(parents=True, exist_ok=True)
        for module, source in self.sources.items():
            path = submitted / f"{module}.ipynb"
            if not path.exists():
                continue  # its katas fail as missing (and nbgrader gives a missing notebook 0)
            try:
                text = module_source(source, read_notebook(path))
            except CourseError as exc:
                text = f"raise ImportError({str(exc)!r})\n"
            (target / f"{module}.py").write_text(text, encoding="utf-8")

    def autograde_from_records(self, records_dir: Path) -> None:
        """nbgrader's autograde of every submission, with the records standing in for execution."""
        from nbgrader.converters import Autograde
        from nbgrader.preprocessors import Execute

        schema_version_in_process()
        config = Config(self.config)
        config.RecordedVerdicts.records_dir = str(records_dir)
        app = Autograde(coursedir=CourseDirectory(config=config), config=config)
        app.force = True
        app.create_student = True
        if Execute not in app.autograde_preprocessors:
            raise CourseError(_("this course's nbgrader_config.py replaces Autograde's Execute preprocessor; "
                                "kata grade --nbgrader stands in for Execute and cannot tell where"))
        app.autograde_preprocessors = [RecordedVerdicts if p is Execute else p for p in app.autograde_preprocessors]
        level = app.log.level
        app.log.setLevel(logging.ERROR)  # not its notes on replacing autograded/ and on hidden tests' checksums
        try:
            app.start()
        finally:
            app.log.setLevel(level)


def grade_course(course: NbgraderCourse, options: GradeOptions, progress: Progress | None = None,
                 server: ForkServer | None = None, cluster: SandboxCluster | None = None) -> list[SubmissionRecord]:
    """Grade every submission of the course's assignment (see the module's docstring); the records.
    ``server`` or ``cluster`` (``options.scheduler``): a sandbox the caller started early."""
    out = Path(options.out)
    folders, seeds = [], {}
    for student, submitted in course.submissions().items():
        course.write_modules(submitted, out / "code" / student)
        folders.append(out / "code" / student)
        seeds[student] = course.submission_seed(student, submitted)
    _drop_stale_records(out / "submissions", seeds)
    options = replace(options, katas=course.katas, seed=course.run_seed, submission_seeds=seeds,
                      rerun=RERUN_IN_NOTEBOOK, gradebook=False)
    records = grade_batch(folders, options, progress, server, cluster)
    course.autograde_from_records(out / "submissions")
    return records


def _drop_stale_records(records_dir: Path, seeds: dict[str, int]) -> None:
    """Remove the records graded on a seed other than their student's now (a new secret; another
    submission whose solution cells, all the grader reads, are the same): they are graded again."""
    for student, seed in seeds.items():
        path = records_dir / f"{student}.json"
        try:
            stale = SubmissionRecord.from_json(path.read_text(encoding="utf-8")).seed != seed
        except (OSError, RecordError):
            continue
        if stale:
            path.unlink()
