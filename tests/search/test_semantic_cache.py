"""Listing vectors: cached by text hash, updated on change, removed on delete or unpublish,
filled in by `index embed` and the background worker, never waited for by an import."""

from __future__ import annotations

import json
import time

from conftest import SAMPLE_JSON
from kit_semantic import FakeEmbedder, install_fake
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from sociale_kaart.cli import main
from sociale_kaart.models import Embedding, Service, ServiceEmbedding
from sociale_kaart.search import SearchService
from sociale_kaart.search.params import parse_params
from sociale_kaart.services.imports import import_paths


def _import(db, tmp_path, count: int = 12) -> list[dict]:
    records = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))[:count]
    path = tmp_path / "some.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    import_paths(db, [path], load_plugins=False)
    return records


def _published(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Service)
                              .where(Service.status.in_(("active", "temporarily closed"))))


def test_an_import_records_texts_but_embeds_nothing(settings, db, tmp_path, monkeypatch):
    fake = install_fake(monkeypatch)
    search = SearchService(settings, db)
    _import(db, tmp_path)
    assert fake.passages == []  # the import never waits for the model
    embedded, total = search.semantic.counts()
    assert (embedded, total) == (0, _published(db))
    assert search.semantic_status()["pending"] == total


def test_unchanged_listings_are_never_embedded_again(settings, db, tmp_path, monkeypatch):
    fake = install_fake(monkeypatch)
    search = SearchService(settings, db)
    _import(db, tmp_path)
    first = search.embed_missing()
    assert first == len(fake.passages) == _published(db)
    # An index rebuild, a re-import of the same data and another embed run reuse the cache.
    search.rebuild()
    _import(db, tmp_path)
    assert search.embed_missing() == 0
    assert len(fake.passages) == first
    assert search.semantic.counts() == (first, first)
    # A fresh process loads the vectors from the database.
    again = SearchService(settings, db, follow_commits=False)
    assert len(again.semantic) == first


def test_a_changed_listing_gets_a_new_vector(settings, db, tmp_path, monkeypatch):
    fake = install_fake(monkeypatch)
    search = SearchService(settings, db)
    records = _import(db, tmp_path)
    search.embed_missing()
    target = records[2]["id"]
    with db.session() as session:
        before = session.get(ServiceEmbedding, target).text_hash
        session.get(Service, target).description = "Nieuwe tekst over zeppelins en ballonnen."
    with db.session() as session:
        after = session.get(ServiceEmbedding, target).text_hash
    assert after != before
    assert not search.semantic.has_vector(target)  # found lexically until it is embedded
    fake.passages.clear()
    assert search.embed_missing() == 1
    assert "zeppelins" in fake.passages[0]
    assert search.semantic.has_vector(target)
    # A change outside the embedded fields (an e-mail address) keeps the vector.
    with db.session() as session:
        session.get(Service, target).email = "nieuw@example.org"
    assert search.semantic.has_vector(target)
    assert search.embed_missing() == 0


def test_vectors_go_when_a_listing_is_unpublished_or_deleted(settings, db, tmp_path,
                                                             monkeypatch):
    install_fake(monkeypatch)
    search = SearchService(settings, db)
    records = _import(db, tmp_path)
    search.embed_missing()
    hidden, deleted = records[0]["id"], records[1]["id"]
    with db.session() as session:
        session.get(Service, hidden).status = "inactive"
    assert not search.semantic.has_vector(hidden)
    with db.session() as session:
        session.delete(session.get(Service, deleted))
    assert not search.semantic.has_vector(deleted)
    with db.session() as session:
        kept = set(session.scalars(select(ServiceEmbedding.service_id)))
    assert hidden not in kept and deleted not in kept
    assert search.semantic.counts()[1] == _published(db)


def test_index_embed_fills_in_every_listing(settings, db, tmp_path, monkeypatch, runner):
    fake = install_fake(monkeypatch)
    monkeypatch.setenv("SOCIALE_KAART_TODAY", settings.today.isoformat())
    SearchService(settings, db)
    _import(db, tmp_path)
    result = runner.invoke(main, ["--instance", str(settings.instance_path), "index", "embed"])
    assert result.exit_code == 0, result.output
    published = _published(db)
    assert f"{published} van {published}" in result.output
    assert len(fake.passages) == published
    again = runner.invoke(main, ["--instance", str(settings.instance_path), "index", "embed"])
    assert "Vectoren: 0 berekend" in again.output
    everything = runner.invoke(main, ["--instance", str(settings.instance_path), "index",
                                      "embed", "--all"])
    assert everything.exit_code == 0
    assert f"Vectoren: {published} berekend" in everything.output
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Embedding)) == published


def test_index_embed_says_why_when_semantic_search_is_off(settings, runner, monkeypatch):
    monkeypatch.setenv("SOCIALE_KAART_SEMANTIC", "off")
    result = runner.invoke(main, ["--instance", str(settings.instance_path), "index", "embed"])
    assert result.exit_code == 1
    assert "semantic = off" in result.output


def test_the_background_worker_embeds_and_stops_cleanly(settings, db, tmp_path, monkeypatch):
    fake = install_fake(monkeypatch)
    search = SearchService(settings, db)
    _import(db, tmp_path)
    worker = search.start_worker()
    deadline = time.monotonic() + 30
    while search.semantic.counts()[0] < _published(db) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert search.semantic.counts() == (_published(db), _published(db))
    # A listing saved while the worker runs is embedded a moment later.
    with db.session() as session:
        service = session.scalars(select(Service).where(Service.status == "active")).first()
        service.description = "Een heel andere beschrijving over fietsen."
    deadline = time.monotonic() + 30
    while not search.semantic.has_vector(service.id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert search.semantic.has_vector(service.id)
    assert any("fietsen" in text for text in fake.passages)
    search.stop_worker()
    assert not worker.running


def test_a_listing_found_by_meaning_says_why(settings, db, tmp_path, monkeypatch):
    install_fake(monkeypatch, FakeEmbedder())
    search = SearchService(settings, db)
    records = _import(db, tmp_path)
    search.embed_missing()
    name = records[4]["name"]
    result = search.search(parse_params(MultiDict({"q": name})))
    assert result.extra["semantic"] is True
    top = result.hits[0]
    assert top.id == records[4]["id"]
    assert top.why["words"]  # the name's words matched lexically
    assert 0.0 < top.why["similarity"] <= 1.0
    assert top.why["filters"] == [] and top.why["semantic_only"] is False
