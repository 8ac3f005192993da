"""Open-data files: all published services as HSDS JSON, as the HSDS CSV package, or zipped.

Why these shapes (docs/export.md):

* ``hsds-json`` is a bare JSON array of canonical nested services (GUIDE §6.2 "files"), the form
  ``GET /services/{id}`` gives one at a time;
* ``hsds-csv`` is the official Tabular Data Package: ``datapackage.json`` copied unchanged
  (``data/hsds/``) and one CSV per resource, every file with its header in the descriptor's
  column order even when empty, exactly one parent column filled per row (GUIDE §7), times with
  seconds. It is derived from the same canonical services by flattening (GUIDE §16 "JSON → CSV"),
  so both forms say the same thing;
* ``hsds-zip`` is that package in one zip, with fixed timestamps.

Every output is deterministic (sorted by id, fixed zip dates), so export → import into an empty
instance → export gives byte-identical files. Only published, public data is written: the
services come from :class:`~sociale_kaart.services.hsds_queries.HsdsReader` with
``public=True``. Taxonomies and terms are those the exported attributes use.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.validation import FK_OF, KINDS

from ..config import DATA_DIR
from ..models import Service
from .hsds_queries import HsdsReader

DATAPACKAGE_PATH = DATA_DIR / "hsds" / "datapackage.json"
FORMATS = ("hsds-json", "hsds-csv", "hsds-zip")
#: The date every zip member carries, so the same data gives the same bytes.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
#: Polymorphic links: kind → (entity column, id column).
LINK_COLUMNS = {"attribute": ("link_entity", "link_id"),
                "metadata": ("resource_type", "resource_id")}
#: Embedded objects that become rows of their own: key → (kind, FK column on the embedding row).
EMBEDDED = {"organization": ("organization", "organization_id"),
            "program": ("program", "program_id"),
            "location": ("location", "location_id"),
            "taxonomy_term": ("taxonomy_term", "taxonomy_term_id"),
            "taxonomy_detail": ("taxonomy", "taxonomy_id")}

Json = dict[str, Any]


@cache
def datapackage_text() -> str:
    return DATAPACKAGE_PATH.read_text(encoding="utf-8")


@cache
def resources() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Kind → (file name, column names in descriptor order)."""
    descriptor = json.loads(datapackage_text())
    return {r["name"]: (r["path"], tuple(f["name"] for f in r["schema"]["fields"]))
            for r in descriptor["resources"]}


def published_services(session: Session) -> list[Json]:
    """Every published service as a canonical, public HSDS object, ordered by id."""
    reader = HsdsReader(session, public=True)
    return [reader.full_service(service)
            for service in session.scalars(select(Service).order_by(Service.id))]


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------


def services_json(services: list[Json]) -> bytes:
    return (json.dumps(services, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --------------------------------------------------------------------------------------------
# CSV: flatten nested services into one table per object kind
# --------------------------------------------------------------------------------------------


@dataclass
class Tables:
    """Rows per kind, each object once (organizations, locations and terms recur)."""

    rows: dict[str, dict[str, Json]] = field(default_factory=dict)

    def add(self, kind: str, row: Json) -> bool:
        """Add a row; False when this id was already there (its children are too)."""
        table = self.rows.setdefault(kind, {})
        if row["id"] in table:
            return False
        table[row["id"]] = row
        return True

    def flatten(self, kind: str, obj: Json, parent: tuple[str, str] | None = None) -> None:
        spec = KINDS[kind]
        row: Json = {key: value for key, value in obj.items() if key in spec.fields}
        if parent is not None:
            parent_kind, parent_id = parent
            if kind in LINK_COLUMNS:
                entity_column, id_column = LINK_COLUMNS[kind]
                row[entity_column] = parent_kind
                row[id_column] = parent_id
            else:
                row[FK_OF[parent_kind]] = parent_id  # exactly one parent column (GUIDE §7.2)
        for key, (child_kind, column) in EMBEDDED.items():
            child = obj.get(key)
            if isinstance(child, dict) and key in spec.objects:
                row[column] = child["id"]
                self.flatten(child_kind, child)
        if not self.add(kind, row):
            return
        for key, child_kind in spec.lists.items():
            for child in obj.get(key) or []:
                self.flatten(child_kind, child, (kind, obj["id"]))

    def csv_files(self) -> dict[str, bytes]:
        """File name → CSV bytes, for every resource of the descriptor, header always."""
        files: dict[str, bytes] = {}
        for kind, (path, columns) in resources().items():
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(columns)
            for row_id in sorted(self.rows.get(kind, {})):
                row = self.rows[kind][row_id]
                writer.writerow([_cell(row.get(column)) for column in columns])
            files[path] = out.getvalue().encode("utf-8")
        return files


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return str(value)


def csv_package(services: Iterable[Json]) -> dict[str, bytes]:
    """The complete package: ``datapackage.json`` (unchanged) plus every CSV file."""
    tables = Tables()
    for service in services:
        tables.flatten("service", service)
    return {"datapackage.json": datapackage_text().encode("utf-8"), **tables.csv_files()}


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def render(services: list[Json], fmt: str) -> dict[str, bytes] | bytes:
    """The bytes of one export: a single file (json, zip) or a package's files (csv)."""
    if fmt == "hsds-json":
        return services_json(services)
    if fmt == "hsds-csv":
        return csv_package(services)
    if fmt == "hsds-zip":
        return zip_bytes(csv_package(services))
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export_to(session: Session, fmt: str, path: Path) -> int:
    """Write all published services to ``path`` (a folder for hsds-csv); returns the count."""
    services = published_services(session)
    output = render(services, fmt)
    if isinstance(output, dict):
        path.mkdir(parents=True, exist_ok=True)
        for name, data in output.items():
            write_atomic(path / name, data)
    else:
        write_atomic(path, output)
    return len(services)
