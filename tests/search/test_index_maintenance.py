"""The index follows the database: incremental updates after commit, rebuild and swap."""

from __future__ import annotations

import json
import time

from conftest import SAMPLE_JSON
from werkzeug.datastructures import MultiDict

from sociale_kaart.models import Service
from sociale_kaart.search import SearchService
from sociale_kaart.search.params import parse_params
from sociale_kaart.services.imports import import_paths


def ids_for(search: SearchService, q: str) -> list[str]:
    return [hit.id for hit in search.search(parse_params(MultiDict({"q": q}))).hits]


def test_a_committed_change_is_searchable_at_once(settings, db, tmp_path):
    search = SearchService(settings, db)
    records = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))[:10]
    path = tmp_path / "ten.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    import_paths(db, [path], load_plugins=False)
    target = records[3]["id"]
    assert ids_for(search, "zeppelinvaartclub") == []
    with db.session() as session:
        session.get(Service, target).name = "Zeppelinvaartclub voor iedereen"
    assert ids_for(search, "zeppelinvaartclub") == [target]
    with db.session() as session:
        session.get(Service, target).status = "inactive"
    assert ids_for(search, "zeppelinvaartclub") == []


def test_a_failed_transaction_leaves_the_index_alone(settings, db, tmp_path):
    search = SearchService(settings, db)
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    target = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))[0]["id"]
    session = db.Session()
    session.get(Service, target).name = "Luchtballonvaarders"
    session.flush()
    session.rollback()
    session.close()
    assert target not in ids_for(search, "luchtballonvaarders")


def test_rebuild_swaps_in_a_new_generation(settings, db):
    search = SearchService(settings, db)
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    link = settings.resolved_index_path
    before = link.resolve()
    found = ids_for(search, "voedselbank")
    time.sleep(1.1)  # generation folders are named by the second
    assert search.rebuild() == 150
    assert link.is_symlink() and link.resolve() != before
    assert not before.exists()
    assert ids_for(search, "voedselbank") == found


def test_a_second_process_view_sees_updates(settings, db, tmp_path):
    """Two search services over one instance (as two web workers): a write by one is seen by
    the other on its next search."""
    writer = SearchService(settings, db)
    reader = SearchService(settings, db, follow_commits=False)
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    assert ids_for(reader, "voedselbank")
    target = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))[5]["id"]
    with db.session() as session:
        session.get(Service, target).name = "Kabouterpad ontmoetingsplek"
    assert ids_for(reader, "kabouterpad") == [target]
    assert writer.count() == reader.count() == 150


def test_rebuild_saves_the_listing_vocabulary_for_compounds(settings, db):
    search = SearchService(settings, db)
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    search.rebuild()
    words = search.store.vocabulary()
    assert words, "the listings' own words are saved with the index"
    from sociale_kaart.search.compounds import load_default_splitter

    splitter = load_default_splitter()
    assert all(word in splitter for word in words)
    # A new process over the same instance loads them again before analysing anything.
    assert SearchService(settings, db, follow_commits=False).store.vocabulary() == words
