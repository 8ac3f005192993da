"""Browse pages, the detail page's extras, and the anonymous "Klopt er iets niet?" report."""

from __future__ import annotations

import json
import re

import kit_database
import pytest
from conftest import SAMPLE

SERVICES = [json.loads(line) for line in (SAMPLE / "services.jsonl").read_text().splitlines()]
ACTIVE = [s for s in SERVICES if s["status"] == "active"]


def visible(service: dict) -> bool:
    course = service.get("course")
    return service["status"] == "active" and not (course and course["until"] < "2026-11-22")


@pytest.mark.parametrize("code", ["mantelzorg", "geld", "vervoer"])
def test_browse_per_levensgebied_lists_every_visible_listing(sample_client, code):
    response = sample_client.get(f"/onderwerp/{code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    expected = [s for s in SERVICES if code in s["categories"] and visible(s)]
    assert f"{len(expected)} resultaten" in page or f"{len(expected)} resultaat" in page
    for service in expected[:10]:
        assert service["id"] in page


def test_browse_per_theme_and_place(sample_client):
    assert sample_client.get("/thema/wonen").status_code == 200
    page = sample_client.get("/plaats/Werkendam").get_data(as_text=True)
    expected = [s for s in SERVICES if visible(s)
                and any(loc["city"] == "Werkendam" for loc in s["locations"])]
    assert f"{len(expected)} resultaten" in page
    places = sample_client.get("/plaatsen").get_data(as_text=True)
    assert "/plaats/Werkendam" in places and "/thema/wonen" in places


@pytest.mark.parametrize("path", ["/onderwerp/bestaatniet", "/thema/bestaatniet",
                                  "/plaats/Nergenshuizen", "/onderwerp/geld?page=abc"])
def test_unknown_browse_pages(sample_client, path):
    assert sample_client.get(path).status_code in (400, 404)


def test_detail_has_json_ld_siblings_and_report_link(sample_client):
    service = next(s for s in ACTIVE if s["type"] == "cursus" and s["course"]["until"] > "2027")
    page = sample_client.get(f"/aanbod/{service['id']}").get_data(as_text=True)
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    data = json.loads(block.group(1))
    assert data["@type"] == "Course" and data["name"] == service["name"]
    assert data["hasCourseInstance"][0]["startDate"] == service["course"]["dtstart"]
    assert f"/aanbod/{service['id']}/klopt-niet" in page
    siblings = [s for s in ACTIVE if s["organization"]["id"] == service["organization"]["id"]
                and s["id"] != service["id"]]
    for sibling in siblings:
        assert sibling["id"] in page


def few_listings(db, tmp_path) -> None:
    """A small instance: the first listings of the sample data."""
    from conftest import SAMPLE_JSON

    from sociale_kaart.services.imports import import_paths

    records = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))
    wanted = {s["id"] for s in ACTIVE[:3]}
    path = tmp_path / "few.json"
    path.write_text(json.dumps([r for r in records if r["id"] in wanted]), encoding="utf-8")
    import_paths(db, [path], load_plugins=False)


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _reports(instance) -> list[tuple]:
    return kit_database.rows(instance, "select service_id, reason, comment, status from report")


def test_report_needs_a_csrf_token(app, client, db, tmp_path):
    from conftest import SAMPLE_JSON

    from sociale_kaart.services.imports import import_paths

    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    service_id = ACTIVE[0]["id"]
    response = client.post(f"/aanbod/{service_id}/klopt-niet",
                           data={"reason": "adres", "comment": "verhuisd"})
    assert response.status_code == 400
    assert _reports(app.extensions["sociale_kaart.settings"].instance_path) == []


def test_report_is_stored_without_personal_data(app, client, db, tmp_path):
    from conftest import SAMPLE_JSON

    from sociale_kaart.services.imports import import_paths

    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    service_id = ACTIVE[0]["id"]
    form = client.get(f"/aanbod/{service_id}/klopt-niet")
    assert form.status_code == 200
    token = _token(form.get_data(as_text=True))
    response = client.post(f"/aanbod/{service_id}/klopt-niet",
                           data={"csrf_token": token, "reason": "tijden",
                                 "comment": "  Op woensdag   is het dicht "})
    assert response.status_code == 302
    follow = client.get(response.headers["Location"])
    assert "Bedankt" in follow.get_data(as_text=True)
    rows = _reports(app.extensions["sociale_kaart.settings"].instance_path)
    assert rows == [(service_id, "tijden", "Op woensdag is het dicht", "open")]
    # The table has no column that could hold who sent it.
    columns = kit_database.columns_of_app(app, "report")
    assert not columns & {"ip", "ip_address", "email", "name", "user_agent", "session_id"}


@pytest.mark.parametrize(("data", "field"), [
    ({"reason": "bestaatniet"}, "Kies wat er niet klopt"),
    ({}, "Kies wat er niet klopt"),
    ({"reason": "anders", "comment": "x" * 2001}, "2000"),
])
def test_report_form_errors_are_clear(app, client, db, tmp_path, data, field):
    from conftest import SAMPLE_JSON

    from sociale_kaart.services.imports import import_paths

    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    service_id = ACTIVE[0]["id"]
    token = _token(client.get(f"/aanbod/{service_id}/klopt-niet").get_data(as_text=True))
    response = client.post(f"/aanbod/{service_id}/klopt-niet", data={"csrf_token": token,
                                                                     **data})
    assert response.status_code == 400
    assert field in response.get_data(as_text=True)
    assert _reports(app.extensions["sociale_kaart.settings"].instance_path) == []


def test_report_for_unknown_listing_is_404(sample_client):
    assert sample_client.get("/aanbod/onbekend/klopt-niet").status_code == 404
