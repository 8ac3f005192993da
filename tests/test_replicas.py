"""Read replicas: a primary and a streaming replica on loopback (tests/kit_postgres.py).

Anonymous GET requests to public pages read from the replica; signed-in work and forms use the
primary; a replica that lags too far or is down is skipped and reads go to the primary. A
listing that exists only on the primary (replay paused on the replica) shows which server
answered.
"""

from __future__ import annotations

import time
from datetime import date

import pytest
from kit_accounts import (
    add_organization,
    add_service,
    add_user,
    csrf_token,
    db_of,
    login,
    make_app,
)
from kit_postgres import start_cluster, start_replica
from sqlalchemy import event

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """A dedicated primary (so the replica copies only this test's data) and its replica."""
    primary = start_cluster(tmp_path_factory.mktemp("primary"))
    replica = None
    try:
        primary.create_database("kaart")
        replica = start_replica(primary, tmp_path_factory.mktemp("replica"))
        yield primary, replica
    finally:
        if replica is not None:
            replica.stop(remove=True)
        primary.stop(remove=True)


def _app(tmp_path, servers, **overrides):
    primary, replica = servers
    settings = {"database_url": primary.url("kaart"),
                "database_replica_urls": (replica.url("kaart"),),
                "replica_check_seconds": 0.0, "replica_max_lag_seconds": 30.0, **overrides}
    return make_app(tmp_path / "instance", TODAY, **settings)


def _reads_on(app) -> list[str]:
    """Statements the replica engine runs, apart from the lag check."""
    seen: list[str] = []
    engine = db_of(app).replicas[0].engine
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, sql, *_: seen.append(sql) if "pg_is_in_recovery" not in sql
                 else None)
    return seen


def _new_listing(app, name: str) -> str:
    with db_of(app).session() as session:
        org = add_organization(session, f"Stichting {name}")
        return add_service(session, org, name).id


def test_anonymous_public_pages_read_from_the_replica(tmp_path, servers):
    primary, replica = servers
    app = _app(tmp_path, servers)
    service_id = _new_listing(app, "Koffieochtend")
    replica.wait_for_replay()
    reads = _reads_on(app)
    client = app.test_client()
    page = client.get(f"/aanbod/{service_id}")
    assert page.status_code == 200 and "Koffieochtend" in page.get_data(as_text=True)
    assert any("FROM service" in sql for sql in reads), "the replica served the listing"

    # While the replica is paused, a new listing exists only on the primary: the anonymous
    # page (replica) does not know it yet, which proves where the read went.
    replica.execute("SELECT pg_wal_replay_pause()", "kaart")
    try:
        fresh = _new_listing(app, "Taalcafé")
        assert client.get(f"/aanbod/{fresh}").status_code == 404
        # Signed-in users always read the primary: they see it at once.
        add_user(app, "beheer@gemeente.example", "beheerder")
        staff = app.test_client()
        login(staff, "beheer@gemeente.example")
        reads.clear()
        assert staff.get(f"/aanbod/{fresh}").status_code == 200
        assert reads == []
    finally:
        replica.execute("SELECT pg_wal_replay_resume()", "kaart")
    replica.wait_for_replay()
    assert client.get(f"/aanbod/{fresh}").status_code == 200
    db_of(app).dispose()


def test_forms_and_writes_go_to_the_primary(tmp_path, servers):
    app = _app(tmp_path, servers)
    service_id = _new_listing(app, "Repair café")
    servers[1].wait_for_replay()
    reads = _reads_on(app)
    client = app.test_client()
    token = csrf_token(client, f"/aanbod/{service_id}/klopt-niet")  # a public page: replica
    assert reads
    reads.clear()
    sent = client.post(f"/aanbod/{service_id}/klopt-niet",
                       data={"csrf_token": token, "reason": "tijden",
                             "comment": "De deur is dicht."})
    assert sent.status_code in (200, 302)
    assert client.get("/account/inloggen").status_code == 200  # not a replica page
    assert reads == []


def test_a_lagging_replica_is_skipped(tmp_path, servers):
    primary, replica = servers
    app = _app(tmp_path, servers, replica_max_lag_seconds=0.5)
    replica.execute("SELECT pg_wal_replay_pause()", "kaart")
    try:
        fresh = _new_listing(app, "Fietsles")
        time.sleep(1.2)  # replay is paused, so the replica falls more than 0.5 s behind
        reads = _reads_on(app)
        assert app.test_client().get(f"/aanbod/{fresh}").status_code == 200  # the primary
        assert reads == []
        assert db_of(app).replicas[0].lag > 0.5
    finally:
        replica.execute("SELECT pg_wal_replay_resume()", "kaart")
    replica.wait_for_replay()


def test_reads_fall_back_to_the_primary_when_the_replica_is_down(tmp_path, servers):
    primary, replica = servers
    app = _app(tmp_path, servers)
    service_id = _new_listing(app, "Wandelclub")
    replica.wait_for_replay()
    client = app.test_client()
    assert client.get(f"/aanbod/{service_id}").status_code == 200
    replica.stop()
    try:
        page = client.get(f"/aanbod/{service_id}")
        assert page.status_code == 200 and "Wandelclub" in page.get_data(as_text=True)
        assert client.get("/zoeken?q=wandelen").status_code == 200
        assert db_of(app).usable_replica() is None
    finally:
        replica.start()
    replica.wait_for_replay()
    db_of(app).replicas[0].check()
    assert db_of(app).usable_replica() is not None


def test_a_replica_failing_mid_request_sends_the_visitor_to_the_primary(tmp_path, servers):
    """The replica passed its check, then died: the visitor is sent to the same address again
    (307) and that request reads the primary."""
    primary, replica = servers
    app = _app(tmp_path, servers, replica_check_seconds=3600.0)
    service_id = _new_listing(app, "Buurtmaaltijd")
    replica.wait_for_replay()
    client = app.test_client()
    assert client.get(f"/aanbod/{service_id}").status_code == 200  # checked: usable
    db_of(app).replicas[0].engine.dispose()
    replica.kill9()
    try:
        first = client.get(f"/aanbod/{service_id}")
        assert first.status_code == 307 and first.headers["Location"].endswith(service_id)
        again = client.get(f"/aanbod/{service_id}")
        assert again.status_code == 200 and "Buurtmaaltijd" in again.get_data(as_text=True)
    finally:
        replica.start()
    replica.wait_for_replay()


def test_a_rebuild_is_noted_for_from_the_primary_even_in_replica_reads(tmp_path, servers):
    """A process that re-indexes listings inside a request that may read the replica still
    notes them for a rebuild that the (paused) replica does not know yet
    (``search.rebuild_journal``): otherwise that rebuild would swap in their old text."""
    from sociale_kaart.db import replica_reads
    from sociale_kaart.search.rebuild_journal import RebuildJournal

    primary, replica = servers
    app = _app(tmp_path, servers)
    journal = RebuildJournal(db_of(app))
    replica.wait_for_replay()
    replica.execute("SELECT pg_wal_replay_pause()", "kaart")
    try:
        rebuild_id = journal.begin()  # on the primary only, for now
        reads = _reads_on(app)
        with replica_reads(True):
            assert journal.note(["a-listing"]) == 1
        assert reads == []
        assert [ids for ids in journal.take(rebuild_id, journal.last_note(rebuild_id))] \
            == [{"a-listing"}]
        journal.end(rebuild_id)
    finally:
        replica.execute("SELECT pg_wal_replay_resume()", "kaart")
    db_of(app).dispose()
