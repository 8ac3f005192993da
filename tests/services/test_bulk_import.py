"""Bulk import with COPY writes exactly the rows the ORM writer writes, in one transaction."""

from __future__ import annotations

import copy
import uuid

import pytest
from conftest import SAMPLE_JSON
from kit_postgres import postgres_cluster, postgres_url  # noqa: F401 (fixtures)
from sqlalchemy import Text, cast, func, select, text
from werkzeug.datastructures import MultiDict

from importers.base import ImportedRecord
from sociale_kaart.cli import main
from sociale_kaart.db import Database
from sociale_kaart.models import Base, Service
from sociale_kaart.services import bulk_import
from sociale_kaart.services.bulk_import import (
    BulkImportError,
    bulk_import_paths,
    bulk_write_records,
)
from sociale_kaart.services.content_hash import legacy_content_hash
from sociale_kaart.services.imports import import_paths, read_sources, write_records
from sociale_kaart.services.provenance import metadata_id

#: Columns that differ by nature between two runs: generated integer ids and timestamps.
VOLATILE = {"at", "first_seen", "last_seen", "created_at", "updated_at", "submitted_at"}


def _rows(db: Database) -> dict[str, list[tuple]]:
    """Every table's rows as PostgreSQL stores them (as text: a JSON ``null`` is not a NULL,
    and ``json`` keeps its key order)."""
    tables = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [cast(c, Text) for c in table.columns if c.name not in VOLATILE and
                       not (c.primary_key and c.type.python_type is int)]
            tables[table.name] = sorted(tuple(str(v) for v in row)
                                        for row in conn.execute(select(*columns)))
    return tables


def _database(cluster, name: str) -> Database:
    db = Database(cluster.create_database(name))
    db.upgrade()
    return db


def test_same_rows_as_the_orm_writer(postgres_cluster):  # noqa: F811
    orm, bulk = _database(postgres_cluster, "bulk_orm"), _database(postgres_cluster, "bulk_copy")
    try:
        import_paths(orm, [SAMPLE_JSON], load_plugins=False)
        report = bulk_import_paths(bulk, [SAMPLE_JSON], load_plugins=False)
        assert len(report.created) == 150 and report.committed
        assert report.copied["service"] == 150
        expected, found = _rows(orm), _rows(bulk)
        assert [name for name in expected if expected[name] != found[name]] == []
        assert found["service"] and found["change_record"] and found["service_source"]
    finally:
        orm.dispose()
        bulk.dispose()
        postgres_cluster.drop_database("bulk_orm")
        postgres_cluster.drop_database("bulk_copy")


NS = uuid.UUID("5b7f4a0e-2a57-4f7e-9d0c-0c7e1f3b9a11")


def _rich(record: ImportedRecord, n: int) -> ImportedRecord:
    """A sample record with every part the writer handles filled in: contacts with phones with
    languages, identifiers, links, imported taxonomy terms (with and without a taxonomy),
    plain and provenance metadata, places and sessions in schedules, no status."""
    data = copy.deepcopy(record.service)

    def uid(label: str) -> str:
        return str(uuid.uuid5(NS, f"{data['id']}:{label}"))

    def phone(label: str) -> dict:
        return {"id": uid(label), "number": "020-1234567", "extension": "12", "type": "voice",
                "languages": [{"id": uid(label + ":nl"), "name": "Nederlands", "code": "nl"}]}

    def contact(label: str) -> dict:
        return {"id": uid(label), "name": "Jan", "email": "jan@example.org",
                "phones": [phone(label + ":phone")]}

    def attribute(label: str, taxonomy: bool) -> dict:
        term = {"id": str(uuid.uuid5(NS, f"term{n % 3}")), "code": f"eigen-{n % 3}",
                "name": f"Eigen term {n % 3}"}
        if taxonomy:
            term["taxonomy_detail"] = {"id": str(uuid.uuid5(NS, "taxonomy")),
                                       "name": "Eigen taxonomie"}
        return {"id": uid(label), "link_type": "eigen", "value": n, "label": "eigen",
                "taxonomy_term": term}

    def schedule(label: str) -> dict:
        return {"id": uid(label), "freq": "WEEKLY", "byday": "MO", "valid_from": "2026-01-05",
                "opens_at": "10:00", "notes": f"{n + 5} plaatsen",
                "description": f"{n + 3} bijeenkomsten"}

    org = data["organization"]
    org["organization_identifiers"] = [{"id": uid("kvk"), "identifier_type": "KvK",
                                        "identifier": f"{n:08d}"}]
    org["contacts"] = [contact("org:contact")]
    org["additional_websites"] = [{"id": uid("org:url"), "url": "https://example.org"}]
    org["attributes"] = [attribute("org:attribute", True)]
    org["metadata"] = [{"id": uid("org:metadata"), "resource_id": org["id"],
                        "resource_type": "organization", "last_action_date": "2025-02-03",
                        "last_action_type": "update", "field_name": "name"}]
    org["year_incorporated"] = "1998"
    for k, sal in enumerate(data.get("service_at_locations", [])):
        location = sal["location"]
        location["phones"] = [phone(f"loc{k}:phone")]
        location["schedules"] = [schedule(f"loc{k}:schedule")]
        location["languages"] = [{"id": uid(f"loc{k}:lang"), "name": "Engels", "code": "en"}]
        location["contacts"] = [contact(f"loc{k}:contact")]
        location["attributes"] = [attribute(f"loc{k}:attribute", False)]
        sal["phones"] = [phone(f"sal{k}:phone")]
        sal["schedules"] = [schedule(f"sal{k}:schedule")]
        sal["contacts"] = [contact(f"sal{k}:contact")]
        sal["attributes"] = [attribute(f"sal{k}:attribute", True)]
        sal["description"] = "op afspraak"
    data["contacts"] = [contact("contact")]
    data["additional_urls"] = [{"id": uid("url"), "url": "https://example.org/aanbod",
                                "label": "aanbod"}]
    data["assured_date"] = "2026-03-04"
    data["minimum_age"] = "18"
    if n % 2:
        data.pop("status", None)  # the default applies (not in an update: NOT NULL)
    declared = {"id": metadata_id(data["id"], "lijst.xlsx", "import"), "resource_type": "service",
                "resource_id": data["id"], "last_action_date": "2025-06-07",
                "last_action_type": "source", "field_name": "source", "previous_value": "3,4",
                "replacement_value": "lijst.xlsx (id 3,4)", "updated_by": "import"}
    data["metadata"] = [declared, {"id": uid("metadata"), "resource_id": data["id"],
                                   "resource_type": "service", "last_action_date": "2025-01-02",
                                   "last_action_type": "create", "field_name": "",
                                   "previous_value": "", "replacement_value": "",
                                   "updated_by": "gemeente"}]
    return ImportedRecord(data, record.source, record.line, source_id=record.source_id)


def _variant(record: ImportedRecord, **changes) -> ImportedRecord:
    data = copy.deepcopy(record.service)
    data.update(changes)
    return ImportedRecord(data, record.source, record.line)


def _runs() -> list[list[ImportedRecord]]:
    """Import runs that exercise every path: new rows only, an organization shared with the
    same content, an organization changed by a later record and changed back, a phone id
    used again (the writer moves the phone), then a run that updates a listing, adds one
    whose phone id the database holds already, and leaves the rest alone."""
    sample, _errors = read_sources([SAMPLE_JSON], load_plugins=False)
    rich = [_rich(record, n) for n, record in enumerate(sample[:12])]
    plain = sample[12:40]
    first, second = rich[0].service, rich[1].service
    shares = _variant(plain[0], id=str(uuid.uuid5(NS, "shares")),
                      organization=copy.deepcopy(first["organization"]))
    changed_org = dict(copy.deepcopy(second["organization"]), name="Nieuwe naam")
    changes = _variant(plain[1], id=str(uuid.uuid5(NS, "changes")), organization=changed_org)
    reverts = _variant(plain[2], id=str(uuid.uuid5(NS, "reverts")),
                       organization=copy.deepcopy(second["organization"]))
    moves = _variant(plain[3], id=str(uuid.uuid5(NS, "moves")),
                     phones=copy.deepcopy(first["contacts"][0]["phones"]))
    again = [_variant(rich[2], name="Andere naam"),
             _variant(plain[4], id=str(uuid.uuid5(NS, "again")),
                      phones=copy.deepcopy(first["phones"] or first["contacts"][0]["phones"])),
             *rich[3:6], *sample[40:45]]
    return [[*rich[:8], shares, changes, *plain[4:20], reverts, moves, *rich[8:]], again]


def test_every_table_and_path_like_the_orm_writer(postgres_cluster):  # noqa: F811
    orm, bulk = _database(postgres_cluster, "paths_orm"), _database(postgres_cluster, "paths_copy")
    try:
        for run in _runs():
            expected = write_records(orm, copy.deepcopy(run), [])
            report = bulk_write_records(bulk, copy.deepcopy(run), [])
            assert report.committed
            # some new listings took the ORM writer (shared rows; an id the database holds)
            assert 0 < report.copied["service"] < len(report.created)
            assert sorted(report.created) == sorted(expected.created)
            assert sorted(report.updated) == sorted(expected.updated)
            assert sorted(report.unchanged) == sorted(expected.unchanged)
            before, after = _rows(orm), _rows(bulk)
            assert [name for name in before if before[name] != after[name]] == []
        for table in ("contact", "phone", "language", "organization_identifier", "url",
                      "metadata", "taxonomy", "taxonomy_term", "attribute", "schedule"):
            assert after[table], table
    finally:
        orm.dispose()
        bulk.dispose()
        postgres_cluster.drop_database("paths_orm")
        postgres_cluster.drop_database("paths_copy")


def test_organizations_and_locations_stored_without_listings_are_looked_up(
        postgres_cluster):  # noqa: F811
    """No listing is stored yet (an initial load), but an organization and a location are,
    with other content: the records that name them take the ORM writer, which updates them,
    as into a fuller database (the look-up of stored ids skips only tables without rows)."""
    records, _errors = read_sources([SAMPLE_JSON], load_plugins=False)
    org = records[0].service["organization"]
    location = next(sal["location"] for record in records
                    for sal in record.service.get("service_at_locations", []))
    naming = {record.id for record in records
              if record.service["organization"]["id"] == org["id"]
              or any(sal["location"]["id"] == location["id"]
                     for sal in record.service.get("service_at_locations", []))}
    orm, bulk = _database(postgres_cluster, "stored_orm"), _database(postgres_cluster,
                                                                     "stored_copy")
    try:
        for db in (orm, bulk):
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO organization (id, name, description, "
                                  "content_hash, updated_at) VALUES (:id, 'Oude naam', '', "
                                  "'oud', now())"), {"id": org["id"]})
                conn.execute(text("INSERT INTO location (id, location_type, name, content_hash, "
                                  "updated_at) "
                                  "VALUES (:id, 'physical', 'Oude plek', 'oud', now())"),
                             {"id": location["id"]})
        expected = write_records(orm, copy.deepcopy(records), [])
        report = bulk_write_records(bulk, copy.deepcopy(records), [])
        assert report.committed and report.initial_load
        assert sorted(report.created) == sorted(expected.created)
        assert report.copied["service"] == len(records) - len(naming) > 0
        before, after = _rows(orm), _rows(bulk)
        assert [name for name in before if before[name] != after[name]] == []
        with bulk.engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM organization WHERE id = :id"),
                                {"id": org["id"]}).scalar() == org["name"]
    finally:
        orm.dispose()
        bulk.dispose()
        postgres_cluster.drop_database("stored_orm")
        postgres_cluster.drop_database("stored_copy")


def test_a_second_run_changes_nothing(postgres_url):  # noqa: F811
    db = Database(postgres_url)
    db.upgrade()
    bulk_import_paths(db, [SAMPLE_JSON], load_plugins=False)
    before = _rows(db)
    report = bulk_import_paths(db, [SAMPLE_JSON], load_plugins=False)
    assert len(report.unchanged) == 150 and not report.created and not report.updated
    assert _rows(db) == before
    db.dispose()


def test_hashes_in_the_former_form_still_mean_unchanged(postgres_url):  # noqa: F811
    """Content hashes stored until December 2026 (the standard library's JSON) count as the
    same content for the bulk import too."""
    db = Database(postgres_url)
    db.upgrade()
    bulk_import_paths(db, [SAMPLE_JSON], load_plugins=False)
    records, _errors = read_sources([SAMPLE_JSON], None, False)
    with db.engine.begin() as conn:
        for record in records:
            data = record.service
            entities = [("service", data), ("organization", data["organization"])]
            entities += [("location", sal["location"])
                         for sal in data.get("service_at_locations", [])]
            for table, entity in entities:
                conn.execute(text(f"UPDATE {table} SET content_hash = :h WHERE id = :id"),
                             {"h": legacy_content_hash(entity), "id": entity["id"]})
    before = _rows(db)
    report = bulk_import_paths(db, [SAMPLE_JSON], load_plugins=False)
    assert len(report.unchanged) == 150 and not report.created and not report.updated
    assert _rows(db) == before
    db.dispose()


def test_nothing_is_stored_when_the_run_fails(postgres_url, monkeypatch):  # noqa: F811
    db = Database(postgres_url)
    db.upgrade()

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk_import, "mark_changed", broken)  # after COPY, before commit
    with pytest.raises(RuntimeError, match="disk full"):
        bulk_import_paths(db, [SAMPLE_JSON], load_plugins=False)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Service)) == 0
    db.dispose()


def _schema(db: Database) -> list[tuple]:
    """Every index and constraint of the public schema, by name and definition."""
    with db.engine.connect() as conn:
        indexes = conn.exec_driver_sql(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = 'public' ORDER BY 1, 2").all()
        constraints = conn.exec_driver_sql(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
            "FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
            "ORDER BY 1, 2").all()
    return [tuple(row) for row in [*indexes, *constraints]]


def test_an_initial_load_ends_with_the_same_indexes_and_constraints(postgres_url):  # noqa: F811
    """Into an empty database the bulk import builds the secondary indexes and foreign keys
    once, after the COPYs: afterwards the schema is exactly the migrated one."""
    db = Database(postgres_url)
    db.upgrade()
    migrated = _schema(db)
    assert any(row[1] == "ix_attribute_taxonomy_term_id" for row in migrated)
    report = bulk_import_paths(db, [SAMPLE_JSON], load_plugins=False)
    assert len(report.created) == 150
    assert _schema(db) == migrated
    db.dispose()


def test_an_initial_load_builds_the_keys_of_its_own_empty_tables_afterwards(
        postgres_url, monkeypatch):  # noqa: F811
    """During an initial load the tables only the import writes have no primary key (built
    afterwards by sorting); ``service`` and ``organization``, which the volunteer platform's
    tables reference, and tables with rows keep theirs."""
    db = Database(postgres_url)
    db.upgrade()
    with db.engine.begin() as conn:  # a row in a table the builder writes
        conn.exec_driver_sql("INSERT INTO change_record (service_id, at, source, actor, action) "
                             "VALUES ('elsewhere', now(), 'test', 'test', 'note')")
    during: list[set[str]] = []
    copy_new = bulk_import._copy_new

    def looking(session, *args):
        keys = session.execute(text(
            "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'p' "
            "AND connamespace = 'public'::regnamespace")).scalars()
        during.append(set(keys))
        return copy_new(session, *args)

    monkeypatch.setattr(bulk_import, "_copy_new", looking)
    migrated = _schema(db)
    report = bulk_import_paths(db, [SAMPLE_JSON], load_plugins=False)
    assert len(report.created) == 150
    keyed = during[0]
    assert {"service", "organization", "change_record", "taxonomy_term"} <= keyed
    assert not {"attribute", "location", "phone", "service_at_location"} & keyed
    assert _schema(db) == migrated
    db.dispose()


def test_rows_of_one_load_with_the_same_key_fail_it_cleanly(postgres_url, monkeypatch):  # noqa: F811,E501
    """Should two rows of an initial load share a key (``_Partition`` never writes a row
    twice), building the key afterwards refuses them: a clear error, nothing imported, the
    schema as migrated."""
    db = Database(postgres_url)
    db.upgrade()
    migrated = _schema(db)
    take = bulk_import.RowBuilder.take

    def twice(self):
        tables = take(self)
        if tables.get("attribute"):
            tables["attribute"].append(list(tables["attribute"][0]))
        return tables

    monkeypatch.setattr(bulk_import.RowBuilder, "take", twice)
    with pytest.raises(BulkImportError, match="same key in table attribute"):
        bulk_import_paths(db, [SAMPLE_JSON], load_plugins=False)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Service)) == 0
    assert _schema(db) == migrated
    db.dispose()


def test_a_failed_initial_load_keeps_indexes_and_constraints(postgres_url, monkeypatch):  # noqa: F811,E501
    db = Database(postgres_url)
    db.upgrade()
    migrated = _schema(db)

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk_import, "mark_changed", broken)  # after COPY and the rebuild
    with pytest.raises(RuntimeError, match="disk full"):
        bulk_import_paths(db, [SAMPLE_JSON], load_plugins=False)
    assert _schema(db) == migrated
    db.dispose()


def test_the_builder_names_every_table_it_writes(postgres_url):  # noqa: F811
    db = Database(postgres_url)
    db.upgrade()

    def filled() -> set[str]:
        with db.engine.connect() as conn:
            return {table.name for table in Base.metadata.sorted_tables
                    if conn.execute(select(func.count()).select_from(table)).scalar()}

    before = filled()
    bulk_import_paths(db, [SAMPLE_JSON], load_plugins=False)
    written = filled() - before - {"taxonomy", "taxonomy_term", "taxonomy_detail"}
    assert written and written <= set(bulk_import.RowBuilder.TABLES)
    db.dispose()


def test_bulk_needs_postgresql(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'embedded.db'}")
    db.upgrade()
    with pytest.raises(BulkImportError, match="PostgreSQL"):
        bulk_import_paths(db, [SAMPLE_JSON], load_plugins=False)
    db.dispose()


def test_cli_import_bulk_then_search(postgres_url, runner, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SOCIALE_KAART_DATABASE_URL", postgres_url)
    monkeypatch.setenv("SOCIALE_KAART_SEARCH_BACKEND", "postgres")
    monkeypatch.setenv("SOCIALE_KAART_SEMANTIC", "off")
    instance = tmp_path / "instance"
    result = runner.invoke(main, ["--instance", str(instance), "import", "--bulk",
                                  str(SAMPLE_JSON)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "150 nieuw" in result.output
    assert "vermeldingen per seconde" in result.output
    assert "Zoekindex opnieuw gebouwd: 150" in result.output
    rebuilt = runner.invoke(main, ["--instance", str(instance), "index", "rebuild"],
                            catch_exceptions=False)
    assert rebuilt.exit_code == 0, rebuilt.output
    from sociale_kaart.config import load_settings
    from sociale_kaart.search import SearchService
    from sociale_kaart.search.params import parse_params

    settings = load_settings(instance)
    db = Database(settings.database_url)
    found = SearchService(settings, db, follow_commits=False).search(
        parse_params(MultiDict({"q": "schuldhulp"})))
    assert found.total > 0
    db.dispose()
