"""Grading on a Dask cluster beside grading on this machine, and a simulated class through the cluster.

    .venv/bin/python bench/cluster_throughput.py table [--one 120] [--full 6] [--repeat 1] [--json PATH]
    .venv/bin/python bench/cluster_throughput.py class [--n 2000] [--workers 2 | --scheduler ADDRESS]
                                                       [--katas IDS] [--db URL] [--json PATH]

``table`` runs ``kata grade`` as a learner's instructor would — a fresh process, start-up included —
on copies of the sample class's complete submission (``examples/class/alice``): ``--one`` of them
on the ``corr2d`` kata alone, ``--full`` on all 22 katas (the convergence checks included), each
with ``-j 1``, ``-j 2``, ``--scheduler local:1`` and ``--scheduler local:2``. For each it reports the
wall clock of the whole command and the steady rate (submissions a minute between the first
record and the last, read from the command's lines as they come).

``class`` grades a simulated class of ``--n`` submissions — the sample class's four (complete,
partial, five mistakes, hostile) in turn, under ids of their own — through the cluster path, in
this process, on ``--workers`` worker processes of one thread each started here (or the cluster of
``--scheduler``), computing the reference's data as workers of other machines do, and
measures what stays serial on the grading machine: staging the submissions,
judging each one's probe data (the reference's data on its inputs included), and committing it
(its record, its Gradescope file, the class CSV, the gradebook). It checks every student got the
points of the submission they copy.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grader.core.manifest import load_manifest  # noqa: E402

CLASS = REPO / "examples" / "class"
KINDS = ("alice", "bob", "carol", "mallory")
#: The katas of the sample class's quick run: every mistake of carol's and mallory's forgeries show in them.
SIX_KATAS = "corr2d,conv2d_module,pool2d,vgg_block,batch_norm,residual"
RUNNERS = {"-j 1": ["-j", "1"], "-j 2": ["-j", "2"], "local:1": ["--scheduler", "local:1"],
           "local:2": ["--scheduler", "local:2"]}
GRADED_LINE = re.compile(r"^\s+(\S+): [\d.]+/\d+ in [\d.]+ s$")


def copies(target: Path, n: int, kinds: tuple[str, ...]) -> list[Path]:
    """``n`` submissions under ``target``: the sample class's ``kinds`` in turn, as s0001-alice, …"""
    target.mkdir(parents=True)
    made = []
    for number in range(n):
        kind = kinds[number % len(kinds)]
        folder = target / f"s{number + 1:04d}-{kind}"
        shutil.copytree(CLASS / kind, folder)
        made.append(folder)
    return made


def timed_grade(submissions: list[Path], out: Path, runner: list[str], katas: str | None) -> dict:
    """``kata grade`` in a fresh process: its wall clock, and when each submission's line came."""
    command = [str(REPO / ".venv" / "bin" / "kata"), "grade", *map(str, submissions), "--out", str(out),
               "--no-gradebook", "--seed", "0", *runner, *(["--katas", katas] if katas else [])]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    finished, lines = [], []
    for line in process.stdout:
        lines.append(line)
        if GRADED_LINE.match(line):
            finished.append(time.monotonic() - started)
    if process.wait() != 0:
        raise SystemExit(f"kata grade {' '.join(runner)} failed (status {process.returncode}):\n{''.join(lines[-20:])}")
    wall = time.monotonic() - started
    steady = (len(finished) - 1) / (finished[-1] - finished[0]) * 60 if len(finished) > 1 else None
    return {"wall_s": round(wall, 2), "first_s": round(finished[0], 2), "per_minute": round(len(submissions) / wall * 60, 1),
            "steady_per_minute": None if steady is None else round(steady, 1), "graded": len(finished)}


def table(args: argparse.Namespace, work: Path) -> dict:
    """Every runner on the one-kata and the full workload, interleaved ``--repeat`` times."""
    workloads = {name: (copies(work / folder, n, ("alice",)), katas)
                 for name, folder, n, katas in (("one kata (corr2d)", "one", args.one, "corr2d"),
                                                ("full (22 katas)", "full", args.full, None)) if n > 0}
    rows: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for repeat in range(args.repeat):
        for workload, (submissions, katas) in workloads.items():
            for name in args.runners.split(","):
                runner = RUNNERS[name]
                out = work / f"out-{repeat}-{len(rows[workload])}-{name.replace(' ', '')}"
                row = timed_grade(submissions, out, runner, katas)
                rows[workload][name].append(row)
                print(f"{workload:18} {name:8} n={len(submissions):4} wall {row['wall_s']:7.1f} s  "
                      f"first {row['first_s']:5.1f} s  {row['per_minute']:6.1f}/min  "
                      f"steady {row['steady_per_minute']}/min", flush=True)
    return {"kind": "table", "one": args.one, "full": args.full, "rows": {w: dict(r) for w, r in rows.items()}}


class Stopwatch:
    """Seconds spent in named parts of this process, however often each is entered."""

    def __init__(self):
        self.calls: dict[str, list[float]] = defaultdict(list)

    def wrap(self, owner, attribute: str, name: str) -> None:
        """Time every call of ``owner.attribute`` as ``name``."""
        original = getattr(owner, attribute)

        def timed(*args, **kwargs):
            with self.part(name):
                return original(*args, **kwargs)

        setattr(owner, attribute, timed)

    @contextmanager
    def part(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.calls[name].append(time.perf_counter() - started)


def simulated_class(args: argparse.Namespace, work: Path) -> dict:
    """Grade ``--n`` simulated submissions through ``--scheduler``; the serial parts, measured."""
    from grader.checks import runner
    from grader.grading import batch, cluster, gradebook, session, store

    made = time.monotonic()
    submissions = copies(work / "class", args.n, KINDS)
    watch = Stopwatch()
    watch.wrap(session.GradingSession, "__init__", "staging")
    judged: list[str] = []  # the students in the order judged
    judge = batch._judged
    batch._judged = lambda *args, **kwargs: judged.append(args[1].student) or judge(*args, **kwargs)
    watch.wrap(batch, "_judged", "judging")
    reference_data = runner.ReferenceJudge.reference_data

    def timed_reference_data(self, check, *args):
        with watch.part("judging: the reference's data" + (" (convergence runs, once a run)" if check.trains else "")):
            return reference_data(self, check, *args)

    runner.ReferenceJudge.reference_data = timed_reference_data
    watch.wrap(store.ResultStore, "commit", "commit")
    watch.wrap(store, "class_csv", "class CSV")
    watch.wrap(store, "gradescope_results", "Gradescope file")
    watch.wrap(gradebook.Gradebook, "_write_reconnecting", "gradebook (its own thread)")
    watch.wrap(gradebook.Gradebook, "close", "gradebook's last writes")
    watch.wrap(store, "atomic_write", "files written")
    finished: list[float] = []
    worker_seconds: list[float] = []
    probe = cluster.SandboxCluster.probe

    def probe_counting(self, *a, **k):
        for key, probes, seconds in probe(self, *a, **k):
            worker_seconds.append(seconds)
            yield key, probes, seconds

    cluster.SandboxCluster.probe = probe_counting
    options = batch.GradeOptions(out=work / "out", db_url=args.db, gradebook=not args.no_gradebook,
                                 katas=args.katas.split(","), seed=0, scheduler=args.scheduler)
    progress = batch.Progress(finished=lambda record, skipped: finished.append(time.monotonic()))
    started = time.monotonic()
    with ExitStack() as stack:
        if args.scheduler is None:  # as workers of other machines: processes of their own, one slot each
            options.scheduler = stack.enter_context(cluster.loopback_cluster(args.workers, 1)).scheduler_address
        workers = stack.enter_context(cluster.SandboxCluster(options.scheduler, katas=options.katas, references=True))
        records = batch.grade_batch(submissions, options, progress, cluster=workers)
    wall = time.monotonic() - started
    outcomes = _outcomes(records)
    graded = len(records)
    return {"kind": "class", "n": graded, "katas": args.katas,
            "scheduler": args.scheduler or f"{args.workers} worker processes of one thread here",
            "gradebook": None if args.no_gradebook else (args.db or "sqlite"), "copying_s": round(started - made, 1),
            "wall_s": round(wall, 1), "first_record_s": round(finished[0] - started, 1),
            "steady_per_minute": round((graded - 1) / (finished[-1] - finished[0]) * 60, 1),
            "worker_s_per_submission": {kind: round(statistics.mean(  # probed and judged in the same order
                s for s, student in zip(worker_seconds, judged) if student.endswith(kind)), 3) for kind in KINDS},
            "worker_s_per_submission_all": round(statistics.mean(worker_seconds), 3),
            "serial_ms_per_submission": {name: round(sum(calls) / graded * 1000, 2) for name, calls in watch.calls.items()},
            "median_ms_per_call": {name: round(statistics.median(calls) * 1000, 2) for name, calls in watch.calls.items()},
            "judging_ms_by_kind": {kind: round(statistics.median(
                c for c, r in zip(watch.calls["judging"], judged) if r.endswith(kind)) * 1000, 1) for kind in KINDS},
            "katas_passed": outcomes}


def _outcomes(records) -> dict[str, list[str]]:
    """The katas each kind of submission passes, which every copy of it must pass (its points may
    differ: each student's checks draw inputs of their own, and a mistake can go unseen on some)."""
    passed: dict[str, list[str]] = {}
    for record in records:
        kind, katas = record.student.split("-", 1)[1], [k.id for k in record.katas if k.status == "passed"]
        if passed.setdefault(kind, katas) != katas:
            raise SystemExit(f"{record.student} passes {katas}, other copies of {kind} pass {passed[kind]}")
    return passed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    table_args = commands.add_parser("table", help="kata grade -j 1/-j 2 beside --scheduler local:1/local:2")
    table_args.add_argument("--one", type=int, default=120, help="submissions graded on corr2d alone (0: none)")
    table_args.add_argument("--full", type=int, default=6, help="submissions graded on every kata (0: none)")
    table_args.add_argument("--repeat", type=int, default=1, help="run every configuration this many times")
    table_args.add_argument("--runners", default=",".join(RUNNERS), help=f"which, in turn (of {', '.join(RUNNERS)})")
    class_args = commands.add_parser("class", help="a simulated class through the cluster path")
    class_args.add_argument("--n", type=int, default=2000)
    where = class_args.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=2, help="worker processes of one thread to start here")
    where.add_argument("--scheduler", default=None, help="a running cluster's (instead of --workers)")
    class_args.add_argument("--katas", default=SIX_KATAS)
    class_args.add_argument("--db", default=None, help="the gradebook's URL (default: SQLite in the output folder)")
    class_args.add_argument("--no-gradebook", action="store_true")
    for sub in (table_args, class_args):
        sub.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
        sub.add_argument("--workdir", type=Path, default=None, help="keep the submissions and outputs here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_manifest()
    with tempfile.TemporaryDirectory(prefix="convkata-bench-") as temporary:
        work = args.workdir or Path(temporary)
        figures = table(args, work) if args.command == "table" else simulated_class(args, work)
    print(json.dumps(figures, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
