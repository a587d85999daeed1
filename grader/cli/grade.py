"""``kata grade``: grade submissions, or an nbgrader course's, in the sandbox."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from grader.cli import options
from grader.cli.common import Output, UsageProblem, add_command, grading_progress, submission_paths
from grader.core.i18n import N_, _
from grader.core.manifest import kata_ids, load_manifest
from grader.core.scoring import Status, kind_label
from grader.grading.gradebook import GradebookError, check_database_url, shown_url
from grader.grading.submissions import SubmissionError, find_submissions
from grader.learner.progress import Verdict, render
from grader.sandbox.client import ForkServer, SandboxError, confinement_report
from grader.sandbox.confine import Limits

# grader.grading.batch and the nbgrader grading import torch (and nbgrader): they are imported once
# the sandbox is warming up, so both load at once, and never at `kata --help` time.

HELP = N_("grade submissions in a sandbox: scores, Gradescope files, CSV, nbgrader gradebook")


def register(commands) -> None:
    """Add ``kata grade`` to ``commands``."""
    grade = add_command(commands, "grade", cmd_grade, _(HELP),
                        (options.seed(), options.katas(), options.sandbox()))
    grade.add_argument("submissions", nargs="*", default=["exercises"], metavar="SUBMISSION",
                       help=_("folders laid out like exercises/ or .zip files of one (default: exercises)"))
    grade.add_argument("--nbgrader", nargs=2, default=None, metavar=("COURSE_DIR", "ASSIGNMENT"),
                       help=_("grade an nbgrader course's submitted notebooks of ASSIGNMENT into its gradebook "
                              "(built with `kata nbgrader build`)"))
    grade.add_argument("--out", default=None,
                       help=_("output folder (default: ./grades; with --nbgrader COURSE_DIR/kata-grades/ASSIGNMENT)"))
    grade.add_argument("--db", default=None, metavar="URL",
                       help=_("nbgrader gradebook as an SQLAlchemy URL (default: sqlite:///OUT/gradebook.db)"))
    grade.add_argument("--assignment", default="convkata",
                       help=_("assignment name in the gradebook (default: convkata)"))
    grade.add_argument("--no-gradebook", action="store_true",
                       help=_("skip nbgrader's gradebook (Gradescope, Classroom: seconds of start-up saved)"))
    grade.add_argument("--submission-timeout", type=float, default=None, metavar="SECONDS",
                       help=_("wall-clock limit for all of a submission's katas together (default: none)"))
    grade.add_argument("--force", action="store_true", help=_("regrade submissions graded before"))
    grade.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help=_("grade on a Dask cluster: tcp://HOST:8786 (a running scheduler; its workers need this "
                              "convkata installed), gateway:NAME (a Dask Gateway cluster; gateway: alone, your only one) "
                              "or local:N (a worker of N job slots in this process); each worker probes in a warm sandbox "
                              "of its own, the judges run here (-j does not apply: a worker thread is a job slot)"))
    grade.add_argument("--verbose", "-v", action="store_true", help=_("print every failing check's diagnosis"))


@dataclass(frozen=True)
class Plan:
    """What one ``kata grade`` grades, with which limits, and where the results go."""

    katas: list[str] | None
    jobs: int
    limits: Limits
    out_dir: Path
    course: tuple[str, str] | None  # (COURSE_DIR, ASSIGNMENT) with --nbgrader
    scheduler: str | None = None  # --scheduler: a Dask scheduler's address, or local:N


def _nbgrader_conflicts(args) -> list[str]:
    """The options ``kata grade --nbgrader`` takes from the course instead."""
    given = {"SUBMISSION": args.submissions != ["exercises"], "--db": args.db is not None,
             "--assignment": args.assignment != "convkata", "--katas": args.katas is not None,
             "--seed": args.seed is not None, "--no-gradebook": args.no_gradebook}
    return [name for name, present in given.items() if present]


def plan(args) -> Plan:
    """The plan of a run; UsageProblem for bad input, before anything starts."""
    limits = options.limits(args)
    katas = kata_ids(args.katas)
    if args.scheduler is not None:
        from grader.grading.cluster import parse_scheduler

        try:
            parse_scheduler(args.scheduler)
        except ValueError as exc:
            raise UsageProblem(str(exc)) from None
    if args.nbgrader:
        conflicts = _nbgrader_conflicts(args)
        if conflicts:
            raise UsageProblem(_("--nbgrader takes the submissions, katas, seed and gradebook from the course; "
                                 "leave out {options}").format(options=", ".join(conflicts)))
        course_dir, assignment = args.nbgrader
        if not Path(course_dir).is_dir():
            raise UsageProblem(_("--nbgrader {course_dir}: no such course folder (make one with `kata nbgrader build`)")
                               .format(course_dir=course_dir))
        out_dir = Path(args.out or Path(course_dir) / "kata-grades" / assignment)
        return Plan(katas, args.jobs, limits, out_dir, (course_dir, assignment), args.scheduler)
    try:
        load_manifest().select(katas)
        find_submissions(submission_paths(args.submissions))
        if args.db is not None:
            check_database_url(args.db)
    except (SubmissionError, ValueError) as exc:
        raise UsageProblem(str(exc)) from None
    return Plan(katas, min(args.jobs, len(args.submissions)), limits, Path(args.out or "grades"), None, args.scheduler)


def _warn_without_landlock(out: Output, sandbox) -> None:
    """Say so when this kernel (or a cluster worker's) cannot keep submissions from reading this user's files."""
    if isinstance(sandbox, ForkServer):
        reports = {"": confinement_report()}
    else:
        reports = sandbox.confinement()
    for where, report in reports.items():
        if not report["landlock_abi"]:
            out.line(_landlock_warning(where, report["root"]), style="yellow")


def _landlock_warning(where: str, root: bool) -> str:
    """The warning for a kernel without Landlock: this machine's (``where`` empty) or a cluster worker's;
    ``root``: whether submissions run as an unprivileged user."""
    if where and root:
        text = _("warning: the worker {worker} runs a kernel with no Landlock (Linux ≥ 5.13): submissions run "
                 "with resource limits as an unprivileged user but can read files this user can read")
    elif where:
        text = _("warning: the worker {worker} runs a kernel with no Landlock (Linux ≥ 5.13): submissions run "
                 "with resource limits but can read files this user can read")
    elif root:
        text = _("warning: this kernel has no Landlock (Linux ≥ 5.13): submissions run with resource limits "
                 "as an unprivileged user but can read files this user can read")
    else:
        text = _("warning: this kernel has no Landlock (Linux ≥ 5.13): submissions run with resource limits "
                 "but can read files this user can read")
    return text.format(worker=where)


def _sandbox(plan: Plan):
    """The warm sandbox, started before the grader imports torch so that both warm up at once: a fork
    server, or with --scheduler the cluster whose workers hold one each."""
    if plan.scheduler is None:
        return ForkServer(max(1, plan.jobs), plan.limits, plan.katas)
    from grader.grading.cluster import SandboxCluster

    return SandboxCluster(plan.scheduler, katas=plan.katas)


def _grade(args, plan: Plan, out: Output, sandbox) -> tuple[list, object | None]:
    """Grade in the warm sandbox: the records, and the nbgrader course graded (None without --nbgrader)."""
    from grader.grading.batch import GradeOptions, grade_batch

    grade_options = GradeOptions(out=plan.out_dir, db_url=args.db, assignment=args.assignment,
                                 gradebook=not args.no_gradebook, jobs=args.jobs, limits=plan.limits,
                                 submission_seconds=args.submission_timeout, katas=plan.katas,
                                 force=args.force, seed=args.seed, scheduler=plan.scheduler)
    server = sandbox if isinstance(sandbox, ForkServer) else None
    cluster = None if server is not None else sandbox
    with grading_progress(out) as progress:
        if plan.course is None:
            return grade_batch(submission_paths(args.submissions), grade_options, progress, server, cluster), None
        from grader.integrations.nbgrader.grading import NbgraderCourse, grade_course

        course = NbgraderCourse(Path(plan.course[0]), plan.course[1])
        return grade_course(course, grade_options, progress, server, cluster), course


def _show_one(records: list, verbose: bool) -> None:
    """The progress table of a single submission (and, verbose, every failing check's diagnosis)."""
    if len(records) != 1:
        return
    results = records[0].kata_results(load_manifest())
    render([Verdict.of(result) for result in results])
    if verbose:
        for result in results:
            for check in result.results:
                if check.status is Status.FAILED:
                    print(f"\n--- {check.check.id} [{kind_label(check.check.kind)}]\n{check.message}")


def _where_results_are(out: Output, args, plan: Plan, course) -> None:
    """The line that says where the results were written, and what comes next."""
    if course is not None:
        out.line(_("results: nbgrader's gradebook ({database}) and {autograded}/; the code graded: {code}; "
                   "next: `nbgrader generate_feedback {assignment}` in the course folder").format(
                     database=shown_url(course.coursedir.db_url),
                     autograded=course.root / course.coursedir.autograded_directory,
                     code=plan.out_dir / "code", assignment=plan.course[1]), style="dim")
        return
    files = {"csv": plan.out_dir / "grades.csv", "gradescope": plan.out_dir / "gradescope"}
    if args.no_gradebook:
        text = _("results: {csv}, {gradescope}/*/results.json").format(**files)
    else:
        text = _("results: {csv}, {gradescope}/*/results.json, gradebook {gradebook}").format(
            **files, gradebook=shown_url(args.db) if args.db else plan.out_dir / "gradebook.db")
    out.line(text, style="dim")


def cmd_grade(args) -> int:
    """kata grade: grade the submissions (or the course) in the sandbox; the table, the class average, the files."""
    out = Output()
    graded = plan(args)
    # the sandbox warms up (imports torch, the checks) while this process does the same
    try:
        sandbox = _sandbox(graded)
    except OSError as exc:  # a scheduler that cannot be reached (distributed raises OSError, TimeoutError)
        if graded.scheduler is None:
            raise
        out.error("kata grade: " + _("cannot reach the scheduler {scheduler}: {error}").format(
            scheduler=graded.scheduler, error=exc))
        return 1
    except SandboxError as exc:  # the cluster's (ClusterError: no such Gateway cluster, …): it says what to do
        if graded.scheduler is None:
            raise
        out.error(f"kata grade: {exc}")
        return 1
    with sandbox:
        _warn_without_landlock(out, sandbox)
        started = time.monotonic()
        try:
            records, course = _grade(args, graded, out, sandbox)
        except (SubmissionError, ValueError) as exc:
            raise UsageProblem(str(exc)) from None
        except GradebookError as exc:
            out.error(f"kata grade: {exc}")
            return 1
        except SandboxError as exc:
            if graded.scheduler is None:
                raise  # a fault of this machine's sandbox: the traceback is the report
            out.error(f"kata grade: {exc}")  # the cluster's (ClusterError): it says what to do
            return 1
    _show_one(records, args.verbose)
    total = sum(r.score for r in records)
    seconds = time.monotonic() - started
    if len(records) > 1:
        out.line(_("graded {count} submission(s) in {seconds:.1f} s, class average {average:.1f}/{max_score}").format(
            count=len(records), seconds=seconds, average=total / len(records), max_score=records[0].max_score))
    else:
        out.line(_("graded {count} submission(s) in {seconds:.1f} s").format(count=len(records), seconds=seconds))
    _where_results_are(out, args, graded, course)
    return 0
