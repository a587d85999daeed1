"""The reference's probe data: what a check's judge compares a submission's data with.

    reference_data(check, "conv_layer", inputs_seed)   # plain data, computed once per process and inputs

Computed where a submission is judged (grader.checks.runner.ReferenceJudge) or, on a Dask cluster, by the
worker that probed it (grader.grading.cluster): in the worker's own process, beside its sandbox, never in
it — no sandboxed child is forked from a process that has loaded the reference. The reference's data
needs no secret: only the inputs' seed, which the sandbox is told anyway.
"""
from __future__ import annotations

import functools
import warnings
from collections import OrderedDict

from grader.checks.base import Check, plain
from grader.core.implementation import Implementation, load_implementation
from grader.core.paths import SOLUTIONS_DIR


class ReferenceFailure(RuntimeError):
    """The reference itself failed a probe: a bug in convkata, not in the learner's code."""


#: How many of the reference's data a process keeps: each submission of a batch has inputs of its own, so
#: what is kept serves reruns and the checks of one kata; a convergence check's (one per run) is always kept.
KEPT = 256
_REFERENCE_DATA: OrderedDict[tuple, object] = OrderedDict()
_CONVERGENCE_DATA: dict[tuple, object] = {}


@functools.cache
def reference_implementation() -> Implementation:
    """The reference solutions (``solutions/``), loaded once per process."""
    return load_implementation(SOLUTIONS_DIR)


def reference_data(check: Check, module_name: str, seed: int, reference: Implementation | None = None):
    """The ``reference``'s (default: ``solutions/``) probe data for ``check`` on the inputs of ``seed``,
    computed once per process."""
    reference = reference or reference_implementation()
    key, kept = (reference.root, check.id, seed), _CONVERGENCE_DATA if check.trains else _REFERENCE_DATA
    if key in kept:
        if kept is _REFERENCE_DATA:
            _REFERENCE_DATA.move_to_end(key)
        return kept[key]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kept[key] = plain(check.probe(reference.module(module_name), seed))
    except Exception as exc:
        raise ReferenceFailure(f"the reference failed {check.id}: {exc!r}") from exc
    if len(_REFERENCE_DATA) > KEPT:
        _REFERENCE_DATA.popitem(last=False)
    return kept[key]
