"""Slow end-to-end work that a test file starts when collection ends and its tests check at the end
of the run. A test module lists its work in ``BACKGROUND = {name: work}``; ``work(job, config)``
runs in a thread of the pytest process, in a folder of its own (``job.root``), and starts its
processes through ``job.start``/``job.run``: at a lower priority, so they take the core that the
tests in the foreground (mostly on one core) leave idle. Tests get the jobs from the ``background``
fixture (tests/conftest.py) and run last; ``job.result()`` waits for the work's return value."""
from __future__ import annotations

import ast
import contextlib
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from grader.core.paths import REPO_ROOT

#: Longer than any work takes on a loaded 2-core machine.
WAIT_SECONDS = 900


class Background:
    """One test file's piece of work, started at once in a thread."""

    def __init__(self, name: str, work: Callable[[Background, pytest.Config], Any], config: pytest.Config):
        self.name = name
        self.root = Path(tempfile.mkdtemp(prefix=f"convkata-{name}-"))
        self._processes: list[subprocess.Popen] = []
        self._lock = threading.Lock()
        self._stopped = False
        self._outputs = itertools.count()
        self._outcome: tuple[bool, Any] | None = None
        self._thread = threading.Thread(target=self._work, args=(work, config), name=f"background {name}",
                                        daemon=True)
        self._thread.start()

    def _work(self, work, config) -> None:
        try:
            self._outcome = (True, work(self, config))
        except BaseException as exc:  # re-raised in the test that asks for the result
            self._outcome = (False, exc)

    def start(self, argv: list[str], **popen) -> subprocess.Popen:
        """A process at a lower priority (the tests in the foreground come first), run from the
        repository root unless ``cwd`` is given, in a process group of its own: it and whatever it
        starts are killed if the pytest session ends first. (Not a session of its own: Linux would
        schedule that as a peer of the foreground's, whatever its nice value.)"""
        with self._lock:
            if self._stopped:
                raise RuntimeError(f"{self.name}: the session has ended")
            # nice(1) rather than preexec_fn, which is unsafe in a threaded process
            process = subprocess.Popen(["nice", "-n", "10", *argv], **{"cwd": REPO_ROOT, **popen},
                                       process_group=0)
            self._processes.append(process)
        return process

    def run(self, argv: list[str], **popen) -> subprocess.CompletedProcess:
        """``start`` it and wait: its exit status and output (text; ``stderr=subprocess.STDOUT``
        joins the two). The output goes through files, not pipes, so that the wait ends with the process even if
        something it started lives on."""
        number = next(self._outputs)
        with (self.root / f"{number}.out").open("w+") as stdout, (self.root / f"{number}.err").open("w+") as stderr:
            process = self.start(argv, **{"stdout": stdout, "stderr": stderr, **popen})
            process.wait(timeout=WAIT_SECONDS)
            stdout.seek(0)
            stderr.seek(0)
            return subprocess.CompletedProcess(argv, process.returncode, stdout.read(), stderr.read())

    @property
    def stopped(self) -> bool:
        """The session has ended: work that waits in a loop should give up."""
        return self._stopped

    def run_module(self, module: str, *args: str) -> None:
        """``python -m MODULE ROOT ARGS...``; RuntimeError with its stderr unless it succeeds."""
        completed = self.run([sys.executable, "-m", module, str(self.root), *args])
        if completed.returncode != 0:
            raise RuntimeError(f"python -m {module} failed ({completed.returncode}):\n{completed.stderr[-3000:]}")

    def result(self) -> Any:
        """Wait for the work; its return value (its exception, if it raised one)."""
        self._thread.join(timeout=WAIT_SECONDS)
        if self._outcome is None:
            pytest.fail(f"the background work {self.name} did not finish within {WAIT_SECONDS} s")
        finished, value = self._outcome
        if not finished:
            raise value
        return value

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for process in self._processes:
                with contextlib.suppress(OSError):  # already gone
                    os.killpg(process.pid, signal.SIGKILL)
        self._thread.join(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def own_pytest(module: Path) -> Callable[[Background, pytest.Config], tuple[str, dict[str, tuple[str, str]]]]:
    """Background work: the tests of ``module`` (a file no test_*.py name collects) in a pytest of their
    own, for tests that mostly wait (on processes, servers, timeouts) or warm up processes of their
    own. Its result: (that pytest's output, {test id: (passed | failed | skipped, message and text)})."""
    def work(job: Background, config: pytest.Config) -> tuple[str, dict[str, tuple[str, str]]]:
        report = job.root / "junit.xml"
        ran = job.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                       str(module)], stderr=subprocess.STDOUT)
        cases = {}
        if report.exists():
            for case in ElementTree.parse(report).iter("testcase"):
                ending = next((child for child in case if child.tag in ("failure", "error", "skipped")), None)
                if ending is None:
                    cases[case.get("name")] = ("passed", "")
                elif ending.tag == "skipped":  # a module's skip: "collection skipped", its reason in the text
                    reason = re.search(r"Skipped: (.*?)'?\)?$", ending.text or "")
                    cases[case.get("name")] = ("skipped", reason.group(1) if reason else ending.get("message", ""))
                else:
                    cases[case.get("name")] = ("failed", f"{ending.get('message', '')}\n{ending.text or ''}")
        return ran.stdout, cases
    return work


def case_names(module: Path) -> list[str]:
    """The test functions ``module`` defines, in order, read without importing it."""
    return [node.name for node in ast.parse(module.read_text(encoding="utf-8")).body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


def outcome_of(job: Background, name: str) -> None:
    """In the foreground, what the background's test ``name`` (each of its parameter sets) came to: pass,
    fail with its failure, or skip with its reason."""
    output, cases = job.result()
    mine = {case: ending for case, ending in cases.items() if case == name or case.startswith(f"{name}[")}
    if not mine:
        if cases and all(outcome == "skipped" for outcome, _ in cases.values()):
            pytest.skip(next(iter(cases.values()))[1])  # the whole module was skipped
        pytest.fail(f"{name} did not run in the background's pytest:\n{output[-3000:]}")
    failed = {case: text for case, (outcome, text) in mine.items() if outcome == "failed"}
    if failed:
        pytest.fail("\n\n".join(f"{case}: {text}" for case, text in failed.items()), pytrace=False)
    if all(outcome == "skipped" for outcome, _ in mine.values()):
        pytest.skip(next(iter(mine.values()))[1])
