"""The fusion rules of the hybrid ranking, one row per rule (pure numpy, no model)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sociale_kaart.search.fusion import FusionConfig, fuse

NAN = math.nan
CONFIG = FusionConfig(semantic_weight=0.5, floor=0.80, margin=0.05, foreign_lexical_weight=0.3,
                      foreign_semantic_weight=1.0, foreign_margin=0.05)

# Four documents. Columns: lexical score, lexical match, similarity, allowed by filters/rules.
CASES = [
    # (rule, lexical, matched, similarity, allowed, trusted, foreign, expected order, returned)
    ("lexical only when nobody has a vector",
     [2.0, 1.0, 0, 0], [1, 1, 0, 0], [NAN, NAN, NAN, NAN], [1, 1, 1, 1], True, False,
     [0, 1], {0, 1}),
    ("meaning adds a listing above the floor and near the best",
     [2.0, 0, 0, 0], [1, 0, 0, 0], [0.70, 0.90, 0.79, 0.83], [1, 1, 1, 1], True, False,
     [0, 1], {0, 1}),
    ("meaning re-orders lexical matches",
     [1.0, 1.0, 0, 0], [1, 1, 0, 0], [0.70, 0.90, NAN, NAN], [1, 1, 1, 1], True, False,
     [1, 0], {0, 1}),
    ("filters and rules hold for meaning too",
     [2.0, 0, 0, 0], [1, 0, 0, 0], [0.70, 0.95, 0.93, NAN], [1, 0, 1, 1], True, False,
     [0, 2], {0, 2}),
    ("lexical gating: a random string never gets results by meaning alone",
     [0, 0, 0, 0], [0, 0, 0, 0], [0.95, 0.95, 0.95, 0.95], [1, 1, 1, 1], False, False,
     [], set()),
    ("a recognised language may be answered by meaning alone",
     [0, 0, 0, 0], [0, 0, 0, 0], [0.84, 0.90, 0.70, NAN], [1, 1, 1, 1], True, True,
     [1], {1}),
    ("a query in another language may not enter far below the best either",
     [0, 0, 0, 0], [0, 0, 0, 0], [0.81, 0.95, 0.93, NAN], [1, 1, 1, 1], True, True,
     [1, 2], {1, 2}),
    ("the similarity floor holds even for the best listing",
     [0, 0, 0, 0], [0, 0, 0, 0], [0.75, 0.78, 0.70, NAN], [1, 1, 1, 1], True, True,
     [], set()),
    ("a stray foreign-word match does not outweigh meaning",
     [5.0, 0, 0, 0], [1, 0, 0, 0], [0.70, 0.92, NAN, NAN], [1, 1, 1, 1], True, True,
     [1, 0], {0, 1}),
    ("the same stray match wins for a Dutch query (full lexical weight)",
     [5.0, 0, 0, 0], [1, 0, 0, 0], [0.70, 0.92, NAN, NAN], [1, 1, 1, 1], True, False,
     [0, 1], {0, 1}),
    # floor = max(0.80, 0.89 - 0.05) = 0.84; entry on meaning alone: at least 0.89 - 0.02
    ("meaning alone admits only listings very close to the best (3 stays out); a match by "
     "the words still gains from a similarity below that line (0 above 1)",
     [2.0, 2.0, 0, 0], [1, 1, 0, 0], [0.86, 0.80, 0.89, 0.86], [1, 1, 1, 1], True, False,
     [0, 1, 2], {0, 1, 2}),
    ("another language: the entry margin is a little wider (0.03)",
     [0, 0, 0, 0], [0, 0, 0, 0], [0.95, 0.925, 0.915, 0.90], [1, 1, 1, 1], True, True,
     [0, 1], {0, 1}),
]


@pytest.mark.parametrize(("rule", "lexical", "matched", "similarity", "allowed", "trusted",
                          "foreign", "order", "returned"), CASES, ids=[c[0] for c in CASES])
def test_fusion_rule(rule, lexical, matched, similarity, allowed, trusted, foreign, order,
                     returned):
    result = fuse(np.array(lexical, dtype=np.float32), np.array(matched, dtype=bool),
                  np.array(similarity, dtype=np.float32), np.array(allowed, dtype=bool),
                  trusted=trusted, foreign=foreign, config=CONFIG)
    assert set(np.nonzero(result.mask)[0].tolist()) == returned, rule
    ranked = sorted(returned, key=lambda d: -result.scores[d])
    assert ranked == order, rule
    assert np.all(result.scores[~result.mask] == 0)


def test_semantic_only_marks_listings_found_by_meaning_alone():
    result = fuse(np.array([1.0, 0.0], dtype=np.float32), np.array([True, False]),
                  np.array([0.9, 0.9], dtype=np.float32), np.array([True, True]),
                  trusted=True, foreign=False, config=CONFIG)
    assert result.semantic_only.tolist() == [False, True]
    assert result.floor == pytest.approx(0.85)
