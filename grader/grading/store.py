"""What the batch grader writes, in the formats the ecosystem reads.

The record of a graded submission (``OUT/submissions/<student>.json``) is the source of truth;
it is written atomically (a temporary file, fsync, rename) and everything else is derived from
the records, idempotently:

- a Gradescope ``results.json`` per submission (``OUT/gradescope/<student>/results.json``),
- the class CSV (``OUT/grades.csv``, one row per student, a column per kata),
- nbgrader's gradebook (``OUT/gradebook.db`` by default, any SQLAlchemy URL with ``--db``):
  assignment → one notebook per kata module → one grade cell per kata (``grade_id`` = kata id).

A run killed at any point and started again finds the records it committed and re-derives the
rest, so it loses no grade and duplicates none.
"""
from __future__ import annotations

import csv
import functools
import io
import json
import os
import queue
import tempfile
import threading
import warnings
from pathlib import Path

from .gradebook import check_database_url
from grader.core.manifest import Manifest
from grader.checks.runner import CheckResult, KataResult, Status
from grader.core.scoring import UNCREDITED_NOTE


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def kata_record(result: KataResult) -> dict:
    kata = result.kata
    return {"id": kata.id, "title": kata.title, "section": kata.section, "module": kata.module,
            "points": kata.points, "score": round(result.score, 4), "status": result.status.value,
            "uncredited": result.uncredited,
            "checks": [{"id": r.check.id, "name": r.check.name, "kind": r.check.kind, "status": r.status.value,
                        "message": r.message, "mistakes": list(r.mistakes), "warnings": list(r.warnings)}
                       for r in result.results]}


def submission_record(student: str, source: Path, digest: str, seed: int, results: list[KataResult],
                      seconds: float, error: str | None = None) -> dict:
    """The whole grade of one submission, as JSON-ready data."""
    katas = [kata_record(r) for r in results]
    return {"student": student, "source": str(source), "digest": digest, "seed": seed,
            "score": round(sum(k["score"] for k in katas), 4), "max_score": sum(k["points"] for k in katas),
            "seconds": round(seconds, 3), "error": error, "katas": katas}


def kata_results(record: dict, manifest: Manifest) -> list[KataResult]:
    """A record back as KataResults (for the progress table); checks this version no longer has are left out."""
    from grader.checks import checks_of_kata

    results = []
    for kata in record["katas"]:
        checks = {c.id: c for c in checks_of_kata(kata["id"])}
        results.append(KataResult(manifest.get(kata["id"]), [
            CheckResult(checks[c["id"]], Status(c["status"]), c["message"], tuple(c["mistakes"]), tuple(c["warnings"]))
            for c in kata["checks"] if c["id"] in checks]))
    return results


def kata_output(kata: dict) -> str:
    """A kata's feedback in plain text: the count of checks passed, each failure's diagnosis, and
    the pending checks in one line (they all wait for the same stub)."""
    applicable = [c for c in kata["checks"] if c["status"] != Status.SKIPPED.value]
    passed = sum(c["status"] == Status.PASSED.value for c in applicable)
    lines = [f"{passed}/{len(applicable)} checks passed ({kata['module']}.py, d2l {kata['section']})"]
    if kata.get("uncredited"):
        lines.append(f"({UNCREDITED_NOTE})")
    for check in applicable:
        if check["status"] == Status.FAILED.value:
            lines.append(f"\n✗ {check['name']} [{check['kind']}] failed:")
            lines.append(check["message"])
    pending = [c for c in applicable if c["status"] == Status.PENDING.value]
    if pending:
        lines.append(f"\n… {len(pending)} check(s) pending: {pending[0]['message']}")
    return "\n".join(lines)


def kata_feedback(kata: dict) -> str:
    """``kata_output`` under a headline with the points earned (a notebook's test cell shows this)."""
    return f"{kata['id']} — {kata['title']}: {kata['score']:g}/{kata['points']} points\n{kata_output(kata)}"


def gradescope_results(record: dict) -> dict:
    """Gradescope's results.json for one submission: a test per kata, with its points and diagnosis."""
    tests = [{"name": f"{kata['id']}: {kata['title']}", "number": str(number), "score": kata["score"],
              "max_score": float(kata["points"]),
              "status": "passed" if kata["status"] == Status.PASSED.value else "failed",
              "output": kata_output(kata), "visibility": "visible", "tags": [kata["module"], f"d2l {kata['section']}"]}
             for number, kata in enumerate(record["katas"], start=1)]
    summary = f"{record['score']:g}/{record['max_score']} points"
    if record.get("error"):
        summary += f"\n{record['error']}"
    return {"score": record["score"], "execution_time": round(record["seconds"]), "output": summary,
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"seed": record["seed"], "digest": record["digest"]}}


def class_csv(records: list[dict], manifest: Manifest) -> str:
    """One row per student: the total, then each kata's points (blank where a kata was not graded)."""
    graded = {k["id"] for record in records for k in record["katas"]}
    katas = [k.id for k in manifest if k.id in graded]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "score", "max_score", *katas, "error"])
    for record in sorted(records, key=lambda r: r["student"]):
        scores = {k["id"]: f"{k['score']:g}" for k in record["katas"]}
        writer.writerow([record["student"], f"{record['score']:g}", record["max_score"],
                         *(scores.get(k, "") for k in katas), record.get("error") or ""])
    return out.getvalue()


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
    Records are written in the order they arrive; ``close`` waits for the last one."""

    def __init__(self, url: str, assignment: str):
        check_database_url(url)
        self.url = url
        self.assignment = assignment
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="gradebook", daemon=True)
        self._thread.start()

    def write(self, records: list[dict]) -> None:
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

    def _write(self, gradebook, records: list[dict]) -> None:
        """Upsert the students, their submissions and each kata's auto score (idempotent)."""
        from nbgrader.api import Grade, MissingEntry, SubmittedNotebook

        gradebook.update_or_create_assignment(self.assignment)
        for record in records:
            for kata in record["katas"]:
                gradebook.update_or_create_notebook(kata["module"], self.assignment)
                gradebook.update_or_create_grade_cell(kata["id"], kata["module"], self.assignment,
                                                      max_score=float(kata["points"]), cell_type="code")
        for record in records:
            student = record["student"]
            gradebook.update_or_create_student(student)
            submission = gradebook.update_or_create_submission(self.assignment, student)
            for kata in record["katas"]:
                try:
                    grade = gradebook.find_grade(kata["id"], kata["module"], self.assignment, student)
                except MissingEntry:  # a kata added to the assignment after this submission was first written
                    grade = self._new_grade(gradebook, submission, kata, Grade, SubmittedNotebook)
                grade.auto_score = float(kata["score"])
            gradebook.db.commit()

    def _new_grade(self, gradebook, submission, kata, Grade, SubmittedNotebook):
        notebook = gradebook.find_notebook(kata["module"], self.assignment)
        cell = gradebook.find_grade_cell(kata["id"], kata["module"], self.assignment)
        submitted = next((n for n in submission.notebooks if n.notebook_id == notebook.id), None)
        if submitted is None:
            submitted = SubmittedNotebook(notebook=notebook, assignment=submission)
            gradebook.db.add(submitted)
        grade = Grade(cell_id=cell.id, notebook=submitted)
        gradebook.db.add(grade)
        gradebook.db.flush()
        return grade


class ResultStore:
    """The output folder of a batch: records, Gradescope files, the class CSV and the gradebook."""

    def __init__(self, out: Path, manifest: Manifest, db_url: str | None = None, assignment: str = "convkata",
                 gradebook: bool = True):
        self.out = Path(out).resolve()
        self.manifest = manifest
        self.records_dir = self.out / "submissions"
        self.db_url = db_url or f"sqlite:///{self.out / 'gradebook.db'}"
        self.out.mkdir(parents=True, exist_ok=True)
        self._records = {r["student"]: r for r in self._read_records()}
        self.gradebook = Gradebook(self.db_url, assignment) if gradebook else None

    def record_path(self, student: str) -> Path:
        return self.records_dir / f"{student}.json"

    def _read_records(self) -> list[dict]:
        found = []
        for path in sorted(self.records_dir.glob("*.json")):
            try:
                found.append(json.loads(path.read_text(encoding="utf-8")))
            except ValueError:
                continue
        return found

    def done(self, student: str, digest: str, katas: list[str]) -> dict | None:
        """The record of an earlier run of this very submission over these katas, if there is one."""
        record = self._records.get(student)
        if record and record.get("digest") == digest and [k["id"] for k in record["katas"]] == katas:
            return record
        return None

    def commit(self, record: dict) -> None:
        """The record first (the commit point), then what is derived from it."""
        atomic_write(self.record_path(record["student"]), json.dumps(record, indent=1, ensure_ascii=False))
        self._records[record["student"]] = record
        self.derive([record])

    def derive(self, records: list[dict]) -> None:
        """Gradescope files and gradebook entries for ``records``; the class CSV from every record."""
        for record in records:
            atomic_write(self.out / "gradescope" / record["student"] / "results.json",
                         json.dumps(gradescope_results(record), indent=1, ensure_ascii=False))
        if self.gradebook is not None:
            self.gradebook.write(records)
        atomic_write(self.out / "grades.csv", class_csv(list(self._records.values()), self.manifest))

    def close(self) -> None:
        if self.gradebook is not None:
            self.gradebook.close()
