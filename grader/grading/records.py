"""The record of a graded submission — a check's, a kata's and a submission's result — as typed
data, and the one place it becomes JSON and comes back from it.

    record = SubmissionRecord.of(student, source, digest, seed, kata_results, seconds)
    text = record.to_json()                      # OUT/submissions/<student>.json
    SubmissionRecord.from_json(text) == record   # RecordError for a file that is not a record

A record holds plain values only (ids, statuses, points, messages), never a check or a kata
object: it is what the grader commits, what every output is derived from, and what a later run
reads back to resume. This module imports no torch.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.core.i18n import language
from grader.core.manifest import Manifest, citation
from grader.core.scoring import Status

if TYPE_CHECKING:
    from grader.checks.runner import KataResult


class RecordError(ValueError):
    """A file or value that is not a record of this version's shape."""


@dataclass(frozen=True)
class CheckRecord:
    """One check's verdict: ``id`` is ``kata::name``; ``mistakes`` the known mistakes it names."""

    id: str
    name: str
    kind: str
    status: Status
    message: str
    mistakes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict) -> CheckRecord:
        return cls(str(data["id"]), str(data["name"]), str(data["kind"]), Status(data["status"]),
                   str(data["message"]), tuple(map(str, data["mistakes"])), tuple(map(str, data["warnings"])))


@dataclass(frozen=True)
class KataRecord:
    """One kata's result: its manifest entry's fields, the points earned (partial credit per check
    passed), its status and every check's verdict."""

    id: str
    title: str
    section: str
    module: str
    points: int
    score: float
    status: Status
    uncredited: bool
    checks: tuple[CheckRecord, ...]

    @classmethod
    def of(cls, result: KataResult) -> KataRecord:
        kata = result.kata
        return cls(kata.id, kata.title, kata.section, kata.module, kata.points, round(result.score, 4),
                   result.status, result.uncredited,
                   tuple(CheckRecord(r.check.id, r.check.name, r.check.kind, r.status, r.message, tuple(r.mistakes),
                                     tuple(r.warnings)) for r in result.results))

    @classmethod
    def from_dict(cls, data: dict) -> KataRecord:
        return cls(str(data["id"]), str(data["title"]), str(data["section"]), str(data["module"]),
                   int(data["points"]), float(data["score"]), Status(data["status"]), bool(data["uncredited"]),
                   tuple(CheckRecord.from_dict(c) for c in data["checks"]))

    @property
    def citation(self) -> str:
        """Where the book teaches this kata, as ``Kata.citation`` words it: ``d2l 7.2`` or ``d2l-zh 6.2``.
        A record holds the title, section and messages in the language it was graded in (the
        section in that language's edition of the book), and is shown in that language."""
        return citation(self.section)

    def applicable(self) -> list[CheckRecord]:
        """The checks that apply here (a CUDA check without a CUDA device does not)."""
        return [c for c in self.checks if c.status is not Status.SKIPPED]


@dataclass(frozen=True)
class SubmissionRecord:
    """The whole grade of one submission: who, which files (``digest``), the run's seed, the
    total, how long it took, why it could not be graded at all (``error``), every kata's record in
    manifest order, and the language its texts are in (a record before languages: English)."""

    student: str
    source: str
    digest: str
    seed: int
    score: float
    max_score: int
    seconds: float
    error: str | None
    katas: tuple[KataRecord, ...]
    language: str = "en"

    @classmethod
    def of(cls, student: str, source: Path | str, digest: str, seed: int, results: list[KataResult],
           seconds: float, error: str | None = None) -> SubmissionRecord:
        katas = tuple(KataRecord.of(r) for r in results)
        return cls(student, str(source), digest, seed, round(sum(k.score for k in katas), 4),
                   sum(k.points for k in katas), round(seconds, 3), error, katas, language())

    @classmethod
    def from_dict(cls, data: Any) -> SubmissionRecord:
        """RecordError unless ``data`` is a record's JSON value."""
        try:
            return cls(str(data["student"]), str(data["source"]), str(data["digest"]), int(data["seed"]),
                       float(data["score"]), int(data["max_score"]), float(data["seconds"]),
                       None if data["error"] is None else str(data["error"]),
                       tuple(KataRecord.from_dict(k) for k in data["katas"]), str(data.get("language", "en")))
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordError(f"not a submission record ({type(exc).__name__}: {exc})") from None

    @classmethod
    def from_json(cls, text: str) -> SubmissionRecord:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise RecordError(f"not JSON: {exc}") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict:
        """The JSON value: the fields in order, statuses as their strings, tuples as lists."""
        return json.loads(self.to_json())

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False)

    def kata(self, kata_id: str) -> KataRecord:
        """The record of one kata; KeyError if it was not graded."""
        for kata in self.katas:
            if kata.id == kata_id:
                return kata
        raise KeyError(kata_id)

    def kata_results(self, manifest: Manifest) -> list[KataResult]:
        """The record back as KataResults (for the progress table); checks this version no longer
        has are left out."""
        from grader.checks import checks_of_kata  # torch: only once there is a record to show
        from grader.checks.runner import CheckResult, KataResult

        results = []
        for kata in self.katas:
            checks = {c.id: c for c in checks_of_kata(kata.id)}
            results.append(KataResult(manifest.get(kata.id), [
                CheckResult(checks[c.id], c.status, c.message, c.mistakes, c.warnings)
                for c in kata.checks if c.id in checks]))
        return results
