"""`kata gradescope build`: the autograder zip, and its run_autograder in a simulated Gradescope
container (AUTOGRADER_ROOT in a temporary folder, this venv's python3 on PATH, setup.sh not run)."""
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.core import stubgen
from grader.dev.examples import CLASS_DIR
from grader.integrations import gradescope
from tests.project.test_batch import validate_gradescope

KATAS = "corr2d,pool2d"  # cheap katas that bob, the partial submission, gets right
BOB = CLASS_DIR / "bob"




def mode(info: zipfile.ZipInfo) -> int:
    return info.external_attr >> 16


def container(tmp_path: Path, autograder: Path) -> Path:
    """/autograder as Gradescope lays it out once setup.sh has run: the zip in source/, run_autograder
    beside it (with the mode the zip gives it), an empty submission/ and results/."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(autograder) as archive:
        archive.extractall(root / "source")
        script = archive.getinfo("run_autograder")
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    os.chmod(root / "run_autograder", stat.S_IMODE(mode(script)))
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root


def autograder_env(root: Path, path: str | None = None) -> dict[str, str]:
    return {**os.environ, "AUTOGRADER_ROOT": str(root),
            "PATH": path or f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def results_of(root: Path) -> dict:
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def run_autograder(root: Path, path: str | None = None) -> dict:
    """Run the container's run_autograder as Gradescope does; the results.json it leaves."""
    subprocess.run([str(root / "run_autograder")], cwd=root, env=autograder_env(root, path), timeout=300, check=True)
    return results_of(root)


def bob_graded(job, config) -> tuple[Path, dict]:
    """`kata gradescope build`'s zip, and the results of its run_autograder on bob's submission."""
    autograder = job.root / "autograder.zip"
    built = job.run([sys.executable, "-m", "grader.cli", "gradescope", "build", "--out", str(autograder),
                     "--katas", KATAS])
    assert built.returncode == 0, built.stderr
    root = container(job.root, autograder)
    for path in BOB.glob("*.py"):
        shutil.copy(path, root / "submission")
    ran = job.run([str(root / "run_autograder")], cwd=root, env=autograder_env(root))
    assert ran.returncode == 0, ran.stderr
    return autograder, results_of(root)


BACKGROUND = {"gradescope_bob": bob_graded}


@pytest.fixture(scope="module")
def autograder(background) -> Path:
    return background["gradescope_bob"].result()[0]


def test_the_zip_holds_the_two_scripts_and_the_sources_needed_to_grade(autograder):
    with zipfile.ZipFile(autograder) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        scripts = {name: archive.read(name).decode() for name in ("setup.sh", "run_autograder")}
        exercises = {name: archive.read(f"exercises/{name}").decode() for name in stubgen.generate()}
    for name, text in scripts.items():
        assert stat.S_ISREG(mode(infos[name])) and stat.S_IMODE(mode(infos[name])) == 0o755, name
        assert text.startswith("#!/usr/bin/env bash\n"), name
    assert f"--katas {KATAS}" in scripts["run_autograder"]
    assert "python3.11-venv" in scripts["setup.sh"] and "pip install" in scripts["setup.sh"]
    for name in ("pyproject.toml", "README.md", "katas.toml", "grader/cli/__init__.py", "grader/integrations/gradescope.py",
                 "grader/checks/__init__.py", "grader/core/mistakes.toml", "solutions/conv_layer.py"):
        assert name in infos and stat.S_IMODE(mode(infos[name])) == 0o644, name
    assert exercises == stubgen.generate()  # pristine stubs, whatever the local exercises/ holds
    assert {name.split("/")[0] for name in infos} == {"setup.sh", "run_autograder", "pyproject.toml", "README.md",
                                                       "katas.toml", "grader", "solutions", "exercises"}
    assert not [n for n in infos if "__pycache__" in n or n.endswith(".pyc") or "/." in n or n.startswith(".")]


def test_gradescope_grades_a_submission_and_gets_its_results(background):
    results = background["gradescope_bob"].result()[1]
    validate_gradescope(results)
    assert [(t["name"].split(":")[0], t["score"], t["max_score"]) for t in results["tests"]] == [
        ("corr2d", 4, 4), ("pool2d", 4, 4)]
    assert results["score"] == 8 and results["output"].startswith("8/8 points")


def test_an_empty_submission_scores_zero_with_the_reason(tmp_path, autograder):
    root = container(tmp_path, autograder)
    results = run_autograder(root)
    validate_gradescope(results)
    assert results["score"] == 0 and "holds no .py file" in results["output"]


def test_a_python_that_cannot_start_still_leaves_a_result(tmp_path, autograder):
    root = container(tmp_path, autograder)
    broken = tmp_path / "bin"
    broken.mkdir()
    (broken / "python3").write_text("#!/bin/sh\nexit 1\n")
    (broken / "python3").chmod(0o755)
    results = run_autograder(root, path=f"{broken}{os.pathsep}/usr/bin{os.pathsep}/bin")
    assert results["score"] == 0 and "could not start" in results["output"]


@pytest.fixture
def graded_as(tmp_path, monkeypatch):
    """``graded_as(make_submission)``: the staged folder `kata grade` would get (kata grade itself
    replaced) and the results run() writes."""
    def grade(make_submission):
        root = tmp_path / "autograder"
        (root / "submission").mkdir(parents=True)
        make_submission(root / "submission")
        staged = {}

        def fake_grade(folder, out, katas):
            staged.update({p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*.py")})
            return {"score": 4.0, "output": "4/8 points", "tests": []}
        monkeypatch.setattr(gradescope, "_grade", fake_grade)
        assert gradescope.run(root, KATAS.split(",")) == 0
        return staged, json.loads((root / "results" / "results.json").read_text())
    return grade


def bob_without_pooling(folder: Path) -> None:
    for path in BOB.glob("*.py"):
        if path.name != "pooling.py":
            shutil.copy(path, folder)


def test_modules_not_submitted_are_graded_as_their_stubs_and_named(graded_as):
    staged, results = graded_as(bob_without_pooling)
    assert staged["conv_layer.py"] == (BOB / "conv_layer.py").read_text()
    assert staged["pooling.py"] == stubgen.generate()["pooling.py"]
    assert results["output"] == "4/8 points\nNot submitted, so graded as the untouched stub: pooling.py."


@pytest.mark.parametrize("upload", ["zip", "folder", "repository"])
def test_a_zip_a_folder_or_a_repository_is_graded_as_the_modules_in_it(graded_as, upload):
    def make(submission: Path) -> None:
        if upload == "zip":
            with zipfile.ZipFile(submission / "my work.zip", "w") as archive:
                for path in BOB.glob("*.py"):
                    archive.write(path, f"exercises/{path.name}")
            return
        folder = submission / "exercises"
        folder.mkdir()
        bob_without_pooling(folder)
        if upload == "repository":
            (submission / "README.md").write_text("# my katas\n")
            (folder / "scratch").mkdir()
            (folder / "scratch" / "try.py").write_text("x = 1\n")
    staged, _ = graded_as(make)
    assert staged["conv_layer.py"] == (BOB / "conv_layer.py").read_text()
    assert "pooling.py" in staged and ("scratch/try.py" in staged) == (upload == "repository")


def test_a_failure_of_the_grader_is_a_result_too(tmp_path, monkeypatch, capsys):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    shutil.copy(BOB / "conv_layer.py", root / "submission")

    def crash(folder, out, katas):
        raise RuntimeError("kata grade exited with status 1")
    monkeypatch.setattr(gradescope, "_grade", crash)
    assert gradescope.run(root, ["corr2d"]) == 1
    results = json.loads((root / "results" / "results.json").read_text())
    validate_gradescope(results)
    assert results["score"] == 0 and "The autograder failed (RuntimeError: kata grade exited" in results["output"]
    assert "Traceback" in capsys.readouterr().out  # the details, for the instructor
