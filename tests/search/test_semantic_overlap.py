"""Embedding a new query while the lexical part runs changes nothing in the results.

``WhooshEngine.search`` starts the query's embedding in the background, scores the words and
the thesaurus expansions, and only then takes the vector: the thesaurus phrases it bridges to
are scored afterwards and added. Before, the search waited for the vector and bridged first.
Each case below searches the sample data both ways (``overlap_query_embedding`` False, then
True), with the query's vector not cached, and compares everything a caller sees.

The model is the test kit's bag-of-words fake, with every thesaurus phrase embedded, so many
queries bridge to phrases; a second fusion configuration bridges Dutch queries too and with a
low floor, so the bridged path is taken by many cases (checked by the last tests).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import REFERENCE_DATE, SAMPLE, SAMPLE_JSON
from kit_semantic import FakeEmbedder, install_fake
from werkzeug.datastructures import MultiDict

from sociale_kaart.config import load_settings
from sociale_kaart.db import Database
from sociale_kaart.search import SearchService
from sociale_kaart.search.params import parse_params
from sociale_kaart.services.imports import import_paths

#: (case, query parameters): Dutch and foreign phrasings, typos, places, filters, paging.
CASES = [
    ("dutch keyword", {"q": "voedselbank"}),
    ("dutch natural", {"q": "ik kan mijn rekeningen niet meer betalen"}),
    ("dutch synonym", {"q": "buddy voor mijn vader"}),
    ("dutch typo", {"q": "budgetcouch"}),
    ("dutch compound", {"q": "mantelzorgtraining"}),
    ("dutch place", {"q": "koffie drinken in Woudrichem"}),
    ("dutch with filter", {"q": "hulp bij schulden", "type": "cursus"}),
    ("dutch near", {"q": "eenzaamheid", "near": "Schijndel", "km": "15"}),
    ("dutch second page", {"q": "hulp", "page": "2"}),
    ("dutch sorted by name", {"q": "ouderen", "sort": "name"}),
    ("english", {"q": "domestic violence help"}),
    ("english natural", {"q": "my mother forgets everything and gets lost"}),
    ("english with filter", {"q": "food bank", "free": "1"}),
    ("german", {"q": "Hilfe bei Schulden und Rechnungen"}),
    ("polish", {"q": "pomoc przy długach"}),
    ("turkish", {"q": "gıda bankası"}),
    ("arabic", {"q": "مساعدة في الديون"}),
    ("ukrainian", {"q": "курси нідерландської мови"}),
    ("french", {"q": "cours de néerlandais pour adultes"}),
    ("nonsense", {"q": "qwxzv plmokn"}),
    ("stop words only", {"q": "de het een"}),
    ("place only", {"q": "Woudrichem"}),
]

#: The public sample queries (natural, keyword, typo, English, place, filter ...) as well.
SAMPLE_QUERIES = [(f"sample {row['qid']}", {"q": row["q"]}) for row in map(
    json.loads, (SAMPLE / "queries.jsonl").read_text(encoding="utf-8").splitlines()) if row]

#: Bridging as configured, and bridging every language from a low floor (the fake's vectors
#: are less similar than a real model's).
CONFIGS = {"default": {}, "bridge everything": {"bridge_floor": 0.3, "bridge_weight": 0.5,
                                                "bridge_limit": 5}}


@pytest.fixture(scope="module")
def sample_search(tmp_path_factory):
    """The sample data with the fake model's vectors for every listing and phrase."""
    folder = tmp_path_factory.mktemp("overlap") / "instance"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
        install_fake(patch, FakeEmbedder(), with_phrases=True)
        settings = load_settings(folder, today=REFERENCE_DATE)
        db = Database(settings.database_url)
        db.upgrade()
        search = SearchService(settings, db)
        import_paths(db, [SAMPLE_JSON], load_plugins=False)
        search.embed_missing()
        search.semantic.budget_ms = None  # never answer lexically for lack of time here
        yield search
    db.dispose()


def _seen(search: SearchService, args: dict, overlap: bool) -> dict:
    """Everything a caller sees of one search, for a query seen for the first time."""
    search.engine.overlap_query_embedding = overlap
    search.semantic.forget_queries()
    result = search.search(parse_params(MultiDict(args)))
    return {"total": result.total, "hits": [(h.id, h.score, h.distance_km, h.comes_to_you,
                                             h.why) for h in result.hits],
            "facets": result.facets, "suggestion": result.suggestion, "extra": result.extra,
            "bridged": result.plan.bridged if result.plan else None,
            "categories": result.plan.categories if result.plan else None}


@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize(("case", "args"), CASES + SAMPLE_QUERIES,
                         ids=[case for case, _ in CASES + SAMPLE_QUERIES])
def test_overlapping_the_embedding_gives_the_same_results(sample_search, config, case, args):
    engine = sample_search.engine
    default = engine.fusion
    engine.fusion = replace(default, **CONFIGS[config])
    try:
        before = _seen(sample_search, args, overlap=False)
        after = _seen(sample_search, args, overlap=True)
    finally:
        engine.fusion = default
        engine.overlap_query_embedding = True
    assert after == before, case


def test_most_cases_bridge_so_the_comparison_means_something(sample_search):
    engine = sample_search.engine
    default = engine.fusion
    engine.fusion = replace(default, **CONFIGS["bridge everything"])
    try:
        bridged = [case for case, args in CASES + SAMPLE_QUERIES
                   if _seen(sample_search, args, overlap=True)["bridged"]]
    finally:
        engine.fusion = default
    assert len(bridged) >= 10, bridged


def test_foreign_queries_bridge_with_the_default_configuration(sample_search):
    bridged = [case for case, args in CASES[10:19]
               if _seen(sample_search, args, overlap=True)["bridged"]]
    assert bridged, "no foreign query was bridged: the comparison would not cover bridging"
