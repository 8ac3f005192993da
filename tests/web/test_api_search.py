"""The search API contract (docs/api.md): response shape, paging, parameter validation and
robustness of ``q`` against every kind of input."""

from __future__ import annotations

import pytest

from sociale_kaart.search.params import MAX_PER_PAGE, MAX_QUERY_CHARS

API = "/api/v1/search"

TOP_KEYS = {"total", "page", "per_page", "results", "facets", "suggestion"}
RESULT_KEYS = {"id", "name", "organization", "summary", "type", "categories", "municipality",
               "kern", "distance_km", "comes_to_you", "score", "url"}
FACET_NAMES = {"category", "type", "municipality", "kern", "cost", "access", "audience", "theme",
               "lang"}
TYPES = {"voorziening", "activiteit", "cursus", "privaat", "burgerinitiatief"}


def get_json(client, query: str | dict, status: int = 200) -> dict:
    response = client.get(API, query_string=query) if isinstance(query, dict) \
        else client.get(f"{API}?{query}")
    assert response.status_code == status, (query, response.status_code, response.data[:500])
    assert response.is_json
    return response.get_json()


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_result(hit: dict) -> None:
    assert set(hit) >= RESULT_KEYS, set(RESULT_KEYS) - set(hit)
    assert isinstance(hit["id"], str) and hit["id"]
    assert isinstance(hit["name"], str) and hit["name"]
    assert isinstance(hit["organization"], dict)
    assert set(hit["organization"]) == {"id", "name"}
    assert isinstance(hit["organization"]["id"], str) and hit["organization"]["id"]
    assert isinstance(hit["organization"]["name"], str) and hit["organization"]["name"]
    assert isinstance(hit["summary"], str)
    assert hit["type"] is None or hit["type"] in TYPES
    assert isinstance(hit["categories"], list)
    assert all(isinstance(c, str) for c in hit["categories"])
    assert hit["municipality"] is None or isinstance(hit["municipality"], str)
    assert hit["kern"] is None or isinstance(hit["kern"], str)
    assert hit["distance_km"] is None or (is_number(hit["distance_km"])
                                          and hit["distance_km"] >= 0)
    assert isinstance(hit["comes_to_you"], bool)
    assert is_number(hit["score"])
    assert isinstance(hit["url"], str)
    assert hit["url"].startswith("http") and hit["url"].endswith(f"/aanbod/{hit['id']}")


def check_body(body: dict) -> None:
    assert set(body) >= TOP_KEYS
    assert isinstance(body["total"], int) and body["total"] >= 0
    assert isinstance(body["page"], int) and body["page"] >= 1
    assert isinstance(body["per_page"], int) and 1 <= body["per_page"] <= MAX_PER_PAGE
    assert isinstance(body["results"], list)
    assert len(body["results"]) <= body["per_page"]
    assert body["suggestion"] is None or isinstance(body["suggestion"], str)
    assert isinstance(body["facets"], dict)
    assert set(body["facets"]) == FACET_NAMES
    for counts in body["facets"].values():
        assert isinstance(counts, dict)
        for value, count in counts.items():
            assert isinstance(value, str)
            assert isinstance(count, int) and count > 0
    for hit in body["results"]:
        check_result(hit)


# -- shape ---------------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "",
    "q=",
    "q=mantelzorg",
    "q=taalcafe+werkendam",
    "near=4251&km=5",
    "near=Werkendam&sort=distance",
    "q=eenzaam&type=activiteit,voorziening&free=1",
    "q=geld&municipality=Meierijstad&per_page=100",
    "sort=name&per_page=50",
    "sort=start_date&type=cursus",
    "open=di&at=10:00",
])
def test_response_shape(sample_client, query):
    body = get_json(sample_client, query)
    check_body(body)


def test_empty_query_fills_every_field(sample_client):
    body = get_json(sample_client, "per_page=100")
    assert body["total"] > 100
    assert len(body["results"]) == 100
    assert body["suggestion"] is None
    assert all(hit["summary"] for hit in body["results"])
    assert all(hit["categories"] for hit in body["results"])
    assert all(hit["type"] in TYPES for hit in body["results"])
    assert all(hit["municipality"] for hit in body["results"])
    # Without a place there is no distance.
    assert all(hit["distance_km"] is None for hit in body["results"])
    assert all(hit["comes_to_you"] is False for hit in body["results"])
    assert "place" not in body


def test_near_adds_place_and_distance(sample_client):
    body = get_json(sample_client, "near=4251&km=5")
    check_body(body)
    place = body["place"]
    assert set(place) == {"name", "municipality", "lat", "lon", "from_query"}
    assert place["municipality"] == "Altena"
    assert place["from_query"] is False
    assert is_number(place["lat"]) and is_number(place["lon"])
    located = [hit for hit in body["results"] if not hit["comes_to_you"]]
    assert located and all(is_number(hit["distance_km"]) for hit in located)


def test_place_in_query_is_reported(sample_client):
    body = get_json(sample_client, "q=taalcafe+werkendam")
    assert body["place"]["name"] == "Werkendam"
    assert body["place"]["from_query"] is True


def test_ids_are_unique_and_url_resolves(sample_client):
    body = get_json(sample_client, "per_page=100")
    ids = [hit["id"] for hit in body["results"]]
    assert len(ids) == len(set(ids))
    path = body["results"][0]["url"].split("localhost", 1)[1]
    assert sample_client.get(path).status_code == 200


# -- paging --------------------------------------------------------------------------------

def test_page_two_differs(sample_client):
    first = get_json(sample_client, "per_page=10")
    second = get_json(sample_client, "per_page=10&page=2")
    assert first["page"] == 1 and second["page"] == 2
    assert second["total"] == first["total"]
    first_ids = {hit["id"] for hit in first["results"]}
    second_ids = {hit["id"] for hit in second["results"]}
    assert len(first_ids) == len(second_ids) == 10
    assert not first_ids & second_ids


def test_pages_cover_everything_once(sample_client):
    everything = get_json(sample_client, "per_page=100")
    all_ids = [hit["id"] for hit in everything["results"]]
    all_ids += [hit["id"] for hit in get_json(sample_client, "per_page=100&page=2")["results"]]
    assert len(all_ids) == everything["total"] == len(set(all_ids))
    paged = []
    for page in range(1, everything["total"] // 25 + 2):
        paged += [hit["id"] for hit in get_json(sample_client,
                                                  f"per_page=25&page={page}")["results"]]
    assert paged == all_ids


def test_default_per_page_and_maximum(sample_client):
    assert get_json(sample_client, "")["per_page"] == 10
    assert len(get_json(sample_client, "")["results"]) == 10
    body = get_json(sample_client, f"per_page={MAX_PER_PAGE}")
    assert body["per_page"] == MAX_PER_PAGE
    assert len(body["results"]) == MAX_PER_PAGE


def test_page_past_the_end_is_empty(sample_client):
    body = get_json(sample_client, "page=50")
    assert body["results"] == []
    assert body["total"] > 0
    assert body["page"] == 50


# -- invalid parameters --------------------------------------------------------------------

INVALID = [
    ("km=5", "km"),                              # km without near
    ("near=4251&km=-1", "km"),
    ("near=4251&km=0", "km"),
    ("near=4251&km=abc", "km"),
    ("near=4251&km=501", "km"),
    ("near=4251&km=nan", "km"),
    ("near=4251&km=inf", "km"),
    ("sort=distance", "sort"),                   # distance without near
    ("sort=bogus", "sort"),
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=abc", "page"),
    ("page=1.5", "page"),
    ("page=99999999999", "page"),
    ("per_page=0", "per_page"),
    ("per_page=101", "per_page"),
    ("per_page=abc", "per_page"),
    ("age=200", "age"),
    ("age=-3", "age"),
    ("age=oud", "age"),
    ("type=bogus", "type"),
    ("type=cursus,bogus", "type"),
    ("category=bogus", "category"),
    ("theme=bogus", "theme"),
    ("audience=bogus", "audience"),
    ("access=bogus", "access"),
    ("free=maybe", "free"),
    ("upcoming=maybe", "upcoming"),
    ("open=bogus", "open"),
    ("open=2026-13-45", "open"),
    ("open=fr&at=25:00", "at"),
    ("open=fr&at=12:60", "at"),
    ("open=fr&at=noon", "at"),
    ("near=Xyzzyplaatsbestaatniet", "near"),
    ("near=0000", "near"),
    ("near=" + "a" * 101, "near"),
    ("q=a&q=b", "q"),                            # repeated q
    ("near=4251&near=5481", "near"),
    ("free=1&free=0", "free"),
    ("q=" + "a" * (MAX_QUERY_CHARS + 1), "q"),
]


@pytest.mark.parametrize("query,param", INVALID, ids=[p[0][:40] for p in INVALID])
def test_invalid_parameter_gives_400(sample_client, query, param):
    body = get_json(sample_client, query, status=400)
    assert set(body) == {"error"}
    assert body["error"]["param"] == param
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_invalid_time_without_open_is_rejected(sample_client):
    """An impossible ``at`` is an error even when ``open`` is missing (it is never silently
    ignored, like ``km`` without ``near``)."""
    body = get_json(sample_client, "at=25:00", status=400)
    assert body["error"]["param"] == "at"


@pytest.mark.parametrize("query", [
    "per_page=100", "per_page=1", "page=1000", "age=0", "age=120", "near=4251&km=500",
    "near=4251&km=0.5", "near=4251&km=2,5", "free=0", "free=ja", "upcoming=1", "open=now",
    "open=today", "open=zo", "open=sunday", "open=2026-11-24", "open=ma&at=9.30",
    "sort=NAME", "type=CURSUS", "foo=bar", "q=&q=", "km=&near=",
])
def test_valid_edge_values_give_200(sample_client, query):
    check_body(get_json(sample_client, query))


def test_unknown_api_route_is_json_404(sample_client):
    response = sample_client.get("/api/v1/bestaatniet")
    assert response.status_code == 404
    assert response.get_json()["error"]["param"] == "path"


def test_post_is_not_allowed(sample_client):
    response = sample_client.post(API)
    assert response.status_code == 405
    assert "error" in response.get_json()


# -- q robustness --------------------------------------------------------------------------

ODD_QUERIES = [
    '"', '""', '"alzheimer', 'alzheimer"', '"alzheimer café"', "*", "**", "taal*", "*taal",
    "?", "t?al", "~", "taal~", "taal~2", "^", "taal^3", "(", ")", "()", "(taal", "taal)",
    "((((taal", ":", "name:", "name:taal", "organization:kompas", ":taal", "AND", "OR", "NOT",
    "AND OR NOT", "taal AND", "OR taal", "NOT taal", "taal NOT geld", "-", "--", "-taal",
    "taal -geld", "\\", "\\\\", "taal\\", "[", "]", "{", "}", "[a TO z]", "{a TO z}", "/", "//",
    "+", "+taal", "&&", "||", "!", "@", "#", "$", "%", "&", "<", ">", "<script>", "'", "''",
    "' OR 1=1 --", "%00", "\x00", "\x01\x02", "taal\x00geld", "\t\n\r", "\u200b", "\ufeff",
    "\u202e", "😀", "🧓🏽 hulp", "👨‍👩‍👧", "مساعدة", "עזרה", "مرحبا hello", "Допомога", "帮助",
    "de", "de het een", "de het een van en", "ik", "of", "a", "é", "ß", "ĳ", "İ",
    " ", "   ", "\u00a0", "\u3000", "0", "1234", "4251", "4251 AB", "99999",
    "a" * MAX_QUERY_CHARS, "taal " * 100, "x" * 200, "ab" * 250,
    "é" * MAX_QUERY_CHARS, "😀" * MAX_QUERY_CHARS,
]


@pytest.mark.parametrize("q", ODD_QUERIES, ids=[repr(q)[:30] for q in ODD_QUERIES])
def test_odd_queries_never_crash(sample_client, q):
    response = sample_client.get(API, query_string={"q": q})
    assert response.status_code in (200, 400), (q, response.status_code)
    body = response.get_json()
    if response.status_code == 200:
        check_body(body)
    else:
        assert body["error"]["param"] == "q"


@pytest.mark.parametrize("q", ["AND OR NOT", "\\", "(", '"', "*", "de het een", "   "])
def test_odd_queries_are_answered(sample_client, q):
    """Characters with a meaning in query syntax are plain text: a search, not an error."""
    check_body(get_json(sample_client, {"q": q}))


def test_query_of_exactly_max_length_is_accepted(sample_client):
    body = get_json(sample_client, {"q": "a" * MAX_QUERY_CHARS})
    check_body(body)
    body = get_json(sample_client, {"q": "taal " * 100})
    check_body(body)


def test_query_one_over_max_length_is_rejected(sample_client):
    body = get_json(sample_client, {"q": "a" * (MAX_QUERY_CHARS + 1)}, status=400)
    assert body["error"]["param"] == "q"


@pytest.mark.parametrize("q", ["", " ", "   ", "\t", "\x00", "\u200b"])
def test_blank_query_is_the_empty_query(sample_client, q):
    empty = get_json(sample_client, "")
    body = get_json(sample_client, {"q": q})
    assert body["total"] == empty["total"]


def test_control_characters_are_ignored(sample_client):
    plain = get_json(sample_client, {"q": "mantelzorg"})
    noisy = get_json(sample_client, {"q": "mantel\x00zorg\x07"})
    assert plain["total"] > 0
    assert [h["id"] for h in noisy["results"]] == [h["id"] for h in plain["results"]]


def test_rtl_and_emoji_queries_keep_working_with_filters(sample_client):
    for q in ["\u202emantelzorg", "😀 mantelzorg", "مساعدة mantelzorg"]:
        body = get_json(sample_client, {"q": q, "type": "voorziening", "near": "4251"})
        check_body(body)
