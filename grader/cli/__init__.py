"""The ``kata`` command: progress, checks with diagnosis, hints, watch mode, reset, solutions; the
class grader, benchmarks, training and the course integrations. ``COMMANDS`` lists them (``kata --help``).

The learner's commands and ``kata train`` take ``--impl exercises|solutions|FOLDER`` (default:
exercises, or $KATA_IMPL). Output is plain text when not on a terminal and uses rich when it is.
Every command takes ``--lang en|zh`` (default: $KATA_LANG, else the locale, else English).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys

from grader.cli import bench, courses, dev, grade, learner, train
from grader.cli.common import UsageProblem
from grader.cli.options import add_language_option, language_in, speak_in_argparse
from grader.core.i18n import N_, LanguageError, _, resolve_language, speaking
from grader.core.manifest import ManifestError

#: The command groups, in the order of ``kata --help``.
GROUPS = (learner, train, grade, bench, courses, dev)


#: ``kata --help``'s list of commands (the module docstring's, translated where shown).
COMMANDS = N_("""    kata status                  progress over every kata, in order
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
    kata dev ACTION              for developers of convkata: exercises, examples, mutation-score""")


def build_parser() -> argparse.ArgumentParser:
    """The ``kata`` parser, in the language convkata speaks: every group's commands, the command
    list as its epilog, ``--lang`` before or after the command."""
    speak_in_argparse()
    parser = argparse.ArgumentParser(prog="kata", description=_("convkata: katas for d2l's convolution chapters"),
                                     epilog=_(COMMANDS), formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(commands)
    add_language_option(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``kata`` with ``argv`` (default: sys.argv); its exit status (2 for a usage problem).

    The language (``--lang``, else $KATA_LANG, else the locale) is chosen before the parser is built,
    so that its help speaks it too; it is exported as $KATA_LANG to what the command starts."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        code = resolve_language(language_in(argv))
    except LanguageError as exc:
        print(f"kata: {exc}", file=sys.stderr)
        return 2
    with speaking(code, export=True):
        args = build_parser().parse_args(argv)
        try:
            return args.handler(args)
        except (UsageProblem, ManifestError) as exc:
            print(f"kata {args.command}: {exc}", file=sys.stderr)
            return 2


def run() -> None:
    """The ``kata`` console script: ``main``, then exit without tearing torch down. A finished command
    has written and closed what it writes, and unloading torch's modules at exit takes half a second
    or more of a learner's ``kata check``. A reader that stops reading (``kata status | head``) ends it
    quietly, as it ends any Unix tool (status 141: SIGPIPE)."""
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the interpreter's last flush too
        status = 128 + signal.SIGPIPE
    sys.stderr.flush()
    if "torch" in sys.modules:
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    run()
