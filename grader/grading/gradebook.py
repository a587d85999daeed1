"""nbgrader's gradebook (any SQLAlchemy URL), written from the records: assignment → one notebook
per kata module → one grade cell per kata (``grade_id`` = kata id)."""
from __future__ import annotations

import contextlib
import functools
import queue
import threading
import warnings

from grader.core.i18n import _
from grader.grading.records import KataRecord, SubmissionRecord


def check_database_url(url: str) -> None:
    """ValueError unless ``url`` is an SQLAlchemy URL (checked before any grading starts; loads no torch)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(url)
    except ArgumentError as exc:
        raise ValueError(_("--db {url} is not an SQLAlchemy URL (e.g. sqlite:///gradebook.db): {error}").format(
            url=repr(url), error=exc)) from None


def shown_url(url: str) -> str:
    """``url`` as it may be printed or logged: a database server's password in it shown as ``***``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    return parsed.render_as_string(hide_password=True) if parsed.password else url


def schema_version_in_process() -> None:
    """nbgrader stamps a new gradebook with its schema's alembic revision, which it reads by running
    the ``alembic`` command: a second Python (1–2 s of CPU) that must be on PATH. Read it here instead."""
    import nbgrader.api
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    if not hasattr(nbgrader.api.get_alembic_version, "cache_info"):
        nbgrader.api.get_alembic_version = functools.cache(ScriptDirectory(ALEMBIC_DIR).get_current_head)


#: The PostgreSQL advisory lock that convkata's graders hold while they write a gradebook ("convkata" in ASCII).
WRITERS_LOCK_KEY = int.from_bytes(b"convkata", "big")


class WritersLock:
    """Serialises the graders that write one PostgreSQL gradebook at the same time (several ``kata
    grade`` runs sharing it): nbgrader creates its tables, and upserts rows, by looking first, so two
    writers at the same moment both create (a UniqueViolation). A session-level advisory lock, taken
    on a connection of its own around the opening and each write; nothing on other databases."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        self._engine = (create_engine(parsed, pool_size=1, pool_pre_ping=True)
                        if parsed.get_backend_name() == "postgresql" else None)

    @contextlib.contextmanager
    def held(self):
        if self._engine is None:
            yield
            return
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        with self._engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": WRITERS_LOCK_KEY})
            try:
                yield
            finally:
                with contextlib.suppress(DBAPIError):  # a connection the server dropped took its lock with it
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": WRITERS_LOCK_KEY})

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


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
        #: (module, kata, points) of the grade cells this run has written (see ``_write``).
        self._defined: set[tuple[str, str, float]] = set()
        self._thread = threading.Thread(target=self._run, name="gradebook", daemon=True)
        self._thread.start()

    def write(self, records: list[SubmissionRecord]) -> None:
        self._queue.put(list(records))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise GradebookError(_("could not write nbgrader's gradebook at {url}: {error} — "
                                   "every grade is in the records; run again to retry").format(
                url=shown_url(self.url), error=self.error)) from self.error

    def _run(self) -> None:
        lock = gradebook = None
        try:
            lock = WritersLock(self.url)
            with lock.held():
                gradebook = self._open()
            finished = False
            while not finished:
                records, finished = self._waiting()
                if records:
                    with lock.held():
                        self._write_reconnecting(gradebook, records)
        except BaseException as exc:
            self.error = exc
        finally:
            if gradebook is not None:
                gradebook.close()
            if lock is not None:
                lock.close()

    def _waiting(self) -> tuple[list[SubmissionRecord], bool]:
        """The records written meanwhile, all of them (one transaction for those that queued up while the
        last were written), and whether ``close`` came after them."""
        records, item = [], self._queue.get()
        while item is not None:
            records += item
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return records, False
        return records, True

    def _open(self):
        from nbgrader.api import Gradebook as NbgraderGradebook

        schema_version_in_process()
        # nbgrader's own add_submission trips SQLAlchemy 2's autoflush warning; the rows are right.
        # (A filter for the process: catch_warnings is not thread-safe, and the judges run in threads.)
        warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session")
        return NbgraderGradebook(self.url)

    def _write_reconnecting(self, gradebook, records: list[SubmissionRecord]) -> None:
        """Write ``records``; once more on a fresh connection if the database server dropped the one
        the pool kept between writes (a restart, an idle timeout): the writes are upserts."""
        from sqlalchemy.exc import DBAPIError

        try:
            self._write(gradebook, records)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            gradebook.db.rollback()
            self._write(gradebook, records)

    def _write(self, gradebook, records: list[SubmissionRecord]) -> None:
        """Upsert the students, their submissions and each kata's auto score (idempotent)."""
        from nbgrader.api import MissingEntry

        # the assignment, its notebooks and grade cells once per run (and per kata that appears), not per
        # record: each upsert is a transaction, and round trips to a database server
        katas = dict.fromkeys((kata.module, kata.id, float(kata.points)) for record in records for kata in record.katas)
        if not katas.keys() <= self._defined:
            gradebook.update_or_create_assignment(self.assignment)
            for module in dict.fromkeys(module for module, _, _ in katas):
                gradebook.update_or_create_notebook(module, self.assignment)
            for module, kata_id, points in katas:
                gradebook.update_or_create_grade_cell(kata_id, module, self.assignment, max_score=points,
                                                      cell_type="code")
            self._defined |= katas.keys()
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
