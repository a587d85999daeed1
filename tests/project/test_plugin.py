"""The pytest plugin end to end, as a learner or CI runs it: pytest --impl=... in a fresh process."""
import os
import shutil
import subprocess
import sys

from grader import stubgen
from grader.checks import checks_of_module
from grader.paths import REPO_ROOT, SOLUTIONS_DIR


def pytest_run(*args, env_seed="11"):
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--kata-seed={env_seed}", *args],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    return completed.returncode, completed.stdout + completed.stderr


def test_untouched_stubs_are_all_pending_and_nothing_fails(tmp_path):
    stubgen.write(tmp_path / "stubs", backup_dir=tmp_path / "backups")
    code, output = pytest_run(f"--impl={tmp_path / 'stubs'}", "tests/katas", "-q")
    assert code == 0, output
    assert " failed" not in output and " error" not in output
    assert "pending: corr2d: implement corr2d (d2l 7.2)" in output
    assert "kata checks:" in output and " pending" in output and " passed" not in output.split("kata checks:")[1]


def test_a_broken_module_fails_its_katas_and_the_others_still_run(tmp_path):
    impl = tmp_path / "learner"
    shutil.copytree(SOLUTIONS_DIR, impl, ignore=shutil.ignore_patterns("__pycache__"))
    (impl / "conv_layer.py").write_text("def corr2d(X, K)\n    return X\n", encoding="utf-8")
    code, output = pytest_run(f"--impl={impl}", "tests/katas/test_conv_layer.py", "tests/katas/test_pooling.py",
                              "-q", "-p", "no:randomly")
    assert code == 1, output
    assert "conv_layer.py could not be imported" in output and "SyntaxError" in output
    assert "test_conv_layer[corr2d::seed_example]" in output
    assert "FAILED tests/katas/test_pooling.py" not in output
    cpu_checks = {m: sum(not c.needs_cuda for c in checks_of_module(m)) for m in ("conv_layer", "pooling")}
    assert f"kata checks: {cpu_checks['pooling']} passed, {cpu_checks['conv_layer']} failed" in output
    assert "seed 11" in output


def test_the_impl_option_rejects_a_missing_folder(tmp_path):
    code, output = pytest_run(f"--impl={tmp_path / 'nowhere'}", "tests/katas/test_pooling.py", "-q")
    assert code != 0
    assert "is not a folder" in output


def test_the_environment_picks_the_impl_and_warnings_never_fail_a_kata(tmp_path):
    """KATA_IMPL and KATA_SEED choose the implementation and the seed (the header shows both); its
    warnings — at import and inside a kata — fail nothing, even when pytest makes them errors."""
    impl = tmp_path / "warns"
    shutil.copytree(SOLUTIONS_DIR, impl, ignore=shutil.ignore_patterns("__pycache__"))
    source = (impl / "pooling.py").read_text(encoding="utf-8")
    (impl / "pooling.py").write_text("import warnings\nwarnings.warn('at import', UserWarning)\n" + source.replace(
        '    if mode not in ("max", "avg"):',
        '    import warnings\n    warnings.warn("a torch UserWarning", UserWarning)\n    if mode not in ("max", "avg"):'),
        encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-W", "error::UserWarning",
         "tests/katas/test_pooling.py"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "KATA_IMPL": str(impl), "KATA_SEED": "99"})
    assert completed.returncode == 0, completed.stdout
    assert f"convkata: impl={impl} seed=99" in completed.stdout
