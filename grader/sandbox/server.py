"""Run a submission's probes in a confined process; bring back plain data only.

A ``ForkServer`` is ``python -m grader.sandbox.server``, started with a scrubbed environment: it imports
torch and the checks once — never the reference solutions — then forks one slot server per job
slot, each talking to the grader over its own pair of pipes. For each kata a slot server forks a
child, which copies nothing itself: the server has put a private copy of the submission in a
fresh folder. The child confines itself (grader.sandbox.confine), imports the
submission, runs the kata's probes and streams one frame per check back through a pipe — each
frame a ``torch.save`` of plain data, read with ``torch.load(weights_only=True)``, which cannot
run code. The server enforces the kata's wall-clock limit, then kills everything the child left
behind (it is a subreaper, so even processes that escaped the child's session come back to it).

Protocol between the grader and a slot server: a JSON header line when the slot is ready; then one
JSON line per request, and per reply a JSON header line followed by ``header["bytes"]`` bytes of
the child's frames.
"""
from __future__ import annotations

import ctypes
import importlib
import io
import json
import mmap
import os
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.sandbox import confine
from grader.core.paths import REPO_ROOT

#: The child's frames may not add up to more than this (a probe's data is small: the reference's
#: largest kata, resnet18, sends about 80 KB).
MAX_OUTPUT_BYTES = 16 << 20
#: After the child exits, how long its pipe may stay open (held by something it left behind).
DRAIN_SECONDS = 0.5
_FRAME_HEADER = struct.Struct(">I")
#: Unprivileged uids for the workers when the grader runs as root: nobody (65534) for the first
#: worker, the ids just below it for the others, so that workers cannot touch each other's processes.
SANDBOX_UID = 65534


@dataclass
class KataRun:
    """What came back from one kata's child: its events, in order, and how it ended."""

    events: list[dict] = field(default_factory=list)
    ending: str = "finished"  # finished | timeout | output_limit | refused (a frame the grader would not read)
    exit_status: int | None = None
    seconds: float = 0.0

    @property
    def imported(self) -> bool:
        return any(e.get("event") == "imported" for e in self.events)

    def probed(self) -> dict[str, object]:
        """Check id → what its probe recorded, for every check the child reported."""
        return {str(e.get("id")): e.get("probed") for e in self.events if e.get("event") == "check"}


def decode_frames(data: bytes) -> tuple[list[dict], bool]:
    """The child's frames, loaded with ``weights_only=True``, and whether a frame was refused (a
    refused frame ends the list).

    The child runs the submission, so every byte here may be forged: a frame counts only when
    it is what ``_send_frame`` writes (an uncompressed ``torch.save`` archive with a small
    pickle) holding an event of the shape ``_child`` sends, with plain probe data within
    ``_FrameBudget`` — no zip or pickle bomb, no structure that is cheap to send but costly to
    walk, no malformed event to crash or stall the judges."""
    import torch

    events, offset, budget = [], 0, _FrameBudget()
    while offset + _FRAME_HEADER.size <= len(data):
        (length,) = _FRAME_HEADER.unpack_from(data, offset)
        offset += _FRAME_HEADER.size
        if offset + length > len(data):
            return events, True
        frame = data[offset:offset + length]
        if not _stored_archive(frame):
            return events, True
        try:
            event = torch.load(io.BytesIO(frame), weights_only=True)
        except Exception:
            return events, True
        offset += length
        if not _valid_event(event, budget):
            return events, True
        events.append(event)
    return events, offset != len(data)


#: The most a frame's pickle may hold (the reference's largest is about 5 KB).
MAX_PICKLE_BYTES = 1 << 20
_EVENTS = {"started", "imported", "check", "done"}
_OUTCOMES = {"data", "pending", "error", "import_error"}


class _FrameBudget:
    """What one kata's frames may add up to when walked: values (every visit counts, so shared
    references cannot multiply the work), nesting depth, and tensor bytes (by shape, so a
    zero-stride view of one number cannot stand for gigabytes)."""

    VALUES = 1_000_000
    DEPTH = 64

    def __init__(self):
        self.values = self.VALUES
        self.tensor_bytes = MAX_OUTPUT_BYTES

    def plain(self, value, depth: int = 0) -> bool:
        import torch

        self.values -= 1
        if self.values < 0 or depth > self.DEPTH:
            return False
        kind = type(value)
        if value is None or kind in (bool, int, float, str):
            return True
        if kind in (list, tuple):
            return all(self.plain(v, depth + 1) for v in value)
        if kind is dict:
            return all(type(k) is str and self.plain(v, depth + 1) for k, v in value.items())
        if kind is torch.Tensor:
            try:
                if value.layout != torch.strided or value.device.type != "cpu" or value.is_quantized or value.is_nested:
                    return False
                self.tensor_bytes -= value.numel() * value.element_size()
            except Exception:  # a tensor torch itself cannot describe is no probe data
                return False
            return self.tensor_bytes >= 0
        return False


def _stored_archive(frame: bytes) -> bool:
    """Whether ``frame`` is a zip archive as ``torch.save`` writes it: every member stored
    uncompressed (no deflate bomb), the pickle no larger than MAX_PICKLE_BYTES."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(frame)) as archive:
            members = archive.infolist()
    except Exception:
        return False
    return bool(members) and all(
        m.compress_type == zipfile.ZIP_STORED and m.file_size == m.compress_size
        and not (m.filename.endswith(".pkl") and m.file_size > MAX_PICKLE_BYTES) for m in members)


def _valid_event(event, budget: _FrameBudget) -> bool:
    """Whether ``event`` has the shape of an event ``_child`` sends, with plain probe data."""
    if type(event) is not dict or event.get("event") not in _EVENTS:
        return False
    if event["event"] != "check":
        return set(event) == {"event"}
    probed = event.get("probed")
    if set(event) != {"event", "id", "probed"} or type(event["id"]) is not str or type(probed) is not dict:
        return False
    if probed.get("outcome") == "data":
        warnings = probed.get("warnings")
        return (set(probed) == {"outcome", "data", "warnings"} and type(warnings) is list
                and all(type(w) is str for w in warnings) and budget.plain(probed["data"]))
    return (probed.get("outcome") in _OUTCOMES and set(probed) == {"outcome", "message"}
            and type(probed["message"]) is str)


def confinement_report() -> dict:
    """Which confinement this machine gives a worker (shown in the grader's header)."""
    abi = confine.landlock_abi()
    return {"landlock_abi": abi, "root": os.geteuid() == 0, "platform": sys.platform}


def scrubbed_environment() -> dict[str, str]:
    """The fork server's whole environment: no tokens, no proxies, no user settings; one thread."""
    threads = {name: "1" for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                      "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(REPO_ROOT),
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", **threads}


class SandboxError(RuntimeError):
    """The fork server itself failed (a convkata bug or a broken installation, never the submission)."""


class Slot:
    """One job slot of a fork server: kata runs, one at a time, each in a fresh confined child.
    Run as root, a slot's children run as their own uid (SANDBOX_UID - slot)."""

    def __init__(self, index: int, requests, replies, root: Path, limits: confine.Limits):
        self.index = index
        self.uid = SANDBOX_UID - index if os.geteuid() == 0 else None
        self.limits = limits
        self._requests, self._replies, self._root = requests, replies, root
        self.info: dict | None = None

    def _header(self) -> dict:
        line = self._replies.readline()
        if not line:
            raise SandboxError(f"sandbox slot {self.index} ended (see the messages above)")
        return json.loads(line)

    def ready(self) -> dict:
        """Wait until the fork server has warmed up; what it reports about confinement."""
        if self.info is None:
            self.info = self._header()
        return self.info

    def run_kata(self, submission: Path, module: str, checks: list[tuple[str, int]], shown_as: str,
                 limits: confine.Limits | None = None, bench: dict | None = None) -> KataRun:
        """Probe ``checks`` (id, seed) of ``module`` of the staged ``submission`` in a fresh child,
        within ``limits`` (default: the server's); tracebacks name its files ``shown_as/<file>``.
        ``bench`` (``kata bench`` only): ``{"reference": folder, "sweep": SweepSettings as a dict}``
        — the child then also holds a copy of the reference and can run timing probes."""
        self.ready()
        request = {"submission": str(submission), "shown_as": shown_as, "module": module, "checks": checks,
                   "limits": asdict(limits or self.limits), "uid": self.uid, "workdir_root": str(self._root),
                   **({"bench": bench} if bench is not None else {})}
        try:
            self._requests.write(json.dumps(request).encode() + b"\n")
            self._requests.flush()
            header = self._header()
            data = self._replies.read(header["bytes"])
        except (BrokenPipeError, json.JSONDecodeError, KeyError) as exc:
            raise SandboxError(f"sandbox slot {self.index} failed: {exc!r}") from exc
        events, refused = decode_frames(data)
        return KataRun(events, "refused" if refused else header["ending"], header["exit_status"], header["seconds"])

    def close(self) -> None:
        for pipe in (self._requests, self._replies):
            try:
                pipe.close()
            except OSError:
                pass


#: Temporary folders of a grader (process id next): the sandbox's, and the staged submissions'.
SANDBOX_PREFIX, STAGING_PREFIX = "convkata-sandbox-", "convkata-staging-"


def remove_stale_folders() -> None:
    """Remove the temporary folders of graders that died without removing them (killed with
    SIGKILL): this user's own folders only, named with a process id that no longer exists."""
    for prefix in (SANDBOX_PREFIX, STAGING_PREFIX):
        for path in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
            try:
                owned = path.lstat().st_uid == os.geteuid() and path.is_dir() and not path.is_symlink()
            except OSError:
                continue
            if owned and confine.left_by_dead_process(path.name, prefix):
                shutil.rmtree(path, ignore_errors=True)


def staging_folder() -> Path:
    """A new temporary folder for staged submissions, named so that a later grader can remove it
    if this one is killed (``remove_stale_folders``)."""
    return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-"))


class ForkServer:
    """The fork server and its job slots: ``with ForkServer(2, limits) as server: server.slots[0].run_kata(...)``."""

    def __init__(self, slots: int = 1, limits: confine.Limits | None = None, katas: list[str] | None = None):
        """``katas``: the katas to be graded, if known (the warm-up then loads only what they need)."""
        limits = limits or confine.Limits()
        remove_stale_folders()
        confine.MemoryCgroup.remove_stale()
        self.root = Path(tempfile.mkdtemp(prefix=f"{SANDBOX_PREFIX}{os.getpid()}-"))
        self.root.chmod(0o711)  # each slot's uid may pass through to its own folders, not list others
        channels, theirs = [], []
        for _ in range(slots):
            request_read, request_write = os.pipe()
            reply_read, reply_write = os.pipe()
            channels.append((request_write, reply_read))
            theirs += [request_read, reply_write]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grader.sandbox.server", str(os.getpid()), *([f"--katas={','.join(katas)}"] if katas else []),
             *(f"{theirs[2 * i]},{theirs[2 * i + 1]}" for i in range(slots))],
            stdin=subprocess.DEVNULL, env=scrubbed_environment(), cwd=self.root, pass_fds=theirs)
        for fd in theirs:
            os.close(fd)
        self.slots = [Slot(i, os.fdopen(w, "wb"), os.fdopen(r, "rb"), self.root, limits)
                      for i, (w, r) in enumerate(channels)]

    def close(self) -> None:
        for slot in self.slots:
            slot.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- the server (runs in the fork server process) -------------------------------------------------

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


def _chown_tree(root: Path, uid: int) -> None:
    for path in [root, *root.rglob("*")]:
        os.lchown(path, uid, uid)


def _children() -> list[int]:
    """This process's child processes (with the subreaper flag, orphans of a child's tree too)."""
    me, found = os.getpid(), []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"{entry.path}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me:
                found.append(int(entry.name))
    return found


def _kill_everything_left() -> None:
    """SIGKILL and reap every process a child left behind, until none is left."""
    for _ in range(1000):
        children = _children()
        if not children:
            return
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def _send_frame(fd: int, event: dict) -> None:
    import torch

    buffer = io.BytesIO()
    torch.save(event, buffer)
    data = buffer.getvalue()
    view = memoryview(_FRAME_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _describe_exception(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"your code called sys.exit({exc.code!r}) (or raised SystemExit) during the check"
    return f"your code raised {type(exc).__name__}: {exc}"


def _outside_project(path: Path) -> bool:
    """Whether ``path`` is not the project's source (a virtual environment inside it is fine)."""
    path = path.resolve()
    return not path.is_relative_to(REPO_ROOT) or path.is_relative_to(Path(sys.prefix).resolve())


def _child(request: dict, workdir: Path, fd: int) -> None:
    """In the forked child: confine, then probe and report. Never returns."""
    from grader.checks import all_checks
    from grader.core.implementation import Implementation
    from grader.checks.runner import probe

    os.setsid()
    confine.keep_priority_in_new_session()
    confine.die_with_parent()
    limits = confine.Limits(**request["limits"])
    uid = request["uid"]
    confine.set_limits(limits, uid if uid is not None else os.getuid())
    home = workdir / "home"
    os.environ.clear()
    os.environ.update(scrubbed_environment(), HOME=str(home), TMPDIR=str(home), MPLCONFIGDIR=str(home))
    del os.environ["PYTHONPATH"]
    tempfile.tempdir = None
    os.chdir(workdir)
    null = os.open(os.devnull, os.O_RDWR)
    if uid is not None:
        confine.reachable_python(confine.python_paths())
    abi = confine.landlock_abi()
    if abi:
        confine.restrict_filesystem(read=[*confine.python_paths(), *confine.SYSTEM_READ], write=[workdir], abi=abi)
    confine.deny_sockets()
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
    _send_frame(fd, {"event": "started"})
    try:
        impl.module(module)
    except BaseException:  # an import error is reported by each check's probe
        pass
    _send_frame(fd, {"event": "imported"})
    for check_id, seed in request["checks"]:
        try:
            probed = probe(checks[check_id], impl, module, seed)
        except BaseException as exc:  # SystemExit, KeyboardInterrupt, …: the check fails, the kata goes on
            probed = {"outcome": "error", "message": _describe_exception(exc)}
        _send_frame(fd, {"event": "check", "id": check_id, "probed": probed})
    _send_frame(fd, {"event": "done"})
    os._exit(0)


#: How much of the child's output one read takes.
_READ_BYTES = 1 << 20


def _collect(read_fd: int, pid: int, deadline: float) -> tuple[mmap.mmap, int, str]:
    """Read the child's frames until it exits (plus a short drain) or the deadline passes.

    They go into an anonymous mapping, never into the server's heap: every later child is a
    fork of this process, and could read what an earlier one (another student's) sent from
    memory the server had freed but not cleared. The caller closes (unmaps) it once sent."""
    buffer = mmap.mmap(-1, MAX_OUTPUT_BYTES + _READ_BYTES)
    size, ending = 0, "finished"
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
                    ending = "timeout" if exited_at is None else ending
                    break
                events = selector.select(timeout=limit - now)
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
    if request["uid"] is not None:
        _chown_tree(workdir, request["uid"])
    cgroup = confine.MemoryCgroup.create(workdir.name.replace("kata-", f"convkata-{os.getpid()}-"),
                                         limits.memory_bytes)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            if cgroup is not None:
                cgroup.enter()
            _child(request, workdir, write_fd)
        except BaseException:  # a failure of the sandbox itself, before the submission ran
            traceback.print_exc()
        finally:
            os._exit(70)
    os.close(write_fd)
    try:
        buffer, size, ending = _collect(read_fd, pid, started + limits.wall_seconds)
    finally:
        os.close(read_fd)
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status = os.waitpid(pid, 0)
        _kill_everything_left()
        if cgroup is not None:
            cgroup.remove()
        shutil.rmtree(workdir, ignore_errors=True)
    exit_status = os.waitstatus_to_exitcode(status)
    header = {"bytes": size, "ending": ending, "exit_status": exit_status,
              "seconds": round(time.monotonic() - started, 3)}
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

    for name in ("grader.core.implementation", "grader.checks.runner", "grader.bench.probes"):
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


def _serve_slot(requests, replies) -> None:
    """One slot server: a subreaper that runs the grader's kata requests until its pipe closes."""
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come back to this slot
    replies.write(json.dumps({"ready": True, **confinement_report()}).encode() + b"\n")
    replies.flush()
    for line in requests:
        _reply(replies, *_serve_one(json.loads(line)))


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
                _serve_slot(os.fdopen(request_fd, "rb"), os.fdopen(reply_fd, "wb"))
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
