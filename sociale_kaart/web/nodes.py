"""What lets several web nodes share the work: replica routing and request logs.

Anonymous GET requests to public pages (search, listings, map, open data, feeds, APIs) may read
from a replica; the session layer (``sociale_kaart.db.RoutingSession``) sends their reads there
while the replica is up and recent. Signed-in users, forms (POST) and the pages that check links
(invitations, password resets) always use the primary, so nobody reads their own change from a
replica that has not caught up yet.

Each request is logged with method, path, status and duration only (no address, no query
string, no cookie: no personal data).
"""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request, session

from ..db import _REPLICA_READS, _REPLICA_USED
from . import get_db

log = logging.getLogger("sociale_kaart.requests")

#: Blueprints whose anonymous GET requests may be served from a replica. Other parts of the
#: app add their public blueprints with :func:`allow_replica_reads`.
REPLICA_BLUEPRINTS: set[str] = {"public", "maps", "api", "hsds", "openapi", "opendata",
                                "feeds"}


def allow_replica_reads(*blueprints: str) -> None:
    REPLICA_BLUEPRINTS.update(blueprints)


def wants_replica() -> bool:
    """Anonymous GET/HEAD to a public blueprint, and replicas are configured."""
    return (bool(get_db().replicas)
            and request.method in ("GET", "HEAD")
            and request.blueprint in REPLICA_BLUEPRINTS
            and "_user_id" not in session)


def init_app(app: Flask) -> None:
    settings = app.extensions["sociale_kaart.settings"]
    if settings.proxy_count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore

    @app.before_request
    def route_reads():
        g.request_started = time.perf_counter()
        if wants_replica():
            g.replica_tokens = (_REPLICA_READS.set(True), _REPLICA_USED.set(None))

    @app.teardown_request
    def end_routing(_error=None):
        tokens = g.pop("replica_tokens", None)
        if tokens is not None:
            _REPLICA_USED.reset(tokens[1])
            _REPLICA_READS.reset(tokens[0])

    @app.after_request
    def log_request(response):
        started = g.get("request_started")
        if started is not None and log.isEnabledFor(logging.INFO):
            log.info("%s %s %s", request.method, request.path, response.status_code,
                     extra={"method": request.method, "path": request.path,
                            "status": response.status_code, "endpoint": request.endpoint,
                            "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
        return response
