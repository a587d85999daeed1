"""Fixtures shared by the project's own tests (the kata tests need only grader.learner.pytest_plugin)."""
import shutil

import pytest

from grader.core.implementation import load_implementation
from grader.core.paths import SOLUTIONS_DIR


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
    from grader.sandbox.client import ForkServer

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
        from grader.dev.mutation import score_line
        terminalreporter.write_line(score_line(verdicts))


BACKGROUND = pytest.StashKey[dict]()


def waits_for_background(item) -> bool:
    return "background" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(session, config, items):
    """The tests that wait for background work run last, when it has had the whole run to finish."""
    items[:] = [item for item in items if not waits_for_background(item)] + list(filter(waits_for_background, items))


def pytest_collection_finish(session):
    """Start the background work (tests/background.py) of every test file that will run a test that
    waits for it."""
    from tests.background import Background

    jobs = session.config.stash[BACKGROUND] = {}
    modules = dict.fromkeys(getattr(item, "module", None) for item in session.items if waits_for_background(item))
    for module in modules:
        for name, work in getattr(module, "BACKGROUND", {}).items():
            jobs[name] = Background(name, work, session.config)


def pytest_sessionfinish(session):
    for job in session.config.stash.get(BACKGROUND, {}).values():
        job.stop()


@pytest.fixture(scope="session")
def background(request) -> dict:
    """The background work started at collection, by name (tests/background.py)."""
    return request.config.stash[BACKGROUND]
