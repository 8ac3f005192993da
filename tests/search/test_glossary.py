"""The multilingual glossary: foreign query words reach Dutch terms; Dutch queries unchanged."""

from __future__ import annotations

import pytest

from sociale_kaart.geo.gazetteer import default_gazetteer
from sociale_kaart.search.glossary import load_glossary, parse
from sociale_kaart.search.query import QueryPlanner


@pytest.mark.parametrize(("query", "lang", "dutch"), [
    ("borçlarım var", "tr", "schulden"),           # Turkish suffixes after the base form
    ("mam duże długi", "pl", "schulden"),          # Polish plural
    ("samotność", "pl", "eenzaamheid"),
    ("у мене борги", "uk", "schulden"),            # Ukrainian plural
    ("ديوني كثيرة", "ar", "schulden"),             # Arabic possessive ending
    ("أشعر بالوحدة", "ar", "eenzaamheid"),          # Arabic clitic bi-al-
    ("دُيُون", "ar", "schulden"),                  # diacritics are ignored
    ("food bank near me", "en", "voedselbank"),    # a phrase: all its words must occur
    ("Hollandaca kursu", "tr", "taalcursus"),
])
def test_foreign_words_map_to_dutch_terms(query, lang, dutch):
    assert dutch in load_glossary().dutch_terms(query, lang)


@pytest.mark.parametrize(("query", "lang"), [
    ("schulden", "nl"), ("huiselijk geweld", None), ("qwxzv", "tr"), ("bank", "en"),
    ("domowy", "pl"),  # only part of a phrase ("przemoc domowa"): no match
])
def test_no_mapping_without_a_foreign_glossary_word(query, lang):
    assert load_glossary().dutch_terms(query, lang) == []


def test_dutch_query_plans_are_unchanged():
    gazetteer = default_gazetteer()
    with_glossary = QueryPlanner(gazetteer)
    without = QueryPlanner(gazetteer)
    without.glossary_weight = 0.0
    for query in ("hulp bij schulden", "eenzaamheid ouderen", "taalcursus", "huur"):
        a = with_glossary.plan(query, language="nl")
        b = without.plan(query, language="nl")
        assert (a.groups, a.expansions, a.bridged) == (b.groups, b.expansions, b.bridged)


def test_a_turkish_query_gets_dutch_expansions():
    planner = QueryPlanner(default_gazetteer())
    plan = planner.plan("borçlarım çok fazla", language="tr")
    assert "schulden" in plan.bridged
    assert any("schuld" in "".join(e.stems) for e in plan.expansions)
    assert all(e.weight <= planner.glossary_weight for e in plan.expansions
               if e.source == "schulden")


def test_a_bad_line_is_reported_with_its_number():
    with pytest.raises(ValueError, match=r"glossary:2: unknown language part"):
        parse("schulden | en: debt\nhuur | xx: kira\n")
    with pytest.raises(ValueError, match=r"glossary:1: expected"):
        parse("schulden\n")
