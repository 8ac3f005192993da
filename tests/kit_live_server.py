"""A Flask app served by waitress (as in production) in a thread, for the browser tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def serving(app, *, threads: int = 4, name: str = "live-server") -> Iterator[str]:
    """Serve ``app`` on a free loopback port; yields its base URL.

    Why not ``server.run`` and ``server.close()`` from the test: closing waitress's sockets
    from another thread while its loop waits on them in ``select`` raised EBADF in the server
    thread, which pytest then reported at the setup of whatever test ran next. Here the loop
    notices the stop itself and closes every socket in its own thread."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads,
                           ident="sociale-kaart")
    stop = threading.Event()

    def run() -> None:
        try:
            while not stop.is_set():
                server.asyncore.loop(timeout=0.1, map=server._map, count=1)
        finally:
            server.task_dispatcher.shutdown()
            server.asyncore.close_all(server._map)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop.set()
        server.pull_trigger()
        thread.join(timeout=10)
