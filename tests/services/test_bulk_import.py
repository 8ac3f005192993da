"""Bulk import with COPY writes exactly the rows the ORM writer writes, in one transaction."""

from __future__ import annotations

import pytest
from conftest import SAMPLE_JSON
from kit_postgres import postgres_cluster, postgres_url  # noqa: F401 (fixtures)
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from sociale_kaart.cli import main
from sociale_kaart.db import Database
from sociale_kaart.models import Base, Service
from sociale_kaart.services import bulk_import
from sociale_kaart.services.bulk_import import BulkImportError, bulk_import_paths
from sociale_kaart.services.imports import import_paths

#: Columns that differ by nature between two runs: generated integer ids and timestamps.
VOLATILE = {"at", "first_seen", "last_seen", "created_at", "updated_at", "submitted_at"}


def _rows(db: Database) -> dict[str, list[tuple]]:
    tables = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in VOLATILE and
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


def test_a_second_run_changes_nothing(postgres_url):  # noqa: F811
    db = Database(postgres_url)
    db.upgrade()
    bulk_import_paths(db, [SAMPLE_JSON], load_plugins=False)
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
