"""A throwaway PostgreSQL server for the tests, started from the machine's own server binaries.

    pytest_plugins = ["tests.postgres"]          # in a test module: the fixtures below

    def test_something(postgres_url):            # a fresh, empty database for this test
        Gradebook(postgres_url)                  # postgresql+psycopg2://convkata@/test_1?host=/tmp/…

``postgres_server`` (session scope) runs ``initdb`` into a temporary folder and ``pg_ctl start``
on it (about a second in all: initdb 0.7 s, start and stop 0.1 s each); ``Server.database()``
creates a fresh database and returns its SQLAlchemy URL; ``postgres_url`` is one for a single test.
The server listens on a Unix socket in that folder only (no TCP port: nothing else on the machine,
a sandboxed submission least of all, can reach it), trusts whoever connects there, and runs
without fsync. At the end of the session it is stopped (``pg_ctl stop -m immediate``) and the
folder removed, whether the tests passed or not.

initdb refuses to run as root: run as root, the server runs as the ``postgres`` account that
Debian's ``postgresql`` package creates (never as ``nobody`` or the ids just below it: those are the
sandbox's workers, whose processes, files and IPC objects the red-team tests count), in a folder
that account owns. The binaries are found in ``$CONVKATA_PG_BIN``, else the newest
``/usr/lib/postgresql/*/bin``, else on PATH. Where there are none, or the server cannot start, the
tests that ask for it skip and say what to install (``make test`` installs them as root on Debian).
"""
from __future__ import annotations

import itertools
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader.core.files import remove_tree

INSTALL = "run `make test` as root, or apt-get install postgresql"
#: The role the tests connect as (initdb's superuser) and the account a root-run server runs as.
SUPERUSER = "convkata"
SERVER_ACCOUNT = "postgres"
#: The server's settings: a Unix socket only, no durability (a throwaway), shared memory inside its folder.
SETTINGS = {"listen_addresses": "''", "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
            "dynamic_shared_memory_type": "mmap", "max_connections": "20"}
#: A start or stop takes a tenth of a second; these only stop a hung one.
TIMEOUT_SECONDS = 60
#: A Unix socket's path is at most 107 bytes: its folder leaves room for "/.s.PGSQL.5432".
MAX_SOCKET_DIR = 90


class Unavailable(Exception):
    """No server can be started here; the message says why and what to do."""


def find_binaries() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or None."""
    def complete(folder: Path) -> bool:
        return all(os.access(folder / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres"))

    def version(folder: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name))

    chosen = os.environ.get("CONVKATA_PG_BIN")
    if chosen:
        return Path(chosen) if complete(Path(chosen)) else None
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True):
        if complete(folder):
            return folder
    initdb = shutil.which("initdb")
    if initdb and complete(Path(initdb).resolve().parent):
        return Path(initdb).resolve().parent
    return None


@dataclass
class Server:
    """A running throwaway server: its folder, its socket's folder and the fresh databases made on it."""

    root: Path
    bin: Path
    account: pwd.struct_passwd | None  # who runs it when we are root
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def socket_dir(self) -> Path:
        return self.root

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server (psycopg2, over the Unix socket)."""
        return f"postgresql+psycopg2://{SUPERUSER}@/{database}?host={self.socket_dir}"

    def connect(self, database: str = "postgres"):
        """A psycopg2 connection (autocommit) to ``database``."""
        import psycopg2

        connection = psycopg2.connect(host=str(self.socket_dir), user=SUPERUSER, dbname=database)
        connection.autocommit = True
        return connection

    def database(self, prefix: str = "test") -> str:
        """Create a fresh, empty database; its SQLAlchemy URL."""
        name = f"{re.sub(r'[^a-z0-9_]', '_', prefix.lower())[:40]}_{next(self._names)}"
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return self.url(name)

    def log(self) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")
        except OSError:
            return ""


def _run(server: Server, *args: str) -> subprocess.CompletedProcess:
    """One of the server's programs, as the account that owns the server."""
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": "UTC", "HOME": str(server.root)}
    account = server.account
    as_account = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []} if account else {}
    return subprocess.run([str(server.bin / args[0]), *args[1:]], capture_output=True, text=True, env=env,
                          cwd=server.root, timeout=TIMEOUT_SECONDS, check=False, **as_account)


def _searchable_by_all(path: Path) -> bool:
    """Whether every folder from / down to ``path`` lets other users through (the server's account must reach it)."""
    return all(os.stat(folder).st_mode & stat.S_IXOTH for folder in [path, *path.parents])


def _make_root(account: pwd.struct_passwd | None) -> Path:
    """The server's folder (data, socket, log): private to its account, with a short path for the socket."""
    base = Path(tempfile.gettempdir())
    if len(str(base)) > MAX_SOCKET_DIR - 24 or (account and not _searchable_by_all(base)):
        base = Path("/tmp")
    root = Path(tempfile.mkdtemp(prefix="convkata-pg-", dir=base))
    if account:
        os.chown(root, account.pw_uid, account.pw_gid)
    return root


def _server_account() -> pwd.struct_passwd | None:
    """Who runs the server: the ``postgres`` account when we are root (initdb refuses root), else us."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_ACCOUNT)
    except KeyError:
        raise Unavailable(f"initdb refuses to run as root and there is no {SERVER_ACCOUNT!r} account to run "
                          f"PostgreSQL as: apt-get install postgresql creates it") from None


def _stop(server: Server) -> None:
    """Stop the server at once (it is thrown away); SIGQUIT to the postmaster if pg_ctl cannot."""
    try:
        stopped = _run(server, "pg_ctl", "-D", "data", "-m", "immediate", "-w", "stop").returncode == 0
    except (OSError, subprocess.SubprocessError):
        stopped = False
    pid_file = server.root / "data" / "postmaster.pid"
    if not stopped and pid_file.exists():
        try:
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)
            time.sleep(0.5)
        except (OSError, ValueError, IndexError):
            pass


@contextmanager
def postgres() -> Iterator[Server]:
    """A throwaway server for the duration of the block; Unavailable (with the reason) where none can start."""
    binaries = find_binaries()
    if binaries is None:
        raise Unavailable(f"PostgreSQL's server binaries (initdb, pg_ctl) are not installed: {INSTALL}")
    account = _server_account()
    server = Server(_make_root(account), binaries, account)
    try:
        try:
            initdb = _run(server, "initdb", "-D", "data", "-U", SUPERUSER, "--auth=trust", "--no-sync",
                          "--encoding=UTF8", "--locale=C")
        except (OSError, subprocess.SubprocessError) as exc:
            raise Unavailable(f"could not run {binaries / 'initdb'}: {exc}") from None
        if initdb.returncode != 0:
            raise Unavailable(f"{binaries / 'initdb'} failed: {(initdb.stderr or initdb.stdout).strip()[-400:]}")
        options = " ".join(f"-c {name}={value}" for name, value in SETTINGS.items())
        started = _run(server, "pg_ctl", "-D", "data", "-l", "server.log", "-w", "-t", str(TIMEOUT_SECONDS),
                       "-o", f"-k {server.socket_dir} {options}", "start")
        try:
            if started.returncode != 0:
                raise RuntimeError(f"pg_ctl start failed: {started.stdout}{started.stderr}\n{server.log()}")
            server.connect().close()  # it accepts connections (pg_ctl -w waited for that)
            yield server
        finally:
            _stop(server)
    finally:
        remove_tree(server.root)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """A throwaway PostgreSQL server for the whole session; skips the tests that ask where there is none."""
    try:
        with postgres() as server:
            yield server
    except Unavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def postgres_url(postgres_server: Server, request) -> str:
    """The SQLAlchemy URL of a fresh, empty database on the session's server."""
    return postgres_server.database(request.node.name)
