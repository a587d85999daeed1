"""The course platforms' commands: ``kata gradescope build`` and ``kata nbgrader build``."""
from __future__ import annotations

from pathlib import Path

from grader.cli import options
from grader.cli.common import Output, UsageProblem, add_command
from grader.core.i18n import N_, _
from grader.core.manifest import kata_ids
from grader.integrations.gradescope import build_autograder

# grader.integrations.nbgrader.notebooks imports nbformat (0.4 s, with jsonschema): imported when
# `kata nbgrader build` runs, never at `kata --help` time.

NBGRADER_BUILD = N_("write nbgrader_config.py and source/ASSIGNMENT/<module>.ipynb, one notebook per d2l section")


def register(commands) -> None:
    """Add ``kata gradescope build`` and ``kata nbgrader build`` to ``commands``."""
    gradescope = commands.add_parser("gradescope", help=_("Gradescope: the autograder zip"),
                                     description=_("Gradescope: the autograder zip (its run_autograder runs "
                                                   "`python -m grader.integrations.gradescope run`)"))
    actions = gradescope.add_subparsers(dest="action", required=True, metavar="ACTION")
    builder = add_command(actions, "build", cmd_gradescope_build, _("write the autograder zip to upload to Gradescope"),
                          (options.katas(),))
    builder.add_argument("--out", default="autograder.zip", help=_("the zip to write (default: ./autograder.zip)"))
    course = commands.add_parser("nbgrader", help=_("nbgrader: a course of notebooks built from the katas"),
                                 description=_("nbgrader: a course of notebooks built from the katas"))
    course_builder = add_command(course.add_subparsers(dest="action", required=True, metavar="ACTION"), "build",
                                 cmd_nbgrader_build, _(NBGRADER_BUILD), (options.katas(),))
    course_builder.add_argument("course", metavar="COURSE_DIR", help=_("the nbgrader course folder (made if missing)"))
    course_builder.add_argument("--assignment", default="convkata", help=_("the assignment's name (default: convkata)"))
    course_builder.add_argument("--kernel", default="python3",
                                help=_("the Jupyter kernel, one that can import convkata (default: python3)"))
    course_builder.add_argument("--force", action="store_true", help=_("replace notebooks that differ (backed up first)"))


def cmd_gradescope_build(args) -> int:
    """kata gradescope build: write the autograder zip."""
    try:
        names = build_autograder(Path(args.out), kata_ids(args.katas))
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    katas = args.katas or _("all")
    Output().line(_("wrote {zip} ({count} files; katas: {katas}): upload it as the autograder of a Gradescope "
                    "programming assignment (base image Ubuntu 22.04 or 24.04)").format(zip=args.out, count=len(names),
                                                                                         katas=katas))
    return 0


def cmd_nbgrader_build(args) -> int:
    """kata nbgrader build COURSE_DIR: write the course's config and its source notebooks."""
    from grader.integrations.nbgrader.notebooks import build_course
    from grader.integrations.nbgrader.secret import secret_path

    try:
        written = build_course(Path(args.course), args.assignment, kata_ids(args.katas), kernel=args.kernel,
                               force=args.force)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    out = Output()
    for path in written:
        out.line(_("wrote {path}").format(path=path))
    out.line(_("the assignment's grading secret is {secret}: keep it there, and out of students' reach (autograding "
               "derives each submission's seed from it)").format(secret=secret_path(Path(args.course), args.assignment)),
             style="dim")
    out.line(_("next, in {course}: `nbgrader generate_assignment {assignment}` (the students' version in release/), "
               "then, once they have submitted, `kata grade --nbgrader {course} {assignment}` or `nbgrader autograde "
               "{assignment}`").format(course=args.course, assignment=args.assignment), style="dim")
    return 0
