"""Fixtures shared by the project's own tests (the kata tests need only grader.pytest_plugin)."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.implementation import load_implementation
from grader.paths import REPO_ROOT, SOLUTIONS_DIR


@pytest.fixture
def make_impl(tmp_path):
    """``make_impl(name, **{module: source or edit})``: a copy of the reference with some modules
    replaced — by new source text, or by a function applied to the reference's text."""
    def make(name: str = "impl", **modules):
        root = tmp_path / name
        shutil.copytree(SOLUTIONS_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
        for module, change in modules.items():
            path = root / f"{module}.py"
            path.write_text(change(path.read_text(encoding="utf-8")) if callable(change) else change,
                            encoding="utf-8")
        return load_implementation(root)
    return make


@pytest.fixture(scope="session")
def sandbox():
    """One fork server with two job slots for every test that grades in the sandbox (its warm-up
    costs seconds); each batch passes its own limits."""
    from grader.sandbox import ForkServer

    with ForkServer(2) as server:
        yield server


VERDICTS = pytest.StashKey[list]()


@pytest.fixture
def mutation_verdicts(request) -> list:
    """Where the mistake meta-tests leave their verdicts, for the mutation score in the summary."""
    return request.config.stash.setdefault(VERDICTS, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    verdicts = config.stash.get(VERDICTS, [])
    if verdicts:
        from tests.mistakes.score import score_line
        terminalreporter.write_line(score_line(verdicts))


class BackgroundJob:
    """``python -m MODULE ROOT ARGS...`` started when collection ends, at a lower priority, in a
    folder of its own: work a test file needs that then runs on the core the other tests (mostly
    on one core) leave idle. ``ROOT/done`` marks success; its stderr is ``ROOT/stderr``."""

    def __init__(self, module: str, *args: str):
        self.root = Path(tempfile.mkdtemp(prefix="convkata-background-"))
        self.process = subprocess.Popen([sys.executable, "-m", module, str(self.root), *args], cwd=REPO_ROOT,
                                        stdout=subprocess.DEVNULL, stderr=(self.root / "stderr").open("w"),
                                        preexec_fn=lambda: os.nice(10))  # the tests in the foreground come first

    def result(self) -> Path:
        """Wait for the job; its folder (the test fails with the job's errors if it failed)."""
        if self.process.wait(timeout=900) != 0 or not (self.root / "done").exists():
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            pytest.fail(f"{self.process.args[2]} failed:\n{(self.root / 'stderr').read_text()[-3000:]}\n{log[-3000:]}")
        return self.root

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


BACKGROUND = pytest.StashKey[dict]()


def pytest_collection_modifyitems(session, config, items):
    """The tests that wait for a background job run last, when it has had the whole run to finish."""
    waiting = [item for item in items if {"background", "nbgrader_course"} & set(getattr(item, "fixturenames", ()))]
    items[:] = [item for item in items if item not in waiting] + waiting


def pytest_collection_finish(session):
    """Start the background jobs of the test files that will run: the nbgrader course
    (tests.nbgrader_course), the plugin's pytest runs (test_plugin.PluginRuns) and the book-style
    exemplar's verdicts on this run's seed (tests.exemplar_verdicts)."""
    from grader.pytest_plugin import runner_for

    files = {item.path.name for item in session.items}
    jobs = session.config.stash[BACKGROUND] = {}
    if "test_nbgrader.py" in files:
        jobs["nbgrader_course"] = BackgroundJob("tests.nbgrader_course")
    if "test_plugin.py" in files:
        from tests.project.test_plugin import PluginRuns

        jobs["plugin_runs"] = PluginRuns()
    if "test_exemplars.py" in files:
        jobs["book_style"] = BackgroundJob("tests.exemplar_verdicts", "book_style", str(runner_for(session.config).seed))


def pytest_sessionfinish(session):
    for job in session.config.stash.get(BACKGROUND, {}).values():
        job.stop()


@pytest.fixture(scope="session")
def background(request) -> dict:
    """The background jobs started at collection, by name."""
    return request.config.stash[BACKGROUND]


@pytest.fixture(scope="session")
def nbgrader_course(background) -> Path:
    """The course of tests.nbgrader_course, autograded by nbgrader (started at collection)."""
    return background["nbgrader_course"].result() / "course"
