"""Gradescope: the autograder zip, and what it runs for every submission.

    kata gradescope build [--out autograder.zip] [--katas IDS]         # here: the zip to upload
    python -m grader.integrations.gradescope run [--root /autograder] [--katas IDS]  # there, from run_autograder

The zip holds Gradescope's two scripts at its root (setup.sh, run_autograder) and the project's
source: pyproject.toml, README.md, katas.toml, grader/, solutions/, and exercises/ as freshly
generated stubs. Gradescope unpacks it into /autograder/source and runs setup.sh once, as root,
when it builds the image: Python 3.11 (deadsnakes) and convkata, installed editable (the grader
finds katas.toml and solutions/ beside its package) in a virtual environment at /opt/convkata.

For each submission run_autograder runs ``python -m grader.integrations.gradescope run`` with the first
``python3`` on its PATH after /opt/convkata/bin, from /autograder/source, with AUTOGRADER_ROOT in
place of /autograder when set (the tests simulate Gradescope in a temporary folder that way). It
imports no torch (the container's memory is for ``kata grade``, which it runs). ``run``
stages /autograder/submission — the module files uploaded directly, a folder of them, a
repository with the folder in it, or a single .zip of any of these — fills in every module the
student did not submit with its untouched stub (so those katas are pending, 0 points, and the
rest import as usual), grades it with ``kata grade`` in a subprocess, and copies the student's
results.json to /autograder/results/results.json. When grading fails, it still writes a
results.json: score 0, the reason in "output".
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shlex
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from grader.core import stubgen
from grader.core.i18n import N_, _, language, ngettext
from grader.core.manifest import Kata, kata_ids, load_manifest
from grader.core.paths import REPO_ROOT
from grader.grading.submissions import Submission, SubmissionError, stage

#: The project's entries the autograder needs (exercises/ is generated, not copied).
SOURCES = ("pyproject.toml", "README.md", "katas.toml", "grader", "solutions")
_SKIPPED = {"__pycache__", ".pytest_cache"}
#: The student id the submission is graded under (its folder's name).
STUDENT = "submission"
VENV = "/opt/convkata"
#: A fixed timestamp, so that the same sources always give the same zip.
_EPOCH = (1980, 1, 1, 0, 0, 0)

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu 22.04 or 24.04):
# Python 3.11 from the deadsnakes PPA, and convkata in a virtual environment at {VENV}.
# Made by `kata gradescope build`; see grader/gradescope.py.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y software-properties-common
add-apt-repository -y ppa:deadsnakes/ppa
apt-get install -y python3.11 python3.11-venv
python3.11 -m venv {VENV}
# Editable: the grader reads katas.toml, solutions/ and exercises/ beside its package. CPU wheels of
# torch: Gradescope has no GPU, and the CUDA ones are gigabytes.
{VENV}/bin/pip install --extra-index-url https://download.pytorch.org/whl/cpu -e /autograder/source
# The reference solutions are for the grader (root), not for the submissions it runs unprivileged.
chmod 700 /autograder/source
"""

#: ``{venv}``, ``{katas}``, ``{language}`` and ``{failure}`` are filled in by run_autograder_script.
RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: convkata grades /autograder/submission and writes
# /autograder/results/results.json (see grader/gradescope.py). AUTOGRADER_ROOT replaces /autograder;
# the Python is the first python3 on PATH after setup.sh's virtual environment.
exec 2>&1  # Gradescope keeps stdout for the instructor
root="${{AUTOGRADER_ROOT:-/autograder}}"
export PATH="{venv}/bin:$PATH"
export KATA_LANG={language}  # the language the autograder was built in (kata gradescope build --lang)
cd "$root/source" && python3 -m grader.integrations.gradescope run --root "$root"{katas}
if [ ! -s "$root/results/results.json" ]; then  # Python itself could not run: still leave a result
    mkdir -p "$root/results"
    echo '{{"score": 0, "output": {failure}}}' \\
        > "$root/results/results.json"
fi
"""
#: What the learner reads when Python itself could not run: put in run_autograder in the language of
#: ``kata gradescope build``.
CANNOT_START = N_("The autograder could not start; please tell your instructor.")


def _project_files(root: Path = REPO_ROOT):
    """(name in the zip, path) of every file under SOURCES, without caches and hidden files."""
    for entry in SOURCES:
        path = root / entry
        paths = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in paths:
            relative = file.relative_to(root)
            if not any(part in _SKIPPED or part.startswith(".") for part in relative.parts) and file.suffix != ".pyc":
                yield relative.as_posix(), file


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    """One regular file with Unix permissions ``mode`` (unzip and Gradescope honour them)."""
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.create_system = 3  # Unix: external_attr holds the mode
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def run_autograder_script(katas: list[str] | None = None) -> str:
    """run_autograder, grading ``katas`` (every kata for None), in the language convkata speaks."""
    # A JSON string inside a single-quoted shell word: ASCII escapes only, and no quote that would end the word.
    failure = json.dumps(_(CANNOT_START)).replace("'", "\\u0027")
    return RUN_AUTOGRADER.format(venv=VENV, katas=f" --katas {shlex.quote(','.join(katas))}" if katas else "",
                                 language=language(), failure=failure)


def build_autograder(out: Path, katas: list[str] | None = None) -> list[str]:
    """Write Gradescope's autograder zip to ``out``; return the names it holds. ValueError for an unknown kata."""
    manifest = load_manifest()
    manifest.select(katas)
    buffer = io.BytesIO()  # the whole zip first, so that a failure leaves no partial file
    with zipfile.ZipFile(buffer, "w") as archive:
        _add(archive, "setup.sh", SETUP_SH.encode(), 0o755)
        _add(archive, "run_autograder", run_autograder_script(katas).encode(), 0o755)
        for name, path in _project_files():
            _add(archive, name, path.read_bytes())
        for name, text in stubgen.generate(manifest=manifest).items():
            _add(archive, f"exercises/{name}", text.encode())
        names = archive.namelist()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buffer.getvalue())
    return names


def _submission(folder: Path) -> Submission:
    """What the student uploaded: the folder, or the one .zip in it when it holds no .py file."""
    zips = [p for p in folder.iterdir() if p.suffix == ".zip" and p.is_file()] if folder.is_dir() else []
    if len(zips) == 1 and not any(folder.rglob("*.py")):
        return Submission(STUDENT, zips[0])
    return Submission(STUDENT, folder)


def _fill_in_stubs(staged: Path, katas: list[Kata]) -> list[str]:
    """Copy the stub of every module the submission lacks into it; return the kata modules filled in."""
    filled = []
    for name, text in stubgen.generate().items():
        if not (staged / name).exists():
            (staged / name).write_text(text, encoding="utf-8")
            filled.append(name)
    modules = {f"{kata.module}.py" for kata in katas}
    return [name for name in filled if name in modules]


def _grade(staged: Path, out: Path, katas: list[Kata]) -> dict:
    """``kata grade`` on the staged submission, in a process of its own (a crash there still leaves
    this one to report it); its Gradescope results."""
    command = [sys.executable, "-m", "grader.cli", "grade", str(staged), "--out", str(out), "--jobs", "1",
               "--no-gradebook", "--katas", ",".join(k.id for k in katas)]
    status = subprocess.run(command, cwd=REPO_ROOT).returncode
    results = out / "gradescope" / STUDENT / "results.json"
    if status != 0 or not results.is_file():
        raise RuntimeError(_("kata grade exited with status {status}").format(status=status))
    return json.loads(results.read_text(encoding="utf-8"))


def failure_results(message: str, seconds: float) -> dict:
    """Gradescope's results for a submission that could not be graded: 0 points and the reason."""
    return {"score": 0.0, "execution_time": round(seconds), "output": message, "visibility": "visible",
            "stdout_visibility": "hidden", "tests": [], "extra_data": {}}


def _reason(exc: Exception) -> str:
    """What the student reads when their submission could not be graded (the log gets the details)."""
    if isinstance(exc, SubmissionError):
        return _("convkata could not grade this submission: {reason}").format(reason=exc)
    traceback.print_exception(exc, file=sys.stdout)
    # Translators: {error} is the exception's class (e.g. "RuntimeError"), {reason} its message
    return _("The autograder failed ({error}: {reason}); this says nothing about your code: "
             "please tell your instructor.").format(error=type(exc).__name__, reason=exc)


def grade_submission(root: Path, katas: list[str] | None = None) -> dict:
    """Grade ``root``/submission; Gradescope's results. SubmissionError when it cannot be staged."""
    selected = load_manifest().select(katas)
    with tempfile.TemporaryDirectory(prefix="convkata-gradescope-") as work:
        staged = Path(work) / STUDENT
        stage(_submission(root / "submission"), staged)
        filled = _fill_in_stubs(staged, selected)
        results = _grade(staged, Path(work) / "grades", selected)
    if filled:
        # Translators: {files} lists the module files the learner did not submit, e.g. "pooling.py, lenet.py"
        results["output"] += "\n" + ngettext("Not submitted, so graded as the untouched stub: {files}.",
                                              "Not submitted, so graded as the untouched stubs: {files}.",
                                              len(filled)).format(files=", ".join(filled))
    return results


def run(root: Path, katas: list[str] | None = None) -> int:
    """Grade the submission under ``root`` and write ``root``/results/results.json whatever happens:
    0 when the submission was graded, 1 when the results say why it could not be."""
    started = time.monotonic()
    try:
        results, status = grade_submission(root, katas), 0
    except Exception as exc:  # whatever failed, Gradescope gets a result
        results, status = failure_results(_reason(exc), time.monotonic() - started), 1
    path = root / "results" / "results.json"  # read once run_autograder has ended: no need to write atomically
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.integrations.gradescope",
                                     description=_("Gradescope: the autograder zip, and what it runs for every submission."))
    parser.add_argument("action", choices=["run"], help=_("grade ROOT/submission into ROOT/results/results.json"))
    parser.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"),
                        help=_("Gradescope's folder (default: /autograder, or $AUTOGRADER_ROOT)"))
    parser.add_argument("--katas", default=None, metavar="IDS", help=_("comma-separated kata ids (default: every kata)"))
    args = parser.parse_args(argv)
    return run(Path(args.root), kata_ids(args.katas))


if __name__ == "__main__":
    sys.exit(main())
