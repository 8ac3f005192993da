"""Counts and facets of the PostgreSQL backend are reused per index generation, never stale.

The backend keeps the answers of its counting statements per index generation
(``GenerationCache``); every listing change and every rebuild bumps the generation, so a
repeated search answers the same until a listing changes, and then answers anew, in this
process and in another web node's.
"""

from __future__ import annotations

from pathlib import Path

from conftest import REFERENCE_DATE, SAMPLE_JSON
from kit_postgres import postgres_cluster, postgres_url  # noqa: F401 (fixtures)
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from sociale_kaart.config import load_settings
from sociale_kaart.db import Database
from sociale_kaart.models import Service
from sociale_kaart.search import SearchService
from sociale_kaart.search.params import parse_params
from sociale_kaart.search.pg_scoring import GenerationCache
from sociale_kaart.services.imports import import_paths


def _service(folder: Path, url: str, follow_commits: bool = True):
    settings = load_settings(folder, today=REFERENCE_DATE, semantic="off", database_url=url,
                             search_backend="postgres")
    db = Database(url)
    db.upgrade()
    return SearchService(settings, db, follow_commits=follow_commits), db


def _search(service: SearchService, args: dict):
    return service.search(parse_params(MultiDict({"per_page": "100", **args})))


def _deactivate(db: Database, listing_id: str) -> None:
    with db.session() as session:
        session.get(Service, listing_id).status = "inactive"
        session.commit()


def _summary(result) -> tuple:
    return result.total, result.facets, [hit.id for hit in result.hits]


BROWSE = {"q": "", "type": "cursus"}
TEXT = {"q": "hulp", "free": "1"}


def test_a_listing_change_refreshes_counts_and_facets(postgres_url, tmp_path):  # noqa: F811
    service, db = _service(tmp_path / "inst", postgres_url)
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    # Each facet counts the listings passing the other filters: a hit counts in its own.
    for args, facet in ((BROWSE, "type"), (TEXT, "cost")):
        first = _search(service, args)
        assert first.total > 1
        assert _summary(_search(service, args)) == _summary(first)  # answered alike again
        gone = first.hits[0].id
        _deactivate(db, gone)
        after = _search(service, args)
        assert after.total == first.total - 1
        assert gone not in [hit.id for hit in after.hits]
        assert sum(after.facets[facet].values()) == sum(first.facets[facet].values()) - 1


def test_another_web_node_sees_the_change(postgres_url, tmp_path):  # noqa: F811
    writer, db = _service(tmp_path / "a", postgres_url)
    reader, reader_db = _service(tmp_path / "b", postgres_url)
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    before = _search(reader, BROWSE)
    _deactivate(db, before.hits[0].id)
    after = _search(reader, BROWSE)
    assert after.total == before.total - 1
    assert sum(after.facets["type"].values()) == sum(before.facets["type"].values()) - 1
    reader_db.dispose()
    db.dispose()


def test_a_rebuild_refreshes_counts_and_facets(postgres_url, tmp_path):  # noqa: F811
    """An index that does not follow commits (a batch job) changes only with a rebuild: the
    counts stay those of the index until then, and change with it."""
    service, db = _service(tmp_path / "inst", postgres_url, follow_commits=False)
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    service.rebuild()
    first = _search(service, BROWSE)
    with db.session() as session:
        listing_id = session.scalars(select(Service.id).where(Service.id == first.hits[0].id)
                                     ).one()
    _deactivate(db, listing_id)
    assert _summary(_search(service, BROWSE)) == _summary(first)  # the index is unchanged
    service.rebuild()
    after = _search(service, BROWSE)
    assert after.total == first.total - 1
    assert sum(after.facets["type"].values()) == sum(first.facets["type"].values()) - 1


def test_generation_cache_forgets_older_generations():
    cache = GenerationCache(limit=2)
    key = GenerationCache.key("count", "active", {"p1": [1, 2]})
    cache.put(1, key, (5, False))
    assert cache.get(1, key) == (5, False)
    assert cache.get(2, key) is None
    cache.put(2, key, (4, False))
    cache.put(1, key, (5, False))  # late answer of an older generation: not kept
    assert cache.get(2, key) == (4, False)
    assert cache.get(1, key) is None
    for n in range(3):
        cache.put(2, GenerationCache.key("other", n), n)
    assert cache.get(2, key) is None  # least recently used, beyond the limit
    assert cache.get(2, GenerationCache.key("other", 2)) == 2
