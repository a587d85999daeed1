"""nbgrader's gradebook (any SQLAlchemy URL), written from the records: assignment → one notebook
per kata module → one grade cell per kata (``grade_id`` = kata id)."""
from __future__ import annotations

import functools
import queue
import threading
import warnings

from grader.grading.records import KataRecord, SubmissionRecord


def check_database_url(url: str) -> None:
    """ValueError unless ``url`` is an SQLAlchemy URL (checked before any grading starts; loads no torch)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(url)
    except ArgumentError as exc:
        raise ValueError(f"--db {url!r} is not an SQLAlchemy URL (e.g. sqlite:///gradebook.db): {exc}") from None


def schema_version_in_process() -> None:
    """nbgrader stamps a new gradebook with its schema's alembic revision, which it reads by running
    the ``alembic`` command: a second Python (1–2 s of CPU) that must be on PATH. Read it here instead."""
    import nbgrader.api
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    if not hasattr(nbgrader.api.get_alembic_version, "cache_info"):
        nbgrader.api.get_alembic_version = functools.cache(ScriptDirectory(ALEMBIC_DIR).get_current_head)


class GradebookError(RuntimeError):
    """The gradebook could not be written; the records (and so every grade) are safe on disk."""


class Gradebook:
    """nbgrader's gradebook, written through ``nbgrader.api.Gradebook`` by a thread of its own:
    opening it imports nbgrader and runs alembic (seconds), which then overlaps with the grading.
    Records are written in the order they arrive; ``close`` waits for the last one.
    (nbgrader and SQLAlchemy are imported in that thread, never at this module's import.)"""

    def __init__(self, url: str, assignment: str):
        check_database_url(url)
        self.url = url
        self.assignment = assignment
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="gradebook", daemon=True)
        self._thread.start()

    def write(self, records: list[SubmissionRecord]) -> None:
        self._queue.put(list(records))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise GradebookError(f"could not write nbgrader's gradebook at {self.url}: {self.error} — every grade "
                                 "is in the records; run again to retry") from self.error

    def _run(self) -> None:
        try:
            gradebook = self._open()
        except BaseException as exc:
            self.error = exc
            return
        try:
            while (records := self._queue.get()) is not None:
                self._write(gradebook, records)
        except BaseException as exc:
            self.error = exc
        finally:
            gradebook.close()

    def _open(self):
        from nbgrader.api import Gradebook as NbgraderGradebook

        schema_version_in_process()
        # nbgrader's own add_submission trips SQLAlchemy 2's autoflush warning; the rows are right.
        # (A filter for the process: catch_warnings is not thread-safe, and the judges run in threads.)
        warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session")
        return NbgraderGradebook(self.url)

    def _write(self, gradebook, records: list[SubmissionRecord]) -> None:
        """Upsert the students, their submissions and each kata's auto score (idempotent)."""
        from nbgrader.api import MissingEntry

        gradebook.update_or_create_assignment(self.assignment)
        for record in records:
            for kata in record.katas:
                gradebook.update_or_create_notebook(kata.module, self.assignment)
                gradebook.update_or_create_grade_cell(kata.id, kata.module, self.assignment,
                                                      max_score=float(kata.points), cell_type="code")
        for record in records:
            gradebook.update_or_create_student(record.student)
            submission = gradebook.update_or_create_submission(self.assignment, record.student)
            for kata in record.katas:
                try:
                    grade = gradebook.find_grade(kata.id, kata.module, self.assignment, record.student)
                except MissingEntry:  # a kata added to the assignment after this submission was first written
                    grade = self._new_grade(gradebook, submission, kata)
                grade.auto_score = float(kata.score)
            gradebook.db.commit()

    def _new_grade(self, gradebook, submission, kata: KataRecord):
        from nbgrader.api import Grade, SubmittedNotebook

        notebook = gradebook.find_notebook(kata.module, self.assignment)
        cell = gradebook.find_grade_cell(kata.id, kata.module, self.assignment)
        submitted = next((n for n in submission.notebooks if n.notebook_id == notebook.id), None)
        if submitted is None:
            submitted = SubmittedNotebook(notebook=notebook, assignment=submission)
            gradebook.db.add(submitted)
        grade = Grade(cell_id=cell.id, notebook=submitted)
        gradebook.db.add(grade)
        gradebook.db.flush()
        return grade
