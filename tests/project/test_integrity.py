"""Grading integrity, as properties: points only for computing the answer on secret-seeded inputs;
a kata that shares nothing with other katas and outlives nothing; frames and messages from a
submission that cannot stop, blow up or forge a grade; a kata's names that are its learner's own.

The batch-level attacks are in tests/project/test_redteam_round2.py.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import itertools
import json
import os
import random
import shutil
import tempfile
import time

import pytest
import torch

from grader.checks import checks_of_kata
from grader.checks.base import CREDITED_BESIDE_KINDS, KINDS, SEEDED_KINDS, VALUE_KINDS
from grader.checks.runner import CheckResult, KataResult, ReferenceJudge, Runner
from grader.core.implementation import Implementation
from grader.core.manifest import load_manifest
from grader.core.paths import SOLUTIONS_DIR
from grader.core.scoring import Status
from grader.core.text import clip
from grader.grading.batch import KataRunJudge
from grader.grading.records import KataRecord
from grader.sandbox import confine
from grader.sandbox.protocol import MAX_CHECK_EVENTS, KataRun, decode_frames, send_frame

MANIFEST = load_manifest()
libc = ctypes.CDLL(None, use_errno=True)


# --- forging = solving ---------------------------------------------------------------------------

def test_every_kind_is_either_seeded_or_credited_only_beside_a_value_check():
    assert set(SEEDED_KINDS) | set(CREDITED_BESIDE_KINDS) == set(KINDS)
    assert not set(SEEDED_KINDS) & set(CREDITED_BESIDE_KINDS)
    assert set(VALUE_KINDS) <= set(SEEDED_KINDS)


@pytest.mark.parametrize("kata", [k.id for k in MANIFEST])
def test_a_kata_earns_points_only_where_it_computes_seeded_answers(kata):
    """Over every combination of passed checks: nothing is earned without a passing seeded check;
    checks a submission could forge (CREDITED_BESIDE_KINDS) earn only beside a passing check of
    VALUE_KINDS; a passing value check credits every passed check."""
    checks = [c for c in checks_of_kata(kata) if c.runnable]
    assert any(c.kind in VALUE_KINDS for c in checks), f"{kata} has no check of values on seeded inputs"
    points = MANIFEST.get(kata).points
    for passes in itertools.product((True, False), repeat=len(checks)):
        result = KataResult(MANIFEST.get(kata), [CheckResult(c, Status.PASSED if p else Status.FAILED)
                                                 for c, p in zip(checks, passes)])
        passed = [c for c, p in zip(checks, passes) if p]
        solved = any(c.kind in VALUE_KINDS for c in passed)
        seeded = [c for c in passed if c.kind in SEEDED_KINDS]
        if not seeded:
            assert result.score == 0, [c.name for c in passed]
        credited = len(passed) if solved else len(seeded)
        assert result.score == pytest.approx(points * credited / len(checks))
        assert result.uncredited == (not solved and len(passed) > len(seeded))


# --- a kata shares nothing -----------------------------------------------------------------------

def _in_child(action) -> dict:
    """``action()``'s dict, computed in a forked process (whose confinement dies with it)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            result = action()
        except BaseException as exc:
            result = {"crashed": repr(exc)}
        os.write(write, json.dumps(result).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def _errno_of(result: int) -> int:
    return 0 if result >= 0 else ctypes.get_errno()


_IPC_CREAT, _IPC_PRIVATE = 0o1000, 0
#: x86-64's numbers of the calls glibc may not wrap (mq_open, add_key).
_SYSCALLS = {"x86_64": {"mq_open": 240, "add_key": 248, "keyctl": 250},
             "aarch64": {"mq_open": 180, "add_key": 217, "keyctl": 219}}


@pytest.mark.skipif(os.uname().machine not in _SYSCALLS, reason="seccomp's system call numbers are known for x86-64 and aarch64")
def test_a_confined_kata_can_use_no_ipc_keyring_or_new_session():
    numbers = _SYSCALLS[os.uname().machine]

    def attempts():
        assert confine.deny_system_calls()
        found = {
            "shmget": _errno_of(libc.shmget(_IPC_PRIVATE, 4096, _IPC_CREAT | 0o600)),
            "msgget": _errno_of(libc.msgget(_IPC_PRIVATE, _IPC_CREAT | 0o600)),
            "semget": _errno_of(libc.semget(_IPC_PRIVATE, 1, _IPC_CREAT | 0o600)),
            "mq_open": _errno_of(libc.syscall(numbers["mq_open"], b"convkata-test", os.O_CREAT | os.O_RDWR, 0o600, None)),
            "add_key": _errno_of(libc.syscall(numbers["add_key"], b"user", b"convkata-test", b"secret",
                                              ctypes.c_size_t(6), ctypes.c_int(-4))),
            "keyctl": _errno_of(libc.syscall(numbers["keyctl"], 0, ctypes.c_int(-4), 0)),
        }
        shared = os.open("/usr/bin/env", os.O_RDONLY)  # a file every kata can read
        found["inotify_init1"] = _errno_of(libc.inotify_init1(0))
        for name, call in (("setsid", os.setsid), ("setpgid", lambda: os.setpgid(0, 0)),
                           ("flock", lambda: fcntl.flock(shared, fcntl.LOCK_SH | fcntl.LOCK_NB)),
                           ("fcntl_lock", lambda: fcntl.lockf(shared, fcntl.LOCK_SH | fcntl.LOCK_NB)),
                           ("fcntl_getlk", lambda: fcntl.fcntl(shared, fcntl.F_GETLK, bytes(32)))):
            try:
                call()
                found[name] = 0
            except OSError as exc:
                found[name] = exc.errno
        return found

    assert _in_child(attempts) == dict.fromkeys(
        ["shmget", "msgget", "semget", "mq_open", "add_key", "keyctl", "inotify_init1", "setsid", "setpgid", "flock",
         "fcntl_lock", "fcntl_getlk"], errno.EACCES)
    assert _in_child(lambda: {"fcntl": confine.deny_system_calls() and fcntl.fcntl(0, fcntl.F_GETFD) >= 0}) == {"fcntl": True}


@pytest.mark.skipif(os.geteuid() != 0, reason="private namespaces need root (seccomp denies IPC either way)")
def test_a_katas_ipc_namespace_sees_no_other_katas_objects():
    key = random.randrange(1 << 20, 1 << 30)
    segment = libc.shmget(key, 4096, _IPC_CREAT | 0o666)
    assert segment >= 0
    try:
        def look():
            confine.private_namespaces()
            return {"errno": _errno_of(libc.shmget(key, 0, 0))}

        assert _in_child(look) == {"errno": errno.ENOENT}
        assert libc.shmget(key, 0, 0) == segment  # still there outside
    finally:
        libc.shmctl(segment, 0, None)  # IPC_RMID


@pytest.mark.skipif(os.geteuid() != 0, reason="the tmpfs scratch space needs root")
def test_a_katas_scratch_space_is_size_capped_and_vanishes_with_it(tmp_path):
    workdir = tmp_path / "kata"
    (workdir / "submission").mkdir(parents=True)
    (workdir / "submission" / "conv_layer.py").write_text("x = 1\n")

    def fill():
        confine.private_namespaces()
        confine.private_scratch(workdir, 1 << 20, 65534)
        copied = (workdir / "submission" / "conv_layer.py").read_text()
        deep = os.open(workdir, os.O_RDONLY)
        for _ in range(300):  # deeper than PATH_MAX lets anyone name: gone with the tmpfs all the same
            os.mkdir("d" * 20, dir_fd=deep)
            deep = os.open("d" * 20, os.O_RDONLY, dir_fd=deep)
        try:
            (workdir / "big").write_bytes(b"x" * (2 << 20))
            full = False
        except OSError as exc:
            full = exc.errno == errno.ENOSPC
        return {"copied": copied, "full": full, "owner": (workdir / "submission" / "conv_layer.py").stat().st_uid}

    assert _in_child(fill) == {"copied": "x = 1\n", "full": True, "owner": 65534}
    assert sorted(p.name for p in workdir.iterdir()) == ["submission"]


def _spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_a_katas_cgroup_counts_the_cpu_time_of_its_whole_tree():
    group = confine.KataCgroup.create(f"convkata-{os.getpid()}-cpu-test", 1 << 30)
    if group is None or group.cpu_seconds() is None:
        pytest.skip("needs root and a writable cgroup filesystem with CPU accounting")
    try:
        pid = os.fork()
        if pid == 0:
            group.enter()
            inner = os.fork()
            if inner == 0:
                _spin(0.4)
                os._exit(0)
            _spin(0.4)
            os.waitpid(inner, 0)
            os._exit(0)
        os.waitpid(pid, 0)
        assert group.cpu_seconds() is not None and group.cpu_seconds() >= 0.7
        assert group.processes() == []
    finally:
        group.remove()


def test_the_cpu_time_of_a_process_tree_is_read_from_proc():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        inner = os.fork()
        _spin(0.3)
        if inner == 0:
            os._exit(0)
        os.waitpid(inner, 0)
        os.write(write, b"x")
        time.sleep(30)
        os._exit(0)
    try:
        os.read(read, 1)
        assert confine.descendants_cpu_seconds(os.getpid()) >= 0.5
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)


# --- one submission never stops a batch, and stays small ----------------------------------------

def _frame(event) -> bytes:
    with tempfile.TemporaryFile() as file:
        send_frame(file.fileno(), event)
        file.seek(0)
        return file.read()


_ODD_VALUES = [None, 0, -1, 2 ** 70, 1.5, float("nan"), "", "x" * 300, b"bytes", [], [[]], {}, {1: 2}, {"a": [1]},
               ("t",), torch.zeros(2), torch.zeros(2, dtype=torch.int8), {"outcome": "data"}, ["check"], True]


def _mutated(value, rng: random.Random, depth: int = 0):
    """``value`` with parts replaced by values of unexpected types, or keys added or dropped."""
    if depth > 3 or rng.random() < 0.25:
        return rng.choice(_ODD_VALUES)
    if isinstance(value, dict):
        mutated = {k: (_mutated(v, rng, depth + 1) if rng.random() < 0.5 else v) for k, v in value.items()}
        if rng.random() < 0.2 and mutated:
            mutated.pop(rng.choice(list(mutated)))
        if rng.random() < 0.2:
            mutated[rng.choice(["x", "id", "probed", "message", "warnings"])] = rng.choice(_ODD_VALUES)
        return mutated
    if isinstance(value, list):
        return [_mutated(v, rng, depth + 1) for v in value] + ([rng.choice(_ODD_VALUES)] if rng.random() < 0.2 else [])
    return value


def test_mutated_frames_are_refused_or_judged_never_raised():
    """Fuzz: events of the child's shape with fields of unexpected types, and byte-damaged frames.
    Decoding never raises; whatever it lets through, the judges turn into verdicts."""
    kata = MANIFEST.get("corr2d")
    checks = [c for c in checks_of_kata("corr2d") if c.runnable]
    judge = KataRunJudge(1234)
    rng = random.Random(20261202)
    honest = [{"event": "started"}, {"event": "imported"},
              *({"event": "check", "id": c.id, "probed": {"outcome": "data", "data": [torch.zeros(2, 2)], "warnings": ["w"]}}
                for c in checks),
              {"event": "check", "id": checks[0].id, "probed": {"outcome": "error", "message": "boom"}},
              {"event": "check", "id": checks[1].id,
               "probed": {"outcome": "data", "data": [1.0], "warnings": [], "borrowed": ["d2l.corr2d (d2l.torch.corr2d)"]}},
              {"event": "done"}]
    for case in range(300):
        frames = b"".join(_frame(_mutated(e, rng)) if rng.random() < 0.5 else _frame(e) for e in honest)
        if case % 3 == 0:
            damaged = bytearray(frames)
            for _ in range(rng.randrange(1, 8)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            frames = bytes(damaged[:rng.randrange(len(damaged) + 1)])
        events, refused = decode_frames(frames)
        run = KataRun(events, "refused" if refused else "finished", 0, 0.1, 0.1)
        result = judge.kata_result(kata, run, 99)
        assert [r.check for r in result.results] == checks_of_kata("corr2d"), case
        json.dumps(KataRecord.of(result).checks[0].message)


def test_messages_and_warnings_a_submission_controls_stay_small_and_writable():
    """A 1 MB message of control characters, lone surrogates and 4-byte characters, and 10,000
    warnings (one string, shared): a check's record stays under 2.5 KB of UTF-8 JSON."""
    judge = ReferenceJudge(7)
    check = checks_of_kata("corr2d")[0]
    huge = ("\x1b[2J\ud800😀" * 300_000)[:1_000_000]
    escaped = '\\"\n' * 300_000  # each character two bytes in JSON
    for probed in ({"outcome": "error", "message": huge}, {"outcome": "pending", "message": huge},
                   {"outcome": "error", "message": escaped},
                   {"outcome": "data", "data": huge, "warnings": [huge] * 10_000},
                   {"outcome": "data", "data": [[1.0] * 1000] * 1000, "warnings": ["w"] * 10_000},
                   {"outcome": "data", "data": [1.0], "warnings": [], "borrowed": [huge] * 10_000},
                   {"outcome": "error", "message": huge, "borrowed": [huge, escaped]}):
        result = judge.verdict(check, "conv_layer", probed, 5)
        record = json.dumps(KataRecord.of(KataResult(MANIFEST.get("corr2d"), [result])).checks[0].__dict__,
                            ensure_ascii=False, default=str)
        assert len(record.encode("utf-8")) < 2500
        assert "\x1b" not in record and "\ud800" not in record


def test_a_flood_of_valid_frames_is_refused_after_what_a_kata_sends():
    started, check = _frame({"event": "started"}), _frame(
        {"event": "check", "id": "corr2d::gradient", "probed": {"outcome": "error", "message": "x"}})
    events, refused = decode_frames(started * 1000)
    assert len(events) == 1 and refused
    events, refused = decode_frames(started + check * 1000)
    assert len(events) == 1 + MAX_CHECK_EVENTS and refused


def test_clip_keeps_both_ends_and_says_what_it_cut():
    text = "start " + "x" * 5000 + " end"
    clipped = clip(text, 200)
    assert clipped.startswith("start") and clipped.endswith(" end") and "bytes cut" in clipped
    assert len(clipped.encode()) <= 200
    assert clip("short\n\ttext", 200) == "short\n\ttext"


# --- a kata's names are the learner's own ------------------------------------------------------

@pytest.mark.parametrize("code,own", [
    ("from d2l.torch import corr2d\n", False),
    ("import functools, torch\ncorr2d = functools.partial(torch.nn.functional.conv2d)\n", False),
    ("import torch\ncorr2d = torch.matmul\n", False),
    ("import functools\n\ndef _c(X, K):\n    raise NotImplementedError\n\ncorr2d = functools.lru_cache(_c)\n", True),
])
def test_a_katas_function_imported_from_a_package_fails_every_check_of_the_kata(tmp_path, code, own):
    folder = tmp_path / "impl"
    shutil.copytree(SOLUTIONS_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    with (folder / "conv_layer.py").open("a") as module:
        module.write("\n" + code)
    results = Runner(Implementation(folder), 3).run_kata(MANIFEST.get("corr2d")).results
    messages = [r.message for r in results if r.status is Status.FAILED]
    if own:
        assert not any("not your own code" in m for m in messages)
    else:
        assert len(messages) == len([r for r in results if r.status is not Status.SKIPPED])
        assert all("corr2d is not your own code" in m and "write corr2d yourself in conv_layer.py" in m for m in messages)
        assert all(r.mistakes == ("imported_answer",) for r in results if r.status is Status.FAILED)


def test_the_reference_and_a_module_importing_its_own_other_module_are_their_own(tmp_path):
    """channels.py imports corr2d from conv_layer.py: that is the learner's own code, in their files."""
    results = Runner(Implementation(SOLUTIONS_DIR), 3).run_kata(MANIFEST.get("corr2d_multi_in")).results
    assert all(r.status in (Status.PASSED, Status.SKIPPED) for r in results), [r.message for r in results]


def test_frames_hold_the_probe_data_of_the_reference_within_the_budget():
    """The budget that bounds a judge's work on forged frames is far above what honest data takes."""
    reference = Implementation(SOLUTIONS_DIR)
    for kata in ("resnet18", "googlenet"):
        events = [{"event": "started"}, {"event": "imported"}]
        for check in checks_of_kata(kata):
            if check.runnable and not check.trains:
                from grader.checks.probing import probe

                events.append({"event": "check", "id": check.id,
                               "probed": probe(check, reference, MANIFEST.get(kata).module, 1)})
        decoded, refused = decode_frames(b"".join(_frame(e) for e in events))
        assert not refused and len(decoded) == len(events)


def test_json_records_round_trip_after_clipping():
    record = KataRecord.of(KataResult(MANIFEST.get("corr2d"), [
        ReferenceJudge(1).verdict(checks_of_kata("corr2d")[0], "conv_layer", {"outcome": "error", "message": "\ud800" * 10})]))
    assert json.loads(json.dumps(record.checks[0].message, ensure_ascii=False)) == record.checks[0].message
    record.checks[0].message.encode("utf-8")  # writable as UTF-8 (no lone surrogate)


def test_what_a_kata_borrowed_crosses_the_protocol_and_only_as_a_list_of_text():
    """A probe's "borrowed" (a library's version of an earlier kata's function) is part of a data
    or error frame; anything else under that name, or on another outcome, refuses the frame."""
    def frame(probed):
        return _frame({"event": "check", "id": "corr2d_multi_in::book_example", "probed": probed})

    borrowed = ["d2l.corr2d (d2l.torch.corr2d)"]
    for probed in ({"outcome": "data", "data": [1.0], "warnings": [], "borrowed": borrowed},
                   {"outcome": "error", "message": "boom", "borrowed": borrowed}):
        events, refused = decode_frames(frame(probed))
        assert not refused and events[0]["probed"] == probed
    for probed in ({"outcome": "data", "data": [1.0], "warnings": [], "borrowed": "d2l.corr2d"},
                   {"outcome": "data", "data": [1.0], "warnings": [], "borrowed": [1]},
                   {"outcome": "pending", "message": "stub", "borrowed": borrowed}):
        assert decode_frames(frame(probed))[1], probed
