"""GitHub Classroom: ``kata grade``'s results as the result of a Classroom autograding runner.

    python -m grader.integrations.classroom GRADES >> "$GITHUB_OUTPUT"

prints ``result=<base64 JSON>`` from the one ``GRADES/gradescope/<student>/results.json``, in the
format Classroom's runners (``classroom-resources/autograding-command-grader`` and its kin) hand
to ``classroom-resources/autograding-grading-reporter``: a test per kata with its points, so the
reporter sums partial credit and reports "Points X/Y" to Classroom. classroom/convkata.yml is the
workflow that uses it.
"""
from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path

from grader.core.i18n import _


def runner_result(results: dict) -> dict:
    """A Classroom runner's result from Gradescope's results.json: "pass" only at full marks."""
    tests = [{"name": test["name"], "status": "pass" if test["status"] == "passed" else "fail",
              "score": test["score"], "message": test["output"], "line_no": 0} for test in results["tests"]]
    max_score = sum(test["max_score"] for test in results["tests"])
    full = bool(tests) and all(test["status"] == "pass" for test in tests)
    return {"version": 1, "status": "pass" if full else "fail", "max_score": max_score, "tests": tests}


def github_output(grades: Path) -> str:
    """The ``result=…`` line for $GITHUB_OUTPUT, from the one submission graded into ``grades``."""
    found = sorted(Path(grades).glob("gradescope/*/results.json"))
    if len(found) != 1:
        # Translators: {folder} is the --out folder of `kata grade`; {count} how many results.json it holds
        raise ValueError(_("{folder}: expected the results of one submission, found {count}").format(
            folder=grades, count=len(found)))
    result = runner_result(json.loads(found[0].read_text(encoding="utf-8")))
    return "result=" + base64.b64encode(json.dumps(result).encode()).decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.integrations.classroom", description=_(
        "GitHub Classroom: ``kata grade``'s results as the result of a Classroom autograding runner."))
    parser.add_argument("grades", type=Path, help=_("the --out folder of `kata grade`"))
    try:
        print(github_output(parser.parse_args(argv).grades))
    except ValueError as exc:
        print(f"python -m grader.integrations.classroom: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
