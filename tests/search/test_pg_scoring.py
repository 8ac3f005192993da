"""The pure parts of the PostgreSQL backend's scoring: which query alternatives find the
candidates (the rest only score them). No database needed."""

from __future__ import annotations

import random
import re

import pytest

from sociale_kaart.search.pg_scoring import (
    SEPARATE_ALTERNATIVES,
    absorbed,
    any_alternative,
    bm25_idf,
    candidates_in_order,
    essential_items,
    is_broad,
)


@pytest.mark.parametrize(("items", "budget", "expected"), [
    # the strongest first, while their document frequencies fit the budget
    ([("a", 5.0, 100), ("b", 1.0, 5000), ("c", 3.0, 900), ("d", 2.0, 10)], 1000, ["a", "c"]),
    ([("a", 5.0, 100), ("b", 1.0, 5000), ("c", 3.0, 900), ("d", 2.0, 10)], 10_000,
     ["a", "c", "d", "b"]),
    # always at least one, even when it alone exceeds the budget
    ([("common", 0.5, 90_000), ("rare", 0.4, 50)], 1000, ["common"]),
    # equal weights: the rarer first
    ([("x", 1.0, 800), ("y", 1.0, 300)], 500, ["y"]),
    # what no listing has finds nothing: left out, however strong
    ([("phrase", 9.0, 0), ("word", 2.0, 50_000), ("other", 1.0, 10)], 1000, ["word"]),
    ([("phrase", 9.0, 0), ("rare", 3.0, 40), ("word", 2.0, 900), ("nobody", 1.5, 0)], 1000,
     ["rare", "word"]),
    # only such alternatives: the strongest, so the query stays a query
    ([("none", 1.0, 0), ("nothing", 4.0, 0)], 1000, ["nothing"]),
    ([], 1000, []),
])
def test_essential_items_take_the_strongest_within_the_budget(items, budget, expected):
    assert [item for item, _, _ in essential_items(items, budget)] == expected


def test_rarer_terms_weigh_more():
    assert bm25_idf(10, 100_000) > bm25_idf(1000, 100_000) > bm25_idf(50_000, 100_000) > 0


@pytest.mark.parametrize(("alternatives", "expected"), [
    # a phrase with a word that is an alternative by itself
    (["'n:gewel'", "('n:huiselijk' & 'n:gewel')"], ["'n:gewel'"]),
    # a phrase that contains another phrase of the same field
    (["('n:huiselijk' & 'n:gewel')", "('n:meldpunt' & 'n:huiselijk' & 'n:gewel')",
      "('d:huiselijk' & 'd:gewel' & 'd:kindermishandel')"],
     ["('n:huiselijk' & 'n:gewel')", "('d:huiselijk' & 'd:gewel' & 'd:kindermishandel')"]),
    # the same words in another field imply nothing
    (["'d:gewel'", "('n:huiselijk' & 'n:gewel')"], ["'d:gewel'", "('n:huiselijk' & 'n:gewel')"]),
    # overlapping phrases, neither within the other
    (["('n:a' & 'n:b')", "('n:b' & 'n:c')"], ["('n:a' & 'n:b')", "('n:b' & 'n:c')"]),
    # duplicates once, order kept; quotes inside a lexeme
    (["'o:x'", "'n:''s'", "'o:x'"], ["'o:x'", "'n:''s'"]),
    # a phrase longer than the subsets looked up is compared with every phrase
    (["('n:a' & 'n:b')", "(" + " & ".join(f"'n:{c}'" for c in "abcdefghij") + ")"],
     ["('n:a' & 'n:b')"]),
    ([], []),
])
def test_absorbed_leaves_out_the_alternatives_another_implies(alternatives, expected):
    assert absorbed(alternatives) == expected


def _matches(alternatives: list[str], words: set[str]) -> bool:
    """A tsquery OR of ANDs, evaluated on a listing's lexemes."""
    return any(set(re.findall(r"'((?:[^']|'')*)'", item)) <= words for item in alternatives)


def test_absorbed_alternatives_match_the_same_listings():
    rng = random.Random(7)
    vocabulary = [f"{field}:{word}" for field in "nd" for word in "abcdefgh"]
    for _ in range(300):
        alternatives = []
        for _ in range(rng.randint(1, 12)):
            words = rng.sample(vocabulary, rng.choice([1, 1, 2, 3, 4]))
            alternatives.append("(" + " & ".join(f"'{w}'" for w in words) + ")"
                                if len(words) > 1 else f"'{words[0]}'")
        kept = absorbed(alternatives)
        assert set(kept) <= set(alternatives)
        for _ in range(30):
            listing = set(rng.sample(vocabulary, rng.randint(0, 8)))
            assert _matches(kept, listing) == _matches(alternatives, listing)


def _numbered():
    """An ``arg`` for ``any_alternative`` that records the values and names them in order."""
    values: list[str] = []

    def arg(value: str) -> str:
        values.append(value)
        return f"%(p{len(values)})s"

    return values, arg


def test_any_alternative_is_one_condition_per_alternative():
    values, arg = _numbered()
    sql = any_alternative(["'n:a'", "('d:b' & 'd:c')"], arg)
    assert sql == "(words @@ %(p1)s::tsquery OR words @@ %(p2)s::tsquery)"
    assert values == ["'n:a'", "('d:b' & 'd:c')"]
    values, arg = _numbered()
    assert any_alternative(["'n:a'"], arg) == "words @@ %(p1)s::tsquery"
    assert any_alternative([], arg) == "false" and values == ["'n:a'"]


def test_any_alternative_of_very_many_is_one_tsquery():
    many = [f"'n:w{i}'" for i in range(SEPARATE_ALTERNATIVES + 1)]
    values, arg = _numbered()
    assert any_alternative(many, arg) == "words @@ %(p1)s::tsquery"
    assert values == [" | ".join(many)]


@pytest.mark.parametrize(("items", "docs", "in_order"), [
    # common words: a few thousand listings read in order hold the budget's matches, while
    # their bitmaps would list most of the collection
    ([("'d:hulp'", 1.0, 400_000), ("'d:help'", 0.8, 300_000)], 1_000_000, True),
    # rarer words: their bitmaps are cheaper than reading a third of the table
    ([("'n:schuld'", 3.0, 5_000), ("'d:schuld'", 1.0, 20_000)], 1_000_000, False),
    # nothing any listing has: never read in order
    ([("'n:nergens'", 9.0, 0)], 1_000_000, False),
    ([("'d:hulp'", 1.0, 10)], 0, False),
])
def test_candidates_in_order_only_for_common_words(items, docs, in_order):
    assert candidates_in_order(items, docs, None, 2000) is in_order


def test_candidates_in_order_not_when_few_of_the_listings_read_pass_the_filters():
    """Common words are read in order, unless few of the listings read pass the filters
    tested row by row ("eenzaamheid" in "werk", 5 % of the listings: the whole table read);
    with words that most listings have, a category of 11 % is still read in order."""
    common = [("'c:eenzaam'", 1.0, 285_952), ("'d:eenzaam'", 1.0, 19_755),
              ("'n:eenzaam'", 3.0, 2_878)]
    assert candidates_in_order(common, 1_000_000, None, 2000)
    assert candidates_in_order(common, 1_000_000, None, 2000, 1.0)
    assert not candidates_in_order(common, 1_000_000, None, 2000, 0.054)
    assert not candidates_in_order(common, 1_000_000, None, 2000, 0.0)
    most = [("'d:hulp'", 1.0, 900_000), ("'x:hulp'", 0.5, 600_000)]
    assert candidates_in_order(most, 1_000_000, None, 2000, 0.11)


@pytest.mark.parametrize(("items", "docs", "broad"), [
    # most listings: the count's first 500 matches lie in the first thousand rows
    ([("'d:hulp'", 1.0, 400_000), ("'d:help'", 0.8, 300_000)], 1_000_000, True),
    # a tenth of the listings: 105,000 entries in one bitmap per alternative (~10 ms) beat
    # testing ~4,900 rows one by one (~20 ms)
    ([("'d:geweld'", 1.0, 60_000), ("'x:geweld'", 0.5, 45_000)], 1_000_000, False),
    # rare words: always through the index
    ([("'n:schuld'", 3.0, 5_000)], 1_000_000, False),
    ([("'n:nergens'", 9.0, 0)], 1_000_000, False),
    ([("'d:hulp'", 1.0, 10)], 0, False),
])
def test_broad_when_reading_in_order_counts_sooner_than_the_bitmaps(items, docs, broad):
    assert is_broad(items, docs) is broad
