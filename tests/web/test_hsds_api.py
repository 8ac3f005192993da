"""The HSDS 3.0 read API: every page and every object of every endpoint, on the sample data,
validates against the official HSDS 3 JSON Schemas (with format checking); and the HTTP
behaviour around it: conditional GET, CORS, JSON errors, rate limiting."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from conftest import SHARED
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = SHARED / "hsds" / "schema"
BASE = "https://hsds.invalid/3.0/schema/"
PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page",
             "empty", "contents"}


def _registry() -> Registry:
    paths = [*SCHEMA_DIR.glob("*.json"), *(SCHEMA_DIR / "compiled").glob("*.json")]
    return Registry().with_resources(
        (BASE + str(p.relative_to(SCHEMA_DIR)),
         Resource.from_contents(json.loads(p.read_text("utf-8")),
                                default_specification=DRAFT202012))
        for p in paths)


REGISTRY = _registry()


@cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": BASE + name}, registry=REGISTRY,
                                format_checker=FormatChecker())


def assert_valid(name: str, instance: object, where: str) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator(name).iter_errors(instance)]
    assert not errors, f"{where} does not match {name}: {errors[:5]}"


@pytest.fixture(scope="module")
def hsds(sample_app):
    """The sample app with a rate limit high enough to walk everything."""
    settings = sample_app.extensions["sociale_kaart.settings"]
    before = getattr(settings, "hsds_rate_limit", None)
    settings.hsds_rate_limit = "100000 per minute"
    yield sample_app.test_client()
    settings.hsds_rate_limit = before


def walk(client, url: str, item_schema: str) -> list[dict]:
    """All items of a list endpoint, page by page, checking the Page fields as it goes."""
    items: list[dict] = []
    page = 1
    while True:
        response = client.get(f"{url}{'&' if '?' in url else '?'}page={page}")
        assert response.status_code == 200, (url, response.get_data(as_text=True))
        body = response.get_json()
        assert set(body) == PAGE_KEYS
        assert body["page_number"] == page and body["size"] == len(body["contents"])
        assert body["first_page"] is (page == 1)
        assert body["empty"] is (body["total_items"] == 0)
        for item in body["contents"]:
            assert_valid(item_schema, item, f"{url} page {page}")
        items.extend(body["contents"])
        if body["last_page"]:
            assert body["total_pages"] == page and len(items) == body["total_items"]
            return items
        page += 1


def get_json(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, (url, response.get_data(as_text=True))
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.get_json()


def test_root_names_version_profile_and_openapi(hsds):
    body = get_json(hsds, "/hsds/")
    assert body["version"] == "3.0"
    assert body["profile"].startswith("https://")
    assert body["openapi_url"].endswith("/api/openapi.json")


def test_every_service_page_and_service(hsds):
    items = walk(hsds, "/hsds/services", "compiled/service_list.json")
    assert len(items) == 150
    statuses = {item["status"] for item in items}
    assert statuses == {"active", "inactive"}  # all published services, with their status
    for item in items:
        full = get_json(hsds, f"/hsds/services/{item['id']}")
        assert_valid("service.json", full, f"service {item['id']}")
        own = {k: v for k, v in full.items() if not isinstance(v, dict | list)}
        assert {k: v for k, v in item.items() if k != "organization"} == own
        assert item["organization"]["id"] == full["organization"]["id"]


def test_service_list_variants(hsds):
    full = get_json(hsds, "/hsds/services?full=true&per_page=10&page=3")["contents"]
    for item in full:
        assert_valid("service.json", item, "full=true")
    minimal = walk(hsds, "/hsds/services?minimal=true&per_page=10",
                   "compiled/service_list.json")
    assert [s["id"] for s in full] == [s["id"] for s in minimal[20:30]]
    assert all(set(item) <= {"id", "name", "status", "last_modified"} for item in minimal)


def test_every_organization(hsds):
    items = walk(hsds, "/hsds/organizations", "compiled/organization_list.json")
    assert items
    for item in items:
        body = get_json(hsds, f"/hsds/organizations/{item['id']}")
        assert_valid("organization.json", body, f"organization {item['id']}")
        assert body["services"]
        for service in body["services"]:
            assert_valid("compiled/service_list.json", service, f"organization {item['id']}")
    first = items[0]["id"]
    full = get_json(hsds, f"/hsds/organizations/{first}?full_service=true")
    for service in full["services"]:
        assert_valid("service.json", service, f"organization {first} full_service")


def test_every_service_at_location(hsds):
    items = walk(hsds, "/hsds/service_at_locations", "compiled/service_at_location_list.json")
    assert len(items) == 128
    for item in items:
        body = get_json(hsds, f"/hsds/service_at_locations/{item['id']}")
        assert_valid("service_at_location.json", body, f"service_at_location {item['id']}")
        assert body["service"]["id"] == item["service_id"]
        assert body["location"]["id"] == item["location_id"]


def test_every_taxonomy_and_term(hsds):
    taxonomies = walk(hsds, "/hsds/taxonomies", "taxonomy.json")
    for item in taxonomies:
        assert_valid("taxonomy.json", get_json(hsds, f"/hsds/taxonomies/{item['id']}"),
                     f"taxonomy {item['id']}")
    terms = walk(hsds, "/hsds/taxonomy_terms", "taxonomy_term.json")
    for item in terms:
        assert_valid("taxonomy_term.json", get_json(hsds, f"/hsds/taxonomy_terms/{item['id']}"),
                     f"term {item['id']}")
    one = taxonomies[0]["id"]
    of_one = walk(hsds, f"/hsds/taxonomy_terms?taxonomy_id={one}", "taxonomy_term.json")
    assert of_one and all(t["taxonomy_id"] == one for t in of_one)


def test_filters_combine_with_and(hsds):
    services = walk(hsds, "/hsds/services?per_page=100", "compiled/service_list.json")
    org = services[0]["organization"]["id"]
    mine = walk(hsds, f"/hsds/services?organization_id={org}", "compiled/service_list.json")
    assert mine and all(s["organization"]["id"] == org for s in mine)
    full = get_json(hsds, f"/hsds/services/{services[0]['id']}")
    term = full["attributes"][0]["taxonomy_term"]
    with_term = walk(hsds, f"/hsds/services?taxonomy_term_id={term['id']}",
                     "compiled/service_list.json")
    assert services[0]["id"] in {s["id"] for s in with_term}
    by_taxonomy = walk(hsds, f"/hsds/services?taxonomy_id={term['taxonomy_id']}",
                       "compiled/service_list.json")
    assert len(by_taxonomy) >= len(with_term)
    both = walk(hsds, f"/hsds/services?taxonomy_term_id={term['id']}&organization_id={org}",
                "compiled/service_list.json")
    assert {s["id"] for s in both} == {s["id"] for s in with_term} & {s["id"] for s in mine}
    word = services[0]["name"].split()[0]
    found = walk(hsds, f"/hsds/services?search={word}", "compiled/service_list.json")
    assert services[0]["id"] in {s["id"] for s in found}
    assert walk(hsds, "/hsds/services?modified_after=2999-01-01T00:00:00Z",
                "compiled/service_list.json") == []
    assert walk(hsds, "/hsds/services?taxonomy_term_id=not-an-id",
                "compiled/service_list.json") == []


def test_page_past_the_end_is_empty_but_counted(hsds):
    body = get_json(hsds, "/hsds/services?page=99999999999&per_page=1000")
    assert body["contents"] == [] and body["size"] == 0 and body["total_items"] == 150
    assert body["empty"] is False and body["last_page"] is True


def test_etag_and_if_none_match_give_304(hsds):
    first = hsds.get("/hsds/services?per_page=5")
    etag = first.headers["ETag"]
    again = hsds.get("/hsds/services?per_page=5", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    other = hsds.get("/hsds/services?per_page=6", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_last_modified_and_if_modified_since_give_304(hsds):
    first = hsds.get("/hsds/taxonomies")
    stamp = first.headers["Last-Modified"]
    again = hsds.get("/hsds/taxonomies", headers={"If-Modified-Since": stamp})
    assert again.status_code == 304
    old = hsds.get("/hsds/taxonomies",
                   headers={"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})
    assert old.status_code == 200


def test_cors_on_get_and_preflight(hsds):
    assert hsds.get("/hsds/").headers["Access-Control-Allow-Origin"] == "*"
    preflight = hsds.options("/hsds/services", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "GET"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("query, param", [
    ("page=abc", "page"), ("per_page=1.5", "per_page"), ("full=maybe", "full"),
    ("minimal=", "minimal"), ("modified_after=yesterday", "modified_after"),
    ("format=xml", "format"), ("page=1&page=2", "page"), ("search=" + "x" * 501, "search"),
])
def test_bad_parameters_are_json_400(hsds, query, param):
    response = hsds.get(f"/hsds/services?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["param"] == param


@pytest.mark.parametrize("path", [
    "/hsds/services/00000000-0000-0000-0000-000000000000", "/hsds/organizations/nope",
    "/hsds/service_at_locations/nope", "/hsds/taxonomies/nope", "/hsds/taxonomy_terms/nope",
    "/hsds/locations", "/hsds/services/a/b",
])
def test_unknown_ids_and_paths_are_json_404(hsds, path):
    response = hsds.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "not found"


def test_other_methods_are_json_405_with_allow(hsds):
    response = hsds.post("/hsds/services")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert response.get_json()["error"]["param"] == "method"


def test_never_pending_versions(sample_app, hsds):
    """A provider's proposed change (pending_change) is not in any HSDS output."""
    from sociale_kaart.models import PendingChange

    service_id = get_json(hsds, "/hsds/services?per_page=1")["contents"][0]["id"]
    before = get_json(hsds, f"/hsds/services/{service_id}")
    db = sample_app.extensions["sociale_kaart.db"]
    with db.session() as session:
        pending = PendingChange(service_id=service_id,
                                organization_id=before["organization"]["id"],
                                proposed={**before, "name": "Voorgesteld maar niet gepubliceerd"})
        session.add(pending)
        session.flush()
        pending_id = pending.id
    try:
        assert get_json(hsds, f"/hsds/services/{service_id}") == before
        listing = get_json(hsds, "/hsds/services?search=Voorgesteld")
        assert listing["total_items"] == 0
    finally:
        with db.session() as session:
            session.delete(session.get(PendingChange, pending_id))


def test_rate_limit_answers_json_429(settings, tmp_path: Path):
    from sociale_kaart import create_app

    settings.hsds_rate_limit = "3 per minute"
    client = create_app(settings).test_client()
    assert [client.get("/hsds/").status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get("/hsds/taxonomies")
    assert limited.status_code == 429
    assert limited.get_json()["error"]["param"] == "rate"
