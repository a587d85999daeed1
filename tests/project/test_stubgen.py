"""exercises/ is generated from solutions/: in sync, same API, every kata pending, nothing lost."""
import ast

import pytest

from grader.checks.runner import Runner, Status
from grader.core import stubgen
from grader.core.implementation import load_implementation
from grader.core.manifest import load_manifest
from grader.core.paths import EXERCISES_DIR, SOLUTIONS_DIR


def test_exercises_are_in_sync_with_their_generation():
    assert stubgen.out_of_sync() == [], "run `make exercises` and commit exercises/"


def _api(path):
    """Imports, and for every top-level function/class/method: arguments, return annotation, docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    api = [ast.dump(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            signature = ast.dump(node.args) + (ast.dump(node.returns) if node.returns else "")
            api.append((node.name, signature, ast.get_docstring(node)))
        elif isinstance(node, ast.ClassDef):
            api.append((node.name, [ast.dump(base) for base in node.bases], ast.get_docstring(node)))
    return api


@pytest.mark.parametrize("name", sorted(p.name for p in SOLUTIONS_DIR.glob("*.py")))
def test_stub_keeps_imports_signatures_and_docstrings(name):
    assert _api(EXERCISES_DIR / name) == _api(SOLUTIONS_DIR / name)


def test_every_solution_region_becomes_a_stub_naming_its_kata():
    manifest = load_manifest()
    for name, text in stubgen.generate().items():
        assert stubgen.BEGIN not in text and stubgen.END not in text, name
    for kata in manifest:
        text = (EXERCISES_DIR / f"{kata.module}.py").read_text(encoding="utf-8")
        assert f'raise NotImplementedError("{kata.id}: implement' in text, kata.id


def test_fresh_stubs_leave_every_kata_pending(tmp_path, kata_seed):
    stubgen.write(tmp_path / "stubs", backup_dir=tmp_path / "backups")
    results = Runner(load_implementation(tmp_path / "stubs"), kata_seed).run_all(load_manifest())
    for result in results:
        statuses = {r.status for r in result.results}
        assert statuses <= {Status.PENDING, Status.SKIPPED}, (result.kata.id, [r.message for r in result.results])
        assert result.status is Status.PENDING and result.score == 0


def test_regenerating_keeps_a_backup_of_the_learners_file(tmp_path):
    target = tmp_path / "exercises"
    stubgen.write(target, backup_dir=tmp_path / "backups")
    mine = "def corr2d(X, K):\n    return 'my work'\n"
    (target / "conv_layer.py").write_text(mine, encoding="utf-8")
    stubgen.write(target, backup_dir=tmp_path / "backups")
    saved = list((tmp_path / "backups").rglob("conv_layer.py"))
    assert [p.read_text(encoding="utf-8") for p in saved] == [mine]
    assert "NotImplementedError" in (target / "conv_layer.py").read_text(encoding="utf-8")
    assert len(list((tmp_path / "backups").rglob("*.py"))) == 1, "unchanged files need no backup"


@pytest.mark.parametrize("source, message", [
    ("def corr2d(X, K):\n    ### BEGIN SOLUTION\n    return X\n", "without a matching"),
    ("def corr2d(X, K):\n    return X\n    ### END SOLUTION\n", "without ### BEGIN"),
    ("def helper():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n", "no kata in katas.toml"),
])
def test_malformed_markers_are_reported_with_their_line(source, message):
    with pytest.raises(stubgen.StubError, match=message):
        stubgen.stub_source(source, "conv_layer", load_manifest())


def test_stub_text_replaces_only_the_region():
    source = 'def corr2d(X, K):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return X\n    ### END SOLUTION\n'
    stub = stubgen.stub_source(source, "conv_layer", load_manifest(), name="conv_layer.py")
    assert stub.endswith('def corr2d(X, K):\n    """Doc."""\n'
                         '    raise NotImplementedError("corr2d: implement corr2d (d2l 7.2)")\n')
