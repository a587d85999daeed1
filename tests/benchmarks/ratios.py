"""The README's corr2d tables from a saved benchmark run: for one kernel and device, each image
side's time per variant and the speed-up of F.conv2d and unfold over the reference (the
reference's time ÷ theirs, as in ``kata bench``'s report: above 1×, they are faster); with
--by-kernel, F.conv2d's speed-up for several kernels.

    .venv/bin/python -m tests.benchmarks.ratios RUN.json [--kernel 3 | --by-kernel 2 3 5 7]
                                                          [--device cpu] [--stat min]

RUN.json is what ``pytest tests/benchmarks/test_corr2d.py --benchmark-only --benchmark-json=RUN.json``
(or ``pytest-benchmark``'s saved runs) holds.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from grader.bench.report import duration, significant

from .workloads import CORR2D_VARIANTS

BASELINE = "reference"
COMPARED = ("F.conv2d", "unfold")
TITLES = {"seed_loop": "d2l's loop", "impl": "--impl"}


def corr2d_times(run: dict, kernel: int, device: str, stat: str) -> dict[int, dict[str, float]]:
    """{image side: {variant: seconds}} for the corr2d benchmarks of ``kernel`` on ``device``."""
    times: dict[int, dict[str, float]] = {}
    for bench in run["benchmarks"]:
        params = bench.get("params") or {}
        if bench["name"].startswith("test_corr2d[") and params.get("kernel") == kernel and params.get("device") == device:
            times.setdefault(params["size"], {})[params["variant"]] = bench["stats"][stat]
    return dict(sorted(times.items()))


def markdown_table(times: dict[int, dict[str, float]]) -> str:
    variants = [v for v in CORR2D_VARIANTS if any(v in row for row in times.values())]
    compared = [v for v in COMPARED if v in variants]
    header = ["image", *(TITLES.get(v, v) for v in variants), *(f"{v}'s speed-up" for v in compared)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for size, row in times.items():
        cells = [f"{size}²", *(duration(row[v]) if v in row else "—" for v in variants)]
        cells += [speedup(row[BASELINE], row[v]) if v in row and BASELINE in row else "—" for v in compared]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def speedup(reference: float, other: float) -> str:
    """``other``'s speed-up over ``reference`` (their times), to two significant figures."""
    return f"{significant(reference / other, 2)}×"


def kernel_table(run: dict, kernels: list[int], device: str, stat: str) -> str:
    """F.conv2d's speed-up over the reference, per image side (rows) and kernel side (columns)."""
    ratios = {kernel: {size: speedup(row[BASELINE], row["F.conv2d"])
                       for size, row in corr2d_times(run, kernel, device, stat).items()
                       if "F.conv2d" in row and BASELINE in row} for kernel in kernels}
    sizes = sorted({size for by_size in ratios.values() for size in by_size})
    lines = ["| image | " + " | ".join(f"{k}×{k}" for k in kernels) + " |", "|" + "---|" * (len(kernels) + 1)]
    for size in sizes:
        lines.append(f"| {size}² | " + " | ".join(ratios[k].get(size, "—") for k in kernels) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a pytest-benchmark JSON file")
    parser.add_argument("--kernel", type=int, default=3, help="the kernel's side (default 3)")
    parser.add_argument("--by-kernel", type=int, nargs="+", metavar="SIDE",
                        help="instead: F.conv2d's speed-up over the reference for these kernel sides, one column each")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--stat", default="min", help="min, median, mean… of each benchmark's rounds (default min)")
    args = parser.parse_args(argv)
    run = json.loads(args.run.read_text(encoding="utf-8"))
    kernels = args.by_kernel or [args.kernel]
    missing = [k for k in kernels if not corr2d_times(run, k, args.device, args.stat)]
    if missing:
        parser.exit(1, f"no corr2d benchmarks with kernel side {missing[0]} on {args.device} in {args.run}\n")
    print(f"corr2d on {args.device}, {args.stat} of the rounds; torch {run['machine_info'].get('torch')}, "
          f"{run['machine_info'].get('torch_threads')} thread(s)\n")
    if args.by_kernel:
        print(f"F.conv2d's speed-up over the {BASELINE}:\n")
        print(kernel_table(run, kernels, args.device, args.stat))
    else:
        print(f"{args.kernel}×{args.kernel} kernel:\n")
        print(markdown_table(corr2d_times(run, args.kernel, args.device, args.stat)))


if __name__ == "__main__":
    main()
