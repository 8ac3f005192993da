"""The query planner: places in the text, typos, synonyms and word weights (table-driven)."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from sociale_kaart.geo.gazetteer import default_gazetteer
from sociale_kaart.search.query import QueryPlanner, find_place, word_weight

LOCAL = frozenset({"Altena", "Meierijstad"})


@pytest.mark.parametrize(("text", "place", "words"), [
    ("koffie drinken in Woudrichem", "Woudrichem", "Woudrichem"),
    ("bewegen voor ouderen in Sint Oedenrode", "Sint-Oedenrode", "Sint Oedenrode"),
    ("jongerenwerk Hank", "Hank", "Hank"),
    ("hulp bij geld 5481", "Schijndel", "5481"),
    ("taalcafe 4251 AB", "Werkendam", "4251 AB"),
    ("mantelzorg wijk en aalburg", "Wijk en Aalburg", "wijk en aalburg"),
    ("ouderenadviseur Altena", "Altena", "Altena"),
    ("maatschappelijk werk den bosch", "'s-Hertogenbosch", "den bosch"),
])
def test_places_in_the_query_are_found(text, place, words):
    found = find_place(text, default_gazetteer(), LOCAL)
    assert found is not None
    assert found[0].name == place
    assert found[1] == words


@pytest.mark.parametrize("text", [
    "hulp in huis",          # everyday words, not places
    "beste hulp voor mij",
    "ik zoek werk",
    "boodschappen doen",
    "mijn zoon van 15",
])
def test_everyday_words_are_not_places(text):
    assert find_place(text, default_gazetteer(), LOCAL) is None


@pytest.fixture(scope="module")
def planner():
    return QueryPlanner(default_gazetteer())


@pytest.fixture(scope="module")
def vocabulary(sample_app):
    search = sample_app.extensions["sociale_kaart.search"]
    from sociale_kaart.search.engine import _Vocabulary

    searcher, _ = search.engine._current()
    return _Vocabulary(searcher.reader())


@pytest.mark.parametrize(("typed", "meant"), [
    ("altzheimer cafe", "alzheimer cafe"),
    ("budgetcouch", "budgetcoach"),
    ("mantelzrog", "mantelzorg"),
])
def test_typos_are_corrected_and_suggested(planner, vocabulary, typed, meant):
    plan = planner.plan(typed, vocabulary=vocabulary)
    assert plan.suggestion() == meant


def test_known_words_are_not_corrected(planner, vocabulary):
    plan = planner.plan("voedselbank werkendam", vocabulary=vocabulary,
                        detect_places=False)
    assert plan.suggestion() is None


@pytest.mark.parametrize(("query", "expected_stem", "category"), [
    ("help for carers", "mantelzorg", "mantelzorg"),
    ("schulden", "betalingsachterstand", "geld"),
    ("wmo", "maatschappelijk", None),
    ("eenzaam", "eenzaam", "ontmoeting"),
])
def test_thesaurus_expands_with_lower_weight(planner, query, expected_stem, category):
    plan = planner.plan(query)
    stems = {stem for expansion in plan.expansions for stem in expansion.stems}
    assert any(expected_stem in stem for stem in stems), stems
    assert all(expansion.weight < 1 for expansion in plan.expansions)
    if category:
        assert category in plan.categories


def test_everyday_words_weigh_less_than_meaningful_ones():
    assert word_weight("aanmaningen") == 1.0
    assert word_weight("zit") < 0.6
    assert word_weight("hele") < word_weight("schuldhulp")


def test_place_words_leave_the_text(planner):
    plan = planner.plan("koffie drinken in Woudrichem", local_municipalities=LOCAL)
    assert plan.place is not None and plan.place.name == "Woudrichem"
    assert all("woudrichem" not in token.surface for token in plan.tokens)


def test_place_detection_can_be_switched_off(planner):
    plan = planner.plan("jongerenwerk Hank", detect_places=False)
    assert plan.place is None


@pytest.mark.parametrize(("q", "top_kern"), [
    ("koffie drinken in Woudrichem", "Woudrichem"),
    ("maatschappelijk werk Schijndel", "Schijndel"),
])
def test_a_named_place_puts_listings_there_first(sample_client, q, top_kern):
    body = sample_client.get("/api/v1/search", query_string=MultiDict({"q": q})).get_json()
    assert body["place"]["from_query"] is True
    assert body["results"][0]["kern"] == top_kern
