"""The ``kata`` command.

    kata grade [IMPL] [--seed N] [--verbose]   score an implementation kata by kata (default: exercises)
"""
from __future__ import annotations

import argparse
import random
import sys

from .implementation import load_implementation
from .manifest import ManifestError, load_manifest
from .paths import resolve_impl
from .report import render
from .runner import Runner, Status


def cmd_grade(args) -> int:
    root = resolve_impl(args.impl)
    if not root.is_dir():
        print(f"kata grade: {root} is not a folder; give exercises, solutions, or a folder laid out like "
              "exercises/", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    runner = Runner(load_implementation(root), seed)
    results = runner.run_all(load_manifest())
    render(results)
    if args.verbose:
        for result in results:
            for check in result.results:
                if check.status is Status.FAILED:
                    print(f"\n--- {check.check.id} [{check.check.kind}]\n{check.message}")
    print(f"(implementation {root}, seed {seed})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kata", description="convkata: katas for d2l's convolution chapters")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="score an implementation kata by kata")
    grade.add_argument("impl", nargs="?", default="exercises",
                       help="exercises (default), solutions, or a folder laid out like exercises/")
    grade.add_argument("--seed", type=int, default=None, help="seed for the generated inputs (default: random)")
    grade.add_argument("--verbose", "-v", action="store_true", help="print every failing check's diagnosis")
    grade.set_defaults(handler=cmd_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ManifestError as exc:
        print(f"kata: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
