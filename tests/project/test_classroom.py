"""GitHub Classroom: the workflow template (classroom/convkata.yml) and the points it reports."""
import base64
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from grader.core.paths import REPO_ROOT
from grader.dev.examples import CLASS_DIR
from grader.integrations.classroom import github_output, runner_result

WORKFLOW = REPO_ROOT / "classroom" / "convkata.yml"


def load_workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def workflow():
    return load_workflow()


def step(job, **match):
    """The job's one step whose fields start with these values."""
    found = [s for s in job["steps"] if all(str(s.get(k, "")).startswith(v) for k, v in match.items())]
    assert len(found) == 1, match
    return found[0]


def test_the_workflow_grades_on_push_and_reports_to_classroom(workflow):
    assert workflow["name"] == "Autograding Tests"  # the only name Classroom reads points from
    assert "push" in workflow["on"]
    assert workflow["env"]["CONVKATA_GIT"] and "SUBMISSION" in workflow["env"]
    (name, job), = workflow["jobs"].items()
    assert name == "run-autograding-tests" and job["runs-on"].startswith("ubuntu")
    assert step(job, uses="actions/setup-python@")["with"]["python-version"] == "3.11"
    assert "pip install" in step(job, name="Install convkata")["run"]
    grading = step(job, id="convkata")
    assert "kata grade" in grading["run"] and 'python -m grader.integrations.classroom' in grading["run"]
    reporter = step(job, uses="classroom-resources/autograding-grading-reporter@")
    assert reporter["with"]["runners"] == "convkata"
    assert reporter["env"]["CONVKATA_RESULTS"] == "${{ steps.convkata.outputs.result }}"


def results_of(*tests):
    return {"score": sum(score for _, score, _ in tests), "tests": [
        {"name": name, "score": score, "max_score": points, "status": "passed" if score == points else "failed",
         "output": f"{name}: output"} for name, score, points in tests]}


def test_partial_credit_reaches_the_reporter_per_kata():
    result = runner_result(results_of(("corr2d", 4.0, 4.0), ("pool2d", 1.5, 4.0)))
    assert result["max_score"] == 8 and result["status"] == "fail"
    assert [(t["name"], t["status"], t["score"]) for t in result["tests"]] == [("corr2d", "pass", 4.0),
                                                                               ("pool2d", "fail", 1.5)]
    assert runner_result(results_of(("corr2d", 4.0, 4.0)))["status"] == "pass"
    assert runner_result({"score": 0, "tests": []})["status"] == "fail"  # nothing graded is no pass


def grading_step_run(job, config) -> Path:
    """The workflow's own grading commands, in a checkout whose exercises/ is bob's (his corr2d is
    right), into $GITHUB_OUTPUT; the checkout."""
    workflow = load_workflow()
    job_spec, = workflow["jobs"].values()
    checkout = job.root
    shutil.copytree(CLASS_DIR / "bob", checkout / "exercises")
    env = {**os.environ, **workflow["env"], "KATAS": "corr2d",
           "RUNNER_TEMP": str(checkout), "GITHUB_OUTPUT": str(checkout / "github_output"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    ran = job.run(["bash", "-e", "-c", step(job_spec, id="convkata")["run"]], env=env, cwd=checkout)
    assert ran.returncode == 0, ran.stderr
    return checkout


BACKGROUND = {"grading_step": grading_step_run}


def test_the_grading_step_runs_as_written(background):
    checkout = background["grading_step"].result()
    output = checkout / "github_output"
    key, value = output.read_text().strip().split("=", 1)
    result = json.loads(base64.b64decode(value))
    assert key == "result" and result["status"] == "pass" and result["max_score"] == 4
    assert [(t["name"], t["score"]) for t in result["tests"]] == [("corr2d: 2-D cross-correlation", 4.0)]
    assert github_output(checkout / "grades") == output.read_text().strip()
