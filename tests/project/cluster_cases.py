"""Run by tests/project/test_cluster.py in a pytest of its own, in the background (not collected here).

Grading on a Dask cluster (``kata grade --scheduler``): on a running scheduler, a LocalCluster of two
worker processes over loopback, and on a cluster of a real Dask Gateway server (``gateway:NAME``, TLS through its
proxy), the sample class (examples/class) gets the very records local grading gives it on the same
seed, through the API and the command line; a worker killed with SIGKILL mid-kata changes nothing; a
submission that kills what it can or exhausts its memory takes no worker down; the workers send the
reference's data, and never load the judges."""
from __future__ import annotations

import csv
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from grader.checks import reference
from grader.cli import main
from grader.core.implementation import Implementation
from grader.core.manifest import load_manifest
from grader.core.paths import REPO_ROOT, SOLUTIONS_DIR
from grader.dev.examples import CLASS_DIR
from grader.grading.batch import GradeOptions, Progress, grade_batch
from grader.sandbox.confine import Limits
from tests.project.test_resume import sandbox_servers
from tests.redteam import hostile

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox needs Linux")
distributed = pytest.importorskip("distributed", reason="grading on a cluster needs dask.distributed")

from grader.grading.cluster import ClusterError, SandboxCluster, closed_for_good, loopback_cluster, parse_scheduler  # noqa: E402

KATAS = ["corr2d", "pool2d"]
POINTS = [load_manifest().get(kata).points for kata in KATAS]
SEED = 11
LIMITS = Limits(cpu_seconds=20, memory_bytes=1 << 30)
#: What the workers must never load: the verdict code and the batch grader (the secret seed's user).
JUDGES = ("grader.checks.runner", "grader.grading.batch")


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of two worker processes, one thread each, over loopback, connected to by its address
    as a running scheduler's workers are (``local:N`` is one worker of N threads: a killed worker would
    leave no other); skipped where distributed cannot start them."""
    started = time.monotonic()
    try:
        workers = loopback_cluster(2, 1)
    except Exception as exc:  # no loopback, no processes: whatever keeps a LocalCluster from starting here
        pytest.skip(f"distributed cannot start a LocalCluster here ({type(exc).__name__}: {exc})")
    with workers, SandboxCluster(workers.scheduler_address, katas=KATAS) as cluster:
        assert cluster.references  # as workers of other machines do
        print(f"LocalCluster of 2 workers up in {time.monotonic() - started:.1f} s")
        yield cluster


@pytest.fixture(scope="module")
def small_class() -> list[Path]:
    """The sample class (examples/class): complete, partial (chapter 7 only: complete in KATAS), typical
    mistakes, hostile (stubs and forgeries)."""
    return [CLASS_DIR / student for student in ("alice", "bob", "carol", "mallory")]


def options(out: Path, **more) -> GradeOptions:
    return GradeOptions(out=out, katas=KATAS, seed=SEED, gradebook=False, limits=LIMITS, jobs=2, **more)


def timeless(records) -> dict:
    """Records by student, without their timing; a hostile's (mallory's) by kata scores and statuses only:
    its forgeries' messages name object addresses."""
    return {r.student: by_kata([r])[r.student] if r.student == "mallory" else replace(r, seconds=0.0) for r in records}


def by_kata(records) -> dict:
    """Each student's kata scores and statuses: what a hostile's messages (object addresses) leave comparable."""
    return {r.student: [(k.id, k.score, k.status) for k in r.katas] for r in records}


@pytest.fixture(scope="module")
def graded_here(tmp_path_factory, sandbox, small_class):
    return timeless(grade_batch(small_class, options(tmp_path_factory.mktemp("local")), server=sandbox))


def worker_pids(cluster) -> dict[str, int]:
    return cluster.client.run(os.getpid)


def test_a_class_graded_on_the_cluster_gets_the_records_of_local_grading(cluster, small_class, graded_here, tmp_path,
                                                                          monkeypatch):
    computed_here = OrderedDict()  # the reference's data this process computes: none, the workers send it
    monkeypatch.setattr(reference, "_REFERENCE_DATA", computed_here)
    started = time.monotonic()
    records = grade_batch(small_class, options(tmp_path, scheduler=cluster.scheduler), cluster=cluster)
    assert not computed_here
    print(f"4 submissions x 2 katas on the cluster in {time.monotonic() - started:.1f} s")
    assert [r.student for r in records] == ["alice", "bob", "carol", "mallory"]
    assert timeless(records) == graded_here
    assert graded_here["alice"].score == graded_here["bob"].score == sum(POINTS)
    assert [score for _, score, _ in graded_here["mallory"]] == [0, 0]
    assert 0 < graded_here["carol"].score < sum(POINTS) and any(c.mistakes for k in graded_here["carol"].katas for c in k.checks)
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "grades.csv").read_text().splitlines())}
    assert {s: float(rows[s]["score"]) for s in rows} == {r.student: r.score for r in records}
    assert sorted(p.name for p in (tmp_path / "gradescope").iterdir()) == sorted(graded_here)


def test_the_workers_compute_the_reference_data_but_never_load_the_judges(cluster):
    loaded = cluster.client.run(lambda: sorted(name for name in __import__("sys").modules if name in JUDGES))
    assert loaded and all(names == [] for names in loaded.values()), loaded
    wanted = {"grader.grading.cluster", f"{Implementation(SOLUTIONS_DIR).package}.conv_layer"}  # the reference's corr2d
    modules = cluster.client.run(lambda: wanted <= set(__import__("sys").modules))
    assert any(modules.values())  # in the worker(s) that probed code that brought data


def test_kata_grade_on_local_workers_resumes_and_writes_what_local_grading_does(small_class, graded_here, tmp_path,
                                                                                  capsys, monkeypatch):
    slots = []  # each run's workers' threads: local:2 is one worker of two, on one warm sandbox as -j 2's
    workers = SandboxCluster.workers

    def counted(self) -> int:
        count = workers(self)
        slots.append(self.client.nthreads())
        return count

    monkeypatch.setattr(SandboxCluster, "workers", counted)
    argv = ["grade", *map(str, small_class), "--katas", ",".join(KATAS), "--seed", str(SEED), "--timeout", "20",
            "--memory", "1024", "--no-gradebook", "--out", str(tmp_path), "--scheduler", "local:2"]
    assert main(argv) == 0
    assert [list(threads.values()) for threads in slots] == [[2]]
    from grader.grading.records import SubmissionRecord

    committed = [SubmissionRecord.from_json(p.read_text()) for p in sorted((tmp_path / "submissions").glob("*.json"))]
    assert timeless(committed) == graded_here
    assert main(argv) == 0  # everything is graded already: nothing is probed again
    assert capsys.readouterr().out.count("already graded: skipped") == 4


def test_a_scheduler_that_is_not_one_is_a_usage_error(capsys):
    assert parse_scheduler("local:3") == ("local", 3) and parse_scheduler("tcp://h:8786") == ("address", "tcp://h:8786")
    assert parse_scheduler("gateway:abc") == ("gateway", "abc") and parse_scheduler("gateway:") == ("gateway", "")
    for wrong in ("local:0", "local:x", "somewhere:8786"):
        with pytest.raises(ValueError):
            parse_scheduler(wrong)
    assert main(["grade", str(SOLUTIONS_DIR), "--scheduler", "local:none"]) == 2
    assert "local:N takes a number of job slots" in capsys.readouterr().err


def test_a_worker_that_probes_with_other_checks_stops_the_run(cluster, small_class, tmp_path, monkeypatch):
    monkeypatch.setattr(cluster, "version", "another convkata")
    with pytest.raises(ClusterError, match="install the same version on every worker"):
        grade_batch(small_class, options(tmp_path, scheduler=cluster.scheduler), cluster=cluster)
    assert not list((tmp_path / "submissions").glob("*.json"))


def test_a_submission_that_kills_what_it_can_or_fills_its_memory_takes_no_worker_down(cluster, sandbox, tmp_path):
    chosen = {h.name: h for h in hostile.HOSTILES}
    submissions = [hostile.build(chosen[name], tmp_path / "class", {"REPO": REPO_ROOT})
                   for name in ("kill-everything", "memory-bomb")]
    before = worker_pids(cluster)
    here = grade_batch(submissions, options(tmp_path / "local"), server=sandbox)
    there = grade_batch(submissions, options(tmp_path / "cluster", scheduler=cluster.scheduler), cluster=cluster)
    assert worker_pids(cluster) == before
    assert by_kata(there) == by_kata(here)
    assert there[0].score == sum(POINTS)  # kill-everything's katas are the reference's: its attacks cost it nothing
    assert [k.score for k in there[1].katas] == [POINTS[0], 0]  # memory-bomb: its pool2d asks for 64 GiB


@pytest.fixture(scope="module")
def slow_class(tmp_path_factory, sandbox, small_class):
    """Copies of the small class but its hostile, whose conv_layer.py (corr2d, the first kata) sleeps
    1.5 s at import, and their records graded here."""
    root = tmp_path_factory.mktemp("slow")
    copies = []
    for submission in small_class[:3]:
        copy = root / "class" / submission.name
        shutil.copytree(submission, copy, ignore=shutil.ignore_patterns("__pycache__"))
        with (copy / "conv_layer.py").open("a") as module:
            module.write("\nimport time\ntime.sleep(1.5)\n")
        copies.append(copy)
    return copies, timeless(grade_batch(copies, options(root / "local"), server=sandbox))


def grade_killing(cluster, submissions: list[Path], out: Path, pid_to_kill) -> tuple[list, list[str], list[int]]:
    """Grade on the cluster while a thread SIGKILLs ``pid_to_kill(worker address)`` of a worker busy with a
    submission, once its first kata's child is importing conv_layer.py: (the records, the students
    committed in order, the pid killed)."""
    killed: list[int] = []

    def kill_mid_kata() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = [address for address, keys in cluster.client.processing().items()
                    if any("convkata-probe" in str(key) for key in keys)]
            if busy:
                pid = pid_to_kill(busy[0])
                time.sleep(0.7)
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.05)

    finished: list[str] = []
    killer = threading.Thread(target=kill_mid_kata, daemon=True)
    killer.start()
    started = time.monotonic()
    records = grade_batch(submissions, options(out, scheduler=cluster.scheduler),
                          Progress(finished=lambda record, skipped: finished.append(record.student)), cluster=cluster)
    print(f"graded with pid {killed} killed in {time.monotonic() - started:.1f} s")
    killer.join(5)
    assert killed, "no worker was busy with a submission to kill"
    return records, finished, killed


def test_a_sandbox_server_killed_mid_kata_is_replaced_and_its_submission_probed_again(cluster, slow_class, tmp_path):
    submissions, here = slow_class
    servers = cluster.client.run(lambda dask_worker: dask_worker.plugins["convkata-sandbox"].server.process.pid)
    records, finished, [killed] = grade_killing(
        cluster, submissions, tmp_path, lambda address: cluster.client.run(
            lambda dask_worker: dask_worker.plugins["convkata-sandbox"].server.process.pid, workers=[address])[address])
    assert timeless(records) == here
    assert sorted(finished) == sorted(here)
    now = cluster.client.run(lambda dask_worker: dask_worker.plugins["convkata-sandbox"].server.process.pid)
    assert killed in servers.values() and killed not in now.values() and len(set(now.values()) - set(servers.values())) == 1


def test_a_worker_killed_mid_kata_loses_no_grade_and_duplicates_none(cluster, slow_class, tmp_path):
    submissions, here = slow_class
    records, finished, [killed] = grade_killing(
        cluster, submissions, tmp_path, lambda address: cluster.client.run(os.getpid, workers=[address])[address])
    assert timeless(records) == here
    assert sorted(finished) == sorted(here)  # one record each: none lost, none committed twice
    assert sorted(p.stem for p in (tmp_path / "submissions").glob("*.json")) == sorted(here)
    # the killed worker's sandbox died with it, and its restarted successor removes what it left
    deadline = time.monotonic() + 20
    while (sandbox_servers(killed) or _left_by(killed)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sandbox_servers(killed) == [] and _left_by(killed) == []
    cluster.client.wait_for_workers(2, timeout=60)  # the nanny restarted it


def _left_by(pid: int) -> list[Path]:
    """The temporary folders of the process ``pid`` (its staged submissions, its sandbox's)."""
    return list(Path(tempfile.gettempdir()).glob(f"convkata-*-{pid}-*"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gateway_client():
    """A ``dask_gateway.Gateway`` on Dask's configuration, as an instructor's notebook makes one."""
    import dask_gateway

    gateway = dask_gateway.Gateway()
    try:
        yield gateway
    finally:
        gateway.close()
        closed_for_good(gateway)


@contextmanager
def new_cluster(gateway):
    """A new cluster of the gateway's, shut down at the end."""
    cluster = gateway.new_cluster()
    try:
        yield cluster
    finally:
        cluster.shutdown()
        closed_for_good(cluster.gateway)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    """A Dask Gateway server on loopback (``dask-gateway-server``; its clusters are processes of this user,
    UnsafeLocalBackend) with one cluster of two one-thread workers, started as an instructor starts one
    on a hub; Dask's configuration points at the gateway as a hub's does. Yields the cluster's name."""
    pytest.importorskip("dask_gateway_server", reason="the Gateway test needs dask-gateway-server (make test installs it)")
    pytest.importorskip("dask_gateway", reason="--scheduler gateway: needs dask-gateway")
    import dask

    folder = tmp_path_factory.mktemp("gateway")
    api, proxy, password = _free_port(), _free_port(), secrets.token_hex(8)
    dask_command = str(Path(sys.executable).parent / "dask")
    (folder / "config.py").write_text(f"""
c.DaskGateway.address = "127.0.0.1:{api}"
c.DaskGateway.db_url = "sqlite:///{folder / 'gateway.sqlite'}"
c.Proxy.address = "127.0.0.1:{_free_port()}"
c.Proxy.tcp_address = "127.0.0.1:{proxy}"
c.DaskGateway.backend_class = "dask_gateway_server.backends.local.UnsafeLocalBackend"
c.LocalBackend.clusters_directory = "{folder / 'clusters'}"
c.DaskGateway.authenticator_class = "dask_gateway_server.auth.SimpleAuthenticator"
c.SimpleAuthenticator.password = "{password}"
c.ClusterConfig.scheduler_cmd = ["{dask_command}", "scheduler"]
c.ClusterConfig.worker_cmd = ["{dask_command}", "worker"]
c.ClusterConfig.worker_threads = 1
c.ClusterConfig.worker_memory = "4 G"
""")
    with open(folder / "server.log", "wb") as log:
        server = subprocess.Popen([str(Path(sys.executable).parent / "dask-gateway-server"), "-f", str(folder / "config.py")],
                                  cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    settings = {"gateway.address": f"http://127.0.0.1:{api}", "gateway.proxy-address": f"tcp://127.0.0.1:{proxy}",
                "gateway.auth.type": "basic", "gateway.auth.kwargs": {"password": password}}
    try:
        with dask.config.set(settings):
            deadline = time.monotonic() + 30
            while True:
                try:
                    with gateway_client() as probe:
                        probe.list_clusters()
                    break
                except Exception:
                    if server.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"dask-gateway-server did not start:\n{(folder / 'server.log').read_text()[-3000:]}")
                    time.sleep(0.2)
            with gateway_client() as instructor, new_cluster(instructor) as cluster:
                cluster.scale(2)
                yield cluster.name
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_class_graded_on_a_dask_gateway_cluster_gets_the_records_of_local_grading(gateway, small_class, graded_here,
                                                                                    tmp_path):
    with SandboxCluster(f"gateway:{gateway}", katas=KATAS) as on_gateway:
        assert on_gateway.client.scheduler.address.startswith("gateway://")  # TLS through the gateway's proxy
        records = grade_batch(small_class, options(tmp_path, scheduler=f"gateway:{gateway}"), cluster=on_gateway)
        assert on_gateway.workers() == 2
    assert timeless(records) == graded_here


def test_kata_grade_on_a_gateway_cluster_finds_the_only_one_and_names_the_others(gateway, small_class, graded_here,
                                                                                   tmp_path, capsys):
    argv = ["grade", *map(str, small_class), "--katas", ",".join(KATAS), "--seed", str(SEED), "--timeout", "20",
            "--memory", "1024", "--no-gradebook", "--out", str(tmp_path)]
    assert main([*argv, "--scheduler", "gateway:"]) == 0  # the instructor's only cluster
    from grader.grading.records import SubmissionRecord

    committed = [SubmissionRecord.from_json(p.read_text()) for p in sorted((tmp_path / "submissions").glob("*.json"))]
    assert timeless(committed) == graded_here
    with gateway_client() as instructor:
        assert [c.name for c in instructor.list_clusters()] == [gateway]  # kata grade leaves it running
        capsys.readouterr()
        assert main([*argv, "--force", "--scheduler", "gateway:no-such-cluster"]) == 1
        assert "cannot connect to the Dask Gateway cluster no-such-cluster" in capsys.readouterr().err
        with new_cluster(instructor) as second:
            assert main([*argv, "--force", "--scheduler", "gateway:"]) == 1
            error = capsys.readouterr().err
            assert "you have 2 running" in error and gateway in error and second.name in error
