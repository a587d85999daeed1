"""The checks, run from a notebook's test cell on the code the notebook defined.

    from grader.integrations.nbgrader.checks import check_kata
    check_kata("corr2d")        # prints what passed and what to fix; its value is the points earned

The notebooks ``kata nbgrader build`` writes end each kata with such a cell. nbgrader records a
test cell's value as its partial credit, and scores a cell 0 if it writes to stderr: the checks
run with stderr (Python's and the C level's) sent nowhere, so a torch warning costs nothing.
A learner's run draws a fresh seed each time. The hidden line nbgrader puts back when it
autogrades (``grade_with_secret()``, no number in it) makes every later check use the seed of the
submission being graded, derived from the instructor's grading secret (``secret.py``): a failure
names that seed, which reproduces the student's own failure and nobody else's inputs.
"""
from __future__ import annotations

import contextlib
import os
import random
import sys
import traceback
import warnings
from pathlib import Path
from types import ModuleType

from grader.core.i18n import N_, _, set_language
from grader.core.implementation import CodeUnderTest

_grading_seed: int | None = None
_legacy_noted = False
#: How a failure in a notebook says to rerun on its seed (Runner's ``rerun`` template).
RERUN_IN_NOTEBOOK = "check_kata(…, seed={seed})"
#: Printed (stdout: nbgrader scores a test cell with stderr 0) by courses still built with grade_with_seed.
LEGACY_NOTE = N_("Note for the instructor: this course was built by an older convkata, whose hidden test lines "
                  "(grade_with_seed) show the grading seed in students' feedback. Rebuild it with `kata nbgrader "
                  "build COURSE_DIR --assignment ASSIGNMENT --katas …` (it keeps a grading secret in "
                  "COURSE_DIR/.convkata/secrets/, used from then on), then `nbgrader generate_assignment ASSIGNMENT "
                  "--force`. grade_with_seed goes in the next release.")


def _autograding() -> bool:
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def grade_with_secret() -> None:
    """The hidden line of every test cell: when ``nbgrader autograde`` runs it, every later
    ``check_kata`` in this kernel uses the seed of the submission being graded, derived from the
    assignment's grading secret (see ``secret.py``); GradingSecretError (every test cell 0 points,
    the message in the cell) if the secret cannot be found. Run any other way, nothing."""
    global _grading_seed
    if _autograding():
        from .secret import autograding_seed

        _grading_seed, _legacy = autograding_seed(Path.cwd())


def grade_with_seed(seed: int) -> None:
    """Deprecated, kept for one release: the hidden line of courses built before the grading
    secret. Autograding, the seed of the submission being graded comes from the assignment's
    secret if the course has one by now, else from ``seed`` (printing a note to rebuild the
    course); run any other way, every later ``check_kata`` uses ``seed``."""
    global _grading_seed, _legacy_noted
    if not _autograding():
        _grading_seed = int(seed)
        return
    from .secret import NotInCourseError, autograding_seed

    try:
        _grading_seed, legacy = autograding_seed(Path.cwd(), legacy_seed=int(seed))
    except NotInCourseError:  # as before
        _grading_seed, legacy = int(seed), True
    if legacy and not _legacy_noted:
        _legacy_noted = True
        print(_(LEGACY_NOTE))


class NotebookCode(CodeUnderTest):
    """The code a notebook's cells defined (its namespace), as the module ``name`` the checks probe;
    its own frames are the cells', shown as ``In[N]``."""

    def __init__(self, namespace: dict):
        self.namespace = namespace
        try:
            self._compiler = get_ipython().compile  # noqa: F821 — defined inside IPython
        except NameError:
            self._compiler = None

    def module(self, name: str) -> ModuleType:
        module = ModuleType(name)
        module.__dict__.update(self.namespace)
        return module

    def _cell_name(self, filename: str) -> str | None:
        named = self._compiler.format_code_name(filename) if self._compiler is not None else None
        return named[1] if named else None

    def owns(self, filename: str) -> bool:
        return self._cell_name(filename) is not None

    def shown_frame(self, frame: traceback.FrameSummary) -> traceback.FrameSummary:
        return traceback.FrameSummary(self._cell_name(frame.filename) or frame.filename, frame.lineno, frame.name,
                                      line=frame.line)


@contextlib.contextmanager
def _stderr_silenced():
    """Python's and the C level's stderr go nowhere, and warnings are not shown (nbgrader gives a
    test cell that writes to stderr 0 points)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def check_kata(kata_id: str, seed: int | None = None, language: str | None = None) -> float:
    """Run the kata's checks on what this notebook defined, print the feedback, return the points.

    ``seed``: the inputs' seed (default: the submission's when autograding, see
    ``grade_with_secret``, else a fresh one; a failure prints the seed, and
    ``check_kata(kata_id, seed=N)`` reproduces it). ``language``: the course's, which its test cells
    give (default: the kernel's, from its environment)."""
    if language:
        set_language(language)
    namespace = sys._getframe(1).f_globals
    with _stderr_silenced():
        import torch

        from grader.checks.runner import Runner
        from grader.core.manifest import load_manifest
        from grader.grading.formats import kata_feedback
        from grader.grading.pictures import display_pictures
        from grader.grading.records import KataRecord

        try:
            kata = load_manifest().get(kata_id)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        if seed is None:
            seed = _grading_seed if _grading_seed is not None else random.SystemRandom().randrange(2**31)
        threads = torch.get_num_threads()
        try:
            result = Runner(NotebookCode(namespace), seed, rerun=RERUN_IN_NOTEBOOK).run_kata(kata)
        finally:
            torch.set_num_threads(threads)  # the checks use one; the learner's own training keeps its own
        record = KataRecord.of(result)
        print(kata_feedback(record))
        display_pictures(result)
    return record.score

