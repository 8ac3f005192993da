"""Bulk import on PostgreSQL: the same rows as the ORM writer, written with ``COPY``.

Why: a regional or national directory loads 100k to 1M listings; the ORM writer
(``imports.write_records``) costs a few dozen statements per listing. Here the very same writer
code (``imports._Writer``: field mapping, geocoding, taxonomy matching, audit trail, provenance)
builds the objects in memory against a stand-in session that knows which ids are new, and the
new rows then go to PostgreSQL with one ``COPY`` per table, in dependency order. Everything runs
in ONE transaction: a crash or ``kill -9`` leaves nothing half-imported.

Records that touch rows already in the database (an existing listing, organization or location)
go through the ordinary ORM writer in the same transaction, so updates keep their exact
semantics (content hashes, ``before`` in the audit trail). ``sociale-kaart import --bulk`` uses
this path; it needs PostgreSQL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ONETOMANY

from importers.base import ImportedRecord, RecordError

from ..db import Database, mark_changed
from ..geo.geocode import Geocoder
from ..models import Attribute, Base, Location, Organization, Service, Taxonomy, TaxonomyTerm
from .audit import record_import_change
from .imports import ImportReport, _hash, _Writer, read_sources
from .provenance import note_import
from .taxonomy import ensure_taxonomies


@dataclass
class BulkReport(ImportReport):
    """An import report plus what COPY wrote (rows per table) and how long the run took."""

    copied: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class _BulkWriter(_Writer):
    """The ORM writer, minus the look-ups of attribute and metadata rows of listings that do
    not exist yet (building those SELECTs cost more than everything else per listing)."""

    def _attributes(self, session, entity: str, link_id: str, items: list[dict]) -> None:
        if not isinstance(session, _NewRows):
            return super()._attributes(session, entity, link_id, items)
        for item in items:
            attribute = Attribute(id=item["id"])
            attribute.taxonomy_term_id = self._term_id(session, item.get("link_type"),
                                                       item["taxonomy_term"])
            attribute.link_entity, attribute.link_id = entity, link_id
            attribute.link_type = item.get("link_type")
            attribute.value = None if item.get("value") is None else str(item["value"])
            attribute.label = item.get("label")
            session.add(attribute)
        return None


class BulkImportError(RuntimeError):
    """The bulk path cannot be used (not PostgreSQL) or COPY failed; nothing was stored."""


class _NewRows:
    """A session stand-in for records that only create rows: look-ups answer from what this run
    created (or, for ids already in the database, from the real session), and new objects are
    collected for COPY instead of being flushed one by one."""

    def __init__(self, session: Session, existing: dict[type, set[str]]) -> None:
        self._session = session
        self._existing = existing
        self.created: dict[tuple[type, Any], Any] = {}
        self.order: list[Any] = []

    def get(self, cls, ident):
        found = self.created.get((cls, ident))
        if found is None and ident in self._existing.get(cls, ()):
            return self._session.get(cls, ident)
        return found

    def add(self, obj) -> None:
        state = inspect(obj)
        if state.persistent or state.pending:
            self._session.add(obj)  # a row that already exists (an imported taxonomy term)
            return
        key = (type(obj), getattr(obj, "id", None))
        if key[1] is None or key not in self.created:
            self.order.append(obj)
        if key[1] is not None:
            self.created[key] = obj

    def scalars(self, _statement):
        return iter(())  # new rows have no attributes, metadata or sources yet

    def scalar(self, _statement):
        return None

    def flush(self) -> None:
        pass

    def __getattr__(self, name):
        return getattr(self._session, name)


def _collect(roots: list[Any]) -> list[Any]:
    """Every new object reachable from the collected ones through one-to-many relationships,
    with the children's foreign keys filled in (what a flush would do)."""
    seen: set[int] = set()
    result: list[Any] = []
    stack = list(reversed(roots))
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        state = inspect(obj)
        if state.persistent or state.pending or state.detached:
            continue
        seen.add(id(obj))
        result.append(obj)
        for rel in state.mapper.relationships:
            if rel.direction is not ONETOMANY or rel.viewonly:
                continue
            children = state.dict.get(rel.key)
            if not children:
                continue
            for child in children:
                for parent_col, child_col in rel.local_remote_pairs:
                    child_attr = inspect(child).mapper.get_property_by_column(child_col).key
                    parent_attr = state.mapper.get_property_by_column(parent_col).key
                    setattr(child, child_attr, getattr(obj, parent_attr))
                stack.append(child)
    return result


def _plain_value(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if value is None or isinstance(value, (str, int, float, bool, datetime, date)):
        return value
    return getattr(value, "value", value)  # an Enum


def _row_maker(mapper, columns: list) -> Callable[[Any], tuple]:
    """Reads one table's column values from an object; defaults as an INSERT would fill."""
    keys = [mapper.get_property_by_column(c).key for c in columns]
    defaults = []
    for column in columns:
        default = column.default
        if default is None or column.primary_key:
            defaults.append(None)
        elif default.is_callable:
            defaults.append(lambda d=default: d.arg(None))
        elif default.is_scalar:
            defaults.append(lambda d=default: d.arg)
        else:
            defaults.append(None)
    pairs = list(zip(keys, defaults, strict=True))

    def row(obj: Any) -> tuple:
        values = obj.__dict__
        out = []
        for key, default in pairs:
            value = values.get(key)
            if value is None and default is not None:
                value = default()
            out.append(_plain_value(value))
        return tuple(out)

    return row


def copy_objects(connection, objects: list[Any]) -> dict[str, int]:
    """COPY the objects into their tables, parents before children. Returns rows per table."""
    by_table: dict[str, list[Any]] = {}
    for obj in objects:
        by_table.setdefault(inspect(obj).mapper.local_table.name, []).append(obj)
    counts: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        rows = by_table.get(table.name)
        if not rows:
            continue
        columns = [c for c in table.columns
                   if not (c.primary_key and c.autoincrement is not False
                           and c.type.python_type is int)]
        names = ", ".join(f'"{c.name}"' for c in columns)
        make_row = _row_maker(inspect(rows[0]).mapper, columns)
        with connection.cursor().copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for obj in rows:
                copy.write_row(make_row(obj))
        counts[table.name] = len(rows)
    return counts


def _existing_ids(session: Session) -> dict[type, set[str]]:
    return {cls: set(session.scalars(select(cls.id)))
            for cls in (Service, Organization, Location, Taxonomy, TaxonomyTerm)}


def _existing_hashes(session: Session) -> dict[type, dict[str, str | None]]:
    """Content hashes of organizations and locations already stored: a record that shares an
    unchanged one can still take the COPY path (the writer leaves it alone)."""
    return {cls: dict(session.execute(select(cls.id, cls.content_hash)).all())
            for cls in (Organization, Location)}


def bulk_write_records(db: Database, records: list[ImportedRecord], errors: list[RecordError],
                       *, strict: bool = False, geocoder: Geocoder | None = None,
                       progress: Callable[[Iterable], Iterable] | None = None) -> BulkReport:
    """Write the records like ``imports.write_records`` (same rows, audit and provenance),
    new rows by COPY; one transaction."""
    if db.engine.dialect.name != "postgresql":
        raise BulkImportError("bulk import (COPY) needs PostgreSQL; without --bulk the "
                              "ordinary import works on every database")
    report = BulkReport(rejected=list(errors))
    for record in records:
        report.warnings.extend(f"{record.source}: service {record.id}: {w}"
                               for w in record.warnings)
    if strict and errors:
        return report
    writer = _BulkWriter(geocoder or Geocoder())
    session = db.Session()
    started = time.perf_counter()
    try:
        ensure_taxonomies(session)
        session.flush()
        existing = _existing_ids(session)
        hashes = _existing_hashes(session)

        def changes_existing(cls: type, data: dict) -> bool:
            known = hashes[cls]
            return data["id"] in known and known[data["id"]] != _hash(data)
        fresh = _NewRows(session, existing)
        later: list[ImportedRecord] = []
        iterable = progress(records) if progress else records
        with session.no_autoflush:
            for record in iterable:
                data = record.service
                touches_existing = (
                    record.id in existing[Service]
                    or changes_existing(Organization, data["organization"])
                    or any(changes_existing(Location, sal["location"])
                           for sal in data.get("service_at_locations", [])))
                if touches_existing:
                    later.append(record)
                    continue
                outcome, _touched = writer.upsert(fresh, record)
                getattr(report, outcome).append(record.id)
                record_import_change(fresh, record.id, record.source, outcome, record.service)
                note_import(fresh, record, changed=True)
        objects = _collect(fresh.order)
        connection = session.connection().connection.driver_connection
        report.copied = copy_objects(connection, objects)
        mark_changed(session, set(report.created))
        for record in later:  # updates and shared rows: the ORM writer, same transaction
            with session.no_autoflush:
                outcome, touched = writer.upsert(session, record)
            getattr(report, outcome).append(record.id)
            if outcome != "unchanged":
                record_import_change(session, record.id, record.source, outcome,
                                     record.service)
            note_import(session, record, changed=outcome != "unchanged")
            mark_changed(session, touched)
            session.flush()
        session.commit()
        report.committed = True
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    report.seconds = time.perf_counter() - started
    return report


def bulk_import_paths(db: Database, paths: Iterable[Path], *, fmt: str | None = None,
                      strict: bool = False, geocoder: Geocoder | None = None,
                      load_plugins: bool = True) -> BulkReport:
    records, errors = read_sources([Path(p) for p in paths], fmt, load_plugins)
    return bulk_write_records(db, records, errors, strict=strict, geocoder=geocoder)


def bulk_import_cli(settings, db: Database, records: list[ImportedRecord],
                    errors: list[RecordError], strict: bool, geocoder: Geocoder) -> int:
    """``sociale-kaart import --bulk``: COPY, then one index rebuild; returns the exit code."""
    import click

    from ..search import SearchService

    try:
        search = SearchService(settings, db, follow_commits=False)
        report = bulk_write_records(db, records, errors, strict=strict, geocoder=geocoder)
    except BulkImportError as error:
        click.echo(f"Fout: {error}", err=True)
        return 2
    for warning in report.warnings:
        click.echo(f"Waarschuwing: {warning}", err=True)
    for error in report.rejected:
        click.echo(f"Afgewezen: {error}", err=True)
    rate = len(records) / report.seconds if report.seconds else 0.0
    click.echo(f"{report.summary()} ({rate:.0f} vermeldingen per seconde)")
    if report.committed:
        started = time.perf_counter()
        count = search.rebuild()
        click.echo(f"Zoekindex opnieuw gebouwd: {count} vermeldingen in "
                   f"{time.perf_counter() - started:.1f} s")
    db.dispose()
    return report.exit_code
