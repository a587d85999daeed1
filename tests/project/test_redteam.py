"""The red-team set (tests/redteam/hostile.py), graded in one batch beside two controls.

One batch, as a class would be graded (two job slots, short limits, a few cheap katas): the
reference and the untouched stubs, with every hostile submission between them. Each hostile must
get exactly the checks — and so the points — it earns honestly; the controls must be graded as
usual; nothing may appear outside the sandbox (files, connections, processes); the output folder
must hold only what the grader wrote, consistent with the records; and the batch must finish in
a bounded time.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import socket
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from grader.checks import checks_of_kata
from grader.checks.base import CREDITED_BESIDE_KINDS, VALUE_KINDS
from grader.core.manifest import load_manifest
from grader.core.paths import REPO_ROOT, SOLUTIONS_DIR
from grader.grading.batch import GradeOptions, grade_batch
from grader.grading.formats import class_csv, gradescope_results
from grader.sandbox.client import ForkServer
from grader.sandbox.confine import Limits
from tests.redteam.hostile import ALL, HOSTILES, KATAS, REFERENCE, Hostile, build, stub_folder

#: The fork bomb's pool2d kata (its forks of a torch-sized process, up to the process limit, and the
#: reference's pool2d) takes 1.4 s of CPU time on a quiet machine, but more than 3 s twice in a suite
#: whose background work (a Dask cluster's tests) ran beside it: on this VM a busy machine does bring
#: a kata closer to its CPU limit. 6 s: the two endless loops cost 12 s of the batch.
LIMITS = Limits(cpu_seconds=6, memory_bytes=1 << 30)
JOBS = 2
#: The whole batch (33 submissions × 4 katas, two of them endless loops that hit the CPU limit — 3 s then,
#: plus nbgrader's import and the gradebook) took 14–40 s on this project's 2-core machine, whose
#: speed drifts by half in a day and which runs the suite's background work meanwhile; far more is
#: a grader waiting on something a submission left behind (a hang guard, not a benchmark).
BATCH_SECONDS = 400

CONTROLS = [("reference", SOLUTIONS_DIR, REFERENCE), ("stubs", stub_folder(), {})]
MANIFEST = load_manifest()


def applicable(kata: str) -> list[str]:
    return [c.name for c in checks_of_kata(kata) if c.runnable]


def honest_checks(honest: dict, kata: str) -> set[str]:
    spec = honest.get(kata, ())
    return set(applicable(kata)) if spec == ALL else set(spec)


def expected_points(kata: str, passed: set[str]) -> float:
    """The kata's points for ``passed`` as the grader counts them: in proportion to the applicable
    checks credited — those of CREDITED_BESIDE_KINDS only beside a passed check of VALUE_KINDS."""
    kinds = [c.kind for c in checks_of_kata(kata) if c.name in passed]
    solved = any(kind in VALUE_KINDS for kind in kinds)
    credited = sum(solved or kind not in CREDITED_BESIDE_KINDS for kind in kinds)
    return MANIFEST.get(kata).points * credited / len(applicable(kata))


class Listeners:
    """A TCP port, a UDP port, a unix socket and an abstract unix socket; what reaches them."""

    def __init__(self, folder: Path, token: str):
        self.received: list[tuple[str, bytes]] = []
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.unix_path = folder / "listener.sock"
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind(str(self.unix_path))
        self.unix_path.chmod(0o777)
        folder.chmod(0o755)
        self.unix.listen()
        self.abstract_name = f"convkata-redteam-{token}"
        self.abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.abstract.bind("\0" + self.abstract_name)
        self.abstract.listen()
        self.sockets = [("tcp", self.tcp, True), ("udp", self.udp, False), ("unix", self.unix, True),
                        ("abstract", self.abstract, True)]
        self.open = True
        for name, sock, stream in self.sockets:
            sock.settimeout(0.2)
            threading.Thread(target=self._serve, args=(name, sock, stream), daemon=True).start()

    def _serve(self, name, sock, stream):
        while self.open:
            try:
                if stream:
                    connection, _ = sock.accept()
                    connection.settimeout(1)
                    self.received.append((name, connection.recv(256)))
                    connection.close()
                else:
                    self.received.append((name, sock.recv(256)))
            except TimeoutError:
                continue
            except OSError:
                return

    def close(self):
        self.open = False
        time.sleep(0.3)
        for _, sock, _ in self.sockets:
            sock.close()


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def sandbox_uids(server: ForkServer) -> set[int]:
    """The uids this fork server's slots run their children as (each server claims its own)."""
    return {slot.uid for slot in server.slots if slot.uid is not None}


def sandbox_processes(server: ForkServer) -> set[int]:
    """Processes now run by this fork server's sandbox uids under it: its workers' children and
    anything they left (the workers are subreapers: orphans come back to them)."""
    uids, server_pid, found = sandbox_uids(server), server.process.pid, set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid not in uids:
                    continue
                pid = ancestor = int(entry.name)
                while ancestor > 1 and ancestor != server_pid:
                    ancestor = parent_of(ancestor)
            except OSError:
                continue
            if ancestor == server_pid:
                found.add(pid)
    return found


def digest_tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


def files_named(token: str, roots: list[tuple[Path, int]]) -> list[str]:
    """Paths under each root (to a depth) whose name holds ``token``."""
    found = []
    for root, depth in roots:
        base = len(root.parts)
        for folder, dirs, files in os.walk(root, onerror=lambda error: None):
            here = Path(folder)
            if len(here.parts) - base >= depth or here.name in (".venv", ".git"):
                dirs[:] = []
            found += [str(here / name) for name in dirs + files if token in name]
    return found


#: Files an attack appends its token to, if it can.
WATCHED = [REPO_ROOT / "solutions" / "conv_layer.py", REPO_ROOT / "katas.toml", REPO_ROOT / "grader" / "sandbox" / "server.py"]


def batch_folders(tmp_path_factory, name: str) -> SimpleNamespace:
    """A red-team batch's folders (root, submissions, out) and its token; the sentinel is the name
    of any file an attack manages to create outside its sandbox."""
    root = tmp_path_factory.mktemp(name)
    token = secrets.token_hex(6)
    (root / "submissions").mkdir()
    return SimpleNamespace(root=root, subs=root / "submissions", out=root / "out", token=token,
                           sentinel=f"convkata-redteam-{token}")


@pytest.fixture(scope="module")
def batch(tmp_path_factory, sandbox):
    folders = batch_folders(tmp_path_factory, "redteam")
    root, token, sentinel, subs, out = folders.root, folders.token, folders.sentinel, folders.subs, folders.out
    listeners = Listeners(root, token)
    params = {"SENTINEL": sentinel, "OUT": out, "TMP": subs, "REPO": REPO_ROOT, "TCP": listeners.tcp.getsockname()[1],
              "UDP": listeners.udp.getsockname()[1], "UNIX": listeners.unix_path, "ABSTRACT": listeners.abstract_name}
    paths = []
    for name, folder, _ in CONTROLS[:1]:
        paths.append(subs / name)
        shutil.copytree(folder, paths[-1], ignore=shutil.ignore_patterns("__pycache__"))
    paths += [build(hostile, subs, {k: str(v) for k, v in params.items()}) for hostile in HOSTILES]
    for name, folder, _ in CONTROLS[1:]:
        paths.append(subs / name)
        shutil.copytree(folder, paths[-1], ignore=shutil.ignore_patterns("__pycache__"))
    sources = digest_tree(subs)
    watched = {path: path.read_bytes() for path in WATCHED}
    before = sandbox_processes(sandbox)
    started = time.monotonic()
    try:
        records = grade_batch(paths, GradeOptions(out=out, katas=list(KATAS), limits=LIMITS, jobs=JOBS),
                              server=sandbox)
    finally:
        seconds = time.monotonic() - started
        time.sleep(0.2)
        listeners.close()
    return SimpleNamespace(records={r.student: r for r in records}, ordered=records, seconds=seconds, out=out,
                           root=root, subs=subs, sentinel=sentinel, received=listeners.received, sources=sources,
                           watched=watched, processes_before=before, server=sandbox)


def passed_checks(record: dict, kata: str) -> set[str]:
    entry = next(k for k in record.katas if k.id == kata)
    return {c.name for c in entry.checks if c.status == "passed"}


def check_points(record: dict, honest: dict) -> None:
    """Every kata of ``record`` passes exactly the ``honest`` checks and scores their points."""
    problems = []
    for kata in KATAS:
        entry = next(k for k in record.katas if k.id == kata)
        want, got = honest_checks(honest, kata), passed_checks(record, kata)
        if got != want:
            messages = {c.name: c.message[:300] for c in entry.checks}
            problems.append(f"{kata}: passed {sorted(got)}, honestly {sorted(want)}; unexpected passes: "
                            f"{sorted(got - want)}; failures: " + "; ".join(f"{n}: {messages[n]}" for n in sorted(want - got)))
        if entry.score != pytest.approx(expected_points(kata, want), abs=1e-3):
            problems.append(f"{kata}: {entry.score} points, honestly {expected_points(kata, want):.4g}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("hostile", HOSTILES, ids=lambda h: h.name)
def test_hostile_earns_only_its_honest_points(batch, hostile: Hostile):
    record = batch.records[hostile.name]
    assert record.error is None
    if hostile.accepted is None:
        check_points(record, hostile.honest)
    else:  # a documented limitation: exactly what it is known to give, no more
        check_points(record, hostile.accepted[0])


@pytest.mark.parametrize("name,honest", [(name, honest) for name, _, honest in CONTROLS], ids=[c[0] for c in CONTROLS])
def test_controls_are_graded_as_usual(batch, name, honest):
    record = batch.records[name]
    check_points(record, honest)
    if name == "stubs":
        assert {k.status for k in record.katas} == {"pending"}
    else:
        assert record.score == sum(MANIFEST.get(k).points for k in KATAS)


def test_every_submission_is_graded_in_order(batch):
    assert [r.student for r in batch.ordered] == ["reference", *(h.name for h in HOSTILES), "stubs"]
    assert all([k.id for k in r.katas] == list(KATAS) for r in batch.ordered)


def test_nothing_escaped_the_sandbox(batch):
    token = batch.sentinel
    roots = [(batch.root, 6), (Path("/tmp"), 4), (Path("/var/tmp"), 2), (Path("/dev/shm"), 2), (Path("/root"), 1),
             (Path("/"), 1), (REPO_ROOT, 3)]
    assert files_named(token, roots) == []
    assert {path: path.read_bytes() for path in WATCHED} == batch.watched
    assert digest_tree(batch.subs) == batch.sources, "a submission's files changed"
    assert batch.received == []


def test_no_process_outlives_the_batch(batch):
    assert sandbox_processes(batch.server) <= batch.processes_before


def test_output_folder_holds_only_what_the_grader_wrote(batch):
    out = batch.out
    students = [r.student for r in batch.ordered]
    expected = {"grades.csv", "gradebook.db", *(f"submissions/{s}.json" for s in students),
                *(f"gradescope/{s}/results.json" for s in students)}
    assert {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} == expected
    import json

    for record in batch.ordered:
        student = record.student
        assert json.loads((out / "submissions" / f"{student}.json").read_text()) == record.to_dict()
        assert json.loads((out / "gradescope" / student / "results.json").read_text()) == gradescope_results(record)
    assert (out / "grades.csv").read_text() == class_csv(batch.ordered, MANIFEST)
    from nbgrader.api import Gradebook

    gradebook = Gradebook(f"sqlite:///{out / 'gradebook.db'}")
    try:
        for record in batch.ordered:
            submission = gradebook.find_submission("convkata", record.student)
            assert submission.score == pytest.approx(record.score, abs=1e-3), record.student
    finally:
        gradebook.close()


def test_the_batch_finishes_in_bounded_time(batch):
    print(f"the red-team batch took {batch.seconds:.1f} s")
    assert batch.seconds < BATCH_SECONDS
