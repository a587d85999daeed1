"""The ``kata`` command: progress, checks with diagnosis, hints, watch mode, reset, solutions.

    kata status                  progress over every kata, in order
    kata check [KATA]            run one kata (default: the next unfinished one) and explain failures
    kata hint KATA               the next hint for a kata (the hints seen are remembered)
    kata watch [KATA]            re-check on every save
    kata reset KATA              restore a kata's stub (your file is backed up first)
    kata solution KATA           the reference solution, once your kata passes
    kata bench SUBMISSION...     time the corr2d family of passing katas; an HTML/Markdown report
    kata grade [SUBMISSION...]   grade submissions in a sandbox (default: your exercises)
    kata grade --nbgrader DIR A  grade an nbgrader course's submissions of assignment A in the sandbox
    kata train MODEL             train vgg, nin, googlenet, resnet18 or lenet-bn as d2l does
    kata gradescope build        the autograder zip to upload to Gradescope
    kata nbgrader build DIR      an nbgrader course: a notebook per d2l section, autograded by the checks
    kata dev ACTION              for developers of convkata: exercises, examples, mutation-score

The learner's commands and ``kata train`` take ``--impl exercises|solutions|FOLDER`` (default:
exercises, or $KATA_IMPL). Output is plain text when not on a terminal and uses rich when it is.
"""
from __future__ import annotations

import argparse
import os
import sys

from grader.cli import bench, courses, dev, grade, learner, train
from grader.cli.common import UsageProblem
from grader.core.manifest import ManifestError

#: The command groups, in the order of ``kata --help``.
GROUPS = (learner, train, grade, bench, courses, dev)


def build_parser() -> argparse.ArgumentParser:
    """The ``kata`` parser: every group's commands, the command list as its epilog."""
    parser = argparse.ArgumentParser(prog="kata", description="convkata: katas for d2l's convolution chapters",
                                     epilog=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``kata`` with ``argv`` (default: sys.argv); its exit status (2 for a usage problem)."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (UsageProblem, ManifestError) as exc:
        print(f"kata {args.command}: {exc}", file=sys.stderr)
        return 2


def run() -> None:
    """The ``kata`` console script: ``main``, then exit without tearing torch down. A finished command
    has written and closed what it writes, and unloading torch's modules at exit takes half a second
    or more of a learner's ``kata check``."""
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    if "torch" in sys.modules:
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    run()
