"""Popular searches are embedded in advance, from the anonymous search analytics."""

from __future__ import annotations

import time
from datetime import date

from kit_accounts import db_of, make_app
from kit_semantic import add_two_listings, install_fake
from sqlalchemy import update

from sociale_kaart.models import SearchEvent

TODAY = date(2026, 11, 22)


def _app(tmp_path, monkeypatch, **overrides):
    fake = install_fake(monkeypatch)
    app = make_app(tmp_path / "instance", TODAY, **overrides)
    add_two_listings(app)
    search = app.extensions["sociale_kaart.search"]
    search.embed_missing()
    return app, search, fake


def _search(client, text: str, times: int) -> None:
    for _ in range(times):
        assert client.get("/zoeken", query_string={"q": text}).status_code == 200


def test_popular_searches_get_their_vectors_in_advance(tmp_path, monkeypatch):
    app, search, fake = _app(tmp_path, monkeypatch)
    client = app.test_client()
    _search(client, "voedselbank", 4)
    _search(client, "Hulp bij  schulden", 3)
    _search(client, "zeldzame vraag", 2)  # below the privacy threshold (3)
    _search(client, "oude vraag", 5)
    with db_of(app).session() as session:  # searched long ago: outside the 90 days
        session.execute(update(SearchEvent).where(SearchEvent.query == "oude vraag")
                        .values(day=date(2026, 6, 1)))
    search.semantic.forget_queries()  # as in a process that just started

    assert search.warm_popular_queries() == 2
    assert search.semantic.has_query("voedselbank")
    assert search.semantic.has_query("hulp bij schulden")
    assert not search.semantic.has_query("zeldzame vraag")
    assert not search.semantic.has_query("oude vraag")
    assert search.warm_popular_queries() == 0  # nothing left to do

    fake.queries.clear()
    _search(client, "Voedselbank", 1)
    assert fake.queries == []  # its vector was there: the model was not asked


def test_the_worker_of_serve_warms_the_cache(tmp_path, monkeypatch):
    app, search, _fake = _app(tmp_path, monkeypatch)
    _search(app.test_client(), "voedselbank", 3)
    search.semantic.forget_queries()
    worker = search.start_worker()
    try:
        deadline = time.monotonic() + 30
        while not search.semantic.has_query("voedselbank") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert search.semantic.has_query("voedselbank")
    finally:
        search.stop_worker()
    assert worker.last_error is None


def test_no_warming_when_the_setting_is_zero(tmp_path, monkeypatch):
    app, search, _fake = _app(tmp_path, monkeypatch, semantic_warm_queries=0)
    _search(app.test_client(), "voedselbank", 3)
    search.semantic.forget_queries()
    assert search.warm_popular_queries() == 0
    assert not search.semantic.has_query("voedselbank")
