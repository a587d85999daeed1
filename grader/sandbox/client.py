"""The grader's side of the sandbox: ``ForkServer`` starts ``python -m grader.sandbox.server``
with a scrubbed environment and talks to its job slots; ``Slot.run_kata`` sends one kata's
request and reads the child's frames back (``grader.sandbox.protocol``); ``Slot.relay_kata`` hands
them on unread, for a reader elsewhere (a cluster's worker relays them to the grader).

    with ForkServer(2, limits) as server:
        run = server.slots[0].run_kata(staged, "conv_layer", [(check_id, seed), ...], "alice")
"""
from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from grader.core.files import remove_tree
from grader.core.i18n import language
from grader.core.paths import REPO_ROOT
from grader.sandbox import confine
from grader.sandbox.protocol import KataReply, KataRun

#: Unprivileged uids for the workers when the grader runs as root: nobody (65534) for the first
#: worker, the ids just below it for the others, so that workers cannot touch each other's processes.
SANDBOX_UID = 65534



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


def claim_sandbox_uids(count: int) -> tuple[list[int] | None, list[int]]:
    """Run as root: ``count`` sandbox uids (SANDBOX_UID, the ids below it) that no other fork server on
    this machine holds — another grader's, a cluster worker's — each claimed by a lock on a file in the
    temporary folder, released when the server closes or its process ends however it ends; and the
    claims' file descriptors. Not root: (None, []).

    Two graders whose children shared a uid would share its process limit (RLIMIT_NPROC counts a
    uid's processes machine-wide, and each kata's limit is set on top of what the uid runs now)."""
    if os.geteuid() != 0:
        return None, []
    uids, claims = [], []
    for index in range(1024):
        path = Path(tempfile.gettempdir()) / f"convkata-uid-{SANDBOX_UID - index}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        uids.append(SANDBOX_UID - index)
        claims.append(fd)
        if len(uids) == count:
            return uids, claims
    for fd in claims:
        os.close(fd)
    raise SandboxError(f"no {count} free sandbox uids on this machine (1024 graders' slots?)")


class Slot:
    """One job slot of a fork server: kata runs, one at a time, each in a fresh confined child.
    Run as root, a slot's children run as a uid of their own (``uid``: claimed by its server)."""

    def __init__(self, index: int, requests, replies, root: Path, limits: confine.Limits, uid: int | None = None):
        self.index = index
        self.uid = uid
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
                 limits: confine.Limits | None = None, bench: dict | None = None,
                 symbols: tuple[str, ...] = (), required: tuple[str, ...] = ()) -> KataRun:
        """Probe ``checks`` (id, seed) of ``module`` of the staged ``submission`` in a fresh child,
        within ``limits`` (default: the server's); tracebacks name its files ``shown_as/<file>``.
        ``bench`` (``kata bench`` only): ``{"reference": folder, "sweep": SweepSettings as a dict}``
        — the child then also holds a copy of the reference and can run timing probes.
        ``symbols``: the kata's names, which must be the submission's own code (not imported);
        ``required``: the names of the katas it builds on (a library's are reported as borrowed)."""
        return self.relay_kata(submission, module, checks, shown_as, limits, bench, symbols, required).run()

    def relay_kata(self, submission: Path, module: str, checks: list[tuple[str, int]], shown_as: str,
                   limits: confine.Limits | None = None, bench: dict | None = None,
                   symbols: tuple[str, ...] = (), required: tuple[str, ...] = ()) -> KataReply:
        """``run_kata``'s run with the child's frames not yet read (``KataReply.run`` reads them)."""
        self.ready()
        request = {"submission": str(submission), "shown_as": shown_as, "module": module, "checks": checks,
                   "limits": asdict(limits or self.limits), "uid": self.uid, "workdir_root": str(self._root),
                   "symbols": list(symbols), "required": list(required), "language": language(),
                   **({"bench": bench} if bench is not None else {})}
        try:
            self._requests.write(json.dumps(request).encode() + b"\n")
            self._requests.flush()
            header = self._header()
            data = self._replies.read(header["bytes"])
            return KataReply(data, header["ending"], header["exit_status"], header["seconds"], header["cpu_seconds"])
        except (BrokenPipeError, json.JSONDecodeError, KeyError) as exc:
            raise SandboxError(f"sandbox slot {self.index} failed: {exc!r}") from exc

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
                remove_tree(path)


def staging_folder() -> Path:
    """A new temporary folder for staged submissions, named so that a later grader can remove it
    if this one is killed (``remove_stale_folders``)."""
    return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-"))


class ForkServer:
    """The fork server and its job slots: ``with ForkServer(2, limits) as server: server.slots[0].run_kata(...)``."""

    def __init__(self, slots: int = 1, limits: confine.Limits | None = None, katas: list[str] | None = None):
        """``katas``: the katas to be graded, if known (the warm-up then loads only what they need)."""
        limits = limits or confine.Limits()
        uids, self._claims = claim_sandbox_uids(slots)
        remove_stale_folders()
        confine.KataCgroup.remove_stale()
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
        self.slots = [Slot(i, os.fdopen(w, "wb"), os.fdopen(r, "rb"), self.root, limits,
                           None if uids is None else uids[i]) for i, (w, r) in enumerate(channels)]

    def close(self) -> None:
        for slot in self.slots:
            slot.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        remove_tree(self.root)
        for claim in self._claims:
            os.close(claim)
        self._claims = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
