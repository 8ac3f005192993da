"""KIT READY
Test kit: a private PostgreSQL 15 cluster (and streaming replicas) on loopback, for tests.

Why a kit: the PostgreSQL tests, the replica tests, the load/soak/fault tests and the
"whole suite on PostgreSQL" run all need a throw-away server that nobody else uses. The kit
starts one with Debian's binaries (``/usr/lib/postgresql/15/bin``) in a temporary folder,
listening only on ``127.0.0.1`` with ``trust`` authentication, with its Unix socket inside the
folder, on a free port.

We run as root in CI and ``initdb`` refuses root, so every server command runs as the
``postgres`` OS user through ``runuser -u postgres --``, and the folder is owned by that user.
pytest's own temporary folders (``/tmp/pytest-of-root``) are private (mode 0700) and the
``postgres`` user cannot enter them; when the requested path is not reachable, the kit puts the
cluster in a fresh folder under ``/tmp`` instead (``Cluster.path`` tells where).

Usage::

    from kit_postgres import start_cluster, start_replica

    cluster = start_cluster(tmp_path / "pg")
    cluster.create_database("kaart")
    url = cluster.url("kaart")            # postgresql+psycopg://postgres@127.0.0.1:PORT/kaart
    replica = start_replica(cluster, tmp_path / "replica")
    ...
    replica.stop(); cluster.stop()

Pytest fixtures (import them in a test module or conftest): ``postgres_cluster`` (one cluster
per test session, from :func:`shared_cluster`) and ``postgres_url`` (a fresh empty database per
test on that cluster). Clusters a test starts itself (``start_cluster``) it must stop.

Not a test module (no ``test_`` prefix); tests import it as ``kit_postgres``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("SOCIALE_KAART_PG_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"
SUPERUSER = "postgres"
HOST = "127.0.0.1"

#: Server settings for tests: durability off (a crash loses a test database, nothing else),
#: little memory, enough connections for two web processes under load.
TEST_SETTINGS: dict[str, str] = {
    "listen_addresses": f"'{HOST}'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "'64MB'",
    "max_connections": "300",
    "max_wal_senders": "10",
    "wal_level": "replica",
    "hot_standby": "on",
    "log_min_messages": "warning",
    "logging_collector": "off",
    "timezone": "'UTC'",
}


class ClusterError(RuntimeError):
    """A server command failed; the message carries the command's output and the server log."""


def _as_postgres(args: list[str], check: bool = True, timeout: float = 120,
                 ) -> subprocess.CompletedProcess[str]:
    """Run a command as the ``postgres`` OS user (directly when we already are not root)."""
    command = args if os.geteuid() != 0 else ["runuser", "-u", OS_USER, "--", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                            cwd="/")
    if check and result.returncode != 0:
        raise ClusterError(f"{' '.join(args)} failed ({result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}")
    return result


def _become_subreaper() -> None:
    """Adopt orphaned descendants (the postmaster, once ``pg_ctl`` exits).

    In a container whose PID 1 does not reap children, a killed postmaster would stay a zombie
    and its ``postmaster.pid`` would block the next start; as subreaper we reap it ourselves.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _reap(pid: int) -> bool:
    """Collect ``pid`` if it is our (adopted) zombie; True while it still exists."""
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done:
            return False
    except ChildProcessError:
        pass
    return Cluster._alive(pid)


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _reachable_by_postgres(path: Path) -> bool:
    probe = path if path.exists() else path.parent
    while not probe.exists():
        probe = probe.parent
    if os.geteuid() != 0:
        return True
    return _as_postgres(["test", "-x", str(probe)], check=False).returncode == 0


def _prepare_folder(path: Path | None) -> Path:
    """A folder owned by the ``postgres`` user that the server can reach."""
    if path is None or not _reachable_by_postgres(Path(path)):
        path = Path(tempfile.mkdtemp(prefix="sociale-kaart-pg-"))
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(path, OS_USER, OS_USER)
    os.chmod(path, 0o755)
    return path


class Cluster:
    """One running (or stopped) PostgreSQL server in ``path`` on ``127.0.0.1:port``."""

    def __init__(self, path: Path, port: int, *, primary: Cluster | None = None) -> None:
        self.path = Path(path)
        self.port = port
        self.primary = primary

    # -- locations ----------------------------------------------------------------------------
    @property
    def data(self) -> Path:
        return self.path / "data"

    @property
    def socket_dir(self) -> Path:
        return self.path / "socket"

    @property
    def logfile(self) -> Path:
        return self.path / "server.log"

    @property
    def is_replica(self) -> bool:
        return self.primary is not None

    def url(self, dbname: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        """SQLAlchemy URL for ``dbname`` (``driver="postgresql"`` gives a libpq URL)."""
        return f"{driver}://{SUPERUSER}@{HOST}:{self.port}/{dbname}"

    def dsn(self, dbname: str = "postgres") -> str:
        """libpq connection string (for psycopg, ``psql``, ``pg_dump``)."""
        return f"host={HOST} port={self.port} user={SUPERUSER} dbname={dbname}"

    def log(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")
        except OSError:
            return ""

    # -- SQL helpers ----------------------------------------------------------------------------
    def execute(self, sql: str, dbname: str = "postgres") -> list[tuple]:
        """Run one statement in autocommit mode and return its rows (if any)."""
        import psycopg

        with psycopg.connect(self.dsn(dbname), autocommit=True, connect_timeout=10) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create database ``name`` (optionally as a copy of ``template``); returns its URL."""
        if self.is_replica:
            raise ClusterError("a replica is read-only; create databases on the primary")
        sql = f'CREATE DATABASE "{name}"'
        if template:
            sql += f' TEMPLATE "{template}"'
        self.execute(sql)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def enable_extensions(self, dbname: str, *names: str) -> None:
        for name in names:
            self.execute(f'CREATE EXTENSION IF NOT EXISTS "{name}"', dbname)

    # -- process control -------------------------------------------------------------------------
    def _pid(self) -> int | None:
        try:
            first = (self.data / "postmaster.pid").read_text().splitlines()[0]
            return int(first)
        except (OSError, ValueError, IndexError):
            return None

    @staticmethod
    def _alive(pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False
        return "\nState:\tZ" not in state

    @property
    def is_running(self) -> bool:
        pid = self._pid()
        return pid is not None and self._alive(pid)

    def start(self, timeout: float = 60) -> None:
        """Start the server and wait until it accepts connections."""
        _become_subreaper()
        result = _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
                               str(self.logfile), "-w", "-t", str(int(timeout)), "start"],
                              check=False, timeout=timeout + 30)
        if result.returncode != 0:
            raise ClusterError(f"pg_ctl start failed on port {self.port}:\n{result.stdout}"
                               f"{result.stderr}\n--- server log ---\n{self.log()[-4000:]}")

    def stop(self, mode: str = "fast", remove: bool = False) -> None:
        """Stop the server (``mode`` fast|smart|immediate); ``remove`` deletes the folder."""
        pid = self._pid()
        if self.is_running:
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                          "stop"], check=False)
        if pid is not None:
            _reap(pid)
        if remove:
            shutil.rmtree(self.path, ignore_errors=True)

    def restart(self, timeout: float = 60) -> None:
        """Stop (fast) and start again on the same port; connections are cut."""
        self.stop()
        self.start(timeout)

    def kill9(self, wait: float = 30) -> None:
        """``kill -9`` the server and all its backends (like a power cut); call start() after."""
        pid = self._pid()
        if pid is None or not self._alive(pid):
            return
        victims = [pid, *_children(pid)]
        for victim in victims:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(_reap(victim) for victim in victims):
            time.sleep(0.05)

    def wait_for_replay(self, timeout: float = 30) -> None:
        """On a replica: wait until it has replayed everything the primary has written."""
        if self.primary is None:
            return
        target = self.primary.execute("SELECT pg_current_wal_insert_lsn()")[0][0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.execute(
                f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0][0]
            if done:
                return
            time.sleep(0.05)
        raise ClusterError(f"replica on port {self.port} did not catch up within {timeout} s")

    def __repr__(self) -> str:
        kind = "replica" if self.is_replica else "primary"
        return f"<Cluster {kind} {HOST}:{self.port} in {self.path}>"


def _configure(data: Path, port: int, socket_dir: Path, extra: dict[str, str] | None) -> None:
    lines = {**TEST_SETTINGS, "port": str(port),
             "unix_socket_directories": f"'{socket_dir}'", **(extra or {})}
    with open(data / "postgresql.conf", "a", encoding="utf-8") as handle:
        handle.write("\n# --- sociale-kaart test kit ---\n")
        for key, value in lines.items():
            handle.write(f"{key} = {value}\n")


def _start_with_port_retry(cluster: Cluster, extra: dict[str, str] | None,
                           fixed_port: bool, tries: int = 5) -> Cluster:
    """Start; when another process took our "free" port meanwhile, pick another one."""
    for attempt in range(tries):
        try:
            cluster.start()
            return cluster
        except ClusterError:
            if fixed_port or attempt == tries - 1 or "in use" not in cluster.log():
                raise
            cluster.port = free_port()
            _configure(cluster.data, cluster.port, cluster.socket_dir, extra)
    return cluster


def start_cluster(path: Path | str | None = None, port: int | None = None,
                  settings: dict[str, str] | None = None) -> Cluster:
    """Initialise and start a new cluster in ``path`` (a fresh temporary folder when None)."""
    if not (PG_BIN / "initdb").exists():
        raise ClusterError(f"PostgreSQL 15 is not installed ({PG_BIN}/initdb missing); "
                           "apt-get install postgresql-15 postgresql-contrib")
    folder = _prepare_folder(Path(path) if path else None)
    cluster = Cluster(folder, port or free_port())
    for sub in (cluster.socket_dir,):
        sub.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(sub, OS_USER, OS_USER)
    _as_postgres([str(PG_BIN / "initdb"), "-D", str(cluster.data), "-U", SUPERUSER,
                  "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"])
    _configure(cluster.data, cluster.port, cluster.socket_dir, settings)
    return _start_with_port_retry(cluster, settings, fixed_port=port is not None)


def start_replica(primary: Cluster, path: Path | str | None = None, port: int | None = None,
                  settings: dict[str, str] | None = None) -> Cluster:
    """A hot-standby streaming replica of ``primary`` (``pg_basebackup -R``), started."""
    folder = _prepare_folder(Path(path) if path else None)
    replica = Cluster(folder, port or free_port(), primary=primary)
    replica.socket_dir.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(replica.socket_dir, OS_USER, OS_USER)
    _as_postgres([str(PG_BIN / "pg_basebackup"), "-h", HOST, "-p", str(primary.port),
                  "-U", SUPERUSER, "-D", str(replica.data), "-R", "-X", "stream",
                  "--checkpoint=fast", "--no-sync"], timeout=300)
    _configure(replica.data, replica.port, replica.socket_dir, settings)
    return _start_with_port_retry(replica, settings, fixed_port=port is not None)


# -- one cluster per test process ----------------------------------------------------------------
_shared: Cluster | None = None


def shared_cluster() -> Cluster:
    """The test process's cluster, started on first use and removed when the process ends.

    The ``postgres_cluster`` fixture and the "whole suite on PostgreSQL" mode
    (``SOCIALE_KAART_TEST_DATABASE=postgresql``, tests/conftest.py) share it.
    """
    global _shared
    if _shared is None or not _shared.is_running:
        _shared = start_cluster()
        atexit.register(stop_shared_cluster)
    return _shared


def stop_shared_cluster() -> None:
    global _shared
    if _shared is not None:
        _shared.stop(mode="immediate", remove=True)
        _shared = None


# -- pytest fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_cluster() -> Cluster:
    """The private PostgreSQL cluster of this test session (removed when the session ends)."""
    return shared_cluster()


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> Iterator[str]:
    """A fresh, empty database on the session cluster; dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = postgres_cluster.create_database(name)
    yield url
    postgres_cluster.drop_database(name)
