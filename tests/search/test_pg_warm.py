"""Warming the PostgreSQL search tables after the database server starts (``pg_warm``).

A private cluster, so the tests can restart it (which empties PostgreSQL's buffers) without
disturbing the session's shared cluster. What is in memory is read from ``pg_buffercache``.
"""

from __future__ import annotations

import logging
import uuid

import psycopg
import pytest
from click.testing import CliRunner
from conftest import REFERENCE_DATE, SAMPLE_JSON
from kit_postgres import start_cluster
from sqlalchemy import select

from sociale_kaart import create_app
from sociale_kaart import jobs as queue
from sociale_kaart.cli import main
from sociale_kaart.cli_ops import queue_search_warm
from sociale_kaart.config import load_settings
from sociale_kaart.models import Job
from sociale_kaart.search.pg_warm import ORDER, search_relations, warm_search_tables

HOT_RELATIONS = ("match_words", "match", "term")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    server = start_cluster(tmp_path_factory.mktemp("warm-cluster"))
    yield server
    server.stop(mode="immediate", remove=True)


@pytest.fixture
def instance(cluster, tmp_path, monkeypatch):
    """An instance with the sample data on the private cluster, postgres search backend."""
    name = f"warm_{uuid.uuid4().hex[:8]}"
    url = cluster.create_database(name)
    folder = tmp_path / "instance"
    monkeypatch.setenv("SOCIALE_KAART_TODAY", REFERENCE_DATE.isoformat())
    monkeypatch.setenv("SOCIALE_KAART_SEMANTIC", "off")
    monkeypatch.setenv("SOCIALE_KAART_DATABASE_URL", url)
    monkeypatch.setenv("SOCIALE_KAART_SEARCH_BACKEND", "postgres")
    runner = CliRunner()
    result = runner.invoke(main, ["--instance", str(folder), "import", str(SAMPLE_JSON)])
    assert result.exit_code == 0, result.output
    yield folder, name, runner
    cluster.drop_database(name)


def _buffered_pages(cluster, dbname: str) -> dict[str, int]:
    """Pages of each search relation in PostgreSQL's shared buffers now."""
    cluster.enable_extensions(dbname, "pg_buffercache")
    rows = cluster.execute(
        "SELECT c.relname, count(b.bufferid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'search' "
        "LEFT JOIN pg_buffercache b ON b.relfilenode = pg_relation_filenode(c.oid) "
        "  AND b.reldatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "GROUP BY c.relname", dbname)
    return dict(rows)


def test_after_a_restart_warming_reads_the_search_tables_back_into_memory(cluster, instance):
    folder, name, runner = instance
    cluster.restart()
    before = _buffered_pages(cluster, name)
    assert all(before[relation] == 0 for relation in HOT_RELATIONS), before

    result = runner.invoke(main, ["--instance", str(folder), "index", "warm"])

    assert result.exit_code == 0, result.output
    assert "Zoektabellen opgewarmd" in result.output
    after = _buffered_pages(cluster, name)
    assert all(after[relation] > 0 for relation in HOT_RELATIONS), after
    # The listings' full documents go to the page cache only: the buffers keep their room.
    assert after["document"] == 0, after


def test_relations_are_read_in_the_order_searches_need_them_within_the_budget(cluster,
                                                                             instance):
    _, name, _ = instance
    with psycopg.connect(cluster.dsn(name)) as conn:
        relations = [r for r in search_relations(conn) if r.size]
        known = [r.name for r in relations if r.name in ORDER]
        assert known == sorted(known, key=ORDER.index)
        first_three = relations[:3]
        report = warm_search_tables(conn, read_budget=sum(r.size for r in first_three))
    assert report.unavailable is None
    assert report.read == [r.name for r in first_three]
    assert report.skipped == [r.name for r in relations[3:]]
    assert report.read_bytes == sum(r.size for r in first_three)
    assert "overgeslagen" in report.summary() and "document" in report.summary()


def test_without_pg_prewarm_the_owner_is_told_how_to_get_it(cluster, tmp_path, monkeypatch):
    """A database owner who is no superuser cannot create pg_prewarm: the command says so
    and how to fix it; the job that ``serve`` queues finishes without error; search works."""
    role = f"owner_{uuid.uuid4().hex[:6]}"
    name = f"warm_{uuid.uuid4().hex[:8]}"
    cluster.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER")
    cluster.execute(f'CREATE DATABASE "{name}" OWNER {role}')
    cluster.enable_extensions(name, "postgis", "unaccent", "pg_trgm")
    url = f"postgresql+psycopg://{role}@127.0.0.1:{cluster.port}/{name}"
    folder = tmp_path / "instance"
    for key, value in (("TODAY", REFERENCE_DATE.isoformat()), ("SEMANTIC", "off"),
                       ("DATABASE_URL", url), ("SEARCH_BACKEND", "postgres")):
        monkeypatch.setenv(f"SOCIALE_KAART_{key}", value)
    runner = CliRunner()
    try:
        imported = runner.invoke(main, ["--instance", str(folder), "import", str(SAMPLE_JSON)])
        assert imported.exit_code == 0, imported.output

        result = runner.invoke(main, ["--instance", str(folder), "index", "warm"])

        assert result.exit_code == 1
        assert "pg_prewarm" in result.output and "superuser" in result.output
        settings = load_settings(folder, flask={"TESTING": True})
        app = create_app(settings)
        db = app.extensions["sociale_kaart.db"]
        assert queue_search_warm(app) is not None
        assert queue.work(db, settings, once=True, periodic=False) == 1
        assert queue.counts(db)["done"] == 1
        found = app.test_client().get("/api/v1/search", query_string={"q": "schuldhulp"})
        assert found.status_code == 200 and found.json["total"] > 0
        db.dispose()
    finally:
        cluster.drop_database(name)
        cluster.execute(f"DROP ROLE {role}")


def test_serve_warms_once_per_start_of_the_database_server(cluster, instance, caplog):
    """Two web nodes start: one warm-up is queued; the hourly round finds it done. After
    PostgreSQL restarts, the next start of a node (or the hourly round) warms again."""
    folder, name, _ = instance
    settings = load_settings(folder, flask={"TESTING": True})
    nodes = [create_app(settings) for _ in range(2)]
    db = nodes[0].extensions["sociale_kaart.db"]

    def warm_ups() -> int:
        return sum("Zoektabellen opgewarmd" in r.getMessage() for r in caplog.records)

    with caplog.at_level(logging.INFO, logger="sociale_kaart.jobs"):
        queued = [queue_search_warm(node) for node in nodes]
        assert queued[0] is not None and queued[1] is None
        queue.work(db, settings, once=True)  # with this hour's periodic round
        assert warm_ups() == 1
        assert queue.enqueue(db, "search-warm", dedupe_key="search-warm:by-hand") is not None
        queue.work(db, settings, once=True, periodic=False)
        assert warm_ups() == 1  # done already since the server started

        cluster.restart()
        db.engine.dispose()  # the pool's connections were cut
        assert queue_search_warm(nodes[1]) is not None
        queue.work(db, settings, once=True, periodic=False)
        assert warm_ups() == 2
    assert _buffered_pages(cluster, name)["match_words"] > 0
    for node in nodes:
        node.extensions["sociale_kaart.db"].dispose()


def test_before_the_first_import_there_is_nothing_to_warm(cluster):
    name = f"warm_{uuid.uuid4().hex[:8]}"
    cluster.create_database(name)
    try:
        with psycopg.connect(cluster.dsn(name)) as conn:
            report = warm_search_tables(conn)
        assert report.read == [] and report.unavailable is None
        assert "er zijn nog geen" in report.summary()
    finally:
        cluster.drop_database(name)


def test_whoosh_needs_no_warming(tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    monkeypatch.setenv("SOCIALE_KAART_DATABASE_URL", f"sqlite:///{folder / 'sk.db'}")
    monkeypatch.setenv("SOCIALE_KAART_SEMANTIC", "off")
    monkeypatch.delenv("SOCIALE_KAART_SEARCH_BACKEND", raising=False)
    result = CliRunner().invoke(main, ["--instance", str(folder), "index", "warm"])
    assert result.exit_code == 0 and "Niet nodig" in result.output
    settings = load_settings(folder, flask={"TESTING": True})
    app = create_app(settings)
    assert queue_search_warm(app) is None
    db = app.extensions["sociale_kaart.db"]
    assert queue.enqueue(db, "search-warm") is not None
    assert queue.work(db, settings, once=True, periodic=False) == 1
    assert queue.counts(db) == {"queued": 0, "running": 0, "done": 1, "failed": 0}
    # The hourly round has nothing to do here, so it adds no rows either.
    made = queue.enqueue_periodic(db, settings=settings)
    with db.session() as session:
        names = set(session.scalars(select(Job.name).where(Job.id.in_(made))))
    assert names and "search-warm" not in names
    db.dispose()


def test_warming_can_be_switched_off(cluster, instance, monkeypatch):
    folder, _, _ = instance
    monkeypatch.setenv("SOCIALE_KAART_SEARCH_WARM", "off")
    app = create_app(load_settings(folder, flask={"TESTING": True}))
    assert queue_search_warm(app) is None
    app.extensions["sociale_kaart.db"].dispose()


def test_serve_starts_when_the_warm_up_cannot_be_queued(tmp_path, caplog):
    """Queuing the warm-up is best effort: a database that cannot say when it started (here
    not PostgreSQL at all) is logged, and ``serve`` goes on."""
    settings = load_settings(tmp_path / "i", flask={"TESTING": True}, semantic="off",
                             database_url=f"sqlite:///{tmp_path / 'sk.db'}")
    app = create_app(settings)
    settings.search_backend = "postgres"  # as if configured, but the database is SQLite
    with caplog.at_level(logging.WARNING, logger="sociale_kaart.cli_ops"):
        assert queue_search_warm(app) is None
    assert "could not queue warming the search tables" in caplog.text
    app.extensions["sociale_kaart.db"].dispose()
