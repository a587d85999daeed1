"""The pytest plugin end to end, as a learner or CI runs it: pytest --impl=... in a fresh process.
The runs start together in the background when collection ends, at a lower priority
(tests/background.py), and these tests run last."""
import os
import shutil
import subprocess
import sys

import pytest

from grader.checks import checks_of_kata, checks_of_module
from grader.core import stubgen
from grader.core.manifest import load_manifest
from grader.core.paths import SOLUTIONS_DIR


def pytest_run(job, *args: str, seed: str | None = "11", env=None) -> tuple[int, str]:
    """``pytest ARGS`` in a fresh process: its exit status and output."""
    completed = job.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                         *([f"--kata-seed={seed}"] if seed else []), *args], stderr=subprocess.STDOUT, env=env)
    return completed.returncode, completed.stdout


def stubs_run(job, config):
    stubgen.write(job.root / "stubs", backup_dir=job.root / "backups")
    return pytest_run(job, f"--impl={job.root / 'stubs'}", "tests/katas", "-q")


def broken_run(job, config):
    broken = job.root / "learner"
    shutil.copytree(SOLUTIONS_DIR, broken, ignore=shutil.ignore_patterns("__pycache__"))
    (broken / "conv_layer.py").write_text("def corr2d(X, K)\n    return X\n", encoding="utf-8")
    return pytest_run(job, f"--impl={broken}", "tests/katas/test_conv_layer.py", "tests/katas/test_pooling.py",
                      "-q", "-p", "no:randomly")


def missing_run(job, config):
    return pytest_run(job, f"--impl={job.root / 'nowhere'}", "tests/katas/test_pooling.py", "-q")


def environment_run(job, config):
    warns = job.root / "warns"
    shutil.copytree(SOLUTIONS_DIR, warns, ignore=shutil.ignore_patterns("__pycache__"))
    source = (warns / "pooling.py").read_text(encoding="utf-8")
    (warns / "pooling.py").write_text("import warnings\nwarnings.warn('at import', UserWarning)\n" + source.replace(
        '    if mode not in ("max", "avg"):',
        '    import warnings\n    warnings.warn("a torch UserWarning", UserWarning)\n    if mode not in ("max", "avg"):'),
        encoding="utf-8")
    return pytest_run(job, "-W", "error::UserWarning", "tests/katas/test_pooling.py", seed=None,
                      env={**os.environ, "KATA_IMPL": str(warns), "KATA_SEED": "99"})


def select_run(job, config):
    return pytest_run(job, "--impl=solutions", "tests/katas", "--kata", "corr2d,pool2d", "--collect-only", "-q")


def unknown_kata_run(job, config):
    return pytest_run(job, "--impl=solutions", "tests/katas", "--kata", "corr2d,corr2", "--collect-only", "-q")


def plain_run(job, config):
    """A learner's plain ``pytest``, from the repository root."""
    return pytest_run(job, "--collect-only", "-q")


def keyword_run(job, config):
    return pytest_run(job, "-k", "(corr2d or pool2d) and not cuda", "--collect-only", "-q")


#: This file's pytest runs, side by side, each on an implementation in a folder of its own.
RUNS = {"stubs": stubs_run, "broken": broken_run, "missing": missing_run, "environment": environment_run,
        "select": select_run, "unknown_kata": unknown_kata_run, "plain": plain_run, "keyword": keyword_run}
BACKGROUND = {f"plugin_{name}": run for name, run in RUNS.items()}


@pytest.fixture(scope="module")
def runs(background) -> dict[str, tuple[int, str]]:
    """``{name: (exit status, output)}`` of RUNS."""
    return {name: background[f"plugin_{name}"].result() for name in RUNS}


def test_untouched_stubs_are_all_pending_and_nothing_fails(runs):
    code, output = runs["stubs"]
    assert code == 0, output
    assert " failed" not in output and " error" not in output
    assert "pending: corr2d: implement corr2d (d2l 7.2)" in output
    assert "kata checks:" in output and " pending" in output and " passed" not in output.split("kata checks:")[1]


def test_a_broken_module_fails_its_katas_and_the_others_still_run(runs):
    code, output = runs["broken"]
    assert code == 1, output
    assert "conv_layer.py could not be imported" in output and "SyntaxError" in output
    assert "test_conv_layer[corr2d::book_example]" in output
    assert "FAILED tests/katas/test_pooling.py" not in output
    cpu_checks = {m: sum(not c.needs_cuda for c in checks_of_module(m)) for m in ("conv_layer", "pooling")}
    assert f"kata checks: {cpu_checks['pooling']} passed, {cpu_checks['conv_layer']} failed" in output
    assert "seed 11" in output


def test_the_impl_option_rejects_a_missing_folder(runs):
    code, output = runs["missing"]
    assert code != 0
    assert "is not a folder" in output


def test_the_environment_picks_the_impl_and_warnings_never_fail_a_kata(runs, background):
    """KATA_IMPL and KATA_SEED choose the implementation and the seed (the header shows both); its
    warnings — at import and inside a kata — fail nothing, even when pytest makes them errors."""
    code, output = runs["environment"]
    assert code == 0, output
    assert f"convkata: impl={background['plugin_environment'].root / 'warns'} seed=99" in output


def collected_checks(output: str) -> list[str]:
    """The check ids (kata::name) of ``pytest --collect-only -q``'s output, in order."""
    return [line.split("[", 1)[1].rstrip("]") for line in output.splitlines() if "::" in line and "[" in line]


def test_kata_selects_exactly_the_katas_named(runs):
    status, output = runs["select"]
    assert status == 0, output
    katas = {check.split("::")[0] for check in collected_checks(output)}
    assert katas == {"corr2d", "pool2d"}, katas  # not corr2d_multi_in, corr2d_1x1, …


def test_a_plain_pytest_runs_every_kata_check_in_kata_order_and_nothing_else(runs):
    status, output = runs["plain"]
    assert status == 0, output
    lines = [line for line in output.splitlines() if "::" in line]
    assert lines and all(line.startswith("tests/katas/") for line in lines), "only the learner's katas"
    checks = collected_checks(output)
    assert sorted(checks) == sorted(c.id for kata in load_manifest() for c in checks_of_kata(kata.id))
    assert list(dict.fromkeys(check.split("::")[0] for check in checks)) == [kata.id for kata in load_manifest()]


def test_a_kata_id_in_a_keyword_expression_matches_that_kata_exactly(runs):
    """-k "(corr2d or pool2d) and not cuda": the two katas' checks, not corr2d_multi_in's; other words
    (cuda) match as in pytest."""
    status, output = runs["keyword"]
    assert status == 0, output
    expected = [c.id for kata in ("corr2d", "pool2d") for c in checks_of_kata(kata) if "cuda" not in c.name]
    assert collected_checks(output) == expected


def test_kata_with_an_unknown_id_is_a_usage_error_listing_the_katas(runs):
    status, output = runs["unknown_kata"]
    assert status == 4 and "--kata corr2d,corr2: corr2 is not a kata id" in output and "corr2d_multi_in" in output
