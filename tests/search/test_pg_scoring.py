"""The pure parts of the PostgreSQL backend's scoring: which query alternatives find the
candidates (the rest only score them). No database needed."""

from __future__ import annotations

import pytest

from sociale_kaart.search.pg_scoring import bm25_idf, essential_items


@pytest.mark.parametrize(("items", "budget", "expected"), [
    # the strongest first, while their document frequencies fit the budget
    ([("a", 5.0, 100), ("b", 1.0, 5000), ("c", 3.0, 900), ("d", 2.0, 10)], 1000, ["a", "c"]),
    ([("a", 5.0, 100), ("b", 1.0, 5000), ("c", 3.0, 900), ("d", 2.0, 10)], 10_000,
     ["a", "c", "d", "b"]),
    # always at least one, even when it alone exceeds the budget
    ([("common", 0.5, 90_000), ("rare", 0.4, 50)], 1000, ["common"]),
    # equal weights: the rarer first
    ([("x", 1.0, 800), ("y", 1.0, 300)], 500, ["y"]),
    ([], 1000, []),
])
def test_essential_items_take_the_strongest_within_the_budget(items, budget, expected):
    assert [item for item, _, _ in essential_items(items, budget)] == expected


def test_rarer_terms_weigh_more():
    assert bm25_idf(10, 100_000) > bm25_idf(1000, 100_000) > bm25_idf(50_000, 100_000) > 0
