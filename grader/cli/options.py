"""The options several commands share, each family declared once, as a parent parser (``parents=``)."""
from __future__ import annotations

import argparse
import os

from grader.core.i18n import LANGUAGES, N_, _, ngettext
from grader.sandbox.confine import Limits

DEFAULT_JOBS = os.cpu_count() or 1


def _parent() -> argparse.ArgumentParser:
    """An empty parent parser (no -h of its own)."""
    return argparse.ArgumentParser(add_help=False)


def implementation() -> argparse.ArgumentParser:
    """--impl: the implementation to run (--exercises, its old name, is a hidden alias)."""
    parent = _parent()
    default = os.environ.get("KATA_IMPL") or os.environ.get("KATA_EXERCISES") or "exercises"
    parent.add_argument("--impl", default=default, metavar="IMPL",
                        help=_("exercises (your exercises/, the default), solutions, or a folder laid out like "
                               "exercises/ (default: $KATA_IMPL if set)"))
    parent.add_argument("--exercises", dest="impl", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parent


def seed(default: int | None = None, help: str | None = None) -> argparse.ArgumentParser:
    """--seed N (``help``: default, the inputs' seed)."""
    parent = _parent()
    parent.add_argument("--seed", type=int, default=default,
                        help=help or _("seed for the generated inputs (default: random)"))
    return parent


def katas(help: str | None = None) -> argparse.ArgumentParser:
    """--katas IDS: a subset of the katas (``help``: default, every kata)."""
    parent = _parent()
    parent.add_argument("--katas", default=None, metavar="IDS",
                        help=help or _("comma-separated kata ids (default: every kata)"))
    return parent


def sandbox(timeout_help: str | None = None) -> argparse.ArgumentParser:
    """--jobs/-j, --timeout, --memory: how many submissions the sandbox runs at once, and its limits."""
    parent = _parent()
    parent.add_argument("--jobs", "-j", type=int, default=DEFAULT_JOBS, help=_("submissions graded at once"))
    parent.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help=timeout_help or _("CPU time limit per kata, its whole process tree (default: 60)"))
    parent.add_argument("--memory", type=int, default=4096, metavar="MB", help=_("memory limit per kata (default 4096)"))
    return parent


def limits(args) -> Limits:
    """A kata's limits, from the sandbox options (``sandbox()``) of ``args``."""
    return Limits(cpu_seconds=args.timeout, memory_bytes=args.memory << 20)


def language_in(argv: list[str]) -> str | None:
    """The ``--lang`` that ``argv`` gives (before or after the command; the last one wins), if any."""
    found = None
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and index + 1 < len(argv):
            found = argv[index + 1]
        elif arg.startswith("--lang="):
            found = arg.partition("=")[2]
    return found


def add_language_option(parser: argparse.ArgumentParser) -> None:
    """``--lang`` on ``parser`` and on every command under it. ``main`` reads it from the command line
    before it builds the parser (``language_in``); the parser only accepts it and lists it in help."""
    parser.add_argument("--lang", metavar="LANG", default=argparse.SUPPRESS,
                        help=_("the language to speak: {languages} (default: $KATA_LANG, else the locale's, else "
                               "English)").format(languages=", ".join(LANGUAGES)))
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        for sub in dict.fromkeys(action.choices.values()):
            add_language_option(sub)


#: argparse's own texts a ``kata`` user can meet (its usage line, help sections and errors), in
#: convkata's catalogue: ``speak_in_argparse`` has argparse read them there.
ARGPARSE_TEXTS = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"), N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"), N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"), N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"), N_("expected at most one argument"), N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"), N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"), N_("one of the arguments %s is required"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"), N_("can't open '%(filename)s': %(error)s"),
)


def speak_in_argparse() -> None:
    """Have argparse's own texts (``ARGPARSE_TEXTS``) read in the language convkata speaks."""
    argparse._ = _
    argparse.ngettext = ngettext
