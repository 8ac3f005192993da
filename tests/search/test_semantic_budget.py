"""The time budget for a query's vector: a search never waits long for the model.

A query whose vector is cached is hybrid; when the model is slow, busy, failing or missing the
search answers lexically at once (no exception), and a slow embedding still finishes in the
background so the same query is hybrid next time. "Slow" is a model that waits on an event the
test controls, so nothing here depends on the machine's speed.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import numpy as np
import pytest
from conftest import SAMPLE_JSON
from kit_semantic import FakeEmbedder, install_fake
from werkzeug.datastructures import MultiDict

from sociale_kaart.search import SearchService
from sociale_kaart.search.params import parse_params
from sociale_kaart.search.semantic import MAX_PENDING_QUERIES, SemanticIndex
from sociale_kaart.services.imports import import_paths


class BlockedEmbedder(FakeEmbedder):
    """Embeds only after ``release`` is set: a model stuck behind a busy CPU or lock."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def embed_query(self, text: str) -> np.ndarray:
        self.release.wait(30)
        return super().embed_query(text)


class BrokenEmbedder(FakeEmbedder):
    def embed_query(self, text: str) -> np.ndarray:
        raise RuntimeError("the model crashed")


def _index(embedder, budget_ms) -> SemanticIndex:
    return SemanticIndex(db=None, model_name=FakeEmbedder.name, dim=FakeEmbedder.dim,
                         embedder_factory=lambda: embedder, budget_ms=budget_ms)


@pytest.mark.parametrize(("case", "budget_ms", "expect_vector"), [
    ("quick model, no budget", None, True),
    ("quick model, generous budget", 10_000, True),
    ("model stuck, small budget", 20, False),
    ("model stuck, zero budget", 0, False),
    ("model raises", 10_000, False),
    ("no model", 10_000, False),
])
def test_query_vector_within_the_budget(case, budget_ms, expect_vector):
    embedder = {"model stuck, small budget": BlockedEmbedder(),
                "model stuck, zero budget": BlockedEmbedder(),
                "model raises": BrokenEmbedder(), "no model": None}.get(case, FakeEmbedder())
    index = _index(embedder, budget_ms)
    vector = index.query_vector("hulp bij schulden")
    assert (vector is not None) == expect_vector, case
    if isinstance(embedder, BlockedEmbedder):
        embedder.release.set()


def test_a_cached_vector_is_used_even_with_a_zero_budget():
    embedder = FakeEmbedder()
    index = _index(embedder, None)
    first = index.query_vector("Hulp bij  schulden")
    index.budget_ms = 0
    assert np.array_equal(index.query_vector("hulp bij schulden"), first)
    assert embedder.queries == ["hulp bij schulden"]  # embedded once


def test_a_slow_embedding_finishes_in_the_background_for_the_next_time():
    embedder = BlockedEmbedder()
    index = _index(embedder, 10)
    assert index.query_vector("eenzaamheid") is None
    assert index.query_vector("eenzaamheid") is None  # still running: not queued twice
    assert index.pending_queries() == 1
    embedder.release.set()
    vector = index.query_vector("eenzaamheid", budget_ms=None)
    assert vector is not None
    assert embedder.queries == ["eenzaamheid"]


def test_a_busy_model_does_not_collect_a_queue():
    embedder = BlockedEmbedder()
    index = _index(embedder, 0)
    for n in range(MAX_PENDING_QUERIES + 3):
        assert index.query_vector(f"vraag {n}") is None
    assert index.pending_queries() == MAX_PENDING_QUERIES
    embedder.release.set()


def test_similarities_only_for_the_candidates():
    index = _index(FakeEmbedder(), None)
    vectors = np.eye(FakeEmbedder.dim, dtype=np.float32)[:3]
    for n, vector in enumerate(vectors):
        index._put(f"s{n}", vector)
    index.version += 1
    within = np.array([True, False, True, True])
    sims = index.similarities(["s0", "s1", "s2", "missing"], object(), vectors[2], within=within)
    assert sims[0] == 0.0 and sims[2] == pytest.approx(1.0)
    assert np.isnan(sims[1]) and np.isnan(sims[3])  # filtered out; no vector


@pytest.mark.parametrize(("case", "hybrid"), [("cached", True), ("stuck", False),
                                              ("broken", False)])
def test_search_answers_lexically_when_the_model_is_slow(settings, db, tmp_path, monkeypatch,
                                                         case, hybrid):
    embedder = {"stuck": BlockedEmbedder(), "broken": BrokenEmbedder()}.get(case, FakeEmbedder())
    install_fake(monkeypatch, embedder)
    settings.semantic_budget_ms = 10
    records = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))[:12]
    path = tmp_path / "some.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    search = SearchService(settings, db)
    import_paths(db, [path], load_plugins=False)
    search.embed_missing()
    assert len(search.semantic) > 0
    query = records[0]["name"]
    if case == "cached":
        search.semantic.query_vector(query, budget_ms=None)
    lexical = SearchService(replace(settings, semantic="off"), db, follow_commits=False)
    result = search.search(parse_params(MultiDict({"q": query})))
    assert result.extra["semantic"] is hybrid
    assert result.total > 0
    if not hybrid:
        expected = lexical.search(parse_params(MultiDict({"q": query})))
        assert [h.id for h in result.hits] == [h.id for h in expected.hits]
    if isinstance(embedder, BlockedEmbedder):
        embedder.release.set()


def test_a_vector_that_arrived_during_the_lexical_work_is_used_after_the_budget():
    """The budget counts from the start of the search; a vector that is ready by the time the
    search asks for it is used even when the budget has run out meanwhile."""
    embedder = BlockedEmbedder()
    index = _index(embedder, 0)
    pending = index.start_query("eenzaamheid")
    embedder.release.set()
    index.query_vector("eenzaamheid", budget_ms=None)  # waits until the embedding is done
    assert pending.result() is not None


def test_a_vector_still_on_its_way_after_the_budget_is_not_waited_for():
    embedder = BlockedEmbedder()
    index = _index(embedder, 0)
    pending = index.start_query("eenzaamheid")
    assert pending.result() is None
    embedder.release.set()
    assert index.query_vector("eenzaamheid", budget_ms=None) is not None
