"""Bulk import on PostgreSQL: the same rows as the ORM writer, written with ``COPY``.

Why: a regional or national directory loads 100k to 1M listings; the ORM writer
(``imports.write_records``) costs a few dozen statements and some twenty mapped objects per
listing. Here a new listing becomes plain rows (``bulk_rows.RowBuilder`` follows
``imports._Writer`` step by step: field mapping, geocoding, taxonomy matching, audit trail,
provenance) that go to PostgreSQL with one ``COPY`` per table, parents first, a few thousand
listings at a time. Everything runs in ONE transaction: a crash or ``kill -9`` leaves nothing
half-imported.

Which records take that path: the ids a run names (services, organizations, locations, with
their content hashes) are looked up once. A record that touches rows already in the database
(an existing listing, an organization or location stored with other content) or rows an
earlier record of the run wrote differently is *deferred*: after the COPYs it goes through the
ordinary ORM writer in the same transaction, in input order, so updates keep their exact
semantics (content hashes, ``before`` in the audit trail). Once a record is deferred, every
later record naming one of the rows it writes is deferred too, so no row ends up in another
state than the ORM writer, record by record, would leave it in. Ids of child rows (phones,
addresses, attributes, ...) are not looked up in advance (that would cost a query per table per
batch for a case that hardly occurs): when a COPY hits an id the database already holds, the
COPYs roll back to a savepoint, those ids are looked up, and the run is partitioned again with
the records that name them deferred.

``sociale-kaart import --bulk`` uses this path; it needs PostgreSQL. ``--dry-run`` takes the
ordinary path (it writes nothing anyway). The search index is rebuilt once afterwards.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg import errors as pg_errors
from sqlalchemy.orm import Session

from importers.base import ImportedRecord, RecordError

from ..db import Database, mark_changed
from ..geo.geocode import Geocoder
from ..models import Base, utcnow
from .audit import record_import_change
from .bulk_rows import RowBuilder, record_hashes
from .content_hash import same_content
from .imports import ImportReport, _Writer, read_sources
from .provenance import note_import
from .taxonomy import ensure_taxonomies

#: Listings per round of COPYs: large enough that a round costs few statements, small enough
#: that building the next round overlaps well with COPYing this one and the rows stay a
#: modest amount of memory.
BATCH = 2000
#: Ids per look-up query.
LOOKUP = 50000


@dataclass
class BulkReport(ImportReport):
    """An import report plus what COPY wrote (rows per table) and how long the run took."""

    copied: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    #: No listing was stored before: secondary indexes and foreign keys were built afterwards
    #: (``_Deferred``) instead of kept up row by row.
    initial_load: bool = False


class BulkImportError(RuntimeError):
    """The bulk path cannot be used (not PostgreSQL) or COPY failed; nothing was stored."""


# -- what the database holds ------------------------------------------------------------------

def _lookup(cursor, sql: str, ids: list[str]) -> list[tuple]:
    found: list[tuple] = []
    for start in range(0, len(ids), LOOKUP):
        cursor.execute(sql, (ids[start:start + LOOKUP],))
        found.extend(cursor.fetchall())
    return found


@dataclass
class _Stored:
    """The services, and the organizations and locations with their content hashes, that the
    database already holds among those the run names."""

    services: set[str]
    hashes: dict[str, str | None]

    @classmethod
    def look_up(cls, connection, records: list[ImportedRecord]) -> _Stored:
        services: set[str] = set()
        hashes: dict[str, str | None] = {}
        with connection.cursor() as cursor:
            # An empty table holds none of them: an initial load gathers and sends no lists
            # of ids (0.8 s of a load of 100,000).
            if _holds_rows(cursor, "service"):
                services.update(row[0] for row in _lookup(
                    cursor, "SELECT id FROM service WHERE id = ANY(%s)",
                    [r.id for r in records]))
            if _holds_rows(cursor, "organization"):
                orgs = {record.service["organization"]["id"] for record in records}
                hashes.update(_lookup(cursor, "SELECT id, content_hash FROM organization "
                                      "WHERE id = ANY(%s)", list(orgs)))
            if _holds_rows(cursor, "location"):
                locations = {sal["location"]["id"] for record in records
                             for sal in record.service.get("service_at_locations", [])}
                hashes.update(_lookup(cursor, "SELECT id, content_hash FROM location "
                                      "WHERE id = ANY(%s)", list(locations)))
        return cls(services, hashes)


def _holds_rows(cursor, table: str) -> bool:
    cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")')
    return bool(cursor.fetchone()[0])


def _stored_ids(connection, tables: Iterable[str], ids: list[str]) -> set[str]:
    """Which of ``ids`` the given tables hold already (after a unique violation)."""
    found: set[str] = set()
    with connection.cursor() as cursor:
        for name in tables:
            found.update(row[0] for row in _lookup(
                cursor, f'SELECT id FROM "{name}" WHERE id = ANY(%s)', ids))
    return found


# -- which records take the COPY path --------------------------------------------------------

_NOT_OURS = ("taxonomy_term", "taxonomy_detail")  # shared terms: not rows a record writes


def _named_ids(value: Any, out: list[str], skip: tuple[str, ...]) -> None:
    """Every ``id`` in a nested HSDS value, except in the subtrees named by ``skip``."""
    if isinstance(value, dict):
        if "id" in value:
            out.append(value["id"])
        for key, item in value.items():
            if key not in skip and isinstance(item, (dict, list)):
                _named_ids(item, out, skip)
    elif isinstance(value, list):
        for item in value:
            _named_ids(item, out, skip)


class _Partition:
    """Walks the records in input order and sends each either to COPY (its rows into the
    builder) or to the ORM writer (``deferred``)."""

    def __init__(self, stored: _Stored, builder: RowBuilder, forced: set[str]) -> None:
        self.stored = stored
        self.builder = builder
        #: ids of rows this run writes by COPY, and the content hash of those organizations
        #: and locations
        self.written: set[str] = set()
        self.hashes: dict[str, str] = {}
        #: ids of rows deferred records write (plus ids the database turned out to hold)
        self.blocked: set[str] = set(forced)
        self.created: list[str] = []
        self.deferred: list[ImportedRecord] = []

    def _status(self, data: dict[str, Any], digest: str, local: dict[str, str]) -> str:
        """What the writer would do with an organization or location: ``new`` (create it),
        ``same`` (leave it alone: same content) or ``changed`` (defer the record)."""
        entity_id = data["id"]
        if entity_id in self.blocked:
            return "changed"
        for known in (local, self.hashes):
            if entity_id in known:
                return "same" if known[entity_id] == digest else "changed"
        if entity_id in self.stored.hashes:
            stored = self.stored.hashes[entity_id]
            return "same" if same_content(stored, data, digest) else "changed"
        return "changed" if entity_id in self.written else "new"

    def place(self, record: ImportedRecord) -> None:
        data = record.service
        digest, org_digest, location_digests = record_hashes(data)
        org = data["organization"]
        local: dict[str, str] = {}
        org_status = self._status(org, org_digest, local)
        if org_status == "new":
            local[org["id"]] = org_digest
        statuses = []
        for sal, location_digest in zip(data.get("service_at_locations", []),
                                        location_digests, strict=True):
            location = sal["location"]
            status = self._status(location, location_digest, local)
            if status == "new":
                local[location["id"]] = location_digest
            statuses.append((location, location_digest, status))
        defer = (record.id in self.stored.services or record.id in self.written
                 or record.id in self.blocked or org_status == "changed"
                 or any(status == "changed" for *_, status in statuses))
        builder = self.builder
        if not defer:
            if org_status == "new":
                builder.organization(org, record.source, org_digest)
            for location, location_digest, status in statuses:
                if status == "new":
                    builder.location(location, record.source, location_digest)
            builder.service(record, digest)
            ids = builder.ids
            defer = (len(set(ids)) != len(ids) or not self.written.isdisjoint(ids)
                     or not self.blocked.isdisjoint(ids))
        if defer:
            builder.discard()
            self._defer(record, org_status, statuses)
            return
        self.written.update(builder.ids)
        self.hashes.update(local)
        builder.accept()
        self.created.append(record.id)

    def _defer(self, record: ImportedRecord, org_status: str, statuses: list) -> None:
        """Block every row the ORM writer will write for this record."""
        ids: list[str] = []
        _named_ids(record.service, ids, ("organization", "location", *_NOT_OURS))
        if org_status != "same":
            _named_ids(record.service["organization"], ids, _NOT_OURS)
        for location, _digest, status in statuses:
            if status != "same":
                _named_ids(location, ids, _NOT_OURS)
        self.blocked.update(ids)
        self.deferred.append(record)


# -- COPY --------------------------------------------------------------------------------------

#: Tables whose rows hold only values of types this module chose (none is copied from the input
#: as it came): COPY takes them in binary, which spares PostgreSQL unescaping and parsing the
#: audit trail's JSON text (some KB per listing) as COPY text.
BINARY = frozenset({"change_record", "service_source"})


def _column_types(connection, table: str, names: list[str]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = "
                       "%s::regclass AND attnum > 0 AND NOT attisdropped", (f'"{table}"',))
        types = dict(cursor.fetchall())
    return [types[name] for name in names]


def copy_rows(connection, builder: RowBuilder, tables: dict[str, list[list[Any]]],
              counts: dict[str, int]) -> None:
    """COPY the rows into their tables, parents before children; adds to ``counts``."""
    for table in Base.metadata.sorted_tables:
        rows = tables.get(table.name)
        if not rows:
            continue
        names = builder.plans[table.name].names
        binary = table.name in BINARY
        columns = ", ".join(f'"{name}"' for name in names)
        sql = (f'COPY "{table.name}" ({columns}) FROM STDIN'
               + (" WITH (FORMAT BINARY)" if binary else ""))
        types = _column_types(connection, table.name, names) if binary else None
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            if types:
                copy.set_types(types)
            for row in rows:
                copy.write_row(row)
        counts[table.name] = counts.get(table.name, 0) + len(rows)


class _Copier:
    """COPYs one batch in a thread of its own while the next batch is being built, so
    PostgreSQL parses, checks and indexes rows on another core meanwhile (psycopg lets go of
    the GIL while it waits for the server). One batch at a time: a connection runs one COPY."""

    def __init__(self, connection, builder: RowBuilder, counts: dict[str, int]) -> None:
        self._args = (connection, builder)
        self._counts = counts
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-copy")
        self._pending: Future | None = None

    def send(self, tables: dict[str, list[list[Any]]]) -> None:
        self.wait()
        self._pending = self._pool.submit(copy_rows, *self._args, tables, self._counts)

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> _Copier:
        return self

    def __exit__(self, exc_type, _exc, _tb) -> None:
        try:
            if exc_type is None:
                self.wait()
            elif self._pending is not None:  # let it end before anyone rolls back
                wait_for([self._pending])
        finally:
            self._pool.shutdown(wait=True)


def _batches(records: Iterable[ImportedRecord], size: int) -> Iterator[list[ImportedRecord]]:
    batch: list[ImportedRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _prefer_lz4(connection) -> None:
    """Compress large values with lz4 in this transaction when the server can: the audit
    trail's ``after`` (the whole record, some KB per listing) costs PostgreSQL about half as
    much as with the default pglz, and reads back the very same value."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                       "WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
        if row and row[0]:
            cursor.execute("SET LOCAL default_toast_compression = 'lz4'")


def _copy_new(session: Session, writer: _Writer, geocoder: Geocoder,
              records: list[ImportedRecord], progress) -> tuple[_Partition, dict[str, int]]:
    """Partition and COPY, inside a savepoint; again with more records deferred when the
    database turns out to hold an id a COPY wrote."""
    connection = session.connection().connection.driver_connection
    stored = _Stored.look_up(connection, records)
    _prefer_lz4(connection)

    known = writer._term_map  # most attributes name a term seen before: no session needed

    def term_id(link_type: str | None, term: dict[str, Any]) -> str:
        found = known.get(f"{link_type}|{term['id']}")
        if found is not None:
            return found
        with session.no_autoflush:  # as in write_records: a term's look-ups see no new rows
            return writer._term_id(session, link_type, term)

    forced: set[str] = set()
    while True:
        builder = RowBuilder(geocoder, term_id, utcnow())
        partition = _Partition(stored, builder, forced)
        counts: dict[str, int] = {}
        savepoint = session.begin_nested()
        session.connection()  # SQLAlchemy says SAVEPOINT only when the session next acts
        try:
            with _Copier(connection, builder, counts) as copier:
                iterable = progress(records) if progress and not forced else records
                for batch in _batches(iterable, BATCH):
                    for record in batch:
                        terms = len(writer._term_map)
                        partition.place(record)
                        if len(writer._term_map) != terms:
                            # imported terms: written after their record, as write_records
                            # does (the next record's look-ups see them), before any COPY
                            # names them; once the COPY under way has ended (or failed)
                            copier.wait()
                            session.flush()
                    copier.send(builder.take())
        except pg_errors.UniqueViolation as error:
            savepoint.rollback()  # also forgets the imported terms written since
            writer._term_map.clear()
            tables = {*counts, error.diag.table_name}
            held = _stored_ids(connection, [t for t in tables if t and "id" in
                                            builder.plans[t].at], list(partition.written))
            held -= forced
            if not held:
                raise BulkImportError(f"COPY failed: {error}") from error
            forced |= held
            continue
        savepoint.commit()
        return partition, counts


# -- an initial load: secondary indexes and foreign keys built once, afterwards ----------------

@dataclass
class _Deferred:
    """Secondary indexes and foreign keys of the tables COPY fills, and the keys of those that
    are empty and only referenced among themselves, dropped for an initial load and created
    again, with the same names and definitions, before the transaction ends."""

    indexes: list[str] = field(default_factory=list)
    foreign_keys: list[tuple[str, str, str]] = field(default_factory=list)
    #: (table, constraint, definition) of primary keys and unique constraints
    keys: list[tuple[str, str, str]] = field(default_factory=list)

    @classmethod
    def drop(cls, connection, tables: Iterable[str]) -> _Deferred:
        """PostgreSQL's advice for populating a database: maintaining every index and checking
        every foreign key row by row costs more than half of the server's time per listing;
        building them once over the loaded rows is far cheaper. The DDL is part of the
        import's one transaction: a failure or ``kill -9`` restores them with everything else.

        Primary keys and unique constraints go too, but only of tables that hold no row yet
        and that no table outside ``tables`` references (``service`` and ``organization``
        keep theirs: dropping a key would lock the volunteer platform's tables that point to
        it, and a collision with a stored row must fail the COPY, which the import then
        retries with that record through the ordinary writer). In an empty table a COPY can
        collide only with a row of the same run, which ``_Partition`` never writes twice; the
        key's rebuild would still refuse it (``restore``). Why: inserting 640,000 random
        ids into the attribute table's key one by one made PostgreSQL's time per listing
        grow with the load (an initial load of 100,000: 165-183 us of CPU a listing against
        129-136 us with the keys built afterwards, by sorting)."""
        deferred = cls()
        names = list(tables)
        with connection.cursor() as cursor:
            keyed = _keys_to_defer(cursor, names)
            deferred.foreign_keys = _constraints(cursor, "f", names)
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) "
                "AND NOT i.indisunique AND NOT i.indisprimary ORDER BY 1",
                (_regclasses(names),))
            indexes = cursor.fetchall()
            _drop_constraints(cursor, deferred.foreign_keys)
            for name, definition in indexes:
                cursor.execute(f"DROP INDEX {name}")
                deferred.indexes.append(definition)
            deferred.keys = _constraints(cursor, "pu", keyed) if keyed else []
            _drop_constraints(cursor, deferred.keys)
        return deferred

    def restore(self, connection) -> None:
        """Build the indexes (sorted, in bulk) and add the foreign keys back; adding a foreign
        key checks every row, so a row without its parent still fails the import."""
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for table, name, definition in self.keys:  # before the foreign keys need them
                try:
                    cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                except pg_errors.UniqueViolation as error:
                    raise BulkImportError(
                        f"two rows of this import have the same key in table {table} "
                        f"({error.diag.message_detail or error}); nothing was imported"
                    ) from error
            for definition in self.indexes:
                cursor.execute(definition)
            for table, name, definition in self.foreign_keys:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _regclasses(tables: Iterable[str]) -> list[str]:
    """Table names as ``regclass`` text (quoted), for ``= ANY(%s::regclass[])``."""
    return [f'"{name}"' for name in tables]


def _constraints(cursor, kinds: str, tables: list[str]) -> list[tuple[str, str, str]]:
    """(table, name, definition) of the constraints of these kinds (``pg_constraint.contype``
    letters: f foreign key, p primary key, u unique) on ``tables``."""
    cursor.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c WHERE c.contype::text = ANY(%s) "
        "AND c.conrelid = ANY(%s::regclass[]) ORDER BY c.contype, 1, 2",
        (list(kinds), _regclasses(tables)))
    return list(cursor.fetchall())


def _drop_constraints(cursor, constraints: list[tuple[str, str, str]]) -> None:
    for table, name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')


def _keys_to_defer(cursor, tables: list[str]) -> list[str]:
    """Of ``tables``, those without rows that no other table references (``_Deferred.drop``)."""
    cursor.execute(
        "SELECT DISTINCT c.confrelid::regclass::text FROM pg_constraint c "
        "WHERE c.contype = 'f' AND c.confrelid = ANY(%s::regclass[]) "
        "AND NOT c.conrelid = ANY(%s::regclass[])",
        (_regclasses(tables), _regclasses(tables)))
    referenced = {row[0].strip('"') for row in cursor.fetchall()}
    empty = []
    for name in tables:
        if name in referenced:
            continue
        cursor.execute(f'SELECT NOT EXISTS (SELECT 1 FROM "{name}")')
        if cursor.fetchone()[0]:
            empty.append(name)
    return empty


def _initial_load(connection) -> bool:
    """No listing stored yet: nobody reads these tables, so their indexes may go for a while."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT NOT EXISTS (SELECT 1 FROM service)")
        return bool(cursor.fetchone()[0])


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Python's cycle collector off while rows are built: it would walk the records and the
    rows (millions of containers, none in a cycle) again and again, about a quarter of the
    time per listing. Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    geocoder = geocoder or Geocoder()
    writer = _Writer(geocoder)
    session = db.Session()
    started = time.perf_counter()
    try:
        ensure_taxonomies(session)
        connection = session.connection().connection.driver_connection
        deferred = None
        if _initial_load(connection):
            deferred = _Deferred.drop(connection, RowBuilder.TABLES)
            report.initial_load = True
        with _without_cyclic_gc():
            partition, report.copied = _copy_new(session, writer, geocoder, records, progress)
        if deferred is not None:  # before the ORM writer's look-ups need them
            deferred.restore(connection)
        report.created.extend(partition.created)
        mark_changed(session, set(partition.created))
        for record in partition.deferred:  # updates and shared rows: the ORM writer
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
