"""The output folder of a batch, in the formats the ecosystem reads.

The record of a graded submission (``OUT/submissions/<student>.json``, grader.grading.records) is
the source of truth; it is written atomically (a temporary file, fsync, rename) and everything
else is derived from the records, idempotently:

- a Gradescope ``results.json`` per submission (``OUT/gradescope/<student>/results.json``),
- the class CSV (``OUT/grades.csv``, one row per student, a column per kata): rewritten from every
  record, so at most every CSV_SECONDS while a run commits (a class of 2,000 spent 26 ms a record on
  it, growing with the class) and when the store closes,
- nbgrader's gradebook (``OUT/gradebook.db`` by default, any SQLAlchemy URL with ``--db``).

A run killed at any point and started again finds the records it committed and re-derives the
rest, so it loses no grade and duplicates none.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

from grader.core.i18n import language
from grader.core.manifest import Manifest
from grader.grading.formats import class_csv, gradescope_results
from grader.grading.gradebook import Gradebook
from grader.grading.records import RecordError, SubmissionRecord


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old file or the new one, never a part.
    The file is as readable as one ``open`` writes (0666 less the umask), not mkstemp's 0600: an
    instructor's report and grades sit beside PNGs that matplotlib writes that way."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


#: How often a run rewrites the class CSV while it commits records (it is written at the end too).
CSV_SECONDS = 2.0


class ResultStore:
    """The output folder of a batch: records, Gradescope files, the class CSV and the gradebook."""

    def __init__(self, out: Path, manifest: Manifest, db_url: str | None = None, assignment: str = "convkata",
                 gradebook: bool = True):
        self.out = Path(out).resolve()
        self.manifest = manifest
        self.records_dir = self.out / "submissions"
        self.db_url = db_url or f"sqlite:///{self.out / 'gradebook.db'}"
        self.out.mkdir(parents=True, exist_ok=True)
        self._records = {r.student: r for r in self._read_records()}
        self.gradebook = Gradebook(self.db_url, assignment) if gradebook else None
        #: When grades.csv was last written (time.monotonic()), and whether records came after.
        self._csv_written, self._csv_stale = float("-inf"), False

    def record_path(self, student: str) -> Path:
        return self.records_dir / f"{student}.json"

    def _read_records(self) -> list[SubmissionRecord]:
        """The records on disk; a file that is not one (damaged, or of another version) is regraded."""
        found = []
        for path in sorted(self.records_dir.glob("*.json")):
            try:
                found.append(SubmissionRecord.from_json(path.read_text(encoding="utf-8")))
            except (OSError, RecordError):
                continue
        return found

    def done(self, student: str, digest: str, katas: list[str]) -> SubmissionRecord | None:
        """The record of an earlier run of this very submission over these katas, in the language this
        run speaks (its feedback is the record's text), if there is one."""
        record = self._records.get(student)
        if record and record.digest == digest and [k.id for k in record.katas] == katas and record.language == language():
            return record
        return None

    def commit(self, record: SubmissionRecord) -> None:
        """The record first (the commit point), then what is derived from it (the class CSV at most every
        CSV_SECONDS: a run killed meanwhile leaves it behind, and the next run rewrites it)."""
        atomic_write(self.record_path(record.student), record.to_json())
        self._records[record.student] = record
        self.derive([record], class_csv_now=time.monotonic() - self._csv_written >= CSV_SECONDS)

    def derive(self, records: list[SubmissionRecord], class_csv_now: bool = True) -> None:
        """Gradescope files and gradebook entries for ``records``; the class CSV from every record (or
        later, when the store closes, unless ``class_csv_now``)."""
        for record in records:
            atomic_write(self.out / "gradescope" / record.student / "results.json",
                         json.dumps(gradescope_results(record), indent=1, ensure_ascii=False))
        if self.gradebook is not None:
            self.gradebook.write(records)
        if class_csv_now:
            self._write_class_csv()
        else:
            self._csv_stale = True

    def _write_class_csv(self) -> None:
        atomic_write(self.out / "grades.csv", class_csv(list(self._records.values()), self.manifest))
        self._csv_written, self._csv_stale = time.monotonic(), False

    def close(self) -> None:
        try:
            if self._csv_stale:
                self._write_class_csv()
        finally:
            if self.gradebook is not None:
                self.gradebook.close()
