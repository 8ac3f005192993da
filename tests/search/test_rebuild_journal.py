"""Listings committed while the index is rebuilt are in the index once the rebuild is live.

The rebuild runs as `sociale-kaart index rebuild` does, in its own "process" (its own
``Database`` and ``SearchService``, not following commits); a web process keeps committing
changes through its own. The changes land after the rebuild has read those listings, so
without the journal the swap would bring back their old state."""

from __future__ import annotations

import json
import uuid

from conftest import REFERENCE_DATE, SAMPLE_JSON
from kit_postgres import postgres_cluster, postgres_url  # noqa: F401 (fixtures)
from werkzeug.datastructures import MultiDict

from sociale_kaart.config import load_settings
from sociale_kaart.db import Database
from sociale_kaart.models import SearchRebuild, SearchRebuildChange, Service
from sociale_kaart.search import SearchService
from sociale_kaart.search.params import parse_params
from sociale_kaart.search.rebuild_journal import STALE_AFTER, RebuildJournal
from sociale_kaart.services.imports import import_paths


def ids_for(search: SearchService, q: str) -> list[str]:
    return [hit.id for hit in search.search(parse_params(MultiDict({"q": q}))).hits]


def best_for(search: SearchService, q: str) -> str | None:
    return next(iter(ids_for(search, q)), None)


def _changing_midway(rebuilder: SearchService, change, after: int) -> None:
    """Let ``change`` run once the rebuild has read ``after`` listings."""
    original = rebuilder.engine.rebuild

    def rebuild(documents, vocabulary=()):
        def reading():
            for count, item in enumerate(documents, start=1):
                yield item
                if count == after:
                    change()
        return original(reading(), vocabulary)

    rebuilder.engine.rebuild = rebuild


def test_changes_committed_during_a_rebuild_survive_the_swap(settings, db, tmp_path):
    _changes_survive_the_swap(settings, db, tmp_path)


def test_changes_committed_during_a_postgres_rebuild_survive_the_swap(postgres_url, tmp_path):  # noqa: F811
    """The same with the search tables in PostgreSQL (issue 12), where a rebuild at a million
    listings takes twenty minutes."""
    settings = load_settings(tmp_path / "instance", today=REFERENCE_DATE, semantic="off",
                             database_url=postgres_url, search_backend="postgres")
    db = Database(settings.database_url)
    db.upgrade()
    try:
        _changes_survive_the_swap(settings, db, tmp_path)
    finally:
        db.dispose()


def _changes_survive_the_swap(settings, db, tmp_path) -> None:
    records = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    web_db = Database(settings.database_url)
    web = SearchService(settings, web_db)  # a web process: follows its own commits
    rebuilder = SearchService(settings, db, follow_commits=False)
    first, second = sorted(record["id"] for record in records)[:2]  # read first by the rebuild
    with db.session() as session:
        session.get(Service, second).name = "Kabouterpad ontmoetingsplek"
    rebuilder.rebuild()
    assert best_for(rebuilder, "kabouterpad") == second
    new = dict(records[7], id=str(uuid.uuid4()), name="Zeppelinvaartclub voor senioren")
    new_file = tmp_path / "new.json"
    new_file.write_text(json.dumps([new]), encoding="utf-8")

    def web_writes() -> None:
        with web_db.session() as session:
            session.get(Service, first).name = "Luchtballonvaarders Altena"
            session.get(Service, second).status = "inactive"
        import_paths(web_db, [new_file], load_plugins=False)
        # The web process's own index shows them at once (the old index, still live).
        assert best_for(web, "luchtballonvaarders") == first
        assert best_for(web, "zeppelinvaartclub") == new["id"]
        assert second not in ids_for(web, "kabouterpad")

    _changing_midway(rebuilder, web_writes, after=50)
    assert rebuilder.rebuild() == 150  # the listings as read, before the catch-up
    for search in (rebuilder, web):
        assert best_for(search, "luchtballonvaarders") == first
        assert second not in ids_for(search, "kabouterpad")
        assert best_for(search, "zeppelinvaartclub") == new["id"]
        assert search.count() == 151
    with db.session() as session:  # the rebuild ended: nothing left in the journal
        assert session.query(SearchRebuild).count() == 0
        assert session.query(SearchRebuildChange).count() == 0
    web_db.dispose()


def test_a_rebuild_that_fails_leaves_no_journal_and_the_old_index(settings, db):
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    search = SearchService(settings, db)
    before = ids_for(search, "voedselbank")

    def broken(documents, vocabulary=()):
        raise OSError("schijf vol")

    search.engine.rebuild = broken
    try:
        search.rebuild()
    except OSError:
        pass
    else:
        raise AssertionError("the rebuild's error must reach the caller")
    with db.session() as session:
        assert session.query(SearchRebuild).count() == 0
    assert ids_for(search, "voedselbank") == before
    # Changes after the failed rebuild are not noted for it.
    assert RebuildJournal(db).note(["x"]) == 0


def test_notes_go_to_every_running_rebuild_and_a_dead_one_is_forgotten(settings, db):
    journal = RebuildJournal(db)
    assert journal.note(["a"]) == 0  # no rebuild running: nothing written
    first, second = journal.begin(), journal.begin()
    assert journal.note(["a", "b", "a"]) == 4
    assert [ids for ids in journal.take(first, journal.last_note(first))] == [{"a", "b"}]
    assert journal.last_note(first) == 0
    assert journal.last_note(second) > 0
    journal.end(second)
    with db.session() as session:  # the first rebuild died hours ago
        session.get(SearchRebuild, first).started_at -= STALE_AFTER * 2
    assert journal.note(["c"]) == 0
    third = journal.begin()
    with db.session() as session:
        assert [r.id for r in session.query(SearchRebuild)] == [third]
    journal.end(third)
