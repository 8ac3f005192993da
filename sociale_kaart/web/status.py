"""``/beheer/status``: what a beheerder (or their hosting party) needs to know about the
running installation: version, migration level, database kind and replicas, search backend and
index generation, and the job queue. Nothing about residents."""

from __future__ import annotations

import os
import platform

from flask import Blueprint, render_template

from .. import __version__
from ..jobs import counts as job_counts
from ..jobs import runs_in_process
from . import get_db, get_search, get_settings
from .access import role_required
from .health import index_ready

bp = Blueprint("status", __name__, url_prefix="/beheer")


def _index_generation() -> str | None:
    store = getattr(get_search(), "store", None)
    path = getattr(store, "path", None)
    if path is None:
        return None
    if os.path.islink(path):
        return os.path.basename(os.readlink(path))
    return os.path.basename(str(path)) if os.path.isdir(path) else None


def status_facts() -> dict:
    db = get_db()
    settings = get_settings()
    try:
        current = db.current_revision()
        reachable = True
    except Exception:  # shown as "not reachable" instead of failing the page
        current, reachable = None, False
    replicas = []
    for number, replica in enumerate(db.replicas, start=1):
        ok = replica.check()
        replicas.append({"number": number, "ok": ok,
                         "lag": None if replica.lag is None else round(replica.lag, 1)})
    try:
        jobs = job_counts(db) if reachable else None
    except Exception:
        jobs = None
    return {
        "version": __version__,
        "python": platform.python_version(),
        "database": db.dialect,
        "database_reachable": reachable,
        "migration": current,
        "migration_head": db.head_revision(),
        "replicas": replicas,
        "search_backend": settings.search_backend,
        "index_ready": index_ready(),
        "index_generation": _index_generation(),
        "jobs": jobs,
        "jobs_in_process": runs_in_process(settings, db),
        "ratelimit_storage": settings.ratelimit_storage_url.split("://", 1)[0],
        "log_format": settings.log_format,
        "semantic": _semantic_status(),  # issue 11
    }


def _semantic_status() -> dict | None:
    """Semantic search: on or off (and why), and how many listings have their vector."""
    status = getattr(get_search(), "semantic_status", None)
    try:
        return status() if status is not None else None
    except Exception:  # shown as unknown instead of failing the page
        return None


@bp.get("/status")
@role_required("beheerder")
def status():
    """The installation's technical status (beheerders only)."""
    return render_template("beheer/status.html", facts=status_facts())
