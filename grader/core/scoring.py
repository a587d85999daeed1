"""A check's status, without importing torch (the command line uses it before the sandbox starts)."""
from enum import Enum


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    PENDING = "pending"
    SKIPPED = "skipped"


UNCREDITED_NOTE = ("the checks on fixed inputs (examples, architecture, refused arguments) earn points once a "
                   "check on generated inputs passes too")
