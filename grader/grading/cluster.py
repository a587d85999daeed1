"""Grading on a Dask cluster: ``kata grade --scheduler tcp://HOST:8786`` (a running scheduler; ``tls://``
with the TLS files in Dask's configuration), ``--scheduler gateway:NAME`` (a Dask Gateway cluster, the
gateway's address and credentials from Dask's configuration, as a JupyterHub sets them) or
``--scheduler local:N`` (a Dask LocalCluster in this process: one worker of N threads, N job slots on one
warm sandbox, as ``-j N`` has).

    with SandboxCluster("local:2", katas=["corr2d"]) as cluster:
        for key, probes, seconds in cluster.probe(jobs, limits):   # jobs: (key, staged, student, requests)
            ...                                                    # judged and committed by grader.grading.batch

What runs where:

- Each worker holds one warm fork server (grader.sandbox.client.ForkServer) for its lifetime, a
  slot per worker thread: ``SandboxPlugin``, registered by the client, starts it at the worker's
  setup and closes it at its teardown (a worker killed with SIGKILL takes it along: the server dies
  with its parent, and the next fork server on that machine removes what was left).
- A task (``probe_task``) is one submission: its files as bytes ({relative path: bytes}; no shared
  file system), its student id and the ``KataRequest``s — the checks' ids and input seeds, exactly
  what a slot's request holds. The worker writes the files into a private temporary folder and
  probes them with ``grader.grading.session.probe_submission``, the function the local slots run:
  every kata in a fresh confined child. It never gets the run's secret seed or the judges (this
  module imports neither ``grader.grading.batch`` nor ``grader.checks.runner``).
- What comes back: per kata its child's frames, exactly as the child sent them
  (``grader.sandbox.protocol.KataReply``), how the run ended, and (unless the workers share this
  machine, ``local:N``) the reference's data for each check that brought data, on the same inputs
  (``grader.checks.reference``), computed in the worker's own process — never in the sandbox, whose
  children fork from a server that has not loaded the reference. Re-running the reference is most of
  judging (measured: 88% of a full submission's, the once-a-run convergence runs apart), so the
  client, which judges every submission, only compares. The
  client reads the frames with the same checked ``decode_frames`` as a local slot's reply; the
  judges, the secret seed, the convergence checks' reference runs (once a run) and the records stay
  with it (grader.grading.batch), and it commits each record through the same ResultStore.

A submission is one task, not a kata: its katas share one upload of its files, its CPU budget
(``--submission-timeout``) and what an earlier kata found (a module whose import hangs is not
imported again), as on a local slot; and a record is committed per submission anyway.

Faults: a worker that dies mid-task (kill -9, a lost machine) has its task run again elsewhere by
the scheduler (up to its ``allowed-failures``); a task that raises — the worker's fork server
failed, SandboxError, after which the worker starts a fresh one — is retried ``RETRIES`` times.
The client takes one result per submission, so nothing is graded twice. A task that still fails
stops the run with ClusterError; the records committed so far stay, and the same command grades
the rest.
"""
from __future__ import annotations

import importlib
import queue
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from distributed import Client, LocalCluster, WorkerPlugin, as_completed, get_worker

from grader.core.files import remove_tree
from grader.core.i18n import _, language, set_language
from grader.core.paths import MANIFEST_PATH, REPO_ROOT, SOLUTIONS_DIR, sources_digest
from grader.grading.session import KataProbes, KataRequest, probe_submission
from grader.sandbox.client import ForkServer, SandboxError, confinement_report, staging_folder
from grader.sandbox.confine import Limits
from grader.sandbox.protocol import KataReply

#: The worker plugin's name: one per worker, whichever client registered it first.
PLUGIN = "convkata-sandbox"
#: How often a task that raised (its worker's fork server failed) is run again.
RETRIES = 2
#: How long the client waits for a scheduler to answer, and then for a first worker to join it.
CONNECT_SECONDS, WORKER_SECONDS = 20.0, 60.0


class ClusterError(SandboxError):
    """The cluster could not probe a submission (its workers kept dying, a worker's sandbox kept
    failing, a worker runs other checks): a fault of the grading machines, never of the submission."""


def parse_scheduler(text: str) -> tuple[str, str | int]:
    """``--scheduler``'s value as (kind, what): ("address", "tcp://HOST:PORT"), ("local", N) for
    ``local:N``, ("gateway", NAME) for ``gateway:NAME`` (NAME may be empty: the user's only cluster);
    ValueError for anything else."""
    if text.startswith("local:"):
        count = text.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise ValueError(_("--scheduler {scheduler}: local:N takes a number of job slots, N ≥ 1 (local:2)")
                             .format(scheduler=text))
        return "local", int(count)
    if text.startswith("gateway:") and "://" not in text:
        return "gateway", text.removeprefix("gateway:")
    if "://" not in text:
        raise ValueError(_("--scheduler {scheduler}: give a Dask scheduler's address (tcp://HOST:8786), "
                           "gateway:CLUSTER or local:N").format(scheduler=text))
    return "address", text


def loopback_cluster(workers: int, threads: int) -> LocalCluster:
    """A LocalCluster of ``workers`` workers of ``threads`` threads: one worker runs in this process,
    several in processes of their own on loopback. No dashboard; the scheduler's HTTP routes on a free
    port (not Dask's 8787, which another cluster here may hold)."""
    processes = workers > 1
    return LocalCluster(n_workers=workers, threads_per_worker=threads, processes=processes,
                        **({"host": "127.0.0.1"} if processes else {}),
                        dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})


def _gateway_cluster(name: str):
    """The Dask Gateway cluster ``name`` (the user's only one if ``name`` is empty), connected to, not
    started: the gateway's address and credentials come from Dask's configuration (``gateway.address``,
    ``gateway.auth``; a JupyterHub with Dask Gateway sets them). ClusterError when there is none."""
    try:
        from dask_gateway import Gateway
    except ImportError:
        raise ClusterError(_("--scheduler gateway:… needs the dask-gateway package in this environment "
                             "(pip install dask-gateway)")) from None
    gateway = None
    try:
        gateway = Gateway()
        if not name:
            names = [report.name for report in gateway.list_clusters()]
            if len(names) != 1:
                raise ClusterError((_("--scheduler gateway: names no cluster, and you have {count} running "
                                      "({names}): give one, gateway:NAME") if names else
                                    _("--scheduler gateway: names no cluster, and you have {count} running: start one "
                                      "(gateway.new_cluster(), or the hub's Dask panel) and scale it")
                                    ).format(count=len(names), names=", ".join(names)))
            name = names[0]
        return gateway.connect(name)
    except ClusterError:
        raise
    except Exception as exc:  # no gateway configured, refused credentials, no such cluster: what the gateway says
        # Translators: {cluster} is a Dask Gateway cluster's name, or "(yours)" (translated on its own)
        raise ClusterError(_("cannot connect to the Dask Gateway cluster {cluster}: {error}").format(
            cluster=name or _("(yours)"), error=exc)) from exc
    finally:
        if gateway is not None:
            gateway.close()
            closed_for_good(gateway)


def closed_for_good(gateway) -> None:
    """Keep a closed ``dask_gateway.Gateway`` (a GatewayCluster's own, too) from being closed again when it
    is garbage: in dask-gateway 2026.3 that raises (distributed's stopped loop runner refuses to be read)
    and prints a traceback; its ``__del__`` leaves alone a Gateway without a loop runner."""
    vars(gateway).pop("_loop_runner", None)


def probes_version() -> str:
    """A digest of what decides a probe's data and the reference's — the sandbox, the checks, the kata
    model, the probing of a submission, the reference solutions, the manifest, torch's version — so a
    worker that would probe otherwise than this grader expects is found out (an older convkata on one
    machine of the cluster)."""
    grader = REPO_ROOT / "grader"
    paths = [*(path for folder in ("checks", "core", "sandbox") for path in (grader / folder).rglob("*")
               if path.suffix in (".py", ".toml")), *SOLUTIONS_DIR.glob("*.py"),
             grader / "bench" / "probes.py", grader / "bench" / "timing.py", grader / "grading" / "session.py",
             grader / "grading" / "cluster.py", MANIFEST_PATH]
    return sources_digest(paths)


# --- on the worker -------------------------------------------------------------------------------------

class SandboxPlugin(WorkerPlugin):
    """A worker's warm fork server, one job slot per worker thread, for the worker's lifetime.

    The server is started from a thread of the plugin's own, which lives until ``teardown``: the
    server dies with the thread that started it (PR_SET_PDEATHSIG), never with a task thread.
    Run as root, each slot's children drop to a uid no other grader on this machine uses, as every
    fork server's do (grader.sandbox.client.claim_sandbox_uids)."""

    idempotent = True  # a worker that has one keeps it (and its warm server) when another run registers it
    name = PLUGIN

    def __init__(self, katas: list[str] | None = None, references: bool = True):
        """``katas``: what the server warms up for (the digits of the convergence checks only if needed);
        ``references``: whether the worker will compute the reference's data (it then warms that up too)."""
        self.katas, self.references = katas, references

    def setup(self, worker) -> None:
        self.threads = max(1, worker.state.nthreads)
        self.version = probes_version()
        self._keeper = ThreadPoolExecutor(1, thread_name_prefix="convkata-sandbox")
        self._lock = threading.Lock()
        self._start()
        if self.references:  # what computing the reference's data imports (torch, the checks), off the first
            # task's clock (a daemon: a worker closed meanwhile does not wait for it)
            threading.Thread(target=importlib.import_module, args=("grader.checks.reference",), daemon=True).start()

    def _start(self) -> None:
        server = self._keeper.submit(ForkServer, self.threads, Limits(), self.katas).result()
        free: queue.Queue = queue.Queue()
        for slot in server.slots:
            free.put(slot)
        self.server, self._free = server, free

    @contextmanager
    def slot(self):
        """A free job slot, for one task; after a SandboxError the worker gets a fresh fork server."""
        with self._lock:
            server, free = self.server, self._free
        slot = free.get()
        try:
            yield slot
        except SandboxError:
            self._replace(server)
            raise
        except BaseException:
            free.put(slot)
            raise
        free.put(slot)

    def _replace(self, broken: ForkServer) -> None:
        with self._lock:
            if self.server is not broken:
                return
            self._start()
        broken.close()

    def teardown(self, worker) -> None:
        try:
            with self._lock:
                if self._free.qsize() == len(self.server.slots):  # no kata to let finish (nor a warm-up to wait for)
                    self.server.process.kill()
                self.server.close()
        finally:
            self._keeper.shutdown(wait=True)


def _plugin() -> SandboxPlugin:
    plugin = get_worker().plugins.get(PLUGIN)
    if plugin is None:
        raise SandboxError("this worker has no convkata sandbox: register SandboxPlugin (SandboxCluster does)")
    return plugin


def probe_task(files: dict[str, bytes], shown_as: str, requests: list[KataRequest], limits: Limits,
               budget: float | None, references: bool, speaks: str = "en") -> dict:
    """On a worker: one submission's files, probed in its warm sandbox, kata by kata
    (``probe_submission``); plain data back (``_plain``) with, if ``references``, the reference's data on
    the same inputs (``_references``), this worker's ``probes_version`` and the seconds all that took.
    ``speaks``: the grader's language, the one the notes of a kata that did not run are written in."""
    started = time.monotonic()
    set_language(speaks)  # the worker speaks the language of the last grader that sent it a task
    plugin = _plugin()
    folder = staging_folder()  # named after this worker's pid: removed by the next server here if it dies
    try:
        _write_files(files, folder / "submission")
        with plugin.slot() as slot:
            probes = probe_submission(slot, folder / "submission", shown_as, requests, limits, budget)
    finally:
        remove_tree(folder)
    plain = [_plain(p, _references(request, p) if references else {}) for request, p in zip(requests, probes, strict=True)]
    return {"version": plugin.version, "seconds": time.monotonic() - started, "probes": plain}


def _references(request: KataRequest, probes: KataProbes) -> dict[str, object]:
    """Check id → the reference's data on the inputs the kata's child was given, for each of its checks
    that brought data: what the client's judges compare it with. A convergence check's reference run is
    the whole run's, computed once by the client; a check the reference fails is left to the client,
    which reports it."""
    if probes.reply is None:
        return {}
    import torch

    from grader.checks import check_by_id
    from grader.checks.reference import ReferenceFailure, reference_data

    torch.set_num_threads(1)  # one job slot per worker thread (the judges' setting)
    probed, wanted = probes.reply.run().probed(), {}
    for check_id, seed in request.checks:
        check, data = check_by_id(check_id), probed.get(check_id)
        if check is None or check.trains or not (isinstance(data, dict) and data.get("outcome") == "data"):
            continue
        try:
            wanted[check_id] = reference_data(check, request.module, seed)
        except ReferenceFailure:
            continue
    return wanted


def _write_files(files: dict[str, bytes], target: Path) -> None:
    """The submission's files under ``target``: relative paths only, nothing outside it."""
    target.mkdir()
    for name, data in files.items():
        relative = PurePosixPath(name)
        if relative.is_absolute() or not relative.parts or any(part in ("", ".", "..") for part in relative.parts):
            raise ValueError(f"not a submission's file name: {name!r}")
        path = target.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _plain(probes: KataProbes, references: dict[str, object]) -> dict:
    """A kata's probes as plain data: the child's frames as bytes, the run's ending as strings and numbers,
    the reference's data by check id."""
    reply = probes.reply
    return {"time_allowed": probes.time_allowed, "blocked": probes.blocked, "references": references,
            "reply": None if reply is None else {"frames": reply.frames, "ending": reply.ending,
                                                 "exit_status": reply.exit_status, "seconds": reply.seconds,
                                                 "cpu_seconds": reply.cpu_seconds}}


# --- on the client -------------------------------------------------------------------------------------

#: How a slot's reply may say a kata's run ended (grader.sandbox.server).
_ENDINGS = {"finished", "timeout", "hang", "output_limit", "sandbox_error"}


def _probes_of(plain: dict) -> KataProbes:
    """A kata's probes from a worker's plain data, checked to be what ``_plain`` sends; its frames are read,
    as a local slot's are, where they are judged (``KataReply.run``)."""
    reply = plain["reply"]
    if reply is not None:
        frames, ending, status = reply["frames"], reply["ending"], reply["exit_status"]
        if type(frames) is not bytes or ending not in _ENDINGS or not (status is None or type(status) is int):
            raise ClusterError(_("a worker sent a kata's run that is not one (ending {ending}, status {status})")
                               .format(ending=repr(ending), status=repr(status)))
        reply = KataReply(frames, ending, status, float(reply["seconds"]), float(reply["cpu_seconds"]))
    blocked, references = plain["blocked"], plain["references"]
    if type(references) is not dict or not all(type(key) is str for key in references):
        raise ClusterError(_("a worker sent reference data that is not keyed by check ids"))
    return KataProbes(reply, str(plain["time_allowed"]), None if blocked is None else str(blocked), references)


def _files_of(folder: Path) -> dict[str, bytes]:
    """A staged submission's regular files by relative path (staging writes nothing else)."""
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file() and not path.is_symlink()}


class SandboxCluster:
    """The client's side: a Dask client on ``scheduler`` (``tcp://HOST:PORT``, ``gateway:NAME`` for a Dask
    Gateway cluster, or ``local:N`` for a worker of N threads in this process), the sandbox plugin
    registered on every worker. Closing it closes only what it started: a scheduler or a Gateway cluster keeps running.

    ``local:N`` is one worker of N threads in this process, not N worker processes of one thread: its N
    slots share one warm fork server, as ``-j N``'s do. N worker processes on the same
    N cores would each start Dask and warm up a sandbox (torch, the checks) on the cores the first
    submissions need (measured on 2 cores, 120 one-kata submissions: local:2 as two worker processes
    took 1.32× -j 2's time; as one worker process of two threads, 0.92–1.19× in four pairs; in this
    process, 1.02× for the median of three).

    ``references``: whether the workers compute the reference's data (default: unless ``local:N``). Workers
    of their own machines take that work off this process, which judges every submission; ``local:N``'s
    worker shares this process's cores and its torch, so it gains nothing by it (measured on 2 cores, 6
    full submissions, local:2 in this process: 1.05× -j 2's time with, 0.97× without; as worker
    processes, local:1 took 1.12× -j 1's time with, 0.78× without: each warmed up torch once more)."""

    def __init__(self, scheduler: str, katas: list[str] | None = None, references: bool | None = None):
        kind, what = parse_scheduler(scheduler)
        self.scheduler = scheduler
        self.references = kind != "local" if references is None else references
        self.version = probes_version()
        self.local: LocalCluster | None = None
        self.gateway = None  # a dask_gateway.GatewayCluster, connected to (closing it leaves it running)
        self.client: Client | None = None
        try:
            if kind == "local":
                self.local = loopback_cluster(1, what)
                self.client = Client(self.local, set_as_default=False, timeout=CONNECT_SECONDS)
            elif kind == "gateway":
                self.gateway = _gateway_cluster(what)
                self.client = self.gateway.get_client(set_as_default=False)
            else:
                self.client = Client(what, set_as_default=False, timeout=CONNECT_SECONDS)
            self.client.register_plugin(SandboxPlugin(katas, self.references), name=PLUGIN)
        except BaseException:
            self.close()
            raise

    def workers(self) -> int:
        """How many job slots the cluster has now (its workers' threads); waits for a first worker."""
        try:
            self.client.wait_for_workers(1, timeout=WORKER_SECONDS)
        except TimeoutError:
            raise ClusterError((_("no worker joined {scheduler} within {seconds:g} s: scale the cluster "
                                  "(cluster.scale(N), or the hub's Dask panel)") if self.gateway else
                                _("no worker joined {scheduler} within {seconds:g} s")).format(
                scheduler=self.scheduler, seconds=WORKER_SECONDS)) from None
        return sum(self.client.nthreads().values())

    def confinement(self) -> dict[str, dict]:
        """Each worker's confinement (``grader.sandbox.client.confinement_report``), by its address."""
        return self.client.run(confinement_report)

    def probe(self, jobs: Iterable[tuple[object, Path, str, list[KataRequest]]], limits: Limits,
              budget: float | None = None) -> Iterator[tuple[object, list[KataProbes], float]]:
        """Probe each job (key, staged folder, student, its katas' requests) on a worker, within ``limits``
        and a submission's ``budget``; yield (key, its KataProbes, seconds on the worker) as they finish.
        A few jobs per slot are in flight at once, so no more files than that are held in memory.
        ClusterError when one cannot be probed (retries spent, or its workers kept dying)."""
        jobs = iter(jobs)
        window = 2 * self.workers() + 2
        keys: dict[str, tuple[object, str]] = {}
        running = as_completed(loop=self.client.loop)

        def submit_next() -> None:
            job = next(jobs, None)
            if job is not None:
                key, staged, student, requests = job
                future = self.client.submit(probe_task, _files_of(staged), student, requests, limits, budget, self.references,
                                            language(), key=f"convkata-probe-{student}-{secrets.token_hex(6)}",
                                            retries=RETRIES)
                keys[future.key] = (key, student)
                running.add(future)

        for _slot in range(window):
            submit_next()
        try:
            for future in running:
                key, student = keys.pop(future.key)
                try:
                    result = future.result()
                except Exception as exc:
                    raise ClusterError(_(
                        "the cluster could not probe {student}'s submission ({error_type}: {error}); the records "
                        "committed so far are kept: run the same command again to grade the rest").format(
                            student=student, error_type=type(exc).__name__, error=exc)) from exc
                finally:
                    future.release()
                if result["version"] != self.version:
                    raise ClusterError(_("a worker of {scheduler} probes with other checks than this grader's "
                                         "(another convkata or torch): install the same version on every worker")
                                       .format(scheduler=self.scheduler))
                yield key, [_probes_of(plain) for plain in result["probes"]], float(result["seconds"])
                submit_next()
        finally:
            for future in list(running.futures):
                future.cancel()

    def close(self) -> None:
        try:
            if self.client is not None:
                self.client.close()
        finally:
            if self.local is not None:
                self.local.close()
            if self.gateway is not None:
                self.gateway.close()  # closes its Gateway too
                closed_for_good(self.gateway.gateway)

    def __enter__(self) -> SandboxCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
