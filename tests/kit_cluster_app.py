"""Test kit: several real ``sociale-kaart serve`` processes (waitress) on loopback ports, all
against one database and one instance folder, the way several web nodes stand behind a proxy.

The load benchmark (``benchmarks/load.py``) and the fault tests (``tests/fault/``) need real
processes, not the Flask test client: only a real process can be killed with ``kill -9``, only
a real server shows what a client sees when the database goes away, and only real sockets let
each simulated user come from its own loopback address (the rate limiter keys by address).

    cluster = AppCluster(database_url, instance, processes=2)
    cluster.start()                      # waits until every process answers /healthz
    fetch(cluster.urls[0] + "/zoeken?q=taal", source=loopback_source(7))
    cluster.kill9(0)                     # SIGKILL, no clean-up: what a crash looks like
    cluster.stop()

Every process gets the same secret key (signed session cookies and CSRF tokens made by one
process are accepted by the other) and its own log file in the instance folder. Only loopback
addresses are used. Not a test module (no ``test_`` prefix); tests import it as
``kit_cluster_app``.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
#: The console script of the environment that runs the tests (the project's .venv in CI).
SERVE_COMMAND = [str(Path(sys.executable).with_name("sociale-kaart"))]
#: The sample data's reference date (courses that ended before it are over).
REFERENCE_DAY = "2026-11-22"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def loopback_source(number: int) -> str:
    """The ``number``-th loopback source address, from 127.0.0.10 up to 127.0.250.250.

    Linux routes all of 127.0.0.0/8 to the loopback device, so a client can bind to any of
    them before connecting and the server sees a distinct remote address per simulated user.
    """
    if number < 0:
        raise ValueError("number must be >= 0")
    high, low = divmod(number, 240)
    if high > 250:
        raise ValueError("too many loopback addresses")
    return f"127.0.{high}.{low + 10}"


@dataclass
class Response:
    """What a client received: status, headers (lower-case names) and the body."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def fetch(url: str, *, method: str = "GET", source: str | None = None,
          body: bytes | None = None, headers: dict[str, str] | None = None,
          timeout: float = 15.0) -> Response:
    """One HTTP request on a fresh connection from ``source`` (a loopback address).

    A fresh connection per request keeps each server's open connections equal to the requests
    in flight (waitress accepts 100 connections by default) and makes a killed server show up
    as a refused connection instead of a stale keep-alive socket. Redirects are not followed:
    a 303 after a form post is the acknowledgement the fault tests look for.

    :raises OSError: when the connection fails or times out (the caller counts it).
    """
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=timeout,
        source_address=(source, 0) if source else None)
    started = time.perf_counter()
    try:
        all_headers = {"Connection": "close", "Accept-Language": "nl"}
        all_headers.update(headers or {})
        try:
            connection.request(method, path, body=body, headers=all_headers)
            raw = connection.getresponse()
            data = raw.read()
        except http.client.HTTPException as error:
            # A process killed mid-answer leaves a truncated response (IncompleteRead): to the
            # client that is a failed connection like any other.
            raise ConnectionError(f"{method} {url}: {type(error).__name__}: {error}") from error
        elapsed = time.perf_counter() - started
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data, elapsed)
    finally:
        connection.close()


@dataclass
class WebProcess:
    """One ``sociale-kaart serve`` process and the port it listens on."""

    index: int
    port: int
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def rss_kib(self) -> int | None:
        """Resident memory of the process in KiB (``VmRSS`` in /proc), None when it is gone."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except (OSError, AssertionError):
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class AppCluster:
    """N web processes on loopback ports sharing one database and one instance folder.

    :param database_url: SQLAlchemy URL every process uses (``SOCIALE_KAART_DATABASE_URL``).
    :param instance: the shared instance folder (search index, logs).
    :param processes: how many ``serve`` processes to start.
    :param env: extra environment variables for every process (``SOCIALE_KAART_...``).
    """

    database_url: str
    instance: Path
    processes: int = 2
    env: dict[str, str] = field(default_factory=dict)
    ready_timeout: float = 90.0
    #: The page polled until a process is ready (the load balancer's liveness check).
    ready_path: str = "/healthz"
    nodes: list[WebProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.instance = Path(self.instance)
        self.secret_key = secrets.token_hex(32)
        if not self.nodes:
            self.nodes = [WebProcess(i, free_port(), self.instance / f"web-{i}.log")
                          for i in range(self.processes)]

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "SOCIALE_KAART_DATABASE_URL": self.database_url,
            "SOCIALE_KAART_INSTANCE": str(self.instance),
            "SOCIALE_KAART_SECRET_KEY": self.secret_key,
            "SOCIALE_KAART_TODAY": REFERENCE_DAY,
            "SOCIALE_KAART_SESSION_COOKIE_SECURE": "0",
            "SOCIALE_KAART_TILES_URL": "none",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.env)
        return env

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> AppCluster:
        """Start every process that is not running, then wait until each answers /healthz.

        The processes start one after the other: the first one creates or upgrades the
        schema and the search index, so the others find them ready.
        """
        self.instance.mkdir(parents=True, exist_ok=True)
        for node in self.nodes:
            if not node.alive():
                self.start_node(node.index)
        return self

    def start_node(self, index: int) -> WebProcess:
        """(Re)start one process on its port and wait until it is ready."""
        node = self.nodes[index]
        log = node.log_path.open("ab")
        try:
            node.process = subprocess.Popen(
                [*SERVE_COMMAND, "--instance", str(self.instance), "serve",
                 "--host", "127.0.0.1", "--port", str(node.port)],
                env=self.environment(), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=str(REPO))
        finally:
            log.close()
        self.wait_ready(node)
        return node

    def wait_ready(self, node: WebProcess) -> None:
        """Poll ``ready_path`` (/healthz, the load balancer's check) until it answers 200."""
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if not node.alive():
                raise RuntimeError(f"web process {node.index} exited at start:\n"
                                   f"{node.log_tail()}")
            try:
                if fetch(node.url + self.ready_path, timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"web process {node.index} not ready after {self.ready_timeout} s:\n"
                           f"{node.log_tail()}")

    def kill9(self, index: int) -> None:
        """SIGKILL one process: no clean shutdown, in-flight requests are cut off."""
        node = self.nodes[index]
        if node.alive():
            os.kill(node.pid, signal.SIGKILL)
            node.process.wait(timeout=10)

    def stop_node(self, index: int, timeout: float = 10.0) -> None:
        """SIGTERM one process and wait; SIGKILL it when it does not stop in time."""
        node = self.nodes[index]
        if not node.alive():
            return
        node.process.terminate()
        try:
            node.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9(index)

    def stop(self) -> None:
        for node in self.nodes:
            self.stop_node(node.index)

    def __enter__(self) -> AppCluster:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()
