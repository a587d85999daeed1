"""``kata dev``: for developers of convkata — regenerate exercises/ and the sample class; the mutation score."""
from __future__ import annotations

from grader.cli.common import UsageProblem, add_command
from grader.core import stubgen
from grader.core.i18n import N_, _
from grader.core.paths import REPO_ROOT

# The sample class and the mutation score import torch: imported when the command runs, never at
# `kata --help` time.

HELP = N_("for developers of convkata: regenerate exercises/ and the sample class; the mutation score")


def register(commands) -> None:
    """Add ``kata dev exercises|examples|mutation-score`` to ``commands``."""
    dev = commands.add_parser("dev", help=_(HELP), description=_(HELP))
    actions = dev.add_subparsers(dest="action", required=True, metavar="ACTION")
    exercises = add_command(actions, "exercises", cmd_exercises,
                            _("regenerate exercises/ from solutions/ (keeps a backup of changed files)"))
    exercises.add_argument("--check", action="store_true", help=_("only report whether exercises/ is up to date"))
    examples = add_command(actions, "examples", cmd_examples,
                           _("regenerate the sample class in examples/class/ from examples/class.toml"))
    examples.add_argument("--check", action="store_true", help=_("only report whether examples/class/ is up to date"))
    mutation = add_command(actions, "mutation-score", cmd_mutation_score,
                           _("how many catalogued learner mistakes the checks catch and name (exit 1 unless all)"))
    mutation.add_argument("--seed", type=int, default=None, help=_("seed for the checks' inputs (default: random)"))


def _checkout() -> None:
    """UsageProblem outside a checkout of convkata (the mistake catalogue is in its tests/)."""
    if not (REPO_ROOT / "tests" / "mistakes" / "catalogue.toml").is_file():
        raise UsageProblem(_("needs a checkout of convkata: {path} is missing").format(
            path=REPO_ROOT / "tests" / "mistakes" / "catalogue.toml"))


def cmd_exercises(args) -> int:
    """kata dev exercises [--check]: regenerate exercises/ from solutions/ (or check it is in sync)."""
    return stubgen.main(["--check"] if args.check else [])


def cmd_examples(args) -> int:
    """kata dev examples [--check]: regenerate the sample class (or check it is in sync)."""
    _checkout()
    from grader.dev import examples

    return examples.main(["--check"] if args.check else [])


def cmd_mutation_score(args) -> int:
    """kata dev mutation-score [--seed N]: apply every catalogued mistake, report those caught and named."""
    _checkout()
    from grader.dev import mutation

    return mutation.main([] if args.seed is None else ["--seed", str(args.seed)])
