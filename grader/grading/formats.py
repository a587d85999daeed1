"""A record in the formats people read: a kata's feedback as text (Gradescope's output, a
notebook's test cell), Gradescope's ``results.json``, and the class CSV."""
from __future__ import annotations

import csv
import io

from grader.core.i18n import _
from grader.core.manifest import Manifest
from grader.core.scoring import UNCREDITED_NOTE, Status, kind_label
from grader.grading.records import KataRecord, SubmissionRecord


def kata_output(kata: KataRecord) -> str:
    """A kata's feedback in plain text: the count of checks passed, each failure's diagnosis, and
    the pending checks in one line (they all wait for the same stub)."""
    applicable = kata.applicable()
    passed = sum(c.status is Status.PASSED for c in applicable)
    # Translators: {citation} is the book's section, such as "d2l-zh 6.2"; {module} a file name such as "conv_layer"
    lines = [_("{passed}/{total} checks passed ({module}.py, {citation})").format(
        passed=passed, total=len(applicable), module=kata.module, citation=kata.citation)]
    if kata.uncredited:
        lines.append(f"({_(UNCREDITED_NOTE)})")
    for check in applicable:
        if check.status is Status.FAILED:
            # Translators: {check} is a check's name (e.g. "numeric_sweep"), {kind} its kind (e.g. "values")
            lines.append("\n✗ " + _("{check} [{kind}] failed:").format(check=check.name, kind=kind_label(check.kind)))
            lines.append(check.message)
    pending = [c for c in applicable if c.status is Status.PENDING]
    if pending:
        # Translators: {reason} says what the pending checks wait for, e.g. "corr2d: implement corr2d (d2l 7.2)"
        lines.append("\n… " + _("{count} check(s) pending: {reason}").format(count=len(pending),
                                                                           reason=pending[0].message))
    return "\n".join(lines)


def kata_feedback(kata: KataRecord) -> str:
    """``kata_output`` under a headline with the points earned (a notebook's test cell shows this)."""
    # Translators: {kata} is a kata's id (e.g. "corr2d"), {title} its title; {score:g}/{points} the points earned
    headline = _("{kata} — {title}: {score:g}/{points} points").format(kata=kata.id, title=kata.title,
                                                                      score=kata.score, points=kata.points)
    return f"{headline}\n{kata_output(kata)}"


def gradescope_results(record: SubmissionRecord) -> dict:
    """Gradescope's results.json for one submission: a test per kata, with its points and diagnosis."""
    # Translators: a Gradescope test's name: {kata} is a kata's id (e.g. "corr2d"), {title} its title
    tests = [{"name": _("{kata}: {title}").format(kata=kata.id, title=kata.title), "number": str(number),
              "score": kata.score, "max_score": float(kata.points),
              "status": "passed" if kata.status is Status.PASSED else "failed", "output": kata_output(kata),
              "visibility": "visible", "tags": [kata.module, kata.citation]}
             for number, kata in enumerate(record.katas, start=1)]
    summary = _("{score:g}/{points} points").format(score=record.score, points=record.max_score)
    if record.error:
        summary += f"\n{record.error}"
    return {"score": record.score, "execution_time": round(record.seconds), "output": summary,
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"seed": record.seed, "digest": record.digest}}


def class_csv(records: list[SubmissionRecord], manifest: Manifest) -> str:
    """One row per student: the total, then each kata's points (blank where a kata was not graded)."""
    graded = {k.id for record in records for k in record.katas}
    katas = [k.id for k in manifest if k.id in graded]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "score", "max_score", *katas, "error"])
    for record in sorted(records, key=lambda r: r.student):
        scores = {k.id: f"{k.score:g}" for k in record.katas}
        writer.writerow([record.student, f"{record.score:g}", record.max_score,
                         *(scores.get(k, "") for k in katas), record.error or ""])
    return out.getvalue()
