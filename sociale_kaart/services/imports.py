"""Writing imported records into the database: validate all, one transaction, then reindex.

The importers are pure readers (``importers/``); this module is the one writer. A run
1. reads the whole input (unusable input stops here: nothing is touched),
2. upserts every valid service by id inside ONE transaction, comparing a hash of the record as
   imported so a re-run of the same file changes nothing, and records every created or
   updated listing in the audit trail (``services/audit.py``),
3. commits (or, with ``dry_run``, rolls back; with ``strict``, writes nothing when any record
   was rejected), and only then lets the search index follow.
A crash or kill before the commit leaves the database exactly as it was (SQLite and PostgreSQL
transactions), and the index only ever hears about committed data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Float, Integer, Time, select
from sqlalchemy.orm import Session

from importers.base import ImportedRecord, Importer, RecordError, UnusableInput
from importers.registry import detect, get

from ..db import Database, mark_changed
from ..geo.geocode import Geocoder
from ..models import (
    Accessibility,
    Address,
    Attribute,
    Base,
    Contact,
    CostOption,
    Language,
    Location,
    Metadata,
    Organization,
    OrganizationIdentifier,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
    Url,
)
from .audit import record_import_change
from .content_hash import content_hash, same_content
from .provenance import note_import, ordinary_metadata
from .taxonomy import ensure_taxonomies, match_term

PLACES_RE = re.compile(r"(\d+)\s*(?:plaatsen|plekken|deelnemers|places)", re.I)
SESSIONS_RE = re.compile(r"(\d+)\s*(?:bijeenkomsten|lessen|sessies|keer|avonden|ochtenden|middagen"
                         r"|sessions|lessons)", re.I)


@dataclass
class ImportReport:
    """What an import run did, per service id."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[RecordError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    committed: bool = False

    @property
    def exit_code(self) -> int:
        """0: all imported; 1: some records rejected (the valid ones imported, unless strict)."""
        return 1 if self.rejected else 0

    def summary(self) -> str:
        prefix = "Proefimport (niets opgeslagen): " if self.dry_run else ""
        return (f"{prefix}{len(self.created)} nieuw, {len(self.updated)} bijgewerkt, "
                f"{len(self.unchanged)} ongewijzigd, {len(self.rejected)} afgewezen")


def read_sources(paths: Iterable[Path], fmt: str | None = None,
                 load_plugins: bool = True) -> tuple[list[ImportedRecord], list[RecordError]]:
    """Read every path completely; UnusableInput propagates before anything is written."""
    records: list[ImportedRecord] = []
    errors: list[RecordError] = []
    for path in paths:
        importer_cls: type[Importer] = get(fmt, load_plugins) if fmt else detect(path, load_plugins)
        for result in importer_cls().read(path):
            (records if isinstance(result, ImportedRecord) else errors).append(result)
    # The same service id in two inputs of one run: the later one wins, but say so.
    seen: dict[str, ImportedRecord] = {}
    for record in records:
        if record.id in seen:
            errors.append(RecordError(record.source, "the same service id occurs again; "
                                      f"first seen in {seen[record.id].source}",
                                      record.id, record.line, "id"))
        else:
            seen[record.id] = record
    return list(seen.values()), errors


def import_paths(db: Database, paths: Iterable[Path], *, fmt: str | None = None,
                 dry_run: bool = False, strict: bool = False, geocoder: Geocoder | None = None,
                 progress: Callable[[Iterable[ImportedRecord]], Iterable[ImportedRecord]]
                 | None = None, load_plugins: bool = True) -> ImportReport:
    """Import the given files or folders. Raises UnusableInput when an input cannot be read."""
    records, errors = read_sources([Path(p) for p in paths], fmt, load_plugins)
    return write_records(db, records, errors, dry_run=dry_run, strict=strict, geocoder=geocoder,
                         progress=progress)


def write_records(db: Database, records: list[ImportedRecord], errors: list[RecordError], *,
                  dry_run: bool = False, strict: bool = False, geocoder: Geocoder | None = None,
                  progress=None) -> ImportReport:
    report = ImportReport(rejected=list(errors), dry_run=dry_run)
    for record in records:
        report.warnings.extend(f"{record.source}: service {record.id}: {w}"
                               for w in record.warnings)
    if strict and errors:
        return report
    writer = _Writer(geocoder or Geocoder())
    session = db.Session()
    try:
        ensure_taxonomies(session)
        iterable = progress(records) if progress else records
        for record in iterable:
            with session.no_autoflush:
                outcome, touched = writer.upsert(session, record)
            getattr(report, outcome).append(record.id)
            if outcome != "unchanged":  # the audit trail: who (the file), when, before/after
                record_import_change(session, record.id, record.source, outcome,
                                     record.service)
            # provenance: the file and its own id (or what an export of ours declares)
            note_import(session, record, changed=outcome != "unchanged")
            mark_changed(session, touched)
            session.flush()
        if dry_run:
            session.rollback()
        else:
            session.commit()
            report.committed = True
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    return report


# -- the writer ------------------------------------------------------------------------------

def _convert(column_type: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column_type, DateTime):
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        text = str(value).replace("Z", "+00:00")
        parsed = datetime.fromisoformat(text) if "T" in text or " " in text else \
            datetime.combine(date.fromisoformat(text[:10]), time())
        return parsed.replace(tzinfo=None)
    if isinstance(column_type, Date):
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if isinstance(column_type, Time):
        if isinstance(value, time):
            return value
        return time.fromisoformat(str(value)[:8])
    if isinstance(column_type, Integer):
        return int(value)
    if isinstance(column_type, Float):
        return float(value)
    return value


def _assign(obj: Base, data: dict[str, Any], skip: Iterable[str] = ()) -> None:
    """Copy the HSDS scalar fields in ``data`` onto the model's columns of the same name; a
    field absent from ``data`` becomes NULL, so an update removes what the source removed."""
    table = obj.__table__
    skipped = {"id", *skip}
    for column in table.columns:
        name = column.key
        if name in skipped or column.foreign_keys or name in EXTENSION_COLUMNS:
            continue
        value = data.get(name)
        if isinstance(value, (list, dict)):
            continue
        setattr(obj, name, _convert(column.type, value))


#: Columns of our own that an import must not overwrite from the HSDS record.
EXTENSION_COLUMNS = {
    "source", "content_hash", "created_at", "updated_at", "kern", "municipality",
    "geocode_source", "places", "places_left", "session_count", "cancelled", "facet", "name_en",
    "version",
}


def _sync(session: Session, collection: list, cls: type[Base], items: list[dict[str, Any]],
          fill: Callable[[Session, Any, dict[str, Any]], None]) -> None:
    """Make ``collection`` hold exactly ``items`` (matched by id): update, add, drop."""
    existing = {obj.id: obj for obj in collection}
    wanted = []
    for item in items:
        obj = existing.get(item["id"]) or session.get(cls, item["id"]) or cls(id=item["id"])
        fill(session, obj, item)
        wanted.append(obj)
    collection[:] = wanted


def _plain(_session: Session, obj: Base, data: dict[str, Any]) -> None:
    """A child with scalar fields only."""
    _assign(obj, data)


class _Writer:
    def __init__(self, geocoder: Geocoder) -> None:
        self.geocoder = geocoder
        self._term_map: dict[str, str] = {}

    # -- entry point ------------------------------------------------------------------------
    def upsert(self, session: Session, record: ImportedRecord) -> tuple[str, set[str]]:
        data = record.service
        digest = content_hash(data)
        service = session.get(Service, data["id"])
        touched = {data["id"]}
        org_changed = self._organization(session, data["organization"], record.source)
        if org_changed:
            touched |= set(session.scalars(select(Service.id).where(
                Service.organization_id == data["organization"]["id"])))
        for sal in data.get("service_at_locations", []):
            if self._location(session, sal["location"], record.source):
                touched |= set(session.scalars(select(ServiceAtLocation.service_id).where(
                    ServiceAtLocation.location_id == sal["location"]["id"])))
        if service is not None and same_content(service.content_hash, data, digest):
            return "unchanged", touched - {data["id"]} if not org_changed else touched
        outcome = "created" if service is None else "updated"
        if service is None:
            service = Service(id=data["id"], version=1)
            session.add(service)
        else:
            service.version = (service.version or 1) + 1
        self._service(session, service, data, record.source)
        service.content_hash = digest
        return outcome, touched

    # -- organization and locations (shared between services) ----------------------------
    def _organization(self, session: Session, data: dict[str, Any], source: str) -> bool:
        digest = content_hash(data)
        org = session.get(Organization, data["id"])
        if org is not None and same_content(org.content_hash, data, digest):
            return False
        if org is None:
            org = Organization(id=data["id"])
            session.add(org)
        _assign(org, data)
        org.description = data.get("description") or ""
        org.source, org.content_hash = source, digest
        _sync(session, org.phones, Phone, data.get("phones", []), self._phone)
        _sync(session, org.identifiers, OrganizationIdentifier,
              data.get("organization_identifiers", []), _plain)
        _sync(session, org.contacts, Contact, data.get("contacts", []), self._contact)
        _sync(session, org.urls, Url, data.get("additional_websites", []), _plain)
        self._attributes(session, "organization", org.id, data.get("attributes", []))
        self._metadata(session, "organization", org.id, data.get("metadata", []))
        return True

    def _location(self, session: Session, data: dict[str, Any], source: str) -> bool:
        digest = content_hash(data)
        location = session.get(Location, data["id"])
        if location is not None and same_content(location.content_hash, data, digest):
            return False
        if location is None:
            location = Location(id=data["id"])
            session.add(location)
        _assign(location, data)
        location.source, location.content_hash = source, digest
        _sync(session, location.addresses, Address, data.get("addresses", []), _plain)
        _sync(session, location.accessibility, Accessibility, data.get("accessibility", []),
              _plain)
        _sync(session, location.phones, Phone, data.get("phones", []), self._phone)
        _sync(session, location.schedules, Schedule, data.get("schedules", []), self._schedule)
        _sync(session, location.languages, Language, data.get("languages", []), _plain)
        _sync(session, location.contacts, Contact, data.get("contacts", []), self._contact)
        self._attributes(session, "location", location.id, data.get("attributes", []))
        self.geocoder.enrich(location)
        return True

    # -- the service itself ----------------------------------------------------------------
    def _service(self, session: Session, service: Service, data: dict[str, Any],
                 source: str) -> None:
        assured = service.assured_date
        _assign(service, data, skip=("assured_date",))
        service.organization_id = data["organization"]["id"]
        # The verified date only ever comes from the publisher; an import never invents one
        # and a record without one does not erase a confirmation made here.
        if data.get("assured_date"):
            service.assured_date = _convert(Date(), data["assured_date"])
        else:
            service.assured_date = assured
        service.source = source
        _sync(session, service.service_at_locations, ServiceAtLocation,
              data.get("service_at_locations", []), self._service_at_location)
        _sync(session, service.phones, Phone, data.get("phones", []), self._phone)
        _sync(session, service.schedules, Schedule, data.get("schedules", []), self._schedule)
        _sync(session, service.service_areas, ServiceArea, data.get("service_areas", []),
              self._service_area)
        _sync(session, service.languages, Language, data.get("languages", []), _plain)
        _sync(session, service.cost_options, CostOption, data.get("cost_options", []), _plain)
        _sync(session, service.contacts, Contact, data.get("contacts", []), self._contact)
        _sync(session, service.urls, Url, data.get("additional_urls", []), _plain)
        self._attributes(session, "service", service.id, data.get("attributes", []))
        # Provenance entries (our own export coming back) become sources, not metadata rows.
        self._metadata(session, "service", service.id,
                       ordinary_metadata(service.id, data.get("metadata", [])))

    def _service_at_location(self, session: Session, sal: ServiceAtLocation,
                             data: dict[str, Any]) -> None:
        _assign(sal, data)
        sal.location_id = data["location"]["id"]
        _sync(session, sal.phones, Phone, data.get("phones", []), self._phone)
        _sync(session, sal.schedules, Schedule, data.get("schedules", []), self._schedule)
        _sync(session, sal.contacts, Contact, data.get("contacts", []), self._contact)
        self._attributes(session, "service_at_location", sal.id, data.get("attributes", []))

    def _phone(self, session: Session, phone: Phone, data: dict[str, Any]) -> None:
        _assign(phone, data)
        _sync(session, phone.languages, Language, data.get("languages", []), _plain)

    def _contact(self, session: Session, contact: Contact, data: dict[str, Any]) -> None:
        _assign(contact, data)
        _sync(session, contact.phones, Phone, data.get("phones", []), self._phone)

    @staticmethod
    def _schedule(_session: Session, schedule: Schedule, data: dict[str, Any]) -> None:
        _assign(schedule, data)
        if schedule.places is None and data.get("notes"):
            match = PLACES_RE.search(data["notes"])
            if match:
                schedule.places = int(match.group(1))
        if schedule.session_count is None and data.get("description"):
            match = SESSIONS_RE.search(data["description"])
            if match:
                schedule.session_count = int(match.group(1))

    def _service_area(self, session: Session, area: ServiceArea, data: dict[str, Any]) -> None:
        _assign(area, data)
        area.municipality = self.geocoder.gazetteer.municipality_name(data.get("name")) or \
            self.geocoder.gazetteer.municipality_name(data.get("description"))

    # -- taxonomy ------------------------------------------------------------------------------
    def _term_id(self, session: Session, link_type: str | None, term: dict[str, Any]) -> str:
        """The id of the term an attribute points at: ours when it matches, else the imported
        term (created or updated) so unknown classifications are kept, not dropped."""
        key = f"{link_type}|{term['id']}"
        if key in self._term_map:
            return self._term_map[key]
        ours = match_term(link_type, term.get("code"), term.get("name"))
        if ours is not None:
            self._term_map[key] = ours.id
            return ours.id
        detail = term.get("taxonomy_detail")
        if detail:
            taxonomy = session.get(Taxonomy, detail["id"]) or Taxonomy(id=detail["id"])
            _assign(taxonomy, detail)
            taxonomy.description = detail.get("description") or ""
            session.add(taxonomy)
        row = session.get(TaxonomyTerm, term["id"]) or TaxonomyTerm(id=term["id"])
        _assign(row, term)
        row.description = term.get("description") or ""
        row.taxonomy_id = (detail or {}).get("id") or term.get("taxonomy_id")
        if row.taxonomy_id and session.get(Taxonomy, row.taxonomy_id) is None:
            row.taxonomy_id = None  # a reference to a taxonomy we were never given
        session.add(row)
        self._term_map[key] = row.id
        return row.id

    def _attributes(self, session: Session, entity: str, link_id: str,
                    items: list[dict[str, Any]]) -> None:
        existing = {a.id: a for a in session.scalars(select(Attribute).where(
            Attribute.link_entity == entity, Attribute.link_id == link_id))}
        keep = set()
        for item in items:
            attribute = existing.get(item["id"]) or session.get(Attribute, item["id"]) or \
                Attribute(id=item["id"])
            term_id = self._term_id(session, item.get("link_type"), item["taxonomy_term"])
            attribute.link_entity, attribute.link_id = entity, link_id
            attribute.link_type = item.get("link_type")
            attribute.taxonomy_term_id = term_id
            attribute.value = None if item.get("value") is None else str(item["value"])
            attribute.label = item.get("label")
            session.add(attribute)
            keep.add(attribute.id)
        for attribute_id, attribute in existing.items():
            if attribute_id not in keep:
                session.delete(attribute)

    @staticmethod
    def _metadata(session: Session, resource_type: str, resource_id: str,
                  items: list[dict[str, Any]]) -> None:
        existing = {m.id: m for m in session.scalars(select(Metadata).where(
            Metadata.resource_type == resource_type, Metadata.resource_id == resource_id))}
        keep = set()
        for item in items:
            row = existing.get(item["id"]) or session.get(Metadata, item["id"]) or \
                Metadata(id=item["id"])
            _assign(row, item)
            row.resource_type, row.resource_id = resource_type, resource_id
            for name in ("previous_value", "replacement_value", "updated_by", "field_name",
                         "last_action_type", "last_action_date"):
                if getattr(row, name) is None:
                    setattr(row, name, "")
            session.add(row)
            keep.add(row.id)
        for row_id, row in existing.items():
            if row_id not in keep:
                session.delete(row)


__all__ = ["ImportReport", "UnusableInput", "import_paths", "read_sources", "write_records"]
