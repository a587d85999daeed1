"""``kata bench``: how fast each submission's corr2d family is, beside the reference and F.conv2d.

    bench_batch(paths, BenchOptions(out=...)) -> the summary, also written to OUT/bench.json

1. Grade: every submission is graded first (``grade_batch``, into ``OUT/grades``, where a later run
   finds it graded and skips it), or its record is taken from an earlier ``kata grade --out DIR``
   (``grades=DIR``; the record must be of the very same files and katas). Only a kata that passes
   is timed: a wrong answer, fast or slow, has no speed worth reporting.
2. Time: for each passing kata of the family (grader.bench.probes), one sandboxed child — the
   grader's fork server, confinement and wall-clock limit — sweeps the image sides, calling the
   submission, the reference and F.conv2d in turn on the same inputs (grader.bench.timing). Sweeps run
   one at a time, on one torch thread, so that no two compete for the cores.
3. Analyse, here, outside the sandbox: medians, speed-ups over the reference, growth exponents.

The reference in the same process. The fork server never imports the reference, so that no
submission can call it while it is graded. A bench child gets a copy of it (and imports it before
the submission), so that all three contenders share the process, the inputs and the moment.
That is safe for the grades because benchmarks run only after grading, in children of their own,
and no judge ever reads their data: a submission that reads the reference there, patches the
clock or slows the reference down can distort its own timings — informational numbers for the
instructor, shown as such — but never its grade. The timings are validated like any probe data
(plain numbers of the expected shape) before they are analysed.
"""
from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from grader.core.diagnosis import known_mistakes
from grader.core.i18n import N_, _
from grader.core.manifest import Kata, Manifest, load_manifest
from grader.core.paths import SOLUTIONS_DIR
from grader.core.scoring import Status
from grader.grading.batch import GradeOptions, KataRunJudge, Progress, grade_session
from grader.grading.records import SubmissionRecord
from grader.grading.session import GradingSession
from grader.grading.store import ResultStore, atomic_write
from grader.grading.submissions import Submission
from grader.sandbox.client import ForkServer, Slot
from grader.sandbox.confine import Limits
from grader.sandbox.protocol import KataRun

from .probes import CONTENDERS, FAMILY, KERNEL, Benchmarked, SweepSettings
from .timing import growth_exponent, median_seconds, relative_spread

DEFAULT_SIDES = (32, 64, 128, 256, 512, 1024, 2048)
#: The share of the kata's wall-clock limit a sweep plans to use (the rest: start-up, the reference's import).
BUDGET_SHARE = 0.75
#: Why a kata of a graded submission was not timed, by its status (stored in bench.json, shown in the report).
NOT_TIMED = {Status.FAILED.value: N_("not timed: the kata is failed"),
             Status.PENDING.value: N_("not timed: the kata is pending"),
             Status.SKIPPED.value: N_("not timed: the kata is skipped"),
             None: N_("not timed: the kata is not graded")}


def parse_sides(text: str) -> tuple[int, ...]:
    """``--sizes 32,64,128`` as sorted, distinct sides; ValueError naming the fix."""
    try:
        sides = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ValueError(_("--sizes {sizes}: give image sides as comma-separated integers, e.g. 32,64,128").format(
            sizes=repr(text))) from None
    if not sides:
        raise ValueError(_("--sizes is empty: give image sides as comma-separated integers, e.g. 32,64,128"))
    if sides[0] < KERNEL:
        raise ValueError(_("--sizes: a side of {side} is smaller than the {kernel}×{kernel} kernel; "
                           "give sides of at least {kernel}").format(side=sides[0], kernel=KERNEL))
    return tuple(sides)


@dataclass
class BenchOptions:
    """What ``kata bench`` was asked for (see its --help)."""

    out: Path
    sides: tuple[int, ...] = DEFAULT_SIDES
    rounds: int = 6  # every order of the three contenders once
    #: Katas to grade (None: every kata); the family katas among them are timed.
    katas: list[str] | None = None
    #: An earlier ``kata grade --out`` folder to take the grades from (None: grade into OUT/grades).
    grades: Path | None = None
    jobs: int = 2
    #: Per kata, for grading and for each sweep.
    limits: Limits = field(default_factory=Limits)
    #: A sweep stops after a side where one call took longer than this.
    call_seconds: float = 1.0
    seed: int | None = None

    def __post_init__(self):
        if self.rounds < 1:
            raise ValueError(_("--rounds {rounds}: time each contender at least once per side (--rounds 1 or more)"
                               ).format(rounds=self.rounds))
        if self.call_seconds <= 0:
            raise ValueError(_("--call-seconds {seconds:g}: give a positive number of seconds").format(
                seconds=self.call_seconds))
        if self.grades is not None and not (Path(self.grades) / "submissions").is_dir():
            raise ValueError(_("--grades {folder}: no submissions/ folder there; give the --out folder of a "
                               "`kata grade` run, or leave --grades out to grade here").format(folder=self.grades))

    def sweep(self) -> SweepSettings:
        return SweepSettings(self.sides, self.rounds, BUDGET_SHARE * self.limits.cpu_seconds, self.call_seconds)


def benchmarked_katas(katas: list[Kata]) -> list[tuple[Kata, Benchmarked]]:
    """The family katas among ``katas``; ValueError when there is none."""
    by_id = {b.kata: b for b in FAMILY}
    chosen = [(kata, by_id[kata.id]) for kata in katas if kata.id in by_id]
    if not chosen:
        raise ValueError(_("none of the katas chosen is timed by kata bench; choose among {katas} (with --katas), "
                           "or leave --katas out").format(katas=", ".join(by_id)))
    return chosen


def analyse(data: object, settings: SweepSettings) -> dict:
    """A timing probe's data as the report's numbers: medians (s), spreads (interquartile range over
    the median), speed-ups over the reference (its median over theirs: > 1 faster) and growth
    exponents per contender.
    ValueError for data of the wrong shape (the child ran the submission: its data may be forged)."""
    if type(data) is not dict or set(data) != {"sides", "samples", "skipped", "stopped", "threads"}:
        raise ValueError(_("not the fields of a timing probe"))
    sides, skipped, samples = data["sides"], data["skipped"], data["samples"]
    if (type(sides) is not list or type(skipped) is not list or not sides
            or tuple(sides) + tuple(skipped) != settings.sides):
        raise ValueError(_("the sides timed and skipped are not the sides asked for"))
    if type(samples) is not dict or set(samples) != set(CONTENDERS) or not all(
            type(runs) is list and len(runs) == len(sides) and all(
                type(run) is list and len(run) == settings.rounds and all(type(ns) is int and ns > 0 for ns in run)
                for run in runs)
            for runs in samples.values()):
        raise ValueError(_("not {rounds} positive nanosecond samples per contender and side").format(
            rounds=settings.rounds))
    if not (data["stopped"] is None or type(data["stopped"]) is str) or type(data["threads"]) is not int:
        raise ValueError(_("the note on skipped sides or the thread count is not what a timing probe sends"))
    medians = {name: [median_seconds(run) for run in samples[name]] for name in CONTENDERS}
    return {"benchmarked": True, "sides": sides, "skipped": skipped, "stopped": (data["stopped"] or "")[:300] or None,
            "threads": data["threads"], "samples_ns": {name: samples[name] for name in CONTENDERS},
            "median_s": medians,
            "spread": {name: [relative_spread(run) for run in samples[name]] for name in CONTENDERS},
            "speedup": {name: [r / t for t, r in zip(medians[name], medians["reference"])]
                        for name in CONTENDERS if name != "reference"},
            "growth_exponent": {name: growth_exponent(sides, medians[name]) for name in CONTENDERS}}


def _not_benchmarked(reason: str) -> dict:
    return {"benchmarked": False, "reason": reason}


def _timing_result(run: KataRun, benchmarked: Benchmarked, settings: SweepSettings, limits: Limits) -> dict:
    probed = run.probed().get(benchmarked.probe_id)
    if not isinstance(probed, dict):
        # Translators: the time a sweep was allowed, as in "it ran past the sweep's 60 s"
        allowed = _("the sweep's {seconds:g} s").format(seconds=limits.cpu_seconds)
        # Translators: {ending} says how the sandboxed child ended (a timeout, a crash)
        return _not_benchmarked(_("the sweep did not finish: {ending}").format(
            ending=KataRunJudge.ending(run, allowed)))
    if probed.get("outcome") != "data":
        return _not_benchmarked(_("the sweep failed: {message}").format(message=str(probed.get("message"))[:500]))
    try:
        return analyse(probed["data"], settings)
    except ValueError as exc:
        return _not_benchmarked(_("the sandbox sent timing data the report refuses ({error})").format(error=exc))


def _bench_submission(slot: Slot, student: str, staged: Path, record: SubmissionRecord,
                      chosen: list[tuple[Kata, Benchmarked]], options: BenchOptions) -> dict[str, dict]:
    """Kata id → its timings (or why it was not timed), for one graded and staged submission."""
    status = {k.id: k.status.value for k in record.katas}
    request = {"reference": str(SOLUTIONS_DIR), "sweep": asdict(options.sweep())}
    seed = options.seed if options.seed is not None else 0
    timings = {}
    for kata, benchmarked in chosen:
        if status.get(kata.id) != Status.PASSED.value:
            reason = NOT_TIMED.get(status.get(kata.id))
            timings[kata.id] = _not_benchmarked(
                _(reason) if reason else f"not timed: the kata is {status.get(kata.id, 'not graded')}")
            continue
        run = slot.run_kata(staged, kata.module, [(benchmarked.probe_id, seed)], student, options.limits, request)
        timings[kata.id] = _timing_result(run, benchmarked, options.sweep(), options.limits)
    return timings


def _earlier_records(submissions: list[Submission], digests: dict[str, str], grades: Path,
                     katas: list[Kata], manifest: Manifest) -> dict[str, SubmissionRecord]:
    """The records of an earlier ``kata grade --out GRADES`` over these very files and katas."""
    store = ResultStore(grades, manifest, gradebook=False)
    records = {}
    for submission in submissions:
        if submission.student not in digests:
            raise ValueError(_("--grades {folder}: {student} could not be staged, so it cannot be matched with "
                               "its record; leave --grades out to grade it here").format(
                                   folder=grades, student=submission.student))
        record = store.done(submission.student, digests[submission.student], [k.id for k in katas])
        if record is None:
            raise ValueError(_("--grades {folder}: no record of {student}'s present files over these katas; grade "
                               "them there first (kata grade … --out {folder}), or leave --grades out").format(
                                   folder=grades, student=submission.student))
        records[submission.student] = record
    return records


def class_summary(records: list[SubmissionRecord], manifest: Manifest) -> dict:
    """Each graded kata's scores (student → points) and statuses, and the failed checks grouped by
    the known mistake they were diagnosed with (``id`` None: failures no known mistake explains)."""
    graded: dict[str, dict] = {}
    for record in records:
        for kata in record.katas:
            entry = graded.setdefault(kata.id, {"scores": {}, "statuses": {}})
            entry["scores"][record.student] = kata.score
            entry["statuses"][record.student] = kata.status.value
    katas = [{"id": kata.id, "title": kata.title, "points": kata.points, **graded[kata.id]}
             for kata in manifest if kata.id in graded]
    groups: dict[str | None, dict] = {}
    names = {m.id: m.name for m in known_mistakes().values()}
    for record in records:
        for kata in record.katas:
            for check in kata.checks:
                if check.status is not Status.FAILED:
                    continue
                for mistake in check.mistakes or [None]:
                    group = groups.setdefault(mistake, {"id": mistake, "checks": 0, "students": [], "katas": [],
                                                        "name": names.get(mistake, mistake or _("no known mistake"))})
                    group["checks"] += 1
                    for key, value in (("students", record.student), ("katas", kata.id)):
                        if value not in group[key]:
                            group[key].append(value)
    mistakes = sorted(groups.values(), key=lambda g: (g["id"] is None, -len(g["students"]), g["name"]))
    return {"katas": katas, "mistakes": mistakes}


def bench_batch(paths: list[str | Path], options: BenchOptions, server: ForkServer | None = None,
                progress: Progress | None = None,
                on_submission: Callable[[str, dict], None] = lambda student, timings: None) -> dict:
    """Grade (or take the grades of) every submission, time the family katas that pass, and write
    the summary to OUT/bench.json; return it. ``server``: a fork server the caller started early;
    ``progress``: the grading's; ``on_submission(student, timings)`` once a submission is timed.
    Each submission is staged once, for its grading and its timing alike."""
    manifest = load_manifest()
    katas = manifest.select(options.katas)
    chosen = benchmarked_katas(katas)
    out = Path(options.out)
    started = time.monotonic()
    with GradingSession(paths, jobs=options.jobs, limits=options.limits, katas=options.katas,
                        server=server) as session:
        if options.grades is None:
            grade_options = GradeOptions(out=out / "grades", gradebook=False, jobs=options.jobs, limits=options.limits,
                                         katas=options.katas, seed=options.seed)
            records = {r.student: r for r in grade_session(session, grade_options, progress)}
        else:
            records = _earlier_records(session.submissions, session.digests, Path(options.grades), katas, manifest)
        timings = {}
        for submission in session.submissions:
            student, staged = submission.student, session.staged(submission)
            if staged is None:
                timings[student] = {kata.id: _not_benchmarked(session.unreadable[student]) for kata, _benchmarked in chosen}
            else:
                timings[student] = _bench_submission(session.fork_server(slots=1).slots[0], student, staged,
                                                     records[student], chosen, options)
            on_submission(student, timings[student])
        submissions = session.submissions
    summary = {"settings": _settings(options, chosen, time.monotonic() - started),
               "submissions": [{"student": s.student, "score": records[s.student].score,
                                "max_score": records[s.student].max_score, "timings": timings[s.student]}
                               for s in submissions],
               "class": class_summary([records[s.student] for s in submissions], manifest)}
    atomic_write(out / "bench.json", json.dumps(summary, indent=1, ensure_ascii=False))
    return summary


def _settings(options: BenchOptions, chosen: list[tuple[Kata, Benchmarked]], seconds: float) -> dict:
    return {"sides": list(options.sides), "rounds": options.rounds, "kernel": KERNEL,
            "contenders": list(CONTENDERS), "budget_seconds": options.sweep().budget_seconds,
            "call_seconds": options.call_seconds, "kata_seconds": options.limits.cpu_seconds,
            "katas": [{"id": kata.id, "title": kata.title, "function": b.function.function, "inputs": b.inputs_text()}
                      for kata, b in chosen],
            "graded_in": str(options.grades or Path(options.out) / "grades"),
            "torch": torch.__version__, "device": "cpu", "machine": f"{platform.machine()}, {platform.processor()}",
            "seconds": round(seconds, 1), "created": time.strftime("%Y-%m-%d %H:%M:%S")}
