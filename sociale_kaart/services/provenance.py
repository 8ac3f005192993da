"""Provenance: recording where a listing came from, and showing it as HSDS ``metadata``.

Every import notes its file or feed (with the publisher's own id for the record), every portal
change notes the portal and the kind of account, and a merged duplicate notes the second
source. The history page lists them, and the HSDS API and open-data export emit them as
``metadata`` entries on the service::

    {"id": uuid5(service id, kind, source), "resource_type": "service",
     "last_action_type": "source", "field_name": "source", "last_action_date": first seen,
     "previous_value": "3,4", "replacement_value": "lijst.xlsx (id 3,4)", "updated_by": "import"}

``previous_value`` holds the source's own id alone (``-`` when it has none, as the tabular
package requires a value).

Why only in the output, not in the canonical record the writer hashes: a re-import of the same
file must stay "unchanged". And why the derived id: an import of our own export recognises
these entries (the id must be the one the entry's source and kind give) and restores them as
sources instead of storing them as ordinary metadata, so export → import → export is identical.
Such a record names its origins itself; the file that carried it is then not noted as a source
(the audit trail still names it).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Service, ServiceSource, utcnow

#: Namespace of provenance metadata ids. Never change it: the ids are published.
NAMESPACE = uuid.UUID("0c9e4a57-3f0e-5d2b-8a6c-5e8f0b7d2c41")
ACTION = "source"
FIELD = "source"
PORTAL = "portal"
#: ``previous_value`` without an own id: the tabular package requires a value.
NO_ID = "-"
#: Change-record sources that are portal accounts (``services/audit.py`` notes them).
PORTAL_KINDS = ("provider", "moderator", "beheerder")
_VALUE = re.compile(r"^(?P<source>.*) \(id (?P<own>[^()]*)\)$", re.S)


def source_name(source: str) -> str:
    """How provenance (and duplicate decisions) name a source: the file name and sheet, never
    the folder it was in (that is no one's business in published data)."""
    path, _hash, sheet = source.partition("#")
    name = PureWindowsPath(PurePosixPath(path).name).name
    return (name + (f"#{sheet}" if sheet else ""))[:500]


def own_id(record: Any) -> str | None:
    """The source's own id of an imported record: spreadsheet row numbers, else the id the
    publisher gave (None when it is our id already, as with HSDS UUIDs)."""
    rows = getattr(record, "rows", None)
    if rows:
        return ",".join(str(row.row) for row in rows)
    value = getattr(record, "source_id", None)
    if not value:
        return None
    try:
        if uuid.UUID(str(value)) == uuid.UUID(record.id):
            return None
    except ValueError:
        pass
    return str(value)[:500]


def metadata_id(service_id: str, source: str, kind: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{service_id}:{kind}:{source}"))


def note_source(session: Session, service_id: str, source: str, kind: str,
                record_id: str | None = None, *, seen: datetime | None = None,
                first: datetime | None = None, refresh: bool = True) -> ServiceSource | None:
    """Add or refresh one source of a listing (in the caller's transaction). Without
    ``refresh`` a source already known is left alone (a re-import that changed nothing must
    not change the database either)."""
    if session.get(Service, service_id) is None:
        return None
    now = seen or utcnow()
    row = session.scalar(select(ServiceSource).where(
        ServiceSource.service_id == service_id, ServiceSource.source == source,
        ServiceSource.source_kind == kind))
    if row is None:
        row = ServiceSource(service_id=service_id, source=source, source_kind=kind,
                            first_seen=first or now, last_seen=now)
        session.add(row)
    elif not refresh:
        return row
    else:
        if first is not None and first < row.first_seen:
            row.first_seen = first
        row.last_seen = max(row.last_seen, now)
    if record_id is not None:
        row.source_record_id = record_id
    return row


def note_import(session: Session, record: Any, changed: bool = True) -> None:
    """What an import run says about one record's origin: the provenance the record declares
    (our own export coming back), or else the file it came from. ``changed``: the record
    created or updated the listing (else only sources not yet known are added)."""
    declared = declared_sources(record.id, record.service.get("metadata", []))
    if declared:
        for source, kind, own, day in declared:
            moment = datetime.combine(day, time()) if day else None
            note_source(session, record.id, source, kind, own, seen=moment, first=moment,
                        refresh=changed)
        return
    note_source(session, record.id, source_name(record.source), "import", own_id(record),
                refresh=changed)


def sources_of(session: Session, service_id: str) -> list[ServiceSource]:
    return list(session.scalars(select(ServiceSource).where(
        ServiceSource.service_id == service_id)
        .order_by(ServiceSource.first_seen, ServiceSource.id)))


# -- as HSDS metadata ------------------------------------------------------------------------

def _value(row: ServiceSource) -> str:
    return f"{row.source} (id {row.source_record_id})" if row.source_record_id else row.source


def provenance_metadata(session: Session, service_id: str) -> list[dict[str, Any]]:
    """The listing's sources as raw HSDS metadata objects (the exporter cleans them)."""
    return [{"id": metadata_id(service_id, row.source, row.source_kind),
             "resource_id": service_id, "resource_type": "service",
             "last_action_date": row.first_seen.date().isoformat(),
             "last_action_type": ACTION, "field_name": FIELD,
             "previous_value": row.source_record_id or NO_ID,
             "replacement_value": _value(row), "updated_by": row.source_kind}
            for row in sources_of(session, service_id)]


def _parse(service_id: str, item: dict[str, Any]) -> tuple[str, str, str | None] | None:
    """(source, kind, own id) when ``item`` is provenance metadata this program wrote."""
    if item.get("last_action_type") != ACTION or item.get("field_name") != FIELD:
        return None
    kind, value = item.get("updated_by") or "", item.get("replacement_value") or ""
    match = _VALUE.match(value)
    candidates = [(match["source"], match["own"])] if match else []
    candidates.append((value, None))
    for source, own in candidates:
        if item.get("id") == metadata_id(service_id, source, kind):
            return source, kind, own
    return None


def is_provenance(service_id: str, item: dict[str, Any]) -> bool:
    return _parse(service_id, item) is not None


def declared_sources(service_id: str, items: Iterable[dict[str, Any]]
                     ) -> list[tuple[str, str, str | None, date | None]]:
    """The provenance entries among a service's metadata: (source, kind, own id, date)."""
    found = []
    for item in items:
        parsed = _parse(service_id, item)
        if parsed is not None:
            try:
                day = date.fromisoformat(str(item.get("last_action_date"))[:10])
            except ValueError:
                day = None
            found.append((*parsed, day))
    return found


def ordinary_metadata(service_id: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A service's metadata without the provenance entries (those become sources)."""
    return [item for item in items if not is_provenance(service_id, item)]
