"""The sandbox's limits: memory covers a kata's whole process tree where cgroups allow (root), time
budgets, and a kata's own session keeps the grader's priority."""
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from grader.checks import checks_of_kata
from grader.core import stubgen
from grader.sandbox.client import ForkServer, remove_stale_folders
from grader.sandbox.confine import KataCgroup, Limits, keep_priority_in_new_session

HOG = '''

import os
import time

import torch


def pool2d(X, pool_size, mode="max"):
    """Six processes that each try to hold 200 MB; returns how many hold it once each of them
    either holds it or is dead (a pipe tells: a byte when it holds its block, end of file when it
    dies), waiting up to 10 s for the victims of the memory limit to be gone."""
    kids = []
    for _ in range(6):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            block = bytearray(200 << 20)
            for i in range(0, len(block), 4096):
                block[i] = 1
            os.write(write, b"x")
            time.sleep(60)
            os._exit(0)
        os.close(write)
        kids.append((pid, read))
    for _, read in kids:
        os.read(read, 1)
    living = {pid for pid, _ in kids}
    for _ in range(100):  # an out-of-memory victim may take a moment to die on a busy machine
        living = {pid for pid in living if os.waitpid(pid, os.WNOHANG) == (0, 0)}
        if len(living) <= 2:
            break
        time.sleep(0.1)
    return torch.tensor([[float(len(living))]])
'''


def test_processes_forked_by_a_kata_share_its_memory_limit(tmp_path, sandbox):
    probe = KataCgroup.create("convkata-probe-test", 1 << 30)
    if probe is None:
        pytest.skip("needs root and a writable cgroup filesystem (the per-process limits still apply)")
    probe.remove()
    submission = tmp_path / "hog"
    stubgen.write(submission, backup_dir=tmp_path / "backups")
    with (submission / "pooling.py").open("a") as module:
        module.write(HOG)
    check = next(c for c in checks_of_kata("pool2d") if c.kind == "example")
    run = sandbox.slots[0].run_kata(submission, "pooling", [(check.id, 1)], "hog",
                                    Limits(cpu_seconds=20, memory_bytes=512 << 20))
    held = run.probed()[check.id]["data"][0]["out"]  # the example's first call: its output
    assert 1 <= float(held) <= 2, f"{float(held):g} processes held 200 MB each under a 512 MB limit"


def test_a_submission_time_budget_cuts_the_kata_that_overruns_it_and_skips_the_rest(tmp_path, sandbox):
    from grader.grading.batch import GradeOptions, grade_batch

    submission = tmp_path / "loops"
    stubgen.write(submission, backup_dir=tmp_path / "backups")
    with (submission / "conv_layer.py").open("a") as module:
        module.write("\n\ndef corr2d(X, K):\n    while True:\n        pass\n")
    options = GradeOptions(out=tmp_path / "out", katas=["corr2d", "conv2d_module"], gradebook=False,
                           limits=Limits(cpu_seconds=30), submission_seconds=1.5)
    [record] = grade_batch([submission], options, server=sandbox)
    corr2d, conv2d_module = record.katas
    assert "used more than the 1.5 s left of the submission's 1.5 s of CPU time" in corr2d.checks[0].message
    assert "the submission's 1.5 s of CPU time were used up" in conv2d_module.checks[0].message
    assert record.seconds < 120  # a hang guard: the CPU limits, not the clock, cut it (about 3 s here)


@pytest.mark.skipif(not Path("/proc/self/autogroup").exists(), reason="this kernel has no scheduler autogroups")
def test_a_kata_child_in_its_own_session_keeps_the_graders_nice_value():
    """A kata's process calls setsid(); Linux then schedules its session as a peer of the grader's,
    whatever its nice value, unless the new autogroup is given that value."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: as a kata's process under `nice -n 7 kata grade`
        try:
            os.close(read)
            os.nice(7 - os.nice(0))
            os.setsid()
            keep_priority_in_new_session()
            os.write(write, Path("/proc/self/autogroup").read_bytes())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        autogroup = pipe.read().decode()
    os.waitpid(pid, 0)
    assert autogroup.split()[-2:] == ["nice", "7"], autogroup


def test_a_new_sandbox_removes_what_a_grader_killed_with_sigkill_left(tmp_path, monkeypatch):
    """The temporary folders and the memory cgroup (where there are cgroups) of a process that no
    longer exists go; a live process's stay."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = [tmp_path / f"convkata-sandbox-{dead.pid}-a", tmp_path / f"convkata-staging-{dead.pid}-b"]
    live = tmp_path / f"convkata-sandbox-{os.getpid()}-c"
    for folder in (*stale, live):
        (folder / "kata-x").mkdir(parents=True)
    cgroups = [KataCgroup.create(f"convkata-{pid}-test", 1 << 30) for pid in (dead.pid, os.getpid())]
    try:
        remove_stale_folders()
        KataCgroup.remove_stale()
        assert [folder.exists() for folder in (*stale, live)] == [False, False, True]
        if cgroups[0] is not None:
            assert not cgroups[0].path.exists() and cgroups[1].path.exists()
    finally:
        for cgroup in cgroups:
            if cgroup is not None:
                cgroup.remove()


@pytest.mark.skipif(os.geteuid() != 0, reason="sandbox uids are for a grader run as root")
def test_two_fork_servers_on_one_machine_never_share_a_sandbox_uid(sandbox):
    """Each fork server claims its slots' uids (a cluster worker's, another kata grade's): children of two
    graders never run as one uid, whose process limit (RLIMIT_NPROC, machine-wide) they would share."""
    with ForkServer(2) as other:
        mine, theirs = [slot.uid for slot in sandbox.slots], [slot.uid for slot in other.slots]
        assert len(set(theirs)) == 2 and not set(mine) & set(theirs) and None not in theirs
