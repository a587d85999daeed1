"""The options several commands share, each family declared once, as a parent parser (``parents=``)."""
from __future__ import annotations

import argparse
import os

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
                        help="exercises (your exercises/, the default), solutions, or a folder laid out like "
                             "exercises/ (default: $KATA_IMPL if set)")
    parent.add_argument("--exercises", dest="impl", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parent


def seed(default: int | None = None,
         help: str = "seed for the generated inputs (default: random)") -> argparse.ArgumentParser:
    """--seed N."""
    parent = _parent()
    parent.add_argument("--seed", type=int, default=default, help=help)
    return parent


def katas(help: str = "comma-separated kata ids (default: every kata)") -> argparse.ArgumentParser:
    """--katas IDS: a subset of the katas."""
    parent = _parent()
    parent.add_argument("--katas", default=None, metavar="IDS", help=help)
    return parent


def sandbox(timeout_help: str = "CPU time limit per kata, its whole process tree (default: 60)") -> argparse.ArgumentParser:
    """--jobs/-j, --timeout, --memory: how many submissions the sandbox runs at once, and its limits."""
    parent = _parent()
    parent.add_argument("--jobs", "-j", type=int, default=DEFAULT_JOBS, help="submissions graded at once")
    parent.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help=timeout_help)
    parent.add_argument("--memory", type=int, default=4096, metavar="MB", help="memory limit per kata (default 4096)")
    return parent


def limits(args) -> Limits:
    """A kata's limits, from the sandbox options (``sandbox()``) of ``args``."""
    return Limits(cpu_seconds=args.timeout, memory_bytes=args.memory << 20)
