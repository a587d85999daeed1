"""The architecture's contracts (pyproject.toml, [tool.importlinter]) hold on this tree, and each
one fails when a deliberately wrong import is added to a copy of it."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.core.paths import REPO_ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: contract id → (module file, the wrong import added to it): one way to break each contract.
WRONG_IMPORTS = {
    "layers": ("grader/core/manifest.py", "import grader.grading.store"),
    "independent-parts": ("grader/bench/report.py", "import grader.training.train"),
    "sandbox-boundary": ("grader/sandbox/child.py", "import grader.checks.runner"),
    "checks-without-sandbox": ("grader/checks/judges.py", "import grader.sandbox.client"),
}


def lint_imports(root: Path, *contracts: str) -> subprocess.CompletedProcess:
    """``lint-imports`` on the tree at ``root`` (its own pyproject.toml), for ``contracts`` (default: all)."""
    only = [arg for contract in contracts for arg in ("--contract", contract)]
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", *only], cwd=root, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)}, timeout=120)


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory) -> Path:
    """A copy of what the contracts read: the packages and pyproject.toml."""
    root = tmp_path_factory.mktemp("tree")
    for name in ("grader", "solutions"):
        shutil.copytree(REPO_ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "pyproject.toml", root)
    return root


def test_every_contract_is_kept_and_listed():
    completed = lint_imports(REPO_ROOT)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"Contracts: {len(WRONG_IMPORTS)} kept, 0 broken." in completed.stdout


@pytest.mark.parametrize("contract", WRONG_IMPORTS)
def test_a_wrong_import_breaks_the_contract(tree_copy, contract):
    module, wrong = WRONG_IMPORTS[contract]
    path = tree_copy / module
    original = path.read_text()
    path.write_text(original + f"\n{wrong}  # deliberately wrong\n")
    try:
        completed = lint_imports(tree_copy, contract)
    finally:
        path.write_text(original)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "BROKEN" in completed.stdout and wrong.split()[-1] in completed.stdout, completed.stdout
