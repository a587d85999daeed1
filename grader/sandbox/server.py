"""The fork server: ``python -m grader.sandbox.server GRADER_PID [--katas=IDS] R,W...``, started by
``grader.sandbox.client.ForkServer``. It imports torch and the checks once — never the reference
solutions — then forks one slot server per job slot, each talking to the grader over its own pair
of pipes. For each kata request a slot server forks a runner, which reads the request, puts a
private copy of the submission in a fresh folder and forks a child (``grader.sandbox.child``); the
child confines itself, imports the submission, runs the kata's probes and streams one frame per
check back (``grader.sandbox.protocol``). The runner enforces the kata's CPU time limit (and a
wall-clock hang guard), then kills everything the child left behind (it is a subreaper, so even
processes that escaped the child's session come back to it), replies and exits.
"""
from __future__ import annotations

import ctypes
import importlib
import json
import mmap
import os
import select
import selectors
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

from grader.core.files import remove_tree
from grader.sandbox import confine
from grader.sandbox.child import run_child
from grader.sandbox.client import confinement_report
from grader.sandbox.protocol import MAX_OUTPUT_BYTES

#: After the child exits, how long its pipe may stay open (held by something it left behind).
DRAIN_SECONDS = 0.5


def _copy_submission(source: Path, target: Path) -> None:
    """Regular files only (a symlink could point at anything the server can read)."""
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_symlink():
            continue
        if path.is_dir():
            (target / relative).mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / relative)


def _children() -> list[int]:
    """This process's child processes (with the subreaper flag, orphans of a child's tree too)."""
    me = os.getpid()
    return [pid for pid, (parent, _) in confine.process_table().items() if parent == me]


def _kill_everything_left(cgroup: confine.KataCgroup | None) -> None:
    """SIGKILL and reap every process a child left behind, until none is left: this server's
    children (it is a subreaper: orphans of the kata come back to it) and whatever is still in
    the kata's cgroup."""
    for _ in range(1000):
        children = _children()
        strays = [pid for pid in cgroup.processes() if pid not in children] if cgroup is not None else []
        if not children and not strays:
            return
        for pid in children + strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        if strays and not children:
            time.sleep(0.01)  # processes of the group that are not ours end once the kill lands


#: How much of the child's output one read takes.
_READ_BYTES = 1 << 20


#: How often the server reads the kata's CPU time while it runs.
CPU_POLL_SECONDS = 0.1


def _collect(read_fd: int, pid: int, limits: confine.Limits, cpu_used) -> tuple[mmap.mmap, int, str]:
    """Read the child's frames until it exits (plus a short drain), its process tree has used
    ``limits.cpu_seconds`` of CPU time (``cpu_used()``), or ``limits.hang_seconds`` have passed.

    They are read, without copies, into one anonymous mapping of the output limit's size; the
    caller closes (unmaps) it once sent. (No later child inherits it: this runs in a runner that
    exits after replying — see ``_serve_slot``.)"""
    buffer = mmap.mmap(-1, MAX_OUTPUT_BYTES + _READ_BYTES)
    size, ending = 0, "finished"
    deadline = time.monotonic() + limits.hang_seconds
    pidfd = os.pidfd_open(pid)
    selector = selectors.DefaultSelector()
    selector.register(read_fd, selectors.EVENT_READ)
    selector.register(pidfd, selectors.EVENT_READ)
    exited_at = None
    try:
        with memoryview(buffer) as view:
            while True:
                now = time.monotonic()
                limit = deadline if exited_at is None else min(deadline, exited_at + DRAIN_SECONDS)
                if now >= limit:
                    ending = "hang" if exited_at is None else ending
                    break
                if exited_at is None and cpu_used() > limits.cpu_seconds:
                    ending = "timeout"
                    break
                events = selector.select(timeout=min(limit - now, CPU_POLL_SECONDS))
                for key, _ in events:
                    if key.fd == pidfd:
                        selector.unregister(pidfd)
                        exited_at = time.monotonic()
                        continue
                    with view[size:size + _READ_BYTES] as free:
                        count = os.readv(read_fd, [free])
                    if not count:
                        return buffer, size, ending
                    size += count
                    if size > MAX_OUTPUT_BYTES:
                        return buffer, size, "output_limit"
    except BaseException:
        buffer.close()
        raise
    finally:
        selector.close()
        os.close(pidfd)
    return buffer, size, ending


def _serve_one(request: dict) -> tuple[dict, mmap.mmap]:
    """Run one kata; the header, and the mapping whose first ``header["bytes"]`` bytes are the
    child's frames."""
    started = time.monotonic()
    limits = confine.Limits(**request["limits"])
    workdir = Path(tempfile.mkdtemp(prefix="kata-", dir=request["workdir_root"]))
    _copy_submission(Path(request["submission"]), workdir / "submission")
    if "bench" in request:
        _copy_submission(Path(request["bench"]["reference"]), workdir / "reference")
    (workdir / "home").mkdir()
    cgroup = confine.KataCgroup.create(workdir.name.replace("kata-", f"convkata-{os.getpid()}-"),
                                       limits.memory_bytes)
    if cgroup is not None and cgroup.cpu_seconds() is not None:
        cpu_used = cgroup.cpu_seconds
    else:
        cpu_used = lambda: confine.descendants_cpu_seconds(os.getpid())  # noqa: E731
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            if cgroup is not None:
                cgroup.enter()
            run_child(request, workdir, write_fd)
        except BaseException:  # a failure of the sandbox itself, before the submission ran
            traceback.print_exc()
        finally:
            os._exit(70)
    os.close(write_fd)
    try:
        buffer, size, ending = _collect(read_fd, pid, limits, cpu_used)
    finally:
        os.close(read_fd)
        cpu_seconds = cpu_used()
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status = os.waitpid(pid, 0)
        _kill_everything_left(cgroup)
        if cgroup is not None:
            cgroup.remove()
        remove_tree(workdir)
    exit_status = os.waitstatus_to_exitcode(status)
    header = {"bytes": size, "ending": ending, "exit_status": exit_status,
              "seconds": round(time.monotonic() - started, 3), "cpu_seconds": round(cpu_seconds, 3)}
    return header, buffer
def _reply(out, header: dict, buffer: mmap.mmap) -> None:
    """Send one reply, straight from the mapping, then unmap it (nothing of it stays behind)."""
    try:
        out.write(json.dumps(header).encode() + b"\n")
        out.flush()
        with memoryview(buffer) as view:
            sent = 0
            while sent < header["bytes"]:
                with view[sent:header["bytes"]] as rest:
                    sent += os.write(out.fileno(), rest)
    finally:
        buffer.close()


def _warm_up(katas: list[str] | None) -> None:
    """Load what every child would otherwise load itself: the checks, torch's kernels, and — when
    a kata to grade has convergence checks — the digits they train on."""
    import torch
    import torch.nn.functional as F

    from grader.checks import all_checks
    from grader.checks.training import digits
    from grader.core.i18n import load_catalogues

    load_catalogues()  # the child speaks the grader's language, and reads no file for it
    for name in ("grader.core.implementation", "grader.checks.probing", "grader.bench.probes"):
        importlib.import_module(name)  # the child then needs nothing from the project's files
    checks = all_checks()
    if any(c.kind == "training" and (katas is None or c.kata in katas) for c in checks):
        digits(16)
    x = torch.randn(2, 3, 8, 8, requires_grad=True)
    y = F.batch_norm(F.max_pool2d(F.conv2d(x, torch.randn(4, 3, 3, 3)), 2), None, None, training=True)
    y.sum().backward()
    meta = torch.randn(6, 6, device="meta", dtype=torch.float64)
    (meta[1:, 1:] * meta[:-1, :-1] + 1).sum()
    F.conv2d(x.to("meta"), torch.empty(4, 3, 3, 3, device="meta"))


_SUBREAPER = 36  # PR_SET_CHILD_SUBREAPER: orphans of the processes below come back to this one
#: How a runner ends: replied; the grader closed the request pipe; failed before replying.
_REPLIED, _NO_MORE_REQUESTS, _FAILED_BEFORE_REPLY = 0, 3, 70
_SANDBOX_ERROR = {"bytes": 0, "ending": "sandbox_error", "exit_status": None, "seconds": 0.0, "cpu_seconds": 0.0}


def _read_request(request_fd: int) -> bytes:
    """One request line (the grader sends one and waits for its reply); b"" once the pipe is closed."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(request_fd, 1 << 16)
        if not chunk:
            return b""
        data += chunk
    return data


def _run_request(request_fd: int, reply_fd: int) -> int:
    """In a runner: read one request, run its kata, reply; how it ended (``_REPLIED``, …)."""
    line = _read_request(request_fd)
    if not line:
        return _NO_MORE_REQUESTS
    try:
        header, buffer = _serve_one(json.loads(line))
    except Exception:  # the sandbox failed (a full disk, a cgroup it could not make): this kata only
        traceback.print_exc()
        header, buffer = dict(_SANDBOX_ERROR), mmap.mmap(-1, 1)
    _reply(os.fdopen(reply_fd, "wb", closefd=False), header, buffer)
    return _REPLIED


def _serve_slot(request_fd: int, reply_fd: int) -> None:
    """One slot server. For each of the grader's requests it forks a runner, which reads the request,
    runs the kata (forking its child) and replies. The slot server itself never reads a request,
    so no kata — forked from a runner forked from it — finds an earlier request (another student's
    name, files or seeds) in the memory it inherits."""
    libc = ctypes.CDLL(None)
    libc.prctl(_SUBREAPER, 1, 0, 0, 0)
    os.write(reply_fd, json.dumps({"ready": True, **confinement_report()}).encode() + b"\n")
    while True:
        select.select([request_fd], [], [])
        runner = os.fork()
        if runner == 0:
            ending = _FAILED_BEFORE_REPLY
            try:
                confine.die_with_parent()
                libc.prctl(_SUBREAPER, 1, 0, 0, 0)
                ending = _run_request(request_fd, reply_fd)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(ending)
        _, status = os.waitpid(runner, 0)
        _kill_everything_left(None)  # what a runner that failed left behind
        ending = os.waitstatus_to_exitcode(status)
        if ending == _NO_MORE_REQUESTS:
            return
        if ending == _FAILED_BEFORE_REPLY:
            os.write(reply_fd, json.dumps(_SANDBOX_ERROR).encode() + b"\n")
        elif ending != _REPLIED:  # killed mid-reply: the grader cannot read this slot any more
            return


def serve(grader_pid: int, channels: list[tuple[int, int]], katas: list[str] | None = None) -> None:
    """The fork server: warm up once, then fork one slot server per (request fd, reply fd) pair
    and wait for them. Each dies with its parent, and the fork server with the grader."""
    confine.die_with_parent()
    if os.getppid() != grader_pid:  # the grader died before the line above
        os._exit(1)
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    os.dup2(2, 1)  # the server's own prints go to stderr
    _warm_up(katas)
    slots = []
    for index, (request_fd, reply_fd) in enumerate(channels):
        pid = os.fork()
        if pid == 0:
            try:
                confine.die_with_parent()
                for other, (r, w) in enumerate(channels):
                    if other != index:
                        os.close(r)
                        os.close(w)
                _serve_slot(request_fd, reply_fd)
            finally:
                os._exit(0)
        slots.append(pid)
    for request_fd, reply_fd in channels:
        os.close(request_fd)
        os.close(reply_fd)
    for pid in slots:
        os.waitpid(pid, 0)
    os._exit(0)  # nothing to clean up: skip the interpreter's (slow, torch-sized) shutdown


def main(argv: list[str]) -> None:
    """``python -m grader.sandbox.server GRADER_PID [--katas IDS] REQUEST_FD,REPLY_FD...`` (started by ForkServer)."""
    katas = None
    if len(argv) > 1 and argv[1].startswith("--katas="):
        katas = argv.pop(1).split("=", 1)[1].split(",")
    serve(int(argv[0]), [tuple(map(int, channel.split(","))) for channel in argv[1:]], katas)


if __name__ == "__main__":
    main(sys.argv[1:])
