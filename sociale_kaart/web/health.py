"""``/healthz`` and ``/readyz`` for load balancers and orchestrators.

``/healthz`` says only that the process answers (restart it when this fails). ``/readyz`` says
whether it can serve: the database answers and is at the newest migration, and the search
index can be read (send no traffic to it when this fails). Both are cheap, need no login, set
no cookie and reveal nothing but "ok"/"unavailable" per check (no error texts, no versions).
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text

from . import get_db, get_search

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def database_ready() -> bool:
    db = get_db()
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return db.current_revision() == db.head_revision()
    except Exception as error:  # any failure means "not ready", never a 500
        log.warning("readiness: database unavailable (%s)", type(error).__name__)
        return False


def index_ready() -> bool:
    """The index exists (Whoosh: on disk; a missing one would silently be recreated empty)
    and answers a count."""
    try:
        search = get_search()
        store = getattr(search, "store", None)
        if store is not None and hasattr(store, "exists") and not store.exists():
            return False
        search.count()
        return True
    except Exception as error:
        log.warning("readiness: search index unavailable (%s)", type(error).__name__)
        return False


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    """The process is up and answers requests."""
    return _no_store(jsonify({"status": "ok"}))


@bp.get("/readyz")
def readyz():
    """Database and search index reachable: 200, else 503 (take this node out of rotation)."""
    checks = {"database": database_ready(), "index": index_ready()}
    ready = all(checks.values())
    body = {"status": "ok" if ready else "unavailable",
            "checks": {name: "ok" if ok else "unavailable" for name, ok in checks.items()}}
    return _no_store(jsonify(body)), 200 if ready else 503
