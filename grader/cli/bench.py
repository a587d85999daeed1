"""``kata bench``: time the corr2d family of katas of each submission that passes them, in the sandbox."""
from __future__ import annotations

from pathlib import Path

from grader.cli import options
from grader.cli.common import Output, UsageProblem, add_command, grading_progress, submission_paths
from grader.core.i18n import N_, _
from grader.core.manifest import kata_ids, load_manifest
from grader.grading.submissions import SubmissionError, find_submissions
from grader.sandbox.client import ForkServer

# grader.bench imports torch (the sweeps) and matplotlib (the report): imported when the command
# runs, never at `kata --help` time.

HELP = N_("time the corr2d family of katas of each submission that passes them, "
          "beside the reference and F.conv2d, in the sandbox; write an HTML and Markdown report")


def register(commands) -> None:
    """Add ``kata bench`` to ``commands``."""
    timeout_help = _("wall-clock limit per kata, for grading and for each sweep (default: 60)")
    katas_help = _("comma-separated kata ids to grade (default: every kata); those of the family are timed")
    bench = add_command(commands, "bench", cmd_bench, _(HELP),
                        (options.seed(), options.katas(katas_help), options.sandbox(timeout_help)))
    bench.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                       help=_("folders laid out like exercises/ or .zip files of one"))
    bench.add_argument("--out", default="bench-report", help=_("output folder (default: ./bench-report)"))
    bench.add_argument("--sizes", default=None, metavar="SIDES",
                       help=_("image sides n (n×n images), comma-separated (default: 32,64,…,2048)"))
    bench.add_argument("--rounds", type=int, default=6,
                       help=_("interleaved timing rounds per side (default: 6, every order of the three contenders "
                              "once)"))
    bench.add_argument("--call-seconds", type=float, default=1.0, metavar="SECONDS",
                       help=_("a sweep stops after a side where one call took longer (default: 1)"))
    bench.add_argument("--grades", default=None, metavar="DIR",
                       help=_("take the grades from an earlier `kata grade --out DIR` (default: grade into "
                              "OUT/grades)"))


def bench_options(args):
    """The sweep's BenchOptions; UsageProblem for bad input, before the sandbox starts."""
    from grader.bench.sweep import DEFAULT_SIDES, BenchOptions, benchmarked_katas, parse_sides

    katas = kata_ids(args.katas)
    try:
        benchmarked_katas(load_manifest().select(katas))
        find_submissions(submission_paths(args.submissions))
        return BenchOptions(out=Path(args.out), sides=parse_sides(args.sizes) if args.sizes else DEFAULT_SIDES,
                            rounds=args.rounds, katas=katas,
                            grades=Path(args.grades) if args.grades else None, jobs=args.jobs,
                            limits=options.limits(args),
                            call_seconds=args.call_seconds, seed=args.seed)
    except (SubmissionError, ValueError) as exc:
        raise UsageProblem(str(exc)) from None


def _timed_line(out: Output):
    """``on_submission(student, timings)``: a line per submission timed, its speed-up over the reference."""
    from grader.bench.report import speedup_at

    def timed_line(student, timings):
        # Translators: {speedup} is a factor such as "2.0×", {side}² an image of side × side pixels
        parts = [_("{kata} {speedup} the reference's speed at {side}²").format(
                     kata=kata, speedup=speedup_at(t, "submission", t["sides"][-1])[1], side=t["sides"][-1])
                 if t["benchmarked"] else _("{kata} not timed").format(kata=kata) for kata, t in timings.items()]
        out.line(f"  {student}: {'; '.join(parts)}")
    return timed_line


def cmd_bench(args) -> int:
    """kata bench: grade, time the passing katas of the family, write the report."""
    out = Output()
    bench = bench_options(args)
    with ForkServer(max(1, min(args.jobs, len(args.submissions))), bench.limits, bench.katas) as server:
        from grader.bench.report import write_report
        from grader.bench.sweep import bench_batch

        try:
            with grading_progress(out) as progress:
                summary = bench_batch(submission_paths(args.submissions), bench, server, progress, _timed_line(out))
        except (SubmissionError, ValueError) as exc:
            raise UsageProblem(str(exc)) from None
    files = write_report(summary, bench.out)
    out.line(_("report: {html}, {markdown}; raw data: {data}").format(
        html=files["report.html"], markdown=files["report.md"], data=bench.out / "bench.json"))
    return 0
