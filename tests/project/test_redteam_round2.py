"""The second red-team set (tests/redteam/round2.py), graded in one batch with an honest submission,
the stubs and two unreadable zips: every submission is graded, hostile ones get only what they
earn honestly (forging earns nothing without solving), the honest one gets full marks, records
stay small, and nothing is left behind — processes, IPC objects, keys, files.
"""
from __future__ import annotations

import base64
import io
import json
import os
import random
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from grader.checks import checks_of_kata
from grader.checks.base import plain
from grader.core.implementation import load_implementation
from grader.core.manifest import load_manifest
from grader.core.paths import SOLUTIONS_DIR
from grader.grading.batch import GradeOptions, grade_batch
from grader.sandbox.confine import Limits
from tests.project.test_redteam import batch_folders, check_points, files_named, sandbox_processes, sandbox_uids
from tests.redteam import round2
from tests.redteam.hostile import build, stub_folder

JOBS = 2
#: The honest batch_norm_module trains LeNet (about 2 s of CPU time); the spinning children reach
#: this in about 5 s of two cores.
LIMITS = Limits(cpu_seconds=10, memory_bytes=1 << 30)
#: A hang guard (the batch took about 30 s here): far more is a grader waiting on a leftover.
BATCH_SECONDS = 300
#: What a check's record may weigh, whatever the submission sent: with the 123 checks of all the
#: katas, a submission's record stays under about 320 KB.
MAX_CHECK_BYTES = (256 << 10) // 100
MANIFEST = load_manifest()


def forged_data() -> str:
    """The forger's probe data, base64 of a torch.save: the reference's data for every check of
    the round's katas that is not a convergence run (on one seed), and a perfect training run."""
    reference = load_implementation(SOLUTIONS_DIR)
    data = {}
    for kata in round2.KATAS:
        for check in checks_of_kata(kata):
            if check.runnable and not check.trains:
                data[check.id] = plain(check.probe(reference.module(MANIFEST.get(kata).module), check.seed_for(0)))
    run = {"losses": [2.3] + [0.01] * 199, "accuracy": 1.0, "frozen": 0, "parameters": 12, "overfit_loss": 0.0}
    data["batch_norm_module::trains_lenet"] = {"with": run, "batch_dependence": 0.0}
    buffer = io.BytesIO()
    torch.save(data, buffer)
    return base64.b64encode(buffer.getvalue()).decode()


def ipc_objects(uids: set[int]) -> list[str]:
    """SysV IPC objects owned by one of the sandbox ``uids``, from /proc/sysvipc."""
    found = []
    for kind in ("shm", "msg", "sem"):
        lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        header = lines[0].split()
        found += [f"{kind}: {line}" for line in lines[1:]
                  if int(line.split()[header.index("uid")]) in uids]
    return found


def keys_of_sandbox_uids(uids: set[int]) -> dict[int, str]:
    """/proc/key-users' line of each of the sandbox ``uids`` (its keys and their bytes)."""
    path = Path("/proc/key-users")
    if not path.exists():
        return {}
    lines = {int(line.split(":")[0]): line.split(":", 1)[1].split(None, 1)[1]
             for line in path.read_text().splitlines() if line.strip()}
    return {uid: lines[uid] for uid in uids if uid in lines}


def sandbox_files(roots: list[Path], uids: set[int]) -> list[str]:
    """Files and folders owned by one of the sandbox ``uids`` under ``roots`` (not following links)."""
    found = []
    for root in roots:
        for folder, dirs, files in os.walk(root, onerror=lambda error: None):
            for name in dirs + files:
                try:
                    if os.lstat(os.path.join(folder, name)).st_uid in uids:
                        found.append(os.path.join(folder, name))
                except OSError:
                    pass
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory, sandbox):
    folders = batch_folders(tmp_path_factory, "redteam2")
    root, sentinel, subs, out = folders.root, folders.sentinel, folders.subs, folders.out
    others = ["honest", "noise", "cut", "stubs", *(hostile.name for hostile in round2.HOSTILES)]
    params = {"SENTINEL": sentinel, "FORGED": forged_data(), "KEY": str(random.randrange(1 << 20, 1 << 30)),
              "OTHERS": ",".join(others)}
    paths = [subs / "honest"]
    shutil.copytree(SOLUTIONS_DIR, paths[0], ignore=shutil.ignore_patterns("__pycache__"))
    paths += [build(hostile, subs, params) for hostile in round2.HOSTILES]
    (subs / "noise.zip").write_bytes(random.Random(13).randbytes(3000))
    shutil.make_archive(str(subs / "cut"), "zip", paths[0])
    (subs / "cut.zip").write_bytes((subs / "cut.zip").read_bytes()[:4000])
    paths += [subs / "noise.zip", subs / "cut.zip", subs / "stubs"]
    shutil.copytree(stub_folder(), subs / "stubs", ignore=shutil.ignore_patterns("__pycache__"))
    uids = sandbox_uids(sandbox)
    before = SimpleNamespace(processes=sandbox_processes(sandbox), keys=keys_of_sandbox_uids(uids))
    started = time.monotonic()
    records = grade_batch(paths, GradeOptions(out=out, katas=list(round2.KATAS), limits=LIMITS, jobs=JOBS,
                                              gradebook=False), server=sandbox)
    return SimpleNamespace(records={r.student: r for r in records}, ordered=records, out=out, root=root,
                           sentinel=sentinel, seconds=time.monotonic() - started, before=before,
                           server=sandbox, uids=uids, sandbox_root=sandbox.root)


def test_every_submission_is_graded_in_order(batch):
    assert [r.student for r in batch.ordered] == [
        "honest", *(h.name for h in round2.HOSTILES), "noise", "cut", "stubs"]
    assert all([k.id for k in r.katas] == list(round2.KATAS) for r in batch.ordered)


def test_the_honest_submission_gets_full_marks(batch):
    record = batch.records["honest"]
    assert record.score == record.max_score == sum(MANIFEST.get(k).points for k in round2.KATAS), [
        c.message for k in record.katas for c in k.checks if c.status != "passed"]


@pytest.mark.parametrize("hostile", [h for h in round2.HOSTILES if h.name != "forge-probes"], ids=lambda h: h.name)
def test_a_hostile_submission_gets_only_its_honest_checks(batch, hostile, monkeypatch):
    monkeypatch.setattr("tests.project.test_redteam.KATAS", round2.KATAS)
    record = batch.records[hostile.name]
    assert record.error is None
    check_points(record, hostile.honest)


def test_forged_probes_earn_nothing_without_a_solved_check(batch):
    """The forger's structure, example, rule and training checks pass — its own process recorded
    them — but no check of values on seeded inputs does, so they earn nothing."""
    record = batch.records["forge-probes"]
    forged = {c.id for k in record.katas for c in k.checks if c.status == "passed"}
    assert {"conv2d_module::parameters", "batch_norm_module::trains_lenet"} <= forged
    assert all(c.kind not in ("numeric", "gradient") for k in record.katas for c in k.checks if c.id in forged)
    assert record.score == 0 and all(k.uncredited for k in record.katas if k.id != "corr2d")


def test_a_tree_of_processes_is_stopped_by_its_cpu_time_not_the_hang_guard(batch):
    first = batch.records["spin-session"].kata("corr2d").checks[0].message
    assert "of CPU time" in first, first


def test_the_katas_function_imported_from_d2l_earns_nothing(batch):
    corr2d = batch.records["d2l-import"].kata("corr2d")
    assert corr2d.score == 0
    assert all("corr2d is not your own code" in c.message for c in corr2d.applicable())


def test_unreadable_zips_get_a_zero_record_with_the_reason(batch):
    for student in ("noise", "cut"):
        record = batch.records[student]
        assert record.score == 0 and record.error and student in record.error


def test_records_stay_small_whatever_a_submission_sends(batch):
    for record in batch.ordered:
        size = len(record.to_json().encode("utf-8"))
        assert size < MAX_CHECK_BYTES * sum(len(k.checks) for k in record.katas), (record.student, size)
        written = batch.out / "submissions" / f"{record.student}.json"
        assert json.loads(written.read_text(encoding="utf-8")) == record.to_dict()


def test_nothing_owned_by_a_sandbox_uid_outlives_the_batch(batch):
    assert sandbox_processes(batch.server) <= batch.before.processes
    assert ipc_objects(batch.uids) == []
    assert keys_of_sandbox_uids(batch.uids) == batch.before.keys
    assert sandbox_files([Path("/tmp"), Path("/var/tmp"), Path("/dev/shm")], batch.uids) == []
    assert files_named(batch.sentinel, [(Path("/tmp"), 6), (Path("/dev/shm"), 2), (Path("/var/tmp"), 2)]) == []
    assert list(batch.sandbox_root.iterdir()) == []


def test_the_batch_finishes_in_bounded_time(batch):
    print(f"the second red-team batch took {batch.seconds:.1f} s")
    assert batch.seconds < BATCH_SECONDS
