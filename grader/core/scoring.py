"""A check's status, without importing torch (the command line uses it before the sandbox starts)."""
from enum import Enum


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    PENDING = "pending"
    SKIPPED = "skipped"


UNCREDITED_NOTE = ("the checks of examples, dtypes and devices, architecture, refused arguments, rules and training "
                   "earn points once a check of your code's values on generated inputs passes too")
