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


NBGRADER_COURSE = pytest.StashKey[tuple]()


def pytest_collection_finish(session):
    """If test_nbgrader runs, start its course (tests.nbgrader_course) in the background now, at a lower
    priority: nbgrader's kernels take seconds that then use the core the other tests (mostly on one
    core) leave idle."""
    if any(item.path.name == "test_nbgrader.py" for item in session.items):
        root = Path(tempfile.mkdtemp(prefix="convkata-nbgrader-"))
        process = subprocess.Popen([sys.executable, "-m", "tests.nbgrader_course", str(root)], cwd=REPO_ROOT,
                                   stdout=subprocess.DEVNULL, stderr=(root / "stderr").open("w"),
                                   preexec_fn=lambda: os.nice(10))  # the tests in the foreground come first
        session.config.stash[NBGRADER_COURSE] = (root, process)


def pytest_sessionfinish(session):
    root, process = session.config.stash.get(NBGRADER_COURSE, (None, None))
    if process is not None:
        process.kill()
        process.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def nbgrader_course(request) -> Path:
    """The course of tests.nbgrader_course, autograded by nbgrader (started at collection)."""
    root, process = request.config.stash[NBGRADER_COURSE]
    if process.wait(timeout=900) != 0 or not (root / "done").exists():
        log = (root / "log").read_text() if (root / "log").exists() else ""
        pytest.fail(f"preparing the nbgrader course failed:\n{(root / 'stderr').read_text()[-3000:]}\n{log[-3000:]}")
    return root / "course"
