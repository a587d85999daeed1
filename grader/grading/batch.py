"""Grade many submissions: probes in sandboxed workers, judges here, results committed one by one.

    grade_batch(paths, GradeOptions(out=...)) -> list of SubmissionRecords (grader.grading.records)

One fork server with a slot per job (grader.sandbox.client.ForkServer); each slot grades whole
submissions, kata by kata, and this process judges the probe data against the reference's, on
inputs drawn from a secret seed for the run. A submission that is already graded (same files, same
katas) is skipped unless ``force``; each finished submission is committed before the next one is
reported.

With ``GradeOptions.scheduler`` the slots are a Dask cluster's (grader.grading.cluster): each
submission is probed by a worker's fork server, with the same requests, and judged and committed
here by the same functions (``_requests``, ``grader.grading.session.probe_submission``, ``_judged``).
"""
from __future__ import annotations

import hmac
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from grader.checks import checks_of_kata
from grader.checks.runner import KataResult, ReferenceJudge
from grader.core.i18n import _
from grader.core.manifest import Kata, load_manifest
from grader.core.text import clip
from grader.grading.records import SubmissionRecord
from grader.grading.session import GradingSession, KataProbes, KataRequest, probe_submission
from grader.grading.store import ResultStore
from grader.grading.submissions import Submission
from grader.sandbox.client import ForkServer, SandboxError, Slot
from grader.sandbox.confine import Limits
from grader.sandbox.protocol import KataRun

if TYPE_CHECKING:
    from grader.grading.cluster import SandboxCluster


@dataclass
class GradeOptions:
    """What ``kata grade`` was asked for (see its --help)."""

    out: Path
    db_url: str | None = None
    assignment: str = "convkata"
    gradebook: bool = True
    jobs: int = 2
    limits: Limits = field(default_factory=Limits)
    #: Wall-clock seconds for all of a submission's katas together (None: only each kata's limit).
    submission_seconds: float | None = None
    katas: list[str] | None = None
    force: bool = False
    seed: int | None = None
    #: Student → the seed their submission is graded on, instead of one derived from ``seed``
    #: (nbgrader courses: derived from the course's grading secret, as nbgrader autograde derives it).
    submission_seeds: dict[str, int] | None = None
    #: How a failure tells the student to rerun on the run's seed (a template of ``{seed}``).
    rerun: str = "--seed={seed}"
    #: A Dask scheduler to probe on instead of this machine's fork server: ``tcp://HOST:PORT`` (a
    #: running scheduler), or ``local:N`` (a worker of N job slots in this process, started for the run).
    scheduler: str | None = None


@dataclass
class Progress:
    """Callbacks the command line turns into a progress bar or log lines."""

    started: Callable[[int, int], None] = lambda to_grade, skipped: None
    finished: Callable[[SubmissionRecord, bool], None] = lambda record, skipped: None


class KataRunJudge:
    """Turns a kata's sandbox run into check results, against the reference's data. Each
    submission is judged on inputs of its own seed (``submission_seed``): the seed a failure
    shows reproduces that student's inputs, and no other submission's."""

    def __init__(self, seed: int, rerun: str = "--seed={seed}", submission_seeds: dict[str, int] | None = None):
        self.judge = ReferenceJudge(seed, rerun=rerun)
        self.submission_seeds = submission_seeds or {}
        self.lock = threading.Lock()

    @property
    def seed(self) -> int:
        """The run's secret seed (the reference judge's), never shown."""
        return self.judge.seed

    def submission_seed(self, student: str, digest: str) -> int:
        """The seed of one submission's inputs: a keyed hash of the run's seed, the student and
        the files, so a resubmission gets new inputs and one student's seed tells nothing of another's."""
        if student in self.submission_seeds:
            return self.submission_seeds[student]
        key = self.seed.to_bytes(8, "big", signed=True)
        return int.from_bytes(hmac.digest(key, f"{student}\0{digest}".encode(), "sha256")[:4], "big") & 0x7FFFFFFF

    def kata_result(self, kata: Kata, run: KataRun | None, seed: int, *, time_allowed: str = "",
                    blocked: str | None = None, references: dict | None = None) -> KataResult:
        """The verdicts on ``run``'s probes, on the inputs of ``seed`` (the submission's);
        ``time_allowed`` names its CPU time limit ("the kata's 30 s"). Without a run, every check
        fails with ``blocked``. ``references``: check id → the reference's data on the same inputs,
        computed by the cluster's worker that probed the run (what is missing is computed here)."""
        probed = run.probed() if run else {}
        results, unfinished = [], blocked
        for check in checks_of_kata(kata.id):
            if not check.runnable:
                results.append(self.judge.skipped(check))
            elif isinstance(probed.get(check.id), dict):
                with self.lock:  # reference data is computed once, by one thread
                    results.append(self.judge.verdict(check, kata.module, probed[check.id], seed,
                                                      (references or {}).get(check.id)))
            else:
                unfinished = unfinished or self.ending(run, time_allowed)
                results.append(self.judge.failure(check, unfinished, (), seed))
                unfinished = blocked or _("not run: an earlier check of this kata did not finish")
        return KataResult(kata, results)

    @staticmethod
    def ending(run: KataRun, time_allowed: str) -> str:
        """Why a run brought no data for a check, in the learner's terms."""
        if run.ending == "timeout":
            # Translators: {time_allowed} is a CPU time limit such as "the kata's 60 s" or
            # "the 1.5 s left of the submission's 10 s" (translated on its own)
            return _("your code used more than {time_allowed} of CPU time "
                     "(an endless loop, or far too slow)").format(time_allowed=time_allowed)
        if run.ending == "hang":
            return _("your code did not finish within {seconds:.0f} s while hardly computing "
                     "(waiting or sleeping forever?)").format(seconds=run.seconds)
        if run.ending == "output_limit":
            return _("your code produced far more data than this check needs")
        if run.ending == "refused":
            return _("the process running your code sent data the grader refuses to read (forged or damaged)")
        if run.ending == "sandbox_error":
            return _("the grader's sandbox failed while running this kata (a problem of the grader, not of your "
                     "code: tell your instructor)")
        status = run.exit_status
        if status is not None and status < 0:
            return _("the process running your code was killed by signal {signal} during this check — os._exit(), "
                     "a crash, or the memory limit").format(signal=-status)
        return _("the process running your code exited (status {status}) during this check — os._exit(), "
                 "a crash, or the memory limit").format(status=status)

    def checks_to_probe(self, kata: Kata, seed: int) -> list[tuple[str, int]]:
        """(check id, the check's inputs' seed) of every check of ``kata`` this machine can run, for
        a submission's ``seed``."""
        return [(c.id, self.judge.inputs_seed(c, seed)) for c in checks_of_kata(kata.id) if c.runnable]


def _requests(judge: KataRunJudge, katas: list[Kata], seed: int) -> list[KataRequest]:
    """What the sandbox probes for each of ``katas`` of a submission graded on ``seed``: the checks'
    input seeds, drawn here from the secret seed, and the kata's names — no secret."""
    manifest = load_manifest()
    return [KataRequest(kata.module, tuple(judge.checks_to_probe(kata, seed)), tuple(kata.symbols),
                        tuple(manifest.required_symbols(kata.id))) for kata in katas]


def _judged(judge: KataRunJudge, submission: Submission, digest: str, seed: int, katas: list[Kata],
            probes: list[KataProbes], started: float) -> SubmissionRecord:
    """The record of a submission whose katas were probed (``probes``, one per kata, in order), whose
    grading ``started`` at that ``time.monotonic()``."""
    results = [judge.kata_result(kata, probed.reply and probed.reply.run(), seed, time_allowed=probed.time_allowed,
                                 blocked=probed.blocked, references=probed.references)
               for kata, probed in zip(katas, probes, strict=True)]
    return SubmissionRecord.of(submission.student, submission.source, digest, seed, results, time.monotonic() - started)


def _grade_one(slot: Slot, judge: KataRunJudge, submission: Submission, staged: Path, digest: str,
               katas: list[Kata], limits: Limits, budget: float | None = None) -> SubmissionRecord:
    """Every kata of one submission, each in a fresh child; ``budget`` CPU seconds for them all, if set."""
    started = time.monotonic()
    seed = judge.submission_seed(submission.student, digest)
    probes = probe_submission(slot, staged, submission.student, _requests(judge, katas, seed), limits, budget)
    return _judged(judge, submission, digest, seed, katas, probes, started)


def _or_failed(grade: Callable[[], SubmissionRecord], submission: Submission, katas: list[Kata],
               judge: KataRunJudge, digest: str) -> SubmissionRecord:
    """``grade()``'s record; if the judges raise on this submission's data, a record that says so (a
    failure of the sandbox, SandboxError, stops the run instead)."""
    try:
        return grade()
    except SandboxError:
        raise
    except Exception as exc:  # whatever this submission's data did to the judges: it alone fails
        return _failed_record(submission, katas, judge, clip(
            _("the grader could not judge this submission ({error_type}: {error}); its data "
              "broke a judge, which is a grader bug: tell your instructor").format(
                error_type=type(exc).__name__, error=exc), 2000), digest)


def _failed_record(submission: Submission, katas: list[Kata], judge: KataRunJudge, error: str,
                   digest: str = "") -> SubmissionRecord:
    """A submission that could not be graded at all: every check fails with the reason."""
    seed = judge.submission_seed(submission.student, digest)
    results = [judge.kata_result(kata, None, seed, blocked=error) for kata in katas]
    return SubmissionRecord.of(submission.student, submission.source, digest, seed, results, 0.0, error=error)


def grade_batch(paths: list[str | Path], options: GradeOptions, progress: Progress | None = None,
                server: ForkServer | None = None, cluster: SandboxCluster | None = None) -> list[SubmissionRecord]:
    """Grade every submission in ``paths``; return their records in the order given. ``server``: a
    fork server the caller started early (its warm-up then overlaps with the caller's own), else
    one is started here if anything is left to grade; ``cluster``, likewise, for ``options.scheduler``."""
    with GradingSession(paths, jobs=options.jobs, limits=options.limits, katas=options.katas,
                        server=server, scheduler=options.scheduler, cluster=cluster) as session:
        return grade_session(session, options, progress)


def grade_session(session: GradingSession, options: GradeOptions,
                  progress: Progress | None = None) -> list[SubmissionRecord]:
    """Grade a session's staged submissions into ``options.out``; their records in the order given."""
    progress = progress or Progress()
    manifest = load_manifest()
    katas = manifest.select(options.katas)
    store = ResultStore(options.out, manifest, options.db_url, options.assignment, options.gradebook)
    judge = KataRunJudge(options.seed if options.seed is not None else secrets.randbits(63), options.rerun,
                         options.submission_seeds)
    records: dict[str, SubmissionRecord] = {}

    def commit(record: SubmissionRecord, skipped: bool = False) -> None:
        if not skipped:
            store.commit(record)
        records[record.student] = record
        progress.finished(record, skipped)

    try:
        todo, done = _sort_out(session, store, [k.id for k in katas], options.force)
        unreadable = [s for s in session.submissions if s.student in session.unreadable]
        progress.started(len(todo) + len(unreadable), len(done))
        if done:
            store.derive(done)  # repairs what a killed run committed but had not yet derived
        for record in done:
            commit(record, skipped=True)
        for submission in unreadable:
            commit(_failed_record(submission, katas, judge, session.unreadable[submission.student]))
        if todo and session.distributed:
            for record in _grade_on_cluster(session.cluster(), todo, judge, session, katas, options):
                commit(record)
        elif todo:
            server = session.fork_server(slots=len(todo))
            for record in _grade_in_slots(server, todo, judge, session, katas, options):
                commit(record)
    finally:
        store.close()
    return [records[s.student] for s in session.submissions if s.student in records]


def _sort_out(session: GradingSession, store: ResultStore, kata_ids: list[str], force: bool):
    """The staged submissions: (to grade, with digests), (records already done)."""
    todo, done = [], []
    for submission in session.submissions:
        digest = session.digests.get(submission.student)
        if digest is None:
            continue
        earlier = None if force else store.done(submission.student, digest, kata_ids)
        if earlier:
            done.append(earlier)
        else:
            todo.append((submission, digest))
    return todo, done


def _grade_in_slots(server: ForkServer, todo: list[tuple[Submission, str]], judge: KataRunJudge,
                    session: GradingSession, katas: list[Kata], options: GradeOptions):
    """Records of the ``todo`` submissions as the server's job slots finish them (a grader failure is raised)."""
    pending: queue.Queue = queue.Queue()
    for item in todo:
        pending.put(item)
    finished: queue.Queue = queue.Queue()
    threads = [threading.Thread(target=_work_slot, args=(slot, pending, finished, judge, session, katas, options),
                                daemon=True) for slot in server.slots[:len(todo)]]
    for thread in threads:
        thread.start()
    for _done in todo:
        record = finished.get()
        if isinstance(record, BaseException):
            raise record
        yield record
    for thread in threads:
        thread.join()


def _work_slot(slot: Slot, pending: queue.Queue, finished: queue.Queue, judge: KataRunJudge,
               session: GradingSession, katas: list[Kata], options: GradeOptions) -> None:
    """One job slot's thread: grades submissions from ``pending`` until none is left."""
    try:
        while True:
            try:
                submission, digest = pending.get_nowait()
            except queue.Empty:
                return
            finished.put(_or_failed(partial(_grade_one, slot, judge, submission, session.staged(submission), digest,
                                            katas, options.limits, options.submission_seconds),
                                    submission, katas, judge, digest))
    except Exception as exc:  # a failure of the grader itself (SandboxError, …): stop the run, loudly
        finished.put(exc)


def _grade_on_cluster(cluster: SandboxCluster, todo: list[tuple[Submission, str]], judge: KataRunJudge,
                      session: GradingSession, katas: list[Kata], options: GradeOptions) -> Iterator[SubmissionRecord]:
    """Records of the ``todo`` submissions as the cluster's workers finish probing them, judged here: the
    same requests, probes and judges as ``_grade_one``'s, with the probing on a worker (a failure of the
    cluster is raised, after the submissions that were probed are judged)."""
    seeds = [judge.submission_seed(submission.student, digest) for submission, digest in todo]
    jobs = ((index, session.staged(submission), submission.student, _requests(judge, katas, seeds[index]))
            for index, (submission, digest) in enumerate(todo))
    for index, probes, seconds in cluster.probe(jobs, options.limits, options.submission_seconds):
        (submission, digest), seed = todo[index], seeds[index]
        yield _or_failed(partial(_judged, judge, submission, digest, seed, katas, probes, time.monotonic() - seconds),
                         submission, katas, judge, digest)
