"""One grading run's resources, shared by ``kata grade`` and ``kata bench``: the submissions, staged
once into a folder of this process's own; the fork server, started when there is work for it (or
handed in by a caller who started it early, so that its warm-up overlaps the caller's) — or, with
a Dask scheduler, the cluster whose workers hold the fork servers (``grader.grading.cluster``); and
the clean-up of all of them, however the run ends.

    with GradingSession(paths, jobs=2, limits=limits, katas=ids) as session:
        for submission in session.submissions:
            session.staged(submission)        # the staged folder, or None with session.unreadable
        server = session.fork_server(slots=2) # started at the first call

The probe half of grading a submission is here too, since it runs wherever a slot is — in this
process, or on a cluster's worker: ``probe_submission(slot, staged, student, requests, limits)``
runs its katas one by one, each in a fresh child, on ``KataRequest``s that hold no secret (the
checks' input seeds are drawn by the judge, in the grader's process), and returns what each
kata's child sent (``KataProbes``), unread, for the judges: the frames are read where they are judged.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from grader.core.files import remove_tree
from grader.core.i18n import _
from grader.grading.submissions import Submission, SubmissionError, find_submissions, stage
from grader.sandbox.client import ForkServer, Slot, staging_folder
from grader.sandbox.confine import Limits
from grader.sandbox.protocol import KataReply

if TYPE_CHECKING:
    from grader.grading.cluster import SandboxCluster


@dataclass(frozen=True)
class KataRequest:
    """What the sandbox is told to probe for one kata of a submission: plain data, no secret —
    exactly what a slot's request holds."""

    module: str
    #: (check id, the seed of its inputs), for every check this machine can run.
    checks: tuple[tuple[str, int], ...]
    #: The kata's names (the submission's own code), and those of the katas it builds on.
    symbols: tuple[str, ...]
    required: tuple[str, ...]


@dataclass
class KataProbes:
    """What probing one kata gave: its child's reply, or why it did not run (``blocked``);
    ``time_allowed`` names the CPU time it was allowed, for the judges' messages; ``references``, from
    a cluster's worker: check id → the reference's data on the same inputs (grader.checks.reference)."""

    reply: KataReply | None
    time_allowed: str = ""
    blocked: str | None = None
    references: dict[str, object] = field(default_factory=dict)


def probe_submission(slot: Slot, staged: Path, shown_as: str, requests: list[KataRequest], limits: Limits,
                     budget: float | None = None) -> list[KataProbes]:
    """Every kata of one staged submission, each in a fresh child of ``slot``, in order; ``budget`` CPU
    seconds for them all, if set. A module whose import ran out of time is not imported again."""
    used, blocked_modules, probes = 0.0, {}, []
    for request in requests:
        left = None if budget is None else budget - used
        if left is not None and left <= 0:
            probes.append(KataProbes(None, blocked=_(
                "not run: the submission's {budget:g} s of CPU time were used up by the katas before it").format(
                    budget=budget)))
            continue
        if request.module in blocked_modules:
            probes.append(KataProbes(None, blocked=blocked_modules[request.module]))
            continue
        kata_limits, time_allowed = _kata_time(limits, budget, left)
        reply = slot.relay_kata(staged, request.module, list(request.checks), shown_as, kata_limits,
                                symbols=request.symbols, required=request.required)
        used += reply.cpu_seconds
        if reply.ending in ("timeout", "hang") and not reply.run().imported:  # frames read only then
            if reply.ending == "timeout":
                # Translators: {time_allowed} is a CPU time limit such as "the kata's 60 s" (translated on its own)
                blocked = _("importing {module}.py used more than {time_allowed} of CPU time "
                            "(an endless loop at import?)").format(module=request.module, time_allowed=time_allowed)
            else:
                blocked = _("importing {module}.py did not finish within {seconds:.0f} s "
                            "(an endless loop at import?)").format(module=request.module, seconds=reply.seconds)
            blocked_modules[request.module] = blocked
            probes.append(KataProbes(None, blocked=blocked_modules[request.module]))
            continue
        probes.append(KataProbes(reply, time_allowed))
    return probes


def _kata_time(limits: Limits, budget: float | None, left: float | None) -> tuple[Limits, str]:
    """The next kata's limits and their CPU time in words: the kata's own, or less when less is left
    of the submission's ``budget``."""
    if left is None or left >= limits.cpu_seconds:
        # Translators: a CPU time limit, shown in "your code used more than {time_allowed} of CPU time"
        return limits, _("the kata's {seconds:g} s").format(seconds=limits.cpu_seconds)
    # Translators: a CPU time limit, shown in "your code used more than {time_allowed} of CPU time"
    return replace(limits, cpu_seconds=left), _("the {left:.1f} s left of the submission's {budget:g} s").format(
        left=left, budget=budget)


class GradingSession:
    """Submissions staged once, a fork server (or a cluster) on demand, everything removed on exit."""

    def __init__(self, paths: list[str | Path], *, jobs: int, limits: Limits, katas: list[str] | None,
                 server: ForkServer | None = None, scheduler: str | None = None,
                 cluster: SandboxCluster | None = None):
        """``scheduler``: grade on a Dask cluster (``tcp://HOST:PORT``, or ``local:N``, a worker of N
        slots in this process) instead of a fork server of this process; ``cluster``: one the caller started early."""
        self.submissions: list[Submission] = find_submissions(paths)
        self.jobs, self.limits, self.katas = max(jobs, 1), limits, katas
        self._server, self._own_server = server, False
        self.scheduler, self._cluster, self._own_cluster = scheduler, cluster, False
        self.staging = staging_folder()
        #: Student → digest of the staged files; student → why the submission could not be staged.
        self.digests: dict[str, str] = {}
        self.unreadable: dict[str, str] = {}
        try:
            for submission in self.submissions:
                try:
                    self.digests[submission.student] = stage(submission, self.staging / submission.student)
                except SubmissionError as exc:
                    self.unreadable[submission.student] = str(exc)
                except Exception as exc:  # a fault of the grader's: this submission only, never the batch
                    remove_tree(self.staging / submission.student)
                    self.unreadable[submission.student] = _(
                        "{student}: {source} could not be staged ({error_type}: {error}); this is a fault of the "
                        "grader, not of the submission: please report it").format(
                            student=submission.student, source=submission.source.name,
                            error_type=type(exc).__name__, error=exc)
        except BaseException:
            self.close()
            raise

    def staged(self, submission: Submission) -> Path | None:
        """The submission's staged folder (None when it could not be staged: see ``unreadable``)."""
        return self.staging / submission.student if submission.student in self.digests else None

    def fork_server(self, slots: int) -> ForkServer:
        """The fork server: the caller's, or one with ``slots`` job slots (at most ``jobs``), started now."""
        if self._server is None:
            self._server = ForkServer(min(self.jobs, max(slots, 1)), self.limits, self.katas)
            self._own_server = True
        return self._server

    @property
    def distributed(self) -> bool:
        """Whether this session grades on a Dask cluster rather than a fork server of its own."""
        return self._cluster is not None or self.scheduler is not None

    def cluster(self) -> SandboxCluster:
        """The cluster: the caller's, or one on ``scheduler``, connected now (its workers warm up)."""
        if self._cluster is None:
            from grader.grading.cluster import SandboxCluster  # distributed: only for a run that uses it

            self._cluster = SandboxCluster(self.scheduler, katas=self.katas)
            self._own_cluster = True
        return self._cluster

    def close(self) -> None:
        try:
            if self._own_server:
                self._server.close()
        finally:
            try:
                if self._own_cluster:
                    self._cluster.close()
            finally:
                remove_tree(self.staging)

    def __enter__(self) -> GradingSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
