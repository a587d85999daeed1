"""The convkata pytest plugin: ``--impl`` picks the implementation under test, ``--kata-seed``
the run's seed; the ``run_check`` fixture runs one check and turns its result into a pytest
outcome (pending → skipped with the stub's message, failed → a failure with the diagnosis).

    pytest --impl=exercises|solutions|PATH [--kata-seed=N] [--kata=corr2d,pool2d] [-k "corr2d or pool2d"]

``--impl`` defaults to $KATA_IMPL, else ``exercises``; ``--kata-seed`` to $KATA_SEED, else a fresh
random seed that the header and every failure print. ``--kata`` runs exactly the katas named; in a
``-k`` expression a kata id matches that kata's checks exactly (``-k corr2d`` is not also
corr2d_multi_in), any other word matches as pytest's ``-k`` does. The checks run in kata order.
"""
from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Callable, Container
from typing import TYPE_CHECKING

import pytest

from grader.core.i18n import N_, _
from grader.core.implementation import load_implementation
from grader.core.manifest import load_manifest
from grader.core.paths import resolve_impl
from grader.core.scoring import Status, kind_label

if TYPE_CHECKING:
    from grader.checks.base import Check
    from grader.checks.runner import Runner

RUNNER = pytest.StashKey["Runner"]()
OUTCOMES = pytest.StashKey[Counter]()
#: How the summary counts the checks of each status (``N_``: shown through ``_``).
COUNTED = {Status.PASSED: N_("{count} passed"), Status.FAILED: N_("{count} failed"),
           Status.PENDING: N_("{count} pending"), Status.SKIPPED: N_("{count} skipped")}


def pytest_addoption(parser):
    group = parser.getgroup("convkata")
    group.addoption("--impl", default=os.environ.get("KATA_IMPL", "exercises"),
                    help=_("implementation under test: exercises, solutions, or a folder laid out like exercises/"))
    group.addoption("--kata-seed", type=int, default=None,
                    help=_("seed for the checks' generated inputs (default: $KATA_SEED, else random)"))
    group.addoption("--kata", default=None, metavar="IDS",
                    help=_("run only these katas: ids separated by commas (kata list shows them), exactly"))


def _seed(config) -> int:
    option = config.getoption("--kata-seed")
    if option is not None:
        return option
    if os.environ.get("KATA_SEED"):
        return int(os.environ["KATA_SEED"])
    return random.SystemRandom().randrange(2**31)


def pytest_configure(config):
    config.stash[OUTCOMES] = Counter()
    config.addinivalue_line("markers", "kata(id): the kata a check belongs to")
    runner_for(config)  # a bad --impl or --kata is a usage error before anything runs
    selected_katas(config)


def runner_for(config) -> Runner:
    if RUNNER not in config.stash:
        root = resolve_impl(config.getoption("--impl"))
        if not root.is_dir():
            raise pytest.UsageError(_("--impl: {root} is not a folder; give exercises, solutions, or a folder laid "
                                      "out like exercises/").format(root=root))
        from grader.checks.runner import Runner  # torch: only once the options are known to be good

        config.stash[RUNNER] = Runner(load_implementation(root), _seed(config))
    return config.stash[RUNNER]


def selected_katas(config) -> set[str] | None:
    """The kata ids ``--kata`` names (None: every kata); a usage error for an id that is no kata's."""
    option = config.getoption("--kata")
    if option is None:
        return None
    wanted = {kata_id.strip() for kata_id in option.split(",") if kata_id.strip()}
    known = [kata.id for kata in load_manifest()]
    unknown = sorted(wanted - set(known))
    if not wanted:
        # Translators: --kata was given no kata id (e.g. --kata=,); {katas} lists the kata ids
        raise pytest.UsageError(_("--kata {option}: no kata is not a kata id; the katas are {katas}").format(
            option=option, katas=", ".join(known)))
    if unknown:
        # Translators: {unknown} lists the ids given that are no kata's; {katas} lists the kata ids
        raise pytest.UsageError(_("--kata {option}: {unknown} is not a kata id; the katas are {katas}").format(
            option=option, unknown=", ".join(unknown), katas=", ".join(known)))
    return wanted


def kata_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("kata")
    return marker.args[0] if marker is not None else None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Kata checks in kata order; ``--kata`` and ``-k`` select (tests that are not a kata's keep
    their place and are selected by ``-k`` alone)."""
    order = {kata.id: index for index, kata in enumerate(load_manifest())}
    slots = [index for index, item in enumerate(items) if kata_of(item) in order]
    for index, item in zip(slots, sorted((items[i] for i in slots), key=lambda item: order[kata_of(item)])):
        items[index] = item
    wanted = selected_katas(config)
    _deselect(config, items, lambda item: wanted is None or kata_of(item) in (wanted | {None}))
    if config.option.keyword.strip():
        matches = _keyword_expression(config.option.keyword.strip(), order)
        config.option.keyword = ""  # pytest's own -k would match kata ids as substrings again
        _deselect(config, items, matches)


def _deselect(config, items: list[pytest.Item], keep: Callable[[pytest.Item], bool]) -> None:
    kept = [item for item in items if keep(item)]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if not keep(item)])
        items[:] = kept


def _keyword_expression(expression: str, kata_ids: Container[str]) -> Callable[[pytest.Item], bool]:
    """pytest's ``-k`` as a test of one item, except that a kata id matches the checks of exactly that kata."""
    from _pytest.mark import KeywordMatcher, _parse_expression  # what pytest's own -k uses

    compiled = _parse_expression(expression, "Wrong expression passed to '-k'")

    def matches(item: pytest.Item) -> bool:
        kata, keywords = kata_of(item), KeywordMatcher.from_item(item)
        return compiled.evaluate(lambda name, **_: name == kata if kata and name in kata_ids else keywords(name))
    return matches


def pytest_report_header(config):
    runner = runner_for(config)
    return f"convkata: impl={runner.impl.root} seed={runner.seed}"


def kata_params(checks: list[Check]):
    """Parametrize a test over checks: ids ``kata::name``, a ``kata`` marker, ``gpu`` where CUDA is needed."""
    params = [pytest.param(c, id=c.id, marks=[pytest.mark.kata(c.kata)] + ([pytest.mark.gpu] if c.needs_cuda else []))
              for c in checks]
    return pytest.mark.parametrize("check", params)


@pytest.fixture
def kata_seed(request) -> int:
    """The run's seed (--kata-seed, $KATA_SEED, or random), for tests that run checks themselves."""
    return runner_for(request.config).seed


@pytest.fixture
def run_check(request):
    """``run_check(check)``: run it against --impl and turn the result into pass / skip / fail."""
    runner = runner_for(request.config)
    modules = {k.id: k.module for k in load_manifest()}

    def run(check: Check):
        result = runner.run(check, modules[check.kata])
        request.config.stash[OUTCOMES][result.status] += 1
        if result.status is Status.PENDING:
            # Translators: {message} is what the stub says, e.g. "corr2d: implement corr2d (d2l 7.2)"
            pytest.skip(_("pending: {message}").format(message=result.message))
        if result.status is Status.SKIPPED:
            pytest.skip(result.message)
        if result.status is Status.FAILED:
            pytest.fail(f"{check.id} [{kind_label(check.kind)}]\n{result.message}", pytrace=False)
    return run


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    outcomes = config.stash.get(OUTCOMES, Counter())
    if not outcomes:
        return
    runner = runner_for(config)
    counts = ""
    for status in Status:
        if outcomes[status]:
            count = _(COUNTED[status]).format(count=outcomes[status])
            # Translators: a list of counts, one more added: {counts} is e.g. "5 passed", {count} "2 failed"
            counts = _("{counts}, {count}").format(counts=counts, count=count) if counts else count
    terminalreporter.write_sep("-", "convkata")
    # Translators: {counts} is e.g. "5 passed, 2 failed"; {impl} the folder checked, e.g. "exercises"
    terminalreporter.write_line(_("kata checks: {counts} (impl {impl}, seed {seed})").format(
        counts=counts, impl=runner.impl.root.name, seed=runner.seed))
