"""The PostgreSQL search backend keeps the Whoosh backend's contract.

The same sample data goes into SQLite + Whoosh and into PostgreSQL + the postgres backend; the
two must answer alike: the same results in the same order, the same totals, facet counts,
suggestions, distances and paging, the same rules (inactive listings and ended courses never
shown). Generic queries only; no listing is named.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from conftest import REFERENCE_DATE, SAMPLE_JSON
from kit_postgres import postgres_cluster, postgres_url  # noqa: F401 (fixtures)
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from sociale_kaart.config import load_settings
from sociale_kaart.db import Database
from sociale_kaart.models import Service
from sociale_kaart.search import SearchService
from sociale_kaart.search.params import parse_params
from sociale_kaart.services.imports import import_paths

QUERIES = [
    {"q": "schuldhulp"},
    {"q": "hulp bij de administratie"},
    {"q": "eenzaam ouderen"},
    {"q": "taalles voor nieuwkomers"},
    {"q": "mantelzorgers ondersteuning"},
    {"q": "sporten met een beperking"},
    {"q": "schuldhlup"},  # a typo: the same "bedoelde u"
    {"q": "koken", "sort": "name"},
    {"q": "hulp", "category": "geld"},
    {"q": "hulp", "free": "1", "type": "voorziening"},
    {"q": "hulp", "age": "70"},
    {"q": "hulp", "open": "mo"},
    {"q": "", "category": "ontmoeting"},
    {"q": "", "sort": "name", "page": "2"},
    {"q": "", "type": "cursus", "upcoming": "1"},
    {"q": "", "near": "Gorinchem", "km": "5"},
    {"q": "sport", "near": "Werkendam", "km": "10", "sort": "distance"},
    {"q": "", "near": "Veghel", "km": "10", "sort": "distance"},
    {"q": "mantelzorg Woudrichem"},
    {"q": "domestic violence help"},
]


def _service(folder: Path, **overrides) -> tuple[SearchService, Database]:
    settings = load_settings(folder, today=REFERENCE_DATE, semantic="off", **overrides)
    if "database_url" not in overrides:
        settings.database_url = f"sqlite:///{settings.database_path}"
    db = Database(settings.database_url)
    db.upgrade()
    return SearchService(settings, db), db


@pytest.fixture(scope="module")
def pair(postgres_cluster, tmp_path_factory):  # noqa: F811
    """(whoosh service, postgres service) over the sample data, imported the same way."""
    folder = tmp_path_factory.mktemp("pg-contract")
    name = f"contract_{uuid.uuid4().hex[:8]}"
    url = postgres_cluster.create_database(name)
    whoosh, whoosh_db = _service(folder / "whoosh")
    postgres, postgres_db = _service(folder / "postgres", database_url=url,
                                     search_backend="postgres")
    for db in (whoosh_db, postgres_db):
        report = import_paths(db, [SAMPLE_JSON], load_plugins=False)
        assert len(report.created) == 150
    yield whoosh, postgres
    whoosh_db.dispose()
    postgres_db.dispose()
    postgres_cluster.drop_database(name)


def _search(service: SearchService, args: dict):
    return service.search(parse_params(MultiDict({"per_page": "10", **args})))


@pytest.mark.parametrize("args", QUERIES, ids=[str(q) for q in QUERIES])
def test_same_results_as_whoosh(pair, args):
    whoosh, postgres = pair
    expected, found = _search(whoosh, args), _search(postgres, args)
    assert [h.id for h in found.hits] == [h.id for h in expected.hits]
    assert found.total == expected.total
    assert found.facets == expected.facets
    assert found.suggestion == expected.suggestion
    assert [h.distance_km for h in found.hits] == [h.distance_km for h in expected.hits]
    assert [h.comes_to_you for h in found.hits] == [h.comes_to_you for h in expected.hits]


def test_scores_match_whoosh(pair):
    whoosh, postgres = pair
    expected, found = _search(whoosh, {"q": "schulden"}), _search(postgres, {"q": "schulden"})
    assert [h.score for h in found.hits] == pytest.approx([h.score for h in expected.hits],
                                                           rel=1e-3)


def test_paging_is_a_slice_of_the_ranking(pair):
    _, postgres = pair
    whole = _search(postgres, {"q": "hulp", "per_page": "20"})
    second = _search(postgres, {"q": "hulp", "page": "2"})
    assert [h.id for h in second.hits] == [h.id for h in whole.hits[10:20]]
    assert second.total == whole.total > 20


def test_inactive_and_ended_courses_never_shown(pair):
    whoosh, postgres = pair
    shown = _search(postgres, {"q": "", "per_page": "100"})
    staff = postgres.search(parse_params(MultiDict({"per_page": "100"})).with_(
        include_inactive=True))
    assert staff.total > shown.total  # the sample data has inactive listings and ended courses
    for hit in shown.hits:
        assert hit.meta["active"]
        end = (hit.meta.get("course") or [None, None])[1]
        assert end is None or end >= REFERENCE_DATE.isoformat()
    hidden = {h.id for h in staff.hits} - {h.id for h in shown.hits}
    assert hidden
    for args in ({"q": "", "per_page": "100"}, {"q": "cursus", "per_page": "100"}):
        assert not hidden & {h.id for h in _search(postgres, args).hits}
    assert shown.total == _search(whoosh, {"q": "", "per_page": "100"}).total


def test_relevance_close_to_whoosh_on_the_sample_queries(pair):
    """Every query of the public relevance set gives the same top ten on both backends."""
    import json

    whoosh, postgres = pair
    queries = [json.loads(line) for line in
               (SAMPLE_JSON.parent.parent / "queries.jsonl").read_text().splitlines() if line]
    for query in queries:
        args = {"q": query["q"], **{k: "1" if v is True else str(v)
                                    for k, v in (query.get("filters") or {}).items()}}
        assert [h.id for h in _search(postgres, args).hits] == \
            [h.id for h in _search(whoosh, args).hits], query["q"]


def test_incremental_updates_follow_commits(postgres_url, tmp_path):  # noqa: F811
    service, db = _service(tmp_path / "inst", database_url=postgres_url,
                           search_backend="postgres")
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    assert service.count() == 150
    with db.session() as session:
        listing = session.scalars(select(Service).where(Service.status == "active")
                                  .order_by(Service.id)).first()
        listing_id = listing.id
        listing.name = "Qzxplorium"
        session.commit()
    found = _search(service, {"q": "qzxplorium"})
    assert [h.id for h in found.hits] == [listing_id]
    with service.engine.connection() as conn:
        assert _filter_lexemes_wrong(conn) == 0
    with db.session() as session:
        session.delete(session.get(Service, listing_id))
        session.commit()
    assert _search(service, {"q": "qzxplorium"}).total == 0
    assert service.count() == 149
    # The statistics kept incrementally equal those of a fresh rebuild.
    before = _search(service, {"q": "hulp bij schulden", "per_page": "30"})
    service.rebuild()
    after = _search(service, {"q": "hulp bij schulden", "per_page": "30"})
    assert [h.id for h in after.hits] == [h.id for h in before.hits]
    assert [h.score for h in after.hits] == pytest.approx([h.score for h in before.hits])


def test_a_second_service_sees_the_changes(postgres_url, tmp_path):  # noqa: F811
    """Several web nodes: the index is in the database, so another process's service finds
    what this one wrote."""
    writer, db = _service(tmp_path / "a", database_url=postgres_url, search_backend="postgres")
    reader, other_db = _service(tmp_path / "b", database_url=postgres_url,
                                search_backend="postgres")
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    assert reader.count() == 150
    assert _search(reader, {"q": "schuldhulp"}).total == _search(writer, {"q": "schuldhulp"}).total
    other_db.dispose()
    db.dispose()


def test_dutch_unaccent_second_chance(postgres_url, tmp_path):  # noqa: F811
    """When our analysis finds nothing, PostgreSQL's Dutch stemmer with unaccent gets a second
    chance (here our tokens of one listing are emptied to stand for a word our analysis
    splits differently)."""
    service, db = _service(tmp_path / "inst", database_url=postgres_url,
                           search_backend="postgres")
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    with db.session() as session:
        listing = session.scalars(select(Service).where(Service.status == "active")
                                  .order_by(Service.id)).first()
        listing_id = listing.id
        listing.name = "Ontmoetingscafé Qzxvéllo"
        session.commit()
    with service.engine.connection() as conn:
        row = conn.execute("SELECT dutch::text FROM search.document WHERE service_id = %s",
                           (listing_id,)).fetchone()
        assert "ontmoetingscaf" in row[0]  # unaccented and stemmed by PostgreSQL
        conn.execute("UPDATE search.document SET tokens = ''::tsvector WHERE service_id = %s",
                     (listing_id,))
        conn.execute("UPDATE search.match SET words = ''::tsvector WHERE service_id = %s",
                     (listing_id,))
        conn.commit()
    found = _search(service, {"q": "qzxvello"})
    assert [h.id for h in found.hits] == [listing_id]
    db.dispose()


def test_postgres_backend_needs_postgresql(tmp_path):
    with pytest.raises(ValueError, match="PostgreSQL"):
        _service(tmp_path / "inst", search_backend="postgres")


def test_unknown_backend_is_refused(tmp_path):
    with pytest.raises(ValueError, match="whoosh or postgres"):
        _service(tmp_path / "inst", search_backend="solr")


@pytest.mark.parametrize("args", [{"q": "schuldhulp"},
                                  {"q": "hulp", "category": "geld", "free": "1"}])
def test_search_recovers_after_lost_connections(postgres_url, tmp_path, args):  # noqa: F811
    """Connections killed under the app (a restart, a failover): at most one search fails with
    the error the app turns into a 503, and the next one works without restarting anything
    (also with filters, whose count and facets run on other pooled connections)."""
    from sqlalchemy.exc import OperationalError

    service, db = _service(tmp_path / "inst", database_url=postgres_url,
                           search_backend="postgres")
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    expected = [h.id for h in _search(service, args).hits]
    other = Database(postgres_url)
    with other.engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    other.dispose()
    try:
        _search(service, args)
    except OperationalError:
        pass  # the app answers this one with a clean 503
    assert [h.id for h in _search(service, args).hits] == expected
    db.dispose()


class _StubSemantic:
    """A semantic index with fixed similarities, so both backends' fusion can be compared
    without the embedding model."""

    def __init__(self, similarity: dict[str, float]) -> None:
        self.similarity = similarity

    def __len__(self) -> int:
        return len(self.similarity)

    def query_vector(self, _text: str):
        import numpy as np

        return np.ones(4, dtype=np.float32)

    def start_query(self, text: str, budget_ms=None):
        from sociale_kaart.search.semantic import PendingQuery

        return PendingQuery(self.query_vector(text))

    def nearest_phrases(self, _vector, *, floor, margin, limit):
        return []

    def similarities(self, ids, _key, _vector, within=None):
        import numpy as np

        values = np.array([self.similarity.get(i, np.nan) for i in ids], dtype=np.float32)
        if within is not None:  # like the real index: nothing outside the filtered candidates
            values[~np.asarray(within, dtype=bool)] = np.nan
        return values


def test_semantic_fusion_matches_whoosh(pair):
    """With the same vectors, meaning brings in the same listing on both backends, ranked
    alike (the fusion is the Whoosh engine's own function)."""
    whoosh, postgres = pair
    lexical = {h.id for h in _search(whoosh, {"q": "schuldhulp", "per_page": "100"}).hits}
    everyone = [h.id for h in _search(whoosh, {"q": "", "per_page": "100"}).hits]
    newcomer = next(sid for sid in everyone if sid not in lexical)
    stub = _StubSemantic({sid: (0.95 if sid == newcomer else 0.5) for sid in everyone})
    engines = (whoosh.engine, postgres.engine)
    saved = [engine.semantic for engine in engines]
    try:
        for engine in engines:
            engine.semantic = stub
        expected = _search(whoosh, {"q": "schuldhulp", "per_page": "30"})
        found = _search(postgres, {"q": "schuldhulp", "per_page": "30"})
    finally:
        for engine, semantic in zip(engines, saved, strict=True):
            engine.semantic = semantic
    assert newcomer in {h.id for h in expected.hits}
    assert [h.id for h in found.hits] == [h.id for h in expected.hits]
    assert found.total == expected.total
    assert found.facets == expected.facets
    assert found.extra["semantic"] and expected.extra["semantic"]


# -- bounded work at scale: the pre-rank and the facet sample, exercised with small limits -----

@pytest.mark.parametrize("args", [{"q": "hulp"}, {"q": "hulp bij de administratie"},
                                  {"q": "hulp", "category": "geld"},
                                  {"q": "hulp", "near": "Werkendam", "km": "25"}])
def test_prerank_sends_only_the_best_matches(pair, monkeypatch, args):
    """With fewer candidates scored exactly than there are matches, the total is still the
    exact count, and the first page is still the exact ranking's first page (the pre-rank
    keeps a margin: here 8 candidates for a page of 3)."""
    from sociale_kaart.search import pg_backend

    _, postgres = pair
    full = _search(postgres, {**args, "per_page": "3"})
    assert full.total > 8
    monkeypatch.setattr(pg_backend, "PRERANK_LIMIT", 8)
    capped = _search(postgres, {**args, "per_page": "3"})
    assert capped.total == full.total
    assert [h.id for h in capped.hits] == [h.id for h in full.hits]
    deeper = _search(postgres, {**args, "per_page": "3", "page": "2"})
    assert len(deeper.hits) == min(3, full.total - 3)
    assert not {h.id for h in deeper.hits} & {h.id for h in capped.hits}


@pytest.mark.parametrize("args", [{"q": ""}, {"q": "", "free": "1"}, {"q": "hulp"},
                                  {"q": "", "type": "cursus"}])
def test_facets_over_many_listings_are_estimated_from_a_sample(pair, monkeypatch, args):
    """Over more listings than the sample, facet counts are scaled from the sample and say
    so; each estimate is a value the exact counts have, of a similar size in total."""
    from sociale_kaart.search import pg_backend

    _, postgres = pair
    exact = _search(postgres, args)
    assert not exact.extra["facets_estimated"]
    # (Not smaller: the 20 courses among the 150 listings would be one or two of a sample of
    # 20, which depends on where updates left the rows in the table, too few for 50 %.)
    monkeypatch.setattr(pg_backend, "FACET_SAMPLE", 40)
    estimated = _search(postgres, args)
    assert estimated.extra["facets_estimated"]
    assert estimated.total == exact.total
    assert [h.id for h in estimated.hits] == [h.id for h in exact.hits]
    for name in ("type", "cost", "category"):
        assert set(estimated.facets[name]) <= set(exact.facets[name])
        assert sum(estimated.facets[name].values()) == pytest.approx(
            sum(exact.facets[name].values()), rel=0.5)


@pytest.mark.parametrize("args", [{"q": ""}, {"q": "hulp"}, {"q": "", "free": "1"}])
def test_totals_over_the_count_limit_are_estimated(pair, monkeypatch, args):
    """Beyond the count limit the total is an estimate ("about"), said so, and close.
    (Without filters a count may read as far as the facet sample does, the same rows.)"""
    from sociale_kaart.search import pg_backend

    _, postgres = pair
    exact = _search(postgres, args)
    assert not exact.extra["total_estimated"]
    monkeypatch.setattr(pg_backend, "COUNT_LIMIT", 10)
    monkeypatch.setattr(pg_backend, "FACET_SAMPLE", 10)
    estimated = _search(postgres, args)
    assert estimated.extra["total_estimated"]
    assert estimated.total == pytest.approx(exact.total, rel=0.5)
    assert [h.id for h in estimated.hits] == [h.id for h in exact.hits]


@pytest.mark.parametrize("args", [{"q": "hulp"}, {"q": "eenzaam ouderen"}, {"q": "schuldhulp"}])
def test_without_filters_the_count_and_the_facets_read_their_rows_once(pair, monkeypatch,
                                                                       args):
    """Without filters the count and the facet sample of a text search read the same
    matches through the words' bitmap: one statement answers both, although totals are
    exact only up to COUNT_LIMIT elsewhere (the count takes the facet sample's longer pass
    rather than building the bitmap again)."""
    from sociale_kaart.search import pg_backend

    whoosh, postgres = pair
    monkeypatch.setattr(pg_backend, "COUNT_LIMIT", 20)
    monkeypatch.setattr(pg_backend, "FACET_SAMPLE", 40)
    monkeypatch.setattr(pg_backend, "PROBE_LIMIT", 20)
    # Through the bitmaps (a related need read in order would make both passes short
    # first passes, shared the same way).
    monkeypatch.setattr(pg_backend, "BROAD_CATEGORY_SHARE", 2.0)
    passes = []
    facet_pass = pg_backend.PostgresEngine._facet_pass

    def recording(conn, sql, where, filters, limit, part=None):
        passes.append((where, limit))
        return facet_pass(conn, sql, where, filters, limit, part)

    monkeypatch.setattr(pg_backend.PostgresEngine, "_facet_pass", staticmethod(recording))
    found = _fresh_search(postgres, args)
    assert passes and len(set(passes)) == 1, passes  # the count's pass is the facets' pass
    expected = _search(whoosh, args)
    if expected.total <= 40:
        assert (found.total, found.extra["total_estimated"]) == (expected.total, False)
    else:
        assert found.extra["total_estimated"]
        assert found.total == pytest.approx(expected.total, rel=0.5)


@pytest.mark.parametrize("args", [{"q": "", "near": "Gorinchem", "km": "25", "sort": "distance"},
                                  {"q": "", "near": "Veghel", "km": "10", "sort": "distance"},
                                  {"q": "", "near": "Gorinchem", "km": "25"},
                                  {"q": "Gorinchem"},
                                  {"q": "", "near": "Werkendam", "km": "25",
                                   "sort": "start_date"}])
def test_browsing_near_a_place_pages_like_whoosh(pair, args):
    """Browsing near a place takes the nearest listings from the index, then those that
    come to you, then the rest: every page, also across those parts, is the Whoosh
    backend's."""
    whoosh, postgres = pair
    expected = _search(whoosh, {**args, "per_page": "100"})
    assert expected.total > 6
    for page in range(1, (min(expected.total, 99) + 2) // 3 + 1):
        found = _search(postgres, {**args, "per_page": "3", "page": str(page)})
        assert [h.id for h in found.hits] == \
            [h.id for h in expected.hits[(page - 1) * 3:page * 3]], page
        assert [h.distance_km for h in found.hits] == \
            [h.distance_km for h in expected.hits[(page - 1) * 3:page * 3]]


# -- statements beside the search, and the field-free first test --------------------------------

BESIDE = [args for args in QUERIES if args.get("q")] + [
    {"q": "hulp bij de administratie", "near": "Werkendam", "km": "25"},
    {"q": "eenzaam", "category": "ontmoeting", "free": "1"},
]


@pytest.mark.parametrize("args", BESIDE, ids=[str(q) for q in BESIDE])
def test_statements_beside_the_search_answer_as_in_order(pair, monkeypatch, args):
    """With a pooled connection to spare, a text search runs its count, its facet sample and
    its related needs on other connections while it finds its candidates; on a busy server
    (no connection to spare) it runs them in order on its own. Both answer alike: results,
    order, total and facets. (The pre-rank limit is small, so the best of the text matches
    and of the related needs are merged by their pre-rank.)"""
    from sociale_kaart.search import pg_backend

    _, postgres = pair
    monkeypatch.setattr(pg_backend, "PRERANK_LIMIT", 8)
    started = []
    executor = pg_backend._side_executor()

    class Counting:
        def submit(self, *work):
            started.append(work)
            return executor.submit(*work)

    monkeypatch.setattr(pg_backend, "_side_executor", lambda: Counting())
    # Fresh services: no answers cached from another test or from each other.
    beside = _fresh_search(postgres, args)
    assert started, "nothing ran beside the search"
    started.clear()
    monkeypatch.setattr(pg_backend, "_spare_connection", lambda pool: False)
    in_order = _fresh_search(postgres, args)
    assert not started
    assert [h.id for h in beside.hits] == [h.id for h in in_order.hits]
    assert [h.score for h in beside.hits] == pytest.approx([h.score for h in in_order.hits])
    assert (beside.total, beside.facets) == (in_order.total, in_order.facets)


def _recording_counts(monkeypatch) -> list[str]:
    """The WHERE of every count the searches from now on ask for (``PostgresEngine._count``)."""
    from sociale_kaart.search import pg_backend

    counted: list[str] = []
    count = pg_backend.PostgresEngine._count

    def recording_count(self, conn, sql, where, part=None):
        counted.append(where)
        return count(self, conn, sql, where, part)

    monkeypatch.setattr(pg_backend.PostgresEngine, "_count", recording_count)
    return counted


def _fresh_search(postgres, args: dict):
    """A search by a new service: no answer cached from another test or search."""
    from sociale_kaart.search import SearchService

    return _search(SearchService(postgres.settings, postgres.db, follow_commits=False), args)


def _answer_with(monkeypatch, postgres, args: dict, setting: str, value, recorded: list):
    """The answer with ``pg_backend.<setting>`` = ``value``, and what ``recorded`` gathered
    during it."""
    from sociale_kaart.search import pg_backend

    monkeypatch.setattr(pg_backend, setting, value)
    recorded.clear()
    return _fresh_search(postgres, args), list(recorded)


def _assert_same_answer(found, expected) -> None:
    """The same hits in the same order with the same scores, total and facets."""
    assert [h.id for h in found.hits] == [h.id for h in expected.hits]
    assert [h.score for h in found.hits] == pytest.approx([h.score for h in expected.hits])
    assert (found.total, found.facets) == (expected.total, expected.facets)


RELATED = [{"q": "eenzaam ouderen"}, {"q": "mantelzorgers ondersteuning"},
           {"q": "schuldhulp"}, {"q": "domestic violence help"},
           {"q": "eenzaam", "free": "1"}, {"q": "hulp", "free": "1", "type": "voorziening"},
           {"q": "eenzaam", "near": "Gorinchem", "km": "10"},
           {"q": "eenzaam ouderen", "municipality": "Altena"},
           {"q": "schuldhulp", "municipality": "Meierijstad", "free": "1"}]


@pytest.mark.parametrize("args", RELATED, ids=[str(q) for q in RELATED])
def test_related_needs_of_many_listings_are_read_in_table_order(pair, monkeypatch, args):
    """Without filters that an index serves, the related needs that many listings have are
    found by reading the table in order (their GIN bitmap cost 88 ms at a million
    listings); near a place or in a municipality, among the place's listings; with another
    indexed filter (type), through the indexes as before. The answers are the same either
    way."""
    from sociale_kaart.search import pg_backend

    _, postgres = pair
    monkeypatch.setattr(pg_backend, "PRERANK_LIMIT", 8)  # a LIMIT that stops the reading
    in_order = []
    read = pg_backend.PostgresEngine._in_table_order

    def recording(conn, statement, statement_args):
        in_order.append(statement)
        return read(conn, statement, statement_args)

    monkeypatch.setattr(pg_backend.PostgresEngine, "_in_table_order", staticmethod(recording))
    counted = _recording_counts(monkeypatch)

    def answer(share: float):
        monkeypatch.setattr(pg_backend, "BROAD_CATEGORY_SHARE", share)
        in_order.clear()
        counted.clear()
        found = _fresh_search(postgres, args)
        return found, list(in_order), list(counted)

    indexed, none_in_order, indexed_counts = answer(2.0)  # no related need is that common
    in_table_order, statements, counts = answer(0.0)  # every one is
    assert not none_in_order
    assert not any("coalesce(categories &&" in where for where in indexed_counts)
    through_an_index = "type" in args or "near" in args or "municipality" in args
    assert bool(statements) is not through_an_index
    assert all("coalesce(categories &&" in statement for statement in statements)
    # Without the need's index (in table order, or among the place's listings) unless
    # another indexed filter applies.
    assert any("coalesce(categories &&" in where for where in counts) is ("type" not in args)
    _assert_same_answer(in_table_order, indexed)


BROAD_CATEGORY = [{"q": "hulp", "category": "geld"},
                  {"q": "eenzaam ouderen", "category": "ontmoeting", "free": "1"},
                  {"q": "schuldhulp", "category": "geld", "municipality": "Altena"},
                  {"q": "mantelzorgers", "category": "mantelzorg", "near": "Gorinchem",
                   "km": "10"},
                  {"q": "domestic violence", "category": "veiligheid"},
                  {"q": "hulp", "category": "geld", "type": "voorziening"},
                  {"q": "hulp", "category": "geld", "audience": "ouderen"}]


@pytest.mark.parametrize("args", BROAD_CATEGORY, ids=[str(q) for q in BROAD_CATEGORY])
def test_a_category_filter_of_many_listings_is_tested_row_by_row(pair, monkeypatch, args):
    """A text search's category filter that many listings pass is tested on each row, not
    through the GIN index whose bitmap of every listing in the category PostgreSQL builds in
    each statement (113,000 entries at a million listings); only beside place filters and
    "gratis", not beside a type or a filter no index serves. The answers are the same."""
    from sociale_kaart.search import pg_backend

    _, postgres = pair
    monkeypatch.setattr(pg_backend, "PRERANK_LIMIT", 8)  # a LIMIT that stops the reading
    counted = _recording_counts(monkeypatch)

    def answer(share: float):
        return _answer_with(monkeypatch, postgres, args, "BROAD_CATEGORY_SHARE", share, counted)

    indexed, indexed_counts = answer(2.0)  # no category is that common
    row_by_row, counts = answer(0.0)  # every one is
    filter_sql = "coalesce(categories && %(p2)s::text[], false)"
    assert counts and not any(filter_sql in where for where in indexed_counts)
    alone = set(args) - {"q", "category"} <= {"free", "municipality", "near", "km"}
    assert all(filter_sql in where for where in counts) is alone
    _assert_same_answer(row_by_row, indexed)


NEAR_WORDS = [{"q": "eenzaam", "near": "Gorinchem", "km": "25"},
              {"q": "schuldhulp", "near": "Werkendam", "km": "10", "sort": "distance"},
              {"q": "domestic violence", "near": "Gorinchem", "km": "50"},
              {"q": "mantelzorgers", "near": "Veghel", "km": "25", "category": "mantelzorg"},
              {"q": "taalcafe", "near": "Sint-Oedenrode", "km": "5", "type": "activiteit"}]


@pytest.mark.parametrize("args", NEAR_WORDS, ids=[str(q) for q in NEAR_WORDS])
def test_words_of_few_listings_pick_the_candidates_near_a_place(pair, monkeypatch, args):
    """When a place holds many more listings than the candidates' words match, the words'
    listings are each tested for the distance instead of PostgreSQL also building the
    bitmap of every listing within it (``_near_row_by_row``). The answers are the same."""
    from sociale_kaart.search import pg_backend

    _, postgres = pair
    monkeypatch.setattr(pg_backend, "PRERANK_LIMIT", 8)
    statements: list[str] = []
    read = pg_backend.PostgresEngine._in_index_order

    def recording(conn, statement, statement_args, ordered):
        statements.append(statement)
        return read(conn, statement, statement_args, ordered)

    monkeypatch.setattr(pg_backend.PostgresEngine, "_in_index_order", staticmethod(recording))

    def answer(cost: float):
        return _answer_with(monkeypatch, postgres, args, "NEAR_ROW_COST", cost, statements)

    through_the_index, indexed = answer(1e9)  # no place holds that many listings
    row_by_row, tested = answer(0.0)  # every place does
    assert indexed and not any("IS TRUE" in statement for statement in indexed)
    assert "(ST_DWithin(" in tested[0] and re.search(r"\) IS TRUE AND \(?words @@", tested[0])
    _assert_same_answer(row_by_row, through_the_index)
    assert row_by_row.total > 0


NARROW_WORDS = [{"q": "hulp", "municipality": "Altena", "type": "cursus"},
                {"q": "mantelzorg ondersteuning", "type": "voorziening",
                 "municipality": "Meierijstad"},
                {"q": "eenzaam", "free": "1", "type": "activiteit"},
                {"q": "eenzaam ouderen", "category": "geld"},
                {"q": "hulp bij de administratie", "near": "Werkendam", "km": "5"},
                {"q": "hulp bij de administratie"}]


@pytest.mark.parametrize("args", NARROW_WORDS, ids=[str(q) for q in NARROW_WORDS])
def test_a_second_round_adds_to_the_first_rounds_candidates(pair, monkeypatch, args):
    """When the essential words give fewer candidates than the pre-rank keeps (narrow
    filters), a second round with every word adds to them: it leaves out (and does not
    fetch again) the first round's listings, which a LIMIT in table order could otherwise
    drop. The answers are those of one round with every word, also where listings of a
    related need fill the pre-rank: they have none of the words and rank below every text
    match the second round finds."""
    from sociale_kaart.search import pg_backend

    _, postgres = pair
    monkeypatch.setattr(pg_backend, "PRERANK_LIMIT", 8)
    rounds: list[list] = []
    read = pg_backend.PostgresEngine._in_index_order

    def recording(conn, statement, statement_args, ordered):
        rows = read(conn, statement, statement_args, ordered)
        rounds.append(rows)
        return rows

    monkeypatch.setattr(pg_backend.PostgresEngine, "_in_index_order", staticmethod(recording))

    def strongest(count: int | None):
        def pick(items, budget):
            return sorted(items, key=lambda item: -item[1])[:count]
        return pick

    every_word, one_round = _answer_with(monkeypatch, postgres, args, "essential_items",
                                         strongest(None), rounds)
    few_words, two_rounds = _answer_with(monkeypatch, postgres, args, "essential_items",
                                         strongest(1), rounds)
    _assert_same_answer(few_words, every_word)
    assert len(one_round) == 1 and len(two_rounds) == 2
    first, second = ({row[0] for row in rows} for rows in two_rounds)
    assert not first & second
    assert first | second >= {row[0] for row in one_round[0]}
    assert every_word.total > 0



@pytest.mark.parametrize("args", NARROW_WORDS, ids=[str(q) for q in NARROW_WORDS])
def test_a_middle_round_comes_between_the_strongest_and_every_word(pair, monkeypatch, args):
    """With a middle round (the strongest alternatives within ``MIDDLE_BUDGET``), each round
    adds listings the earlier ones did not have, each alternative is its own condition
    (``any_alternative``), and the round with every alternative only fills up what the
    pre-rank keeps. The first two rounds' listings rank as with one round of every word; the
    total and the facets are the same."""
    from sociale_kaart.search import pg_backend

    _, postgres = pair
    monkeypatch.setattr(pg_backend, "PRERANK_LIMIT", 8)
    wanted = 10  # the pre-rank keeps at least the first page
    rounds: list[tuple[list, str]] = []
    read = pg_backend.PostgresEngine._in_index_order

    def recording(conn, statement, statement_args, ordered):
        rows = read(conn, statement, statement_args, ordered)
        rounds.append((rows, statement))
        return rows

    monkeypatch.setattr(pg_backend.PostgresEngine, "_in_index_order", staticmethod(recording))

    def by_budget(items, budget):
        strongest_first = sorted(items, key=lambda item: -item[1])
        return strongest_first[:1 if budget == pg_backend.CANDIDATE_BUDGET else 3]

    every_word, _ = _answer_with(monkeypatch, postgres, args, "essential_items",
                                 lambda items, budget: items, rounds)
    tiered, three_rounds = _answer_with(monkeypatch, postgres, args, "essential_items",
                                        by_budget, rounds)
    assert (tiered.total, tiered.facets) == (every_word.total, every_word.facets)
    assert every_word.total > 0
    found = [{row[0] for row in rows} for rows, _ in three_rounds]
    statements = [statement for _, statement in three_rounds]
    for i, earlier in enumerate(found):
        for later in found[i + 1:]:
            assert not earlier & later
    assert any(re.search(r"\(words @@ %\(p\d+\)s::tsquery OR words @@", statement)
               for statement in statements)
    stronger = set().union(*found[:2])
    if len(three_rounds) == 3:
        fill = int(re.search(r"LIMIT (\d+)\), top AS", statements[2]).group(1))
        assert fill == wanted - len(stronger) and len(found[2]) <= fill
    else:  # the first two already found what the pre-rank keeps
        assert len(three_rounds) == 2 and len(stronger) >= wanted
    # Fewer fill listings only make room: the stronger listings of the full answer's page
    # are on this page too, in the same order.
    full = [hit.id for hit in every_word.hits if hit.id in stronger]
    assert [hit.id for hit in tiered.hits if hit.id in stronger][:len(full)] == full


NOTHING_LEFT = [{"q": "eenzaam", "type": "privaat"}, {"q": "taal", "type": "privaat"},
                {"q": "eenzaam ouderen", "category": "geld", "type": "privaat"}]
FEW_LEFT = [{"q": "hulp", "type": "burgerinitiatief"}, {"q": "eenzaam", "category": "taal"},
            {"q": "mantelzorg", "type": "privaat", "municipality": "Altena"}]


def _count_first(monkeypatch, first: bool) -> None:
    """Whether the rounds of candidates see the count (``_Beside.finished``) as done before
    they go on: waited for, or never (a side thread's timing decides otherwise)."""
    from sociale_kaart.search import pg_backend

    def waited(self) -> bool:
        self._done.wait(30)
        return self._done.is_set() and self._error is None

    monkeypatch.setattr(pg_backend._Beside, "finished",
                        waited if first else (lambda self: False))


def _rounds_with_and_without_the_count(pair, monkeypatch, args):
    """The answer and the rounds of candidates (two at least: the strongest alternative,
    then every one) when the count is known after each round, and when it is not."""
    from sociale_kaart.search import pg_backend

    _, postgres = pair
    monkeypatch.setattr(pg_backend, "PRERANK_LIMIT", 8)
    rounds: list[list] = []
    read = pg_backend.PostgresEngine._in_index_order

    def recording(conn, statement, statement_args, ordered):
        rows = read(conn, statement, statement_args, ordered)
        rounds.append(rows)
        return rows

    monkeypatch.setattr(pg_backend.PostgresEngine, "_in_index_order", staticmethod(recording))
    strongest = lambda items, budget: sorted(items, key=lambda item: -item[1])[:1]  # noqa: E731
    _count_first(monkeypatch, False)
    expected, without = _answer_with(monkeypatch, postgres, args, "essential_items",
                                     strongest, rounds)
    _count_first(monkeypatch, True)
    found, with_count = _answer_with(monkeypatch, postgres, args, "essential_items",
                                     strongest, rounds)
    return expected, without, found, with_count


@pytest.mark.parametrize("args", NOTHING_LEFT, ids=[str(q) for q in NOTHING_LEFT])
def test_no_further_round_when_the_count_finds_nothing(pair, monkeypatch, args):
    """When the filters leave no listing with the words, the count (beside the rounds)
    says so before the next round: no further round builds its bitmaps for nothing, and
    the answer is the same empty one."""
    expected, without, found, with_count = _rounds_with_and_without_the_count(
        pair, monkeypatch, args)
    _assert_same_answer(found, expected)
    assert found.total == 0 and not found.hits
    assert len(without) >= 2 and len(with_count) == 1


@pytest.mark.parametrize("args", FEW_LEFT, ids=[str(q) for q in FEW_LEFT])
def test_rounds_stop_only_when_every_match_is_a_candidate(pair, monkeypatch, args):
    """A further round is left out only when the count says the earlier rounds have every
    listing the words match: the same hits, scores, total and facets as with every round,
    and after the last round run, no listing the words match is missing."""
    expected, without, found, with_count = _rounds_with_and_without_the_count(
        pair, monkeypatch, args)
    _assert_same_answer(found, expected)
    assert found.total > 0 and len(with_count) <= len(without)
    if len(with_count) < len(without):  # the rounds left out found nothing new
        assert not any(without[len(with_count):])


RELATED_AND_ROUNDS = [{"q": "eenzaam ouderen", "category": "geld"},
                      {"q": "hulp", "free": "1", "type": "voorziening"},
                      {"q": "eenzaam", "type": "activiteit"}]


@pytest.mark.parametrize("args", RELATED_AND_ROUNDS, ids=[str(q) for q in RELATED_AND_ROUNDS])
def test_the_related_needs_are_asked_for_after_the_rounds(pair, monkeypatch, args):
    """The related needs' statement (started beside the search) is waited for only after
    the last round of candidates, so it runs while the rounds do; when no side thread took
    it, the search does it then, after its rounds. The answer is the same."""
    from sociale_kaart.search import pg_backend

    _, postgres = pair
    monkeypatch.setattr(pg_backend, "PRERANK_LIMIT", 8)
    monkeypatch.setattr(pg_backend, "essential_items",
                        lambda items, budget: sorted(items, key=lambda item: -item[1])[:1])
    expected = _fresh_search(postgres, args)
    events: list[str] = []
    read, answer = pg_backend.PostgresEngine._in_index_order, pg_backend._Beside.answer

    def round_read(conn, statement, statement_args, ordered):
        events.append("round")
        return read(conn, statement, statement_args, ordered)

    def answered(self):
        events.append("beside")
        return answer(self)

    monkeypatch.setattr(pg_backend.PostgresEngine, "_in_index_order",
                        staticmethod(round_read))
    monkeypatch.setattr(pg_backend._Beside, "answer", answered)
    monkeypatch.setattr(pg_backend._Beside, "__call__", answered)
    monkeypatch.setattr(pg_backend, "_spare_connection", lambda pool: False)
    found = _fresh_search(postgres, args)
    _assert_same_answer(found, expected)
    assert events.count("round") >= 2 and "beside" in events
    last_round = len(events) - 1 - events[::-1].index("round")
    assert events.index("beside") > last_round


def test_the_first_search_freezes_what_lives_as_long_as_the_process(pair):
    """The gazetteer, the thesaurus and the planner's dictionaries (loaded by the first
    search) are kept out of the garbage collector's full collections (``gc.freeze``)."""
    import gc

    _, postgres = pair
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    _fresh_search(postgres, {"q": "hulp bij de administratie", "free": "1"})
    assert gc.get_freeze_count() > 10_000


def test_a_count_builds_one_bitmap_per_alternative(pair, monkeypatch):
    """The count and the facet sample of words that few listings have ask for each
    alternative separately (``any_alternative``), as the rounds of candidates do; the
    total is the one of a single tsquery (the Whoosh backend's)."""
    from sociale_kaart.search import pg_backend

    whoosh, postgres = pair
    counted: list[str] = []
    count_now = pg_backend.PostgresEngine._count_now

    def recording(self, conn, sql, where, part=None):
        counted.append(where)
        return count_now(self, conn, sql, where, part)

    monkeypatch.setattr(pg_backend.PostgresEngine, "_count_now", recording)
    args = {"q": "schuldhulp", "municipality": "Altena"}
    found = _fresh_search(postgres, args)
    assert found.total == _search(whoosh, args).total > 0
    assert counted and all(re.search(r"\(words @@ %\(p\d+\)s::tsquery OR words @@", where)
                           for where in counted)


FILTERED_BY_TYPE_OR_CATEGORY = [
    {"q": "hulp", "type": "voorziening"},
    {"q": "eenzaam", "category": "ontmoeting"},
    {"q": "geldzorgen", "type": "voorziening"},  # a related need (geld) within a type
    {"q": "hulp", "type": "voorziening", "category": "geld", "free": "1"},
    {"q": "mantelzorg", "type": ["voorziening", "activiteit"], "municipality": "Altena"},
    {"q": "sport", "category": ["ontmoeting", "gezondheid"], "near": "Gorinchem", "km": "25"},
    {"q": "administratie", "type": "cursus", "sort": "distance", "near": "Veghel"},
    {"q": "domestic violence", "type": "voorziening"},
    {"q": "schuldhulp", "type": "burgerinitiatief", "category": "taal"},  # none
]


@pytest.mark.parametrize("args", FILTERED_BY_TYPE_OR_CATEGORY,
                         ids=[str(a) for a in FILTERED_BY_TYPE_OR_CATEGORY])
def test_type_and_category_filters_go_with_the_words(pair, monkeypatch, args):
    """A text search with a type or category filter finds its candidates by the words and
    the filters' lexemes in one GIN condition (``words @@ (alternative & '#t:...')``), not
    through the type's or the categories' own index; the answer is the Whoosh backend's
    and the one with those filters on their columns."""
    from sociale_kaart.search import pg_backend

    whoosh, postgres = pair
    statements: list[str] = []
    in_index_order = pg_backend.PostgresEngine._in_index_order

    def recording(conn, statement, query_args, ordered):
        statements.append(statement)
        return in_index_order(conn, statement, query_args, ordered)

    monkeypatch.setattr(pg_backend.PostgresEngine, "_in_index_order",
                        staticmethod(recording))
    params = {"per_page": "10", **args}
    multi = MultiDict([(key, item) for key, value in params.items()
                       for item in (value if isinstance(value, list) else [value])])
    folded = SearchService(postgres.settings, postgres.db,
                           follow_commits=False).search(parse_params(multi))
    assert statements
    for statement in statements:
        assert "type = ANY(" not in statement and "categories &&" not in statement
        assert re.search(r"words @@ %\(p\d+\)s::tsquery", statement)
    expected = whoosh.search(parse_params(multi))
    monkeypatch.setattr(pg_backend, "_filter_words", lambda params: None)
    statements.clear()
    on_columns = SearchService(postgres.settings, postgres.db,
                               follow_commits=False).search(parse_params(multi))
    assert any("type = ANY(" in s or "categories &&" in s for s in statements)
    for answer in (expected, on_columns):
        assert [h.id for h in folded.hits] == [h.id for h in answer.hits]
        assert (folded.total, folded.facets) == (answer.total, answer.facets)


@pytest.mark.parametrize("args", [
    {"q": "hulp", "type": "voorziening", "category": "geld"},
    {"q": "informatie", "type": ["voorziening", "cursus"]},
    {"q": "hulp", "type": ["voorziening", "activiteit"], "category": "ontmoeting",
     "free": "1"},
])
def test_common_words_within_filters_read_the_filters_listings_by_their_lexemes(
        pair, monkeypatch, args):
    """Words so common that each listing the filters give is tested for them (``is_broad``):
    those listings come from the GIN index of the filters' lexemes (``_Folded.filtered``),
    not from the type's and the categories' own indexes; the same answer as with those."""
    from sociale_kaart.search import pg_backend

    whoosh, postgres = pair
    monkeypatch.setattr(pg_backend, "is_broad", lambda *_: True)
    monkeypatch.setattr(pg_backend, "candidates_in_order", lambda *_: True)
    # A first round of the strongest alternative alone, so that a round of every one follows.
    monkeypatch.setattr(pg_backend, "essential_items", lambda items, budget: items[:1])
    statements: list[str] = []
    in_index_order = pg_backend.PostgresEngine._in_index_order

    def recording(conn, statement, query_args, ordered):
        statements.append(statement)
        return in_index_order(conn, statement, query_args, ordered)

    monkeypatch.setattr(pg_backend.PostgresEngine, "_in_index_order",
                        staticmethod(recording))
    multi = MultiDict([(key, item) for key, value in {"per_page": "10", **args}.items()
                       for item in (value if isinstance(value, list) else [value])])
    folded = SearchService(postgres.settings, postgres.db,
                           follow_commits=False).search(parse_params(multi))
    in_order = [s for s in statements if "coalesce(words @@" in s]
    assert in_order and all("type = ANY(" not in s and "categories &&" not in s
                            for s in in_order)
    # Listings read in order only fill up the pre-rank: the first ones met, not 2,000.
    assert all(int(re.search(r"LIMIT (\d+)\)", s).group(1)) <= pg_backend.PRERANK_LIMIT
               for s in in_order)
    monkeypatch.setattr(pg_backend, "_filter_words", lambda params: None)
    on_columns = SearchService(postgres.settings, postgres.db,
                               follow_commits=False).search(parse_params(multi))
    assert folded.total > 0
    assert [h.id for h in folded.hits] == [h.id for h in on_columns.hits]
    assert (folded.total, folded.facets) == (on_columns.total, on_columns.facets)
    assert folded.total == whoosh.search(parse_params(multi)).total


def test_every_listing_has_its_filters_lexemes(pair):
    """Every listing's words hold its type and categories as lexemes (``FILTER_LEXEMES``);
    after a change too (``test_incremental_updates_follow_commits``)."""
    whoosh, postgres = pair
    with postgres.engine.connection() as conn:
        assert _filter_lexemes_wrong(conn) == 0
        assert conn.execute("SELECT count(*) FROM search.match WHERE tsvector_to_array(words)"
                            " @> ARRAY['#t:voorziening']").fetchone()[0] == conn.execute(
            "SELECT count(*) FROM search.match WHERE type = 'voorziening'").fetchone()[0] > 0


def _filter_lexemes_wrong(conn) -> int:
    """Listings whose words lack their type's lexeme or hold other category lexemes than
    their categories."""
    return conn.execute(
        "SELECT count(*) FROM search.match WHERE (type IS NOT NULL AND NOT "
        "tsvector_to_array(words) @> ARRAY['#t:' || type]) OR ARRAY(SELECT DISTINCT w FROM "
        "unnest(tsvector_to_array(words)) w WHERE w LIKE '#c:%' ORDER BY w) <> ARRAY("
        "SELECT DISTINCT '#c:' || c FROM unnest(categories) c ORDER BY 1)").fetchone()[0]


class _Recording:
    """A psycopg connection that notes every statement it is given."""

    def __init__(self, conn, statements: list[str]) -> None:
        self._conn, self._statements = conn, statements

    def execute(self, statement, *args, **kwargs):
        self._statements.append(str(statement))
        return self._conn.execute(statement, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._conn, name)


@pytest.mark.parametrize("args", [
    {"q": "", "type": "burgerinitiatief", "category": "taal"},  # no such listing
    {"q": "", "type": "privaat", "category": "dementie", "sort": "start_date"},
    {"q": "", "type": "cursus"}, {"q": "", "category": "geld", "page": "2"},
    {"q": "", "type": "cursus", "page": "9"},  # beyond the last page
])
def test_browsing_a_few_listings_sorts_them_without_the_name_index(pair, monkeypatch,
                                                                     args):
    """Browsing with filters that leave a few listings (an exact count) finds them through
    the filters and sorts them, instead of reading the name index in order until the page
    is full (which, when none or almost none pass, reads every listing); when the count
    says the page is empty, no page is asked for. The answer is the Whoosh backend's."""
    from sociale_kaart.search import pg_backend

    whoosh, postgres = pair
    statements: list[str] = []
    search = pg_backend.PostgresEngine._search
    monkeypatch.setattr(pg_backend.PostgresEngine, "_search",
                        lambda self, conn, params, pending=None: search(
                            self, _Recording(conn, statements), params, pending))
    found, expected = _fresh_search(postgres, args), _search(whoosh, args)
    assert [h.id for h in found.hits] == [h.id for h in expected.hits]
    assert (found.total, found.facets) == (expected.total, expected.facets)
    pages = [i for i, statement in enumerate(statements) if "LIMIT 10 OFFSET" in statement]
    start = (int(args.get("page", 1)) - 1) * 10
    if found.total <= start:
        assert pages == []
    else:
        assert len(pages) == 1 and found.hits
        assert statements[pages[0] - 1] == "SET LOCAL enable_indexscan = off"
    if args.get("type") == "burgerinitiatief":
        assert found.total == 0


def test_near_row_by_row_when_the_place_outnumbers_the_words():
    from sociale_kaart.search.params import SearchParams
    from sociale_kaart.search.pg_backend import NEAR_ROW_COST, NL_LAND_KM2, PostgresEngine

    def chosen(total: int):
        return [("'n:a'", 1.0, total // 2), ("'d:a'", 0.5, total - total // 2)]

    near = SearchParams(q="a", near="Gorinchem", km=25.0)
    within = 1_000_000 * 3.14159 * 25 * 25 / NL_LAND_KM2  # about 58,000
    assert PostgresEngine._near_row_by_row(near, 1_000_000, chosen(2000))
    assert not PostgresEngine._near_row_by_row(near, 1_000_000,
                                               chosen(int(within / NEAR_ROW_COST) + 10))
    assert not PostgresEngine._near_row_by_row(near, 10_000, chosen(2000))  # few listings
    close = SearchParams(q="a", near="Gorinchem", km=3.0)  # about 840 within 3 km
    assert not PostgresEngine._near_row_by_row(close, 1_000_000, chosen(2000))


def test_a_search_does_its_side_work_itself_when_no_connection_comes(pair, monkeypatch):
    """When a side thread cannot get a connection (a pool given away after all), the
    search does not wait for it: it does that work itself, on its own connection."""
    import threading
    from contextlib import contextmanager

    from sociale_kaart.search import pg_backend

    _, postgres = pair
    args = {"q": "hulp bij de administratie", "near": "Werkendam", "km": "25"}
    expected = _fresh_search(postgres, args)
    release = threading.Event()

    @contextmanager
    def no_connection(self):
        release.wait(30)
        raise TimeoutError("QueuePool limit reached")
        yield  # pragma: no cover

    monkeypatch.setattr(pg_backend.PostgresEngine, "_side_connection", no_connection)
    try:
        result = _fresh_search(postgres, args)
    finally:
        release.set()
    assert [h.id for h in result.hits] == [h.id for h in expected.hits]
    assert (result.total, result.facets) == (expected.total, expected.facets)


def test_an_older_schema_is_upgraded_in_place_without_a_rebuild(postgres_url, tmp_path):  # noqa: F811
    """Search tables of schema version 3 (with an index on cost, without the filters'
    lexemes in ``words``) are brought to the current version step by step: that index
    dropped, every listing's type and categories added to its words. The next start rebuilds
    nothing and finds the same listings, with and without filters."""
    from sociale_kaart.search.pg_schema import PG_SCHEMA_VERSION

    service, db = _service(tmp_path / "a", database_url=postgres_url,
                           search_backend="postgres")
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    searches = [{"q": "hulp", "free": "1"}, {"q": "hulp", "type": "voorziening"},
                {"q": "eenzaam", "category": "ontmoeting"},
                {"q": "geld", "type": "voorziening", "category": "geld"}]
    before = [_search(service, args) for args in searches]
    with service.engine.connection() as conn:
        conn.execute("CREATE INDEX match_cost ON search.match (cost)")
        conn.execute("UPDATE search.match SET words = ts_delete(words, ARRAY("
                     "SELECT w FROM unnest(tsvector_to_array(words)) w WHERE w LIKE '#%'))")
        conn.execute("UPDATE search.stats SET version = 3")
        generation = conn.execute("SELECT generation FROM search.stats").fetchone()[0]
        conn.commit()
    started, _ = _service(tmp_path / "b", database_url=postgres_url, search_backend="postgres")
    started.ensure_index()  # as ``serve`` and every command that searches do on start
    with started.engine.connection() as conn:
        version, after_generation = conn.execute(
            "SELECT version, generation FROM search.stats").fetchone()
        indexes = {r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'search'")}
        wrong = _filter_lexemes_wrong(conn)
    assert version == PG_SCHEMA_VERSION
    assert after_generation == generation  # not rebuilt
    assert {"match_cost"} & indexes == set() and "match_words" in indexes
    assert wrong == 0
    for args, earlier in zip(searches, before, strict=True):
        again = _search(started, args)
        assert earlier.total > 0, args
        assert [h.id for h in again.hits] == [h.id for h in earlier.hits], args
        assert again.total == earlier.total, args


def test_nodes_starting_together_upgrade_once(postgres_url, tmp_path, caplog):  # noqa: F811
    """Two web nodes that start at once on version-4 tables: one upgrades them in place, the
    other waits for it and finds them current; both go on without a rebuild."""
    import logging
    import threading

    service, db = _service(tmp_path / "a", database_url=postgres_url,
                           search_backend="postgres")
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    with service.engine.connection() as conn:
        conn.execute("UPDATE search.match SET words = ts_delete(words, ARRAY("
                     "SELECT w FROM unnest(tsvector_to_array(words)) w WHERE w LIKE '#%'))")
        conn.execute("UPDATE search.stats SET version = 4")
        conn.commit()
    nodes = [_service(tmp_path / name, database_url=postgres_url,
                      search_backend="postgres")[0] for name in ("b", "c")]
    answers: list[bool] = []
    start = threading.Barrier(len(nodes))

    def starting(node) -> None:
        start.wait()
        answers.append(node.engine.needs_rebuild())

    with caplog.at_level(logging.INFO, logger="sociale_kaart.search.pg_backend"):
        threads = [threading.Thread(target=starting, args=(node,)) for node in nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert answers == [False, False]
    assert sum("upgraded in place" in r.getMessage() for r in caplog.records) == 1
    with service.engine.connection() as conn:
        assert _filter_lexemes_wrong(conn) == 0
        assert conn.execute("SELECT count(*) FROM search.match").fetchone()[0] == 150


@pytest.mark.parametrize("args", [{"q": "", "free": "1"}, {"q": "", "type": "voorziening"},
                                  {"q": "", "near": "Gorinchem", "km": "25", "free": "1"}])
def test_a_count_goes_on_where_its_first_pass_stopped(pair, monkeypatch, args):
    """A count whose first pass neither finishes nor settles an estimate reads on after the
    last row it saw: the total is still exact."""
    from sociale_kaart.search import pg_backend

    _, postgres = pair
    exact = _fresh_search(postgres, args)
    assert exact.total > 5 and not exact.extra["total_estimated"]
    monkeypatch.setattr(pg_backend, "PROBE_LIMIT", 5)
    monkeypatch.setattr(pg_backend, "PROBE_MARGIN", 10_000)
    passes = []
    real = pg_backend.PostgresEngine._count_pass

    def counting(self, conn, sql, where, part, limit, after=None):
        passes.append(after)
        return real(self, conn, sql, where, part, limit, after)

    monkeypatch.setattr(pg_backend.PostgresEngine, "_count_pass", counting)
    result = _fresh_search(postgres, args)
    assert passes[0] is None and passes[1] is not None  # the second pass went on
    assert (result.total, result.extra["total_estimated"]) == (exact.total, False)
    assert [h.id for h in result.hits] == [h.id for h in exact.hits]


def test_a_long_query_pre_ranks_like_a_short_one(pair, monkeypatch):
    """Beyond CASE_PRERANK_LIMIT alternatives the pre-rank is summed by a subquery (a sum
    of thousands of terms is too deep for PostgreSQL); the ranking is the same."""
    from sociale_kaart.search import pg_backend

    _, postgres = pair
    args = {"q": "hulp bij de administratie en schulden voor ouderen", "per_page": "20"}
    monkeypatch.setattr(pg_backend, "PRERANK_LIMIT", 8)
    with_case = _fresh_search(postgres, args)
    monkeypatch.setattr(pg_backend, "CASE_PRERANK_LIMIT", 3)
    summed = _fresh_search(postgres, args)
    assert with_case.total > 8
    assert [h.id for h in summed.hits] == [h.id for h in with_case.hits]
    assert summed.total == with_case.total
    long_query = " ".join(["hulp schulden administratie ouderen eenzaam vervoer"] * 12)
    assert _search(postgres, {"q": long_query[:500]}).total > 0


def test_a_rebuild_swaps_in_vacuumed_tables_and_two_rebuilds_take_turns(postgres_url,  # noqa: F811
                                                                        tmp_path):
    """The new search tables are vacuumed (visibility map, frozen rows, statistics) before
    they go live, so autovacuum does not rewrite them under the first searches; two
    rebuilds started at once take turns and leave one complete index, one generation each."""
    import threading

    service, db = _service(tmp_path / "a", database_url=postgres_url,
                           search_backend="postgres")
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    searches = [{"q": "hulp"}, {"q": "eenzaam", "category": "ontmoeting"},
                {"q": "", "near": "Gorinchem", "km": "10"}]
    before = [_search(service, args) for args in searches]
    with service.engine.connection() as conn:
        generation, docs = conn.execute("SELECT generation, docs FROM search.stats").fetchone()
    nodes = [service, _service(tmp_path / "b", database_url=postgres_url,
                               search_backend="postgres")[0]]
    start = threading.Barrier(len(nodes))
    errors: list[BaseException] = []

    def rebuilding(node) -> None:
        start.wait()
        try:
            node.rebuild()
        except BaseException as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=rebuilding, args=(node,)) for node in nodes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    with service.engine.connection() as conn:
        pages = {row[0]: row[1:] for row in conn.execute(
            "SELECT relname, relpages, relallvisible, age(relfrozenxid) < 1000, "
            "reltuples > 0 FROM pg_class WHERE relnamespace = 'search'::regnamespace "
            "AND relname IN ('document', 'match', 'term')")}
        building = conn.execute("SELECT to_regnamespace('search_build')").fetchone()[0]
        after = conn.execute("SELECT generation, docs FROM search.stats").fetchone()
    for name in ("document", "match", "term"):
        relpages, all_visible, frozen, counted = pages[name]
        assert relpages > 0 and all_visible == relpages and frozen and counted, (name,
                                                                                pages[name])
    assert building is None
    assert after == (generation + 2, docs)
    for args, earlier in zip(searches, before, strict=True):
        again = _search(service, args)
        assert [h.id for h in again.hits] == [h.id for h in earlier.hits], args
        assert again.total == earlier.total > 0, args


def test_a_snapshot_held_during_the_rebuilds_vacuum_only_delays_it(postgres_url,  # noqa: F811
                                                                  tmp_path):
    """A transaction elsewhere in the cluster that is older than the new tables (here held
    on purpose; in life an autovacuum worker's ANALYZE or another process's short
    transaction) keeps the first VACUUM from marking any page all-visible. The rebuild
    vacuums again once it is gone, so the tables still go live with a complete visibility
    map instead of being rewritten by autovacuum under the first searches."""
    import threading

    import psycopg

    from sociale_kaart.search import pg_backend

    service, db = _service(tmp_path / "a", database_url=postgres_url,
                           search_backend="postgres")
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    holder = psycopg.connect(postgres_url.replace("+psycopg", ""))
    holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    holder.execute("SELECT 1")  # its snapshot is now older than the rebuild's tables
    built = pg_backend.PostgresEngine._build
    released = threading.Event()

    def build_then_release_soon(self, *args, **kwargs):
        count = built(self, *args, **kwargs)
        threading.Timer(0.3, lambda: (holder.rollback(), released.set())).start()
        return count

    pg_backend.PostgresEngine._build = build_then_release_soon
    try:
        service.rebuild()
    finally:
        pg_backend.PostgresEngine._build = built
        released.wait(5)
        holder.close()
    with service.engine.connection() as conn:
        pages = dict(conn.execute(
            "SELECT relname, relallvisible = relpages AND relpages > 0 FROM pg_class "
            "WHERE relnamespace = 'search'::regnamespace AND relname IN "
            "('document', 'match', 'term')").fetchall())
    assert pages == {"document": True, "match": True, "term": True}
    assert released.is_set()
    db.dispose()
