"""exercises/ is generated from solutions/: in sync, same API, every kata pending, nothing lost."""
import ast
import shutil
import subprocess

import pytest

from grader.checks.runner import Runner, Status
from grader.core import stubgen
from grader.core.implementation import load_implementation
from grader.core.manifest import load_manifest
from grader.core.paths import MANIFEST_PATH, SOLUTIONS_DIR


def test_exercises_are_in_sync_with_their_generation():
    """As committed: a learner's work in exercises/ is not a stale generation."""
    assert stubgen.stale_committed() == [], "run `make exercises` and commit exercises/ with solutions/"


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                   check=True, capture_output=True)


@pytest.fixture
def clone(tmp_path):
    """A repository whose one commit holds what exercises/ is generated from and exercises/ in sync
    (made here: this checkout's own exercises/ may hold a learner's work, committed or not)."""
    repo = tmp_path / "clone"
    shutil.copytree(SOLUTIONS_DIR, repo / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(MANIFEST_PATH, repo / "katas.toml")
    (repo / "grader" / "core").mkdir(parents=True)
    shutil.copyfile(stubgen.__file__, repo / "grader" / "core" / "stubgen.py")
    stubgen.write(repo / "exercises", SOLUTIONS_DIR, backup_dir=tmp_path / "backups")
    git(repo, "init", "--quiet")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "the project")
    return repo


def test_a_learners_work_in_exercises_is_not_a_stale_generation(clone):
    (clone / "exercises" / "conv_layer.py").write_text("def corr2d(X, K):\n    return 'committed work'\n")
    git(clone, "commit", "--quiet", "-am", "my corr2d")
    (clone / "exercises" / "pooling.py").write_text("def pool2d(X, pool_size, mode='max'):\n    return 'work'\n")
    (clone / "exercises" / "scratch.py").write_text("x = 1\n")
    assert stubgen.out_of_sync(clone / "exercises", clone / "solutions") == ["conv_layer.py", "pooling.py", "scratch.py"]
    assert stubgen.stale_committed(clone) == []


@pytest.mark.parametrize("commit", [False, True], ids=["uncommitted", "committed"])
def test_a_solution_changed_without_its_regeneration_is_stale(clone, commit):
    (clone / "exercises" / "conv_layer.py").write_text("# a learner's work\n")
    pooling = clone / "solutions" / "pooling.py"
    pooling.write_text(pooling.read_text(encoding="utf-8").replace('"""', '"""Changed. ', 1), encoding="utf-8")
    if commit:
        git(clone, "commit", "--quiet", "-m", "a docstring, not regenerated", "solutions")
    assert stubgen.stale_committed(clone) == ["pooling.py"]
    stubgen.write(clone / "exercises", clone / "solutions", backup_dir=clone / "backups")
    assert stubgen.stale_committed(clone) == []


def test_outside_git_the_working_copy_is_compared(clone):
    shutil.rmtree(clone / ".git")
    (clone / "exercises" / "conv_layer.py").write_text("# edited\n")
    assert stubgen.committed_exercises(clone) is None
    assert stubgen.stale_committed(clone) == ["conv_layer.py"]


def _api(source: str):
    """Imports, and for every top-level function/class/method: arguments, return annotation, docstring."""
    tree = ast.parse(source)
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
    assert _api(stubgen.generate()[name]) == _api((SOLUTIONS_DIR / name).read_text(encoding="utf-8"))


def test_every_solution_region_becomes_a_stub_naming_its_kata():
    stubs = stubgen.generate()
    for name, text in stubs.items():
        assert stubgen.BEGIN not in text and stubgen.END not in text, name
    for kata in load_manifest():
        assert f'raise NotImplementedError("{kata.id}: implement' in stubs[f"{kata.module}.py"], kata.id


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
