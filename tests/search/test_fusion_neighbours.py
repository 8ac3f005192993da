"""The fusion's neighbour rule, one row per rule: among the best candidates, a listing that
resembles one of the very best others (not itself) gains up to the neighbour weight of its score.

Vectors are unit vectors in a plane, given by their angle in degrees, so the likeness of two
listings is the cosine of the angle between them. The similarities to the query stay below the
floor (no semantic share), so the fused score before the rule is the lexical score.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from conftest import SAMPLE_JSON
from kit_semantic import FakeEmbedder, install_fake

from sociale_kaart.search import SearchService
from sociale_kaart.search.fusion import FusionConfig, fuse
from sociale_kaart.search.semantic import Similarities
from sociale_kaart.services.imports import import_paths

NAN = math.nan
CONFIG = FusionConfig(neighbour_weight=0.8, neighbour_references=1, neighbour_window=150)


def _vectors(angles: list[float | None]) -> np.ndarray:
    return np.array([[0.0, 0.0] if a is None else
                     [math.cos(math.radians(a)), math.sin(math.radians(a))] for a in angles],
                    dtype=np.float32)


CASES = [
    # (rule, lexical, matched, similarity, angles, config changes, expected factor per listing)
    ("the listing most like the best gains the full weight, the least like it nothing",
     [3.0, 1.0, 1.05], [1, 1, 1], [0.5, 0.5, 0.5], [0, 10, 80], {}, [1.0, 1.8, 1.0]),
    ("references are compared with the other references, never with themselves",
     [3.0, 2.0, 1.0, 0.5], [1, 1, 1, 1], [0.5] * 4, [0, 5, 90, 85],
     {"neighbour_references": 3}, [1.8, 1.8, 1.0, 1.8]),
    ("a listing without a vector keeps its score and does not count",
     [3.0, 1.0, 1.0, 1.0], [1, 1, 1, 1], [0.5, 0.5, NAN, 0.5], [0, 10, None, 80], {},
     [1.0, 1.8, 1.0, 1.0]),
    ("the weight sets the gain",
     [3.0, 1.0, 1.05], [1, 1, 1], [0.5, 0.5, 0.5], [0, 10, 80], {"neighbour_weight": 0.4},
     [1.0, 1.4, 1.0]),
    ("weight 0 turns the rule off",
     [3.0, 1.0, 1.05], [1, 1, 1], [0.5, 0.5, 0.5], [0, 10, 80], {"neighbour_weight": 0.0},
     [1.0, 1.0, 1.0]),
    ("only the best candidates (the window) are touched",
     [3.0, 2.0, 1.5, 1.0], [1, 1, 1, 1], [0.5] * 4, [0, 80, 10, 5], {"neighbour_window": 3},
     [1.0, 1.0, 1.8, 1.0]),
    ("all equally alike: nothing changes",
     [3.0, 1.0, 1.05], [1, 1, 1], [0.5, 0.5, 0.5], [0, 20, 20], {}, [1.0, 1.0, 1.0]),
    ("a listing found by meaning alone is a candidate like any other",
     [3.0, 1.0, 0.0], [1, 1, 0], [0.80, 0.80, 0.95], [0, 80, 10], {}, [1.0, 1.0, 1.8]),
]


@pytest.mark.parametrize(("rule", "lexical", "matched", "similarity", "angles", "changes",
                          "factors"), CASES, ids=[c[0] for c in CASES])
def test_neighbour_rule(rule, lexical, matched, similarity, angles, changes, factors):
    config = replace(CONFIG, **changes)
    vectors = _vectors(angles)
    args = (np.array(lexical, dtype=np.float32), np.array(matched, dtype=bool),
            np.array(similarity, dtype=np.float32), np.ones(len(lexical), dtype=bool))
    before = fuse(*args, trusted=True, foreign=False, config=config)
    after = fuse(*args, trusted=True, foreign=False, config=config,
                 vectors=lambda docs: vectors[docs])
    assert after.mask.tolist() == before.mask.tolist(), rule  # never adds or removes one
    assert np.all(before.scores[before.mask] > 0), rule
    assert (after.scores / np.where(before.mask, before.scores, 1.0)).tolist() == \
        pytest.approx(factors, abs=1e-5), rule


def test_the_rule_applies_to_queries_in_other_languages_too():
    vectors = _vectors([0, 10, 80])
    args = (np.array([3.0, 1.0, 1.05], dtype=np.float32), np.ones(3, dtype=bool),
            np.array([0.5, 0.5, 0.5], dtype=np.float32), np.ones(3, dtype=bool))
    result = fuse(*args, trusted=True, foreign=True, config=CONFIG,
                  vectors=lambda docs: vectors[docs])
    assert [int(d) for d in np.argsort(-result.scores)] == [0, 1, 2]


def test_the_index_similarities_carry_their_vectors():
    """``SemanticIndex.similarities`` returns a :class:`Similarities`: fusing it applies the
    rule without another argument (both backends pass it straight on); a plain array or one
    derived from it (whose positions may differ) skips the rule."""
    vectors = _vectors([0, 10, 80])
    rows = np.array([2, 0, 1])  # document i's vector is row rows[i] of the matrix
    matrix = np.empty_like(vectors)
    matrix[rows] = vectors
    plain = np.array([0.5, 0.5, 0.5], dtype=np.float32)
    similarity = Similarities.of(plain.copy(), matrix, rows)
    args = (np.array([3.0, 1.0, 1.05], dtype=np.float32), np.ones(3, dtype=bool))
    allowed = np.ones(3, dtype=bool)
    carried = fuse(*args, similarity, allowed, trusted=True, foreign=False, config=CONFIG)
    explicit = fuse(*args, plain, allowed, trusted=True, foreign=False, config=CONFIG,
                    vectors=lambda docs: vectors[docs])
    without = fuse(*args, plain, allowed, trusted=True, foreign=False, config=CONFIG)
    assert carried.scores.tolist() == explicit.scores.tolist()
    assert carried.scores.tolist() != without.scores.tolist()
    assert similarity.vectors_of(np.array([1, 2])).tolist() == vectors[[1, 2]].tolist()
    assert (similarity * 1.0).vectors_of is None and similarity[:2].vectors_of is None


def test_the_search_service_hands_the_vectors_and_the_setting_on(settings, db, tmp_path,
                                                                 monkeypatch):
    install_fake(monkeypatch, FakeEmbedder())
    settings.semantic_neighbour_weight = 0.5
    search = SearchService(settings, db)
    assert search.engine.fusion.neighbour_weight == 0.5
    records = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))[:6]
    path = tmp_path / "some.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    import_paths(db, [path], load_plugins=False)
    search.embed_missing()
    ids = [r["id"] for r in records] + ["not-a-listing"]
    query = FakeEmbedder().embed_query(records[0]["name"])
    similarity = search.semantic.similarities(ids, object(), query)
    known = np.nonzero(~np.isnan(similarity))[0]
    assert len(known) >= 2 and np.isnan(similarity[-1])
    found = similarity.vectors_of(known)
    assert found @ query == pytest.approx(np.asarray(similarity)[known], abs=1e-5)
    assert np.linalg.norm(found, axis=1) == pytest.approx(np.ones(len(known)), abs=1e-2)
