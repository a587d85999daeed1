"""One grading run's resources, shared by ``kata grade`` and ``kata bench``: the submissions, staged
once into a folder of this process's own; the fork server, started when there is work for it (or
handed in by a caller who started it early, so that its warm-up overlaps the caller's); and the
clean-up of both, however the run ends.

    with GradingSession(paths, jobs=2, limits=limits, katas=ids) as session:
        for submission in session.submissions:
            session.staged(submission)        # the staged folder, or None with session.unreadable
        server = session.fork_server(slots=2) # started at the first call
"""
from __future__ import annotations

from pathlib import Path

from grader.core.files import remove_tree
from grader.grading.submissions import Submission, SubmissionError, find_submissions, stage
from grader.sandbox.client import ForkServer, staging_folder
from grader.sandbox.confine import Limits


class GradingSession:
    """Submissions staged once, a fork server on demand, everything removed on exit."""

    def __init__(self, paths: list[str | Path], *, jobs: int, limits: Limits, katas: list[str] | None,
                 server: ForkServer | None = None):
        self.submissions: list[Submission] = find_submissions(paths)
        self.jobs, self.limits, self.katas = max(jobs, 1), limits, katas
        self._server, self._own_server = server, False
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
                    self.unreadable[submission.student] = (
                        f"{submission.student}: {submission.source.name} could not be staged ({type(exc).__name__}: "
                        f"{exc}); this is a fault of the grader, not of the submission: please report it")
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

    def close(self) -> None:
        try:
            if self._own_server:
                self._server.close()
        finally:
            remove_tree(self.staging)

    def __enter__(self) -> GradingSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
