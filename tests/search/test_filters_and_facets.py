"""Filters, rules and facets through the API on the sample data, each checked against an
independent computation from ``services.jsonl`` (the simple authoring format), plus opening
hours on a small hand-written HSDS instance."""

from __future__ import annotations

import csv
import json
import math
from collections import Counter

import pytest
from conftest import REFERENCE_DATE, SAMPLE, SHARED

from sociale_kaart import create_app
from sociale_kaart.config import load_settings
from sociale_kaart.db import Database

API = "/api/v1/search"
TODAY = REFERENCE_DATE.isoformat()

SERVICES = [json.loads(line) for line in (SAMPLE / "services.jsonl").read_text("utf-8")
            .splitlines() if line.strip()]
BY_ID = {s["id"]: s for s in SERVICES}


def ended(service: dict) -> bool:
    course = service.get("course")
    return bool(course and course.get("until") and course["until"] < TODAY)


def visible(service: dict) -> bool:
    return service["status"] == "active" and not ended(service)


VISIBLE = [s for s in SERVICES if visible(s)]
HIDDEN = {s["id"] for s in SERVICES if not visible(s)}


def ids_where(predicate) -> set[str]:
    return {s["id"] for s in VISIBLE if predicate(s)}


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def _csv_row(name: str, key: str, value: str) -> dict:
    with open(SHARED / "geo" / name, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row[key] == value:
                return row
    raise AssertionError(f"{value} not in {name}")


def fetch_all(client, query: dict) -> dict:
    """Every result of a query (all pages), with the first page's body."""
    first = client.get(API, query_string={**query, "per_page": 100})
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    results = list(body["results"])
    page = 2
    while len(results) < body["total"]:
        more = client.get(API, query_string={**query, "per_page": 100, "page": page})
        assert more.status_code == 200
        results += more.get_json()["results"]
        page += 1
    assert len(results) == body["total"]
    body["all"] = results
    return body


def result_ids(client, query: dict) -> set[str]:
    results = fetch_all(client, query)["all"]
    ids = [r["id"] for r in results]
    assert len(ids) == len(set(ids)), "a service is returned twice"
    return set(ids)


# -- rules ---------------------------------------------------------------------------------

def test_sample_data_has_what_the_rules_need():
    assert len(SERVICES) == 150
    assert sum(1 for s in SERVICES if s["status"] == "inactive") == 6
    assert sum(1 for s in SERVICES if ended(s) and s["status"] == "active") == 2


def test_empty_query_returns_everything_active(sample_client):
    expected = {s["id"] for s in SERVICES} - HIDDEN
    assert len(expected) == 150 - 6 - 2
    assert result_ids(sample_client, {}) == expected
    assert fetch_all(sample_client, {})["total"] == len(expected)


HIDDEN_QUERIES = [
    {}, {"q": "smartphonecursus"}, {"q": "mantelzorgtraining"}, {"q": "cursus"},
    {"q": "mantelzorg"}, {"q": "smartphone 65-plussers"}, {"q": "Goed voor jezelf zorgen"},
    {"type": "cursus"}, {"upcoming": "1"}, {"q": "hulp"}, {"q": "werkendam"},
    {"near": "4251", "km": "50"}, {"municipality": "Altena"}, {"municipality": "Meierijstad"},
    {"sort": "start_date"}, {"sort": "name"}, {"open": "di"},
]


def test_hidden_queries_name_the_hidden_services():
    """The queries above include the names of every hidden service, so the test bites."""
    hidden_names = [BY_ID[i]["name"] for i in HIDDEN]
    assert "Smartphonecursus voor 65-plussers (najaar)" in hidden_names
    assert "Mantelzorgtraining Goed voor jezelf zorgen" in hidden_names


@pytest.mark.parametrize("query", HIDDEN_QUERIES, ids=str)
def test_inactive_and_ended_never_returned(sample_client, query):
    found = result_ids(sample_client, query)
    assert not found & HIDDEN, [BY_ID[i]["name"] for i in found & HIDDEN]


def test_inactive_and_ended_never_returned_by_name(sample_client):
    for service_id in sorted(HIDDEN):
        name = BY_ID[service_id]["name"]
        found = result_ids(sample_client, {"q": name})
        assert service_id not in found, name


# -- single filters ------------------------------------------------------------------------

def in_municipality(service: dict, name: str) -> bool:
    return (any(loc["municipality"] == name for loc in service["locations"])
            or name in service["service_area"])


FILTER_CASES = [
    ({"type": "cursus"}, lambda s: s["type"] == "cursus"),
    ({"type": "voorziening"}, lambda s: s["type"] == "voorziening"),
    ({"type": "cursus,activiteit"}, lambda s: s["type"] in {"cursus", "activiteit"}),
    ({"category": "mantelzorg"}, lambda s: "mantelzorg" in s["categories"]),
    ({"category": "geld"}, lambda s: "geld" in s["categories"]),
    ({"category": ["taal", "werk"]}, lambda s: {"taal", "werk"} & set(s["categories"])),
    ({"municipality": "Meierijstad"}, lambda s: in_municipality(s, "Meierijstad")),
    ({"municipality": "Altena"}, lambda s: in_municipality(s, "Altena")),
    ({"municipality": "Bernheze"}, lambda s: in_municipality(s, "Bernheze")),
    ({"kern": "Werkendam"}, lambda s: any(loc["city"] == "Werkendam" for loc in s["locations"])),
    ({"kern": "Sint-Oedenrode"},
     lambda s: any(loc["city"] == "Sint-Oedenrode" for loc in s["locations"])),
    ({"kern": "werkendam"}, lambda s: any(loc["city"] == "Werkendam" for loc in s["locations"])),
    ({"free": "1"}, lambda s: s["cost"] == "gratis"),
    ({"free": "0"}, lambda s: True),
    ({"access": "vrij"}, lambda s: s["access"] == "vrij"),
    ({"access": "verwijzing"}, lambda s: s["access"] == "verwijzing"),
    ({"access": "aanmelden,verwijzing"}, lambda s: s["access"] in {"aanmelden", "verwijzing"}),
    ({"audience": "mantelzorgers"}, lambda s: "mantelzorgers" in s["audiences"]),
    ({"audience": "jeugd"}, lambda s: "jeugd" in s["audiences"]),
    ({"lang": "en"}, lambda s: "en" in s["languages"]),
    ({"lang": "ar"}, lambda s: "ar" in s["languages"]),
    ({"lang": "uk,pl"}, lambda s: {"uk", "pl"} & set(s["languages"])),
    ({"age": "70"}, lambda s: not ((s["age_min"] is not None and s["age_min"] > 70)
                                   or (s["age_max"] is not None and s["age_max"] < 70))),
    ({"age": "14"}, lambda s: not ((s["age_min"] is not None and s["age_min"] > 14)
                                   or (s["age_max"] is not None and s["age_max"] < 14))),
    ({"age": "3"}, lambda s: not ((s["age_min"] is not None and s["age_min"] > 3)
                                  or (s["age_max"] is not None and s["age_max"] < 3))),
    ({"upcoming": "1"}, lambda s: s["type"] == "cursus"),
    # Different parameters are AND-ed.
    ({"type": "activiteit", "municipality": "Altena", "free": "1"},
     lambda s: s["type"] == "activiteit" and in_municipality(s, "Altena")
     and s["cost"] == "gratis"),
    ({"category": "ontmoeting", "kern": "Veghel"},
     lambda s: "ontmoeting" in s["categories"]
     and any(loc["city"] == "Veghel" for loc in s["locations"])),
]


@pytest.mark.parametrize("query,predicate", FILTER_CASES, ids=[str(c[0]) for c in FILTER_CASES])
def test_filter_matches_independent_computation(sample_client, query, predicate):
    expected = ids_where(predicate)
    assert expected, "the case should select something"
    found = result_ids(sample_client, query)
    missing = {BY_ID[i]["name"] for i in expected - found}
    extra = {BY_ID[i]["name"] for i in found - expected}
    assert not missing and not extra, (missing, extra)


def test_filter_with_text_query_is_a_subset(sample_client):
    for q in ["hulp", "eenzaam", "taal"]:
        found = result_ids(sample_client, {"q": q, "type": "activiteit"})
        assert found <= ids_where(lambda s: s["type"] == "activiteit")
        assert found <= result_ids(sample_client, {"q": q})


def test_unknown_kern_and_municipality_give_nothing(sample_client):
    assert fetch_all(sample_client, {"kern": "Atlantis"})["total"] == 0
    assert fetch_all(sample_client, {"municipality": "Atlantis"})["total"] == 0


# -- near + km -----------------------------------------------------------------------------

PC4_5481 = _csv_row("nl_pc4.csv", "postcode4", "5481")
WERKENDAM = _csv_row("nl_places.csv", "place", "Werkendam")

NEAR_CASES = [
    ("5481", 3.0, float(PC4_5481["lat"]), float(PC4_5481["lon"]), PC4_5481["municipality"]),
    ("Werkendam", 10.0, float(WERKENDAM["lat"]), float(WERKENDAM["lon"]),
     WERKENDAM["municipality"]),
]


def near_expected(lat: float, lon: float, km: float, municipality: str) -> tuple[set, set]:
    """(within km by location, comes to you: no location and the area covers the point)."""
    within = ids_where(lambda s: any(haversine(lat, lon, loc["lat"], loc["lon"]) <= km
                                     for loc in s["locations"]))
    comes = ids_where(lambda s: not s["locations"] and municipality in s["service_area"])
    return within, comes


@pytest.mark.parametrize("near,km,lat,lon,municipality", NEAR_CASES,
                         ids=[c[0] for c in NEAR_CASES])
@pytest.mark.parametrize("sort", ["relevance", "distance"])
def test_near_and_km(sample_client, near, km, lat, lon, municipality, sort):
    within, comes = near_expected(lat, lon, km, municipality)
    assert within and comes
    body = fetch_all(sample_client, {"near": near, "km": str(km), "sort": sort})
    results = body["all"]
    assert {r["id"] for r in results} == within | comes
    assert body["place"]["municipality"] == municipality
    for hit in results:
        service = BY_ID[hit["id"]]
        if service["locations"]:
            assert hit["comes_to_you"] is False
            assert hit["distance_km"] is not None
            nearest = min(haversine(lat, lon, loc["lat"], loc["lon"])
                          for loc in service["locations"])
            assert hit["distance_km"] <= km + 0.1
            assert abs(hit["distance_km"] - nearest) <= 0.6, hit["name"]
        else:
            assert hit["comes_to_you"] is True
            assert hit["distance_km"] is None
    if sort == "distance":
        distances = [r["distance_km"] for r in results if r["distance_km"] is not None]
        assert distances == sorted(distances)
        # Located results come first; the ones that come to you (no distance) after them.
        first_none = next((i for i, r in enumerate(results) if r["distance_km"] is None),
                          len(results))
        assert all(r["distance_km"] is None for r in results[first_none:])


def test_near_default_radius_is_10_km(sample_client):
    lat, lon, municipality = float(WERKENDAM["lat"]), float(WERKENDAM["lon"]), "Altena"
    within, comes = near_expected(lat, lon, 10.0, municipality)
    assert result_ids(sample_client, {"near": "Werkendam"}) == within | comes


def test_near_combines_with_other_filters(sample_client):
    lat, lon = float(PC4_5481["lat"]), float(PC4_5481["lon"])
    within, comes = near_expected(lat, lon, 3.0, "Meierijstad")
    vrij = ids_where(lambda s: s["access"] == "vrij")
    found = result_ids(sample_client, {"near": "5481", "km": "3", "access": "vrij"})
    assert found == (within | comes) & vrij


# -- facets --------------------------------------------------------------------------------

def independent_facets() -> dict[str, Counter]:
    facets: dict[str, Counter] = {name: Counter() for name in
                                  ("category", "type", "municipality", "kern", "cost", "access",
                                   "audience", "lang")}
    for s in VISIBLE:
        facets["category"].update(set(s["categories"]))
        facets["type"][s["type"]] += 1
        facets["municipality"].update({loc["municipality"] for loc in s["locations"]}
                                      | set(s["service_area"]))
        facets["kern"].update({loc["city"] for loc in s["locations"]})
        facets["cost"][s["cost"]] += 1
        facets["access"][s["access"]] += 1
        facets["audience"].update(set(s["audiences"]))
        facets["lang"].update(set(s["languages"]))
    return facets


@pytest.mark.parametrize("facet", ["category", "type", "municipality", "kern", "cost", "access",
                                   "audience", "lang"])
def test_facet_counts_of_empty_query(sample_client, facet):
    body = sample_client.get(API).get_json()
    assert body["facets"][facet] == dict(independent_facets()[facet])


def test_facet_counts_follow_the_other_filters(sample_client):
    body = sample_client.get(API, query_string={"type": "cursus"}).get_json()
    courses = [s for s in VISIBLE if s["type"] == "cursus"]
    expected = Counter(c for s in courses for c in set(s["categories"]))
    assert body["facets"]["category"] == dict(expected)
    assert body["facets"]["cost"] == dict(Counter(s["cost"] for s in courses))


def test_type_facet_is_disjunctive(sample_client):
    """With type=cursus the type facet still shows (and counts) the other types."""
    plain = sample_client.get(API).get_json()["facets"]["type"]
    body = sample_client.get(API, query_string={"type": "cursus"}).get_json()
    assert body["total"] == plain["cursus"]
    assert body["facets"]["type"] == plain
    assert set(body["facets"]["type"]) > {"cursus"}


def test_category_facet_is_disjunctive_and_respects_municipality(sample_client):
    body = sample_client.get(API, query_string={"category": "taal",
                                                 "municipality": "Meierijstad"}).get_json()
    in_meierijstad = [s for s in VISIBLE if in_municipality(s, "Meierijstad")]
    expected = Counter(c for s in in_meierijstad for c in set(s["categories"]))
    assert body["facets"]["category"] == dict(expected)
    taal = [s for s in VISIBLE if "taal" in s["categories"]]
    assert body["facets"]["municipality"] == dict(Counter(
        m for s in taal for m in {loc["municipality"] for loc in s["locations"]}
        | set(s["service_area"])))


def test_cost_facet_with_free_filter(sample_client):
    plain = sample_client.get(API).get_json()["facets"]["cost"]
    body = sample_client.get(API, query_string={"free": "1"}).get_json()
    assert body["total"] == plain["gratis"]
    assert body["facets"]["cost"] == plain


def test_facet_counts_match_totals(sample_client):
    """Choosing a facet value gives as many results as the facet promised."""
    body = sample_client.get(API, query_string={"q": "hulp"}).get_json()
    for facet, values in (("type", body["facets"]["type"]),
                          ("access", body["facets"]["access"])):
        for value, count in values.items():
            chosen = sample_client.get(API, query_string={"q": "hulp", facet: value}).get_json()
            assert chosen["total"] == count, (facet, value)


# -- opening hours on a dedicated instance -------------------------------------------------

ORG = {"id": "0b7e2c56-5f0a-4d38-9f0d-6c1d7a2b9e01", "name": "Stichting Testhulp",
       "description": "Organisatie voor de tests."}
NIGHT = "2b5d6a2e-1f4c-4b8e-9a57-0c3d5e6f7a81"
LINE = "3c6e7b3f-2a5d-4c9f-8b68-1d4e6f7a8b92"
WALKIN = "4d7f8c4a-3b6e-4daf-9c79-2e5f7a8b9ca3"
OPEN_IDS = {NIGHT, LINE, WALKIN}


def _service(service_id: str, name: str, description: str, schedules: list[dict]) -> dict:
    return {
        "id": service_id, "name": name, "description": description, "status": "active",
        "organization_id": ORG["id"], "organization": ORG,
        "schedules": [{**schedule, "id": f"{service_id[:-2]}{i:02d}", "freq": "WEEKLY"}
                      for i, schedule in enumerate(schedules)],
        "service_areas": [{"id": f"{service_id[:-2]}a0", "name": "Altena"}],
    }


OPEN_SERVICES = [
    _service(NIGHT, "Nachtopvang De Haven", "Een bed voor de nacht.",
             [{"byday": "FR", "opens_at": "22:00", "closes_at": "08:00"}]),
    _service(LINE, "Hulplijn dag en nacht", "Altijd iemand aan de lijn.",
             [{"byday": "MO,TU,WE,TH,FR,SA,SU"}]),
    _service(WALKIN, "Inloopspreekuur dinsdag", "Binnenlopen zonder afspraak.",
             [{"byday": "TU", "opens_at": "09:00", "closes_at": "11:00"}]),
]


@pytest.fixture(scope="module")
def hours_client(tmp_path_factory):
    from sociale_kaart.search import SearchService
    from sociale_kaart.services.imports import import_paths

    folder = tmp_path_factory.mktemp("hours") / "instance"
    source = folder.parent / "services.json"
    source.write_text(json.dumps(OPEN_SERVICES), encoding="utf-8")
    settings = load_settings(folder, today=REFERENCE_DATE)
    database = Database(settings.database_url)
    database.upgrade()
    SearchService(settings, database)
    report = import_paths(database, [source], load_plugins=False)
    assert sorted(report.created) == sorted(OPEN_IDS), report.rejected
    database.dispose()
    app = create_app(load_settings(folder, today=REFERENCE_DATE, flask={"TESTING": True}))
    return app.test_client()


OPEN_CASES = [
    ({}, {NIGHT, LINE, WALKIN}),
    ({"open": "fr", "at": "23:00"}, {NIGHT, LINE}),
    ({"open": "vr", "at": "21:59"}, {LINE}),
    ({"open": "fr", "at": "22:00"}, {NIGHT, LINE}),
    ({"open": "sa", "at": "07:00"}, {NIGHT, LINE}),       # Friday's night runs into Saturday
    ({"open": "za", "at": "07:59"}, {NIGHT, LINE}),
    ({"open": "sa", "at": "08:00"}, {LINE}),
    ({"open": "sa", "at": "09:00"}, {LINE}),
    ({"open": "fr", "at": "07:00"}, {LINE}),             # not Thursday's night
    ({"open": "tu", "at": "10:00"}, {LINE, WALKIN}),
    ({"open": "di", "at": "09:00"}, {LINE, WALKIN}),
    ({"open": "tu", "at": "11:00"}, {LINE}),
    ({"open": "tu", "at": "12:00"}, {LINE}),
    ({"open": "su", "at": "00:00"}, {LINE}),
    ({"open": "mo", "at": "23:59"}, {LINE}),
    ({"open": "fr"}, {NIGHT, LINE}),
    ({"open": "tu"}, {LINE, WALKIN}),
    ({"open": "we"}, {LINE}),
    ({"open": "2026-11-24", "at": "10:30"}, {LINE, WALKIN}),   # a Tuesday
    ({"open": "2026-11-28", "at": "03:00"}, {NIGHT, LINE}),    # a Saturday
]


@pytest.mark.parametrize("query,expected", OPEN_CASES, ids=[str(c[0]) for c in OPEN_CASES])
def test_open_on_day_and_time(hours_client, query, expected):
    found = result_ids(hours_client, query)
    assert found == expected


def test_open_with_text_query(hours_client):
    text = result_ids(hours_client, {"q": "nachtopvang"})
    assert NIGHT in text
    assert result_ids(hours_client, {"q": "nachtopvang", "open": "sa", "at": "07:00"}) \
        == text & {NIGHT, LINE}
    assert result_ids(hours_client, {"q": "nachtopvang", "open": "sa", "at": "09:00"}) \
        == text & {LINE}


# -- sorting -------------------------------------------------------------------------------

def test_sort_by_start_date_puts_courses_in_date_order(sample_client):
    results = fetch_all(sample_client, {"type": "cursus", "sort": "start_date"})["all"]
    assert {r["id"] for r in results} == ids_where(lambda s: s["type"] == "cursus")
    starts = [BY_ID[r["id"]]["course"]["dtstart"] for r in results]
    assert starts == sorted(starts)


def test_sort_by_name(sample_client):
    results = fetch_all(sample_client, {"q": "hulp", "sort": "name"})["all"]
    assert len(results) > 5
    names = [r["name"].casefold() for r in results]
    assert names == sorted(names)
