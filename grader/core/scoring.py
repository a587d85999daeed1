"""A check's status, and how a report names a kata's status and a check's kind, without importing torch (the command line uses
them before the sandbox starts)."""
from enum import Enum

from grader.core.i18n import N_, _


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    PENDING = "pending"
    SKIPPED = "skipped"


#: Why a kata's passing checks earned nothing (an uncredited kata); ``_(UNCREDITED_NOTE)`` where shown.
UNCREDITED_NOTE = N_("the checks of examples, dtypes and devices, architecture, refused arguments, rules and training "
                     "earn points once a check of your code's values on generated inputs passes too")

#: How a report names a kata's status (``status_label``); the statuses themselves stay identifiers.
STATUS_LABELS = {Status.PASSED: N_("done"), Status.FAILED: N_("failing"), Status.PENDING: N_("pending"),
                 Status.SKIPPED: N_("skipped")}


def status_label(status: Status) -> str:
    """A kata's status as a report names it, in the language convkata speaks: done, failing, pending, skipped."""
    return _(STATUS_LABELS[status])


#: How a report shows each kind of check (grader.checks.base.KINDS) to a learner (``kind_label``); the
#: kinds themselves stay identifiers, stored in records and compared.
KIND_LABELS = {
    # Translators: check kinds, shown in brackets after a check's name ("numeric_sweep [numeric]")
    "example": N_("example"),
    "shape": N_("shape"),
    "numeric": N_("numeric"),
    "gradient": N_("gradient"),
    "dtype_device": N_("dtype_device"),
    "structure": N_("structure"),
    "rules": N_("rules"),
    "errors": N_("errors"),
    "training": N_("training"),
    "gpu": N_("gpu"),
}


def kind_label(kind: str) -> str:
    """A check kind as a report shows it, in the language convkata speaks (``kind`` itself, in English)."""
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind
