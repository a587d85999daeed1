"""Operating-system confinement for a sandboxed worker: Landlock, resource limits, an unprivileged user.

Everything here acts on the calling process and cannot be undone by it: a worker calls
``confine`` once, after it was forked and before it imports a submission.

- Landlock (Linux ≥ 5.13): the process may read only the Python installation and system
  libraries, and read and write only its private folder; no TCP, and (Linux ≥ 6.12) no signals
  or abstract sockets to processes outside its sandbox. The reference solutions, the tests, the
  gradebook, the output folder and other submissions are out of reach.
- Resource limits: address space, CPU seconds, processes and threads, file size, open files, no core dumps.
- When the grader runs as root, the worker drops to an unprivileged uid with no supplementary groups.
- seccomp (x86-64, aarch64): no socket of any kind — Landlock governs only TCP, so without this a
  worker could send UDP anywhere or connect to a unix socket by its path — no SysV IPC, POSIX
  message queue or keyring (shared with other katas, and outliving them), no new session.
- As root: private mount and IPC namespaces, a size-capped tmpfs as the only writable space, and
  cgroups for the kata's whole process tree (memory, one CPU scheduling entity, its CPU time).
"""
from __future__ import annotations

import ctypes
import os
import resource
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

# Landlock's system calls have the same numbers on every Linux architecture.
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_PDEATHSIG = 1

# Filesystem rights by the ABI version that introduced them.
_FS_RIGHTS = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_EXECUTE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 2, 1 << 3
_READ = _EXECUTE | _READ_FILE | _READ_DIR
_NET_TCP = (1 << 0) | (1 << 1)  # bind and connect (ABI 4)
_SCOPES = (1 << 0) | (1 << 1)  # abstract unix sockets and signals (ABI 6)

#: Read-only system folders a Python process with torch needs (shared libraries, locale, devices).
SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache", "/etc/localtime", "/dev/null",
               "/dev/zero", "/dev/urandom", "/proc/cpuinfo", "/sys/devices/system/cpu")

_libc = ctypes.CDLL(None, use_errno=True)


class ConfinementError(RuntimeError):
    """A confinement step failed; the worker must not run the submission."""


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is unavailable."""
    version = _libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(int(version), 0)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _check(result: int, what: str) -> int:
    if result < 0:
        raise ConfinementError(f"{what}: {os.strerror(ctypes.get_errno())}")
    return result


def python_paths() -> list[Path]:
    """The folders the interpreter and its installed packages live in (not the project's own source)."""
    names = ("stdlib", "platstdlib", "purelib", "platlib", "include", "scripts", "data")
    roots = {Path(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    roots |= {Path(sysconfig.get_paths()[n]) for n in names}
    roots.add(Path(sys.executable).resolve().parent)
    return sorted(roots)


def restrict_filesystem(read: list[Path | str], write: list[Path | str], abi: int) -> None:
    """Landlock: from now on this process (and what it forks) may read only beneath ``read``, read
    and write only beneath ``write``, open no TCP connection, and (ABI ≥ 6) signal or reach by
    abstract socket no process outside its sandbox."""
    fs_all = _FS_RIGHTS[max(v for v in _FS_RIGHTS if v <= abi)]
    attr = _RulesetAttr(fs_all, _NET_TCP if abi >= 4 else 0, _SCOPES if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = _check(_libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)),
                     "landlock_create_ruleset")
    try:
        for rights, paths in ((_READ, read), (fs_all, write)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue  # a folder this system does not have
                try:
                    allowed = rights if os.path.isdir(path) else rights & (_READ_FILE | _EXECUTE | (1 << 1) | (1 << 14))
                    rule = _PathBeneathAttr(allowed & fs_all, fd)
                    _check(_libc.syscall(_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                                         ctypes.byref(rule), ctypes.c_uint32(0)), f"landlock_add_rule({path})")
                finally:
                    os.close(fd)
        _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
        _check(_libc.syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)), "landlock_restrict_self")
    finally:
        os.close(ruleset)


def die_with_parent() -> None:
    """SIGKILL this process when its parent dies (set again after a change of user, which clears it)."""
    _libc.prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0)


def keep_priority_in_new_session() -> None:
    """Call after ``setsid()``. Linux's autogroup scheduling gives a new session a group of its own
    that competes with every other group as an equal, whatever its processes' nice values: give
    the group this process's nice value, so that a grader started with ``nice`` stays nice."""
    nice = str(os.getpriority(os.PRIO_PROCESS, 0))
    for _ in range(5):  # without CAP_SYS_ADMIN, Linux takes one such write per 100 ms, machine-wide
        try:
            Path("/proc/self/autogroup").write_text(nice)
            return
        except BlockingIOError:
            time.sleep(0.025)
        except OSError:  # a kernel without autogroups
            return


@dataclass(frozen=True)
class Limits:
    """What one kata's sandboxed process tree may use. ``cpu_seconds`` — the CPU time of the whole
    tree — is the limit that decides a grade: it does not depend on what else the machine runs.
    ``wall_seconds`` only guards against a kata that hangs without computing (sleeping, waiting on
    a pipe); by default it is far above what ``cpu_seconds`` takes on a busy machine."""

    cpu_seconds: float = 60.0
    memory_bytes: int = 4 << 30
    processes: int = 64
    file_bytes: int = 64 << 20
    open_files: int = 256
    #: The kata's private writable space (a tmpfs when the grader runs as root), all files together.
    scratch_bytes: int = 256 << 20
    wall_seconds: float | None = None

    def __post_init__(self):
        if not self.cpu_seconds > 0:
            raise ValueError(f"a kata's CPU time limit must be positive, not {self.cpu_seconds!r}")

    @property
    def hang_seconds(self) -> float:
        """The wall-clock guard: ``wall_seconds``, or 4 × the CPU limit + 10 s (a kata sharing a
        core with three others still gets its CPU time within it)."""
        return self.wall_seconds if self.wall_seconds is not None else 4 * self.cpu_seconds + 10


def _virtual_memory() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _tasks_of(uid: int) -> int:
    """Processes and threads that ``uid`` runs now (RLIMIT_NPROC counts both)."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if os.stat(entry.path).st_uid == uid:
                    count += len(os.listdir(f"{entry.path}/task"))
            except OSError:
                pass
    return count


def set_limits(limits: Limits, uid: int) -> None:
    """Resource limits; memory counts on top of what the forked process already maps (torch's
    libraries), processes on top of what ``uid`` already runs."""
    def cap(kind, value):
        soft, hard = resource.getrlimit(kind)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (value, value))

    cap(resource.RLIMIT_AS, _virtual_memory() + limits.memory_bytes)
    cap(resource.RLIMIT_CPU, int(limits.cpu_seconds) + 5)  # one process's backstop; the tree's is the server's
    cap(resource.RLIMIT_NPROC, _tasks_of(uid) + limits.processes)
    cap(resource.RLIMIT_FSIZE, limits.file_bytes)
    cap(resource.RLIMIT_NOFILE, limits.open_files)
    cap(resource.RLIMIT_CORE, 0)


_CLONE_NEWNS = 0x00020000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = lambda text: None if text is None else text.encode()  # noqa: E731
    _check(_libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)),
           f"mount {target}")


def _closed_ancestor(path: Path) -> Path | None:
    """The outermost folder above ``path`` that other users may not enter (e.g. /root), if any."""
    for ancestor in reversed(path.parents):
        if not os.stat(ancestor).st_mode & 0o001:
            return ancestor
    return None


def reachable_python(paths: list[Path]) -> None:
    """Make the Python installation readable for an unprivileged user, hiding everything else.

    When Python lives under a folder other users may not enter (pyenv in /root, say), this
    covers that folder with an empty, read-only tmpfs into which only the installation is
    bind-mounted, read-only. Needs root, in the private namespaces of ``private_namespaces``."""
    covered: dict[Path, list[Path]] = {}
    for path in paths:
        closed = _closed_ancestor(path.resolve())
        if closed is not None:
            covered.setdefault(closed, []).append(path.resolve())
    for closed, inside in covered.items():
        handles = {path: os.open(path, os.O_PATH | os.O_CLOEXEC) for path in inside}
        _mount("tmpfs", str(closed), "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=1m")
        for path, handle in handles.items():
            path.mkdir(parents=True, exist_ok=True)
            _mount(f"/proc/self/fd/{handle}", str(path), None, _MS_BIND | _MS_REC)
            _mount("none", str(path), None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID)
            os.close(handle)
        _mount("none", str(closed), None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)


_CLONE_NEWIPC = 0x08000000


def private_namespaces() -> None:
    """Move this process (and what it forks) into a mount namespace and an IPC namespace of its
    own: its mounts are seen by nobody else, its SysV IPC objects and POSIX message queues are
    invisible to every other kata, and all of them vanish when its last process ends. Needs root."""
    _check(_libc.unshare(_CLONE_NEWNS | _CLONE_NEWIPC), "unshare(CLONE_NEWNS | CLONE_NEWIPC)")
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE)


def private_scratch(workdir: Path, size_bytes: int, uid: int) -> None:
    """Cover ``workdir`` with a tmpfs of ``size_bytes`` (all files together; a few thousand
    inodes) owned by ``uid``, holding a copy of what ``workdir`` held: the kata's only writable
    space, bounded, and gone — however deep or large — when the namespace's last process ends.
    Call in ``private_namespaces``; needs root."""
    underneath = os.open(workdir, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        _mount("tmpfs", str(workdir), "tmpfs", _MS_NOSUID | _MS_NODEV,
               f"size={size_bytes},nr_inodes=20000,mode=0700,uid={uid},gid={uid}")
        source = Path(f"/proc/self/fd/{underneath}")
        for folder, dirs, files in os.walk(source):
            relative = Path(folder).relative_to(source)
            for name in dirs:
                (workdir / relative / name).mkdir()
                os.chown(workdir / relative / name, uid, uid)
            for name in files:
                target = workdir / relative / name
                target.write_bytes((Path(folder) / name).read_bytes())
                os.chown(target, uid, uid)
    finally:
        os.close(underneath)


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


#: Per machine: the seccomp audit arch, the system calls a kata may not make, by number, and the
#: number of fcntl —
#: sockets (socket, socketpair, io_uring_setup); SysV IPC (shm*, sem*, msg*) and POSIX message
#: queues (mq_*), which other katas could share; the kernel's keyrings (add_key, request_key,
#: keyctl), which outlive the kata; a new session or process group (setsid, setpgid), whose
#: scheduler autogroup would compete with the grader at full priority; file locks and inotify
#: (flock, and fcntl's lock commands in ``_DENIED_FCNTL``), which two katas could signal each
#: other through on files both can read.
_DENIED_SYSCALLS = {
    "x86_64": (0xC000003E, {"socket": 41, "socketpair": 53, "io_uring_setup": 425,
                            "shmget": 29, "shmat": 30, "shmctl": 31, "shmdt": 67,
                            "semget": 64, "semop": 65, "semctl": 66, "semtimedop": 220,
                            "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71,
                            "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243,
                            "mq_notify": 244, "mq_getsetattr": 245,
                            "add_key": 248, "request_key": 249, "keyctl": 250,
                            "setsid": 112, "setpgid": 109, "flock": 73,
                            "inotify_init": 253, "inotify_init1": 294, "fanotify_init": 300}, 72),
    "aarch64": (0xC00000B7, {"socket": 198, "socketpair": 199, "io_uring_setup": 425,
                             "shmget": 194, "shmctl": 195, "shmat": 196, "shmdt": 197,
                             "semget": 190, "semctl": 191, "semtimedop": 192, "semop": 193,
                             "msgget": 186, "msgctl": 187, "msgrcv": 188, "msgsnd": 189,
                             "mq_open": 180, "mq_unlink": 181, "mq_timedsend": 182, "mq_timedreceive": 183,
                             "mq_notify": 184, "mq_getsetattr": 185,
                             "add_key": 217, "request_key": 218, "keyctl": 219,
                             "setsid": 157, "setpgid": 154, "flock": 32,
                             "inotify_init1": 26, "fanotify_init": 262}, 25),
}
#: fcntl's commands that lock (F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW).
_DENIED_FCNTL = (5, 6, 7, 36, 37, 38)
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2
_BPF_LD_W_ABS, _BPF_JEQ_K, _BPF_JGE_K, _BPF_RET_K = 0x20, 0x15, 0x35, 0x06
_RET_ALLOW, _RET_EACCES = 0x7FFF0000, 0x00050000 | 13
_X32_SYSCALL_BIT = 0x40000000
#: Offsets in seccomp's data: the system call's number, the audit arch, the low word of its second argument.
_NR, _ARCH, _ARG1 = 0, 4, 24


def deny_system_calls() -> bool:
    """seccomp: from now on this process (and what it forks) can make none of the system calls in
    ``_DENIED_SYSCALLS`` nor fcntl's ``_DENIED_FCNTL`` — each fails with EACCES — no socket of any
    kind (Landlock governs only TCP), nothing shared with other katas through SysV IPC, message
    queues, keyrings, file locks or inotify, no new session; system calls of another ABI (i386,
    x32) fail too. Returns False on a machine whose system call numbers this does not know."""
    import platform

    known = _DENIED_SYSCALLS.get(platform.machine())
    if known is None:
        return False
    arch, by_name, fcntl = known
    numbers = sorted(set(by_name.values()))
    # 0-4: check the arch, load the number, refuse x32; then one test per denied number; then fcntl:
    # load its command and test each denied one; "allow"; "deny".
    deny = 5 + len(numbers) + 2 + len(_DENIED_FCNTL) + 1
    program = [(_BPF_LD_W_ABS, 0, 0, _ARCH), (_BPF_JEQ_K, 1, 0, arch), (_BPF_RET_K, 0, 0, _RET_EACCES),
               (_BPF_LD_W_ABS, 0, 0, _NR), (_BPF_JGE_K, deny - 5, 0, _X32_SYSCALL_BIT)]
    for number in numbers:
        program.append((_BPF_JEQ_K, deny - len(program) - 1, 0, number))
    allow = deny - 1
    program.append((_BPF_JEQ_K, 0, allow - len(program) - 1, fcntl))
    program.append((_BPF_LD_W_ABS, 0, 0, _ARG1))
    for command in _DENIED_FCNTL:
        program.append((_BPF_JEQ_K, deny - len(program) - 1, 0, command))
    program += [(_BPF_RET_K, 0, 0, _RET_ALLOW), (_BPF_RET_K, 0, 0, _RET_EACCES)]
    assert len(program) == deny + 1
    filters = (_SockFilter * len(program))(*(_SockFilter(*instruction) for instruction in program))
    fprog = _SockFprog(len(program), filters)
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    _check(_libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0), "seccomp")
    return True


CGROUP_ROOT = Path("/sys/fs/cgroup")


class KataCgroup:
    """The cgroups of one kata's whole process tree (cgroup v2, or v1's hierarchies): its memory
    limit (``memory_bytes`` for the child and everything it forks together, where the resource
    limits bound each process alone); one CPU scheduling entity, whatever sessions its processes
    make; and its CPU time, counted for all of them. Needs root and a writable cgroup filesystem;
    ``create`` returns None elsewhere, and the per-process limits stand alone."""

    #: v1 hierarchies a kata gets a group in (v2: one group with these controllers).
    CONTROLLERS = ("memory", "cpu", "cpuacct", "pids")

    def __init__(self, paths: list[Path], unified: bool):
        self.paths, self.unified = paths, unified

    @staticmethod
    def _bases() -> tuple[list[tuple[str, Path]], bool]:
        """(controller, folder its groups are made in) for every controller this machine has; v2 or not."""
        if (CGROUP_ROOT / "cgroup.controllers").exists():
            enabled = (CGROUP_ROOT / "cgroup.subtree_control").read_text().split()
            return [(c, CGROUP_ROOT) for c in ("memory", "cpu", "pids") if c in enabled], True
        bases, seen = [], set()
        for controller in KataCgroup.CONTROLLERS:
            base = CGROUP_ROOT / controller
            if base.is_dir() and base.resolve() not in seen:  # cpu and cpuacct are often one hierarchy
                seen.add(base.resolve())
                bases.append((controller, base))
        return bases, False

    @classmethod
    def create(cls, name: str, memory_bytes: int) -> KataCgroup | None:
        if os.geteuid() != 0:
            return None
        try:
            bases, unified = cls._bases()
        except OSError:
            return None
        if not any(controller == "memory" for controller, _ in bases):
            return None
        group = cls([], unified)
        try:
            for base in dict.fromkeys(base for _, base in bases):
                (base / name).mkdir()
                group.paths.append(base / name)
            memory = next(p for p in group.paths if (p / ("memory.max" if unified else "memory.limit_in_bytes")).exists())
            (memory / ("memory.max" if unified else "memory.limit_in_bytes")).write_text(str(memory_bytes))
            swap = memory / ("memory.swap.max" if unified else "memory.memsw.limit_in_bytes")
            if swap.exists():
                swap.write_text("0" if unified else str(memory_bytes))
        except (OSError, StopIteration):
            group.remove()
            return None
        return group

    @property
    def path(self) -> Path:
        return self.paths[0]

    def enter(self) -> None:
        """Move the calling process into the groups (its children follow)."""
        for path in self.paths:
            (path / "cgroup.procs").write_text(str(os.getpid()))

    def cpu_seconds(self) -> float | None:
        """The CPU time the group's processes have used, living and ended (None if not counted)."""
        for path in self.paths:
            try:
                if self.unified:
                    for line in (path / "cpu.stat").read_text().splitlines():
                        if line.startswith("usage_usec "):
                            return int(line.split()[1]) / 1e6
                elif (path / "cpuacct.usage").exists():
                    return int((path / "cpuacct.usage").read_text()) / 1e9
            except (OSError, ValueError):
                continue
        return None

    def processes(self) -> list[int]:
        """The processes in the group now."""
        found = set()
        for path in self.paths:
            try:
                found.update(int(pid) for pid in (path / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                continue
        return sorted(found)

    def remove(self) -> None:
        """Remove the groups, once every process in them has ended."""
        for path in self.paths:
            try:
                path.rmdir()
            except OSError:
                pass

    @staticmethod
    def remove_stale(prefix: str = "convkata-") -> None:
        """Remove the empty groups ``PREFIX<pid>-…`` whose process has died: what a fork server
        killed with SIGKILL could not remove itself."""
        for base in (CGROUP_ROOT, *(CGROUP_ROOT / c for c in KataCgroup.CONTROLLERS)):
            for path in base.glob(f"{prefix}*") if base.is_dir() else ():
                if left_by_dead_process(path.name, prefix):
                    KataCgroup([path], False).remove()


def process_table() -> dict[int, tuple[int, float]]:
    """Every process now: pid → (its parent's pid, the CPU seconds it and the children it waited
    for have used), from /proc."""
    table, tick = {}, os.sysconf("SC_CLK_TCK")
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"{entry.path}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            table[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / tick)
    return table


def descendants_cpu_seconds(root: int) -> float:
    """The CPU time of every process below ``root`` now (and of the children they waited for): what
    a kata used, where no cgroup counts it (a slot server is a subreaper running one kata at a
    time, so every process below it is the kata's)."""
    table = process_table()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    total, stack, seen = 0.0, list(children.get(root, ())), set()
    while stack:
        pid = stack.pop()
        if pid not in seen:
            seen.add(pid)
            total += table[pid][1]
            stack.extend(children.get(pid, ()))
    return total


def left_by_dead_process(name: str, prefix: str) -> bool:
    """Whether ``name``, ``PREFIX<pid>-…``, names a process that no longer exists (False when that
    is unknown: no pid in the name, or a process of another user)."""
    pid = name[len(prefix):].split("-", 1)[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        pass
    return False


def drop_privileges(uid: int) -> None:
    """Become ``uid`` (group the same number), with no supplementary groups; only root can."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise ConfinementError(f"could not become uid {uid}")
