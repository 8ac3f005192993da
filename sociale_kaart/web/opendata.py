"""The "Open data" page and its downloads: all published services as HSDS JSON and as the
zipped HSDS CSV package, under the licence the beheerder chose (setting ``open_data_licence``).

Why cached: building the files means exporting every service (seconds for thousands). They are
kept in ``<instance>/open-data/`` with a fingerprint of the data (newest change, number of
services, attributes and terms, newest audit record); a request rebuilds them only when that
changed. ``send_file`` adds ETag and Last-Modified, so browsers and harvesters revalidate
cheaply.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Response, render_template, send_file
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Attribute, ChangeRecord, Service, TaxonomyTerm
from ..services.hsds_files import published_services, render, write_atomic
from ..services.hsds_queries import data_changed_at
from . import get_db, get_settings

bp = Blueprint("opendata", __name__, url_prefix="/open-data")

DEFAULT_LICENCE = "CC0 1.0"
LICENCE_URLS = {
    "CC0 1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "CC BY 4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC BY-SA 4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "ODbL 1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
    "PDDL 1.0": "https://opendatacommons.org/licenses/pddl/1-0/",
}
#: Download name → (export format, media type).
DOWNLOADS = {"services.json": ("hsds-json", "application/json"),
             "hsds.zip": ("hsds-zip", "application/zip")}


def licence() -> tuple[str, str | None]:
    """The licence name from the settings and its URL when it is a well-known one."""
    name = getattr(get_settings(), "open_data_licence", None) or DEFAULT_LICENCE
    return name, LICENCE_URLS.get(name)


def fingerprint(session: Session) -> str:
    """Changes whenever the published data may have changed (see the module docstring)."""
    parts = [
        data_changed_at(session),
        session.scalar(select(func.count()).select_from(Service)),
        session.scalar(select(func.count()).select_from(Attribute)),
        session.scalar(select(func.count()).select_from(TaxonomyTerm)),
        session.scalar(select(func.max(ChangeRecord.id))),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def cached_download(name: str) -> Path:
    """The file for ``name`` in the instance folder, rebuilt if the data changed."""
    fmt, _media = DOWNLOADS[name]
    folder = get_settings().instance_path / "open-data"
    path, stamp = folder / name, folder / f"{name}.fingerprint"
    session = get_db().Session()
    try:
        current = fingerprint(session)
        if path.exists() and stamp.exists() and stamp.read_text() == current:
            return path
        output = render(published_services(session), fmt)
    finally:
        session.close()
    assert isinstance(output, bytes)
    write_atomic(path, output)
    write_atomic(stamp, current.encode())
    return path


def _download(name: str) -> Response:
    response = send_file(cached_download(name), mimetype=DOWNLOADS[name][1], as_attachment=True,
                         download_name=name, conditional=True, etag=True, max_age=300)
    response.headers["Access-Control-Allow-Origin"] = "*"
    _name, url = licence()
    if url:
        response.headers["Link"] = f'<{url}>; rel="license"'
    return response


@bp.get("")
def index() -> str:
    session = get_db().Session()
    try:
        count = session.scalar(select(func.count()).select_from(Service)) or 0
    finally:
        session.close()
    name, url = licence()
    return render_template("opendata/index.html", licence=name, licence_url=url, count=count)


@bp.get("/services.json")
def services_json() -> Response:
    return _download("services.json")


@bp.get("/hsds.zip")
def hsds_zip() -> Response:
    return _download("hsds.zip")
