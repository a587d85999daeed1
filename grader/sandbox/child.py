"""What runs in the forked child, and only there: confine this process, import the submission,
run the kata's probes, send one frame per check, exit. Nothing here (nor anything it imports)
holds the reference solutions, the judges' verdicts or the results writer: the child runs the
submission's code, which can read anything in its own process."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from grader.core.i18n import set_language
from grader.core.paths import REPO_ROOT
from grader.sandbox import confine
from grader.sandbox.client import scrubbed_environment
from grader.sandbox.protocol import send_frame


def _describe_exception(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"your code called sys.exit({exc.code!r}) (or raised SystemExit) during the check"
    return f"your code raised {type(exc).__name__}: {exc}"


def _outside_project(path: Path) -> bool:
    """Whether ``path`` is not the project's source (a virtual environment inside it is fine)."""
    path = path.resolve()
    return not path.is_relative_to(REPO_ROOT) or path.is_relative_to(Path(sys.prefix).resolve())


def run_child(request: dict, workdir: Path, fd: int) -> None:
    """In the forked child: confine, then probe and report. Never returns."""
    from grader.checks import all_checks
    from grader.checks.probing import probe
    from grader.core.implementation import Implementation

    os.setsid()  # before seccomp, which denies it: the kata's processes stay in this session
    confine.keep_priority_in_new_session()
    confine.die_with_parent()
    limits = confine.Limits(**request["limits"])
    uid = request["uid"]
    confine.set_limits(limits, uid if uid is not None else os.getuid())
    if uid is not None:
        confine.private_namespaces()
        confine.private_scratch(workdir, limits.scratch_bytes, uid)
        confine.reachable_python(confine.python_paths())
    home = workdir / "home"
    os.environ.clear()
    os.environ.update(scrubbed_environment(), HOME=str(home), TMPDIR=str(home), MPLCONFIGDIR=str(home))
    del os.environ["PYTHONPATH"]
    tempfile.tempdir = None
    os.chdir(workdir)
    null = os.open(os.devnull, os.O_RDWR)
    abi = confine.landlock_abi()
    if abi:
        confine.restrict_filesystem(read=[*confine.python_paths(), *confine.SYSTEM_READ], write=[workdir], abi=abi)
    confine.deny_system_calls()
    if uid is not None:
        confine.drop_privileges(uid)
        confine.die_with_parent()
    for std in (0, 1, 2):
        os.dup2(null, std)
    os.closerange(3, fd)
    os.closerange(fd + 1, 1 << 16)
    sys.path[:] = [p for p in sys.path if p and _outside_project(Path(p))]
    module = request["module"]
    checks = {c.id: c for c in all_checks()}
    if "bench" in request:  # kata bench: informational timings, never grades (see grader.bench.sweep)
        from grader.bench.probes import timing_probes

        reference = Implementation(workdir / "reference", shown_as="reference")
        checks.update(timing_probes(reference, module, request["bench"]["sweep"]))
    impl = Implementation(workdir / "submission", shown_as=request["shown_as"])
    set_language(request.get("language"))  # the notes on the learner's errors, in the grader's language
    send_frame(fd, {"event": "started"})
    try:
        impl.module(module)
    except BaseException:  # an import error is reported by each check's probe
        pass
    send_frame(fd, {"event": "imported"})
    symbols, required = tuple(request.get("symbols", ())), tuple(request.get("required", ()))
    for check_id, seed in request["checks"]:
        try:
            probed = probe(checks[check_id], impl, module, seed, symbols, required)
        except BaseException as exc:  # SystemExit, KeyboardInterrupt, …: the check fails, the kata goes on
            probed = {"outcome": "error", "message": _describe_exception(exc)}
        send_frame(fd, {"event": "check", "id": check_id, "probed": probed})
    send_frame(fd, {"event": "done"})
    os._exit(0)
