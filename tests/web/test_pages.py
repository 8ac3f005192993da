"""The resident-facing pages: home, search results, detail, errors, about."""

from __future__ import annotations

import json
import re

import pytest
from conftest import SAMPLE
from markupsafe import escape

SERVICES = [json.loads(line) for line in (SAMPLE / "services.jsonl").read_text("utf-8")
            .splitlines() if line.strip()]
BY_ID = {s["id"]: s for s in SERVICES}


def html(response) -> str:
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def contains(page: str, text: str) -> bool:
    return str(escape(text)) in page or text in page


# -- home ----------------------------------------------------------------------------------

def test_home(sample_client):
    response = sample_client.get("/")
    assert response.status_code == 200
    page = html(response)
    assert "Waar zoekt u hulp bij?" in page
    assert 'name="q"' in page and 'action="/zoeken"' in page
    assert 'name="near"' in page
    # A tile per levensgebied links to a filtered search.
    assert "/onderwerp/mantelzorg" in page


def test_home_example_links_work(sample_client):
    page = html(sample_client.get("/"))
    links = re.findall(r'href="(/zoeken\?q=[^"]+)"', page)
    assert links
    for link in links:
        assert sample_client.get(link.replace("&amp;", "&")).status_code == 200


# -- search results ------------------------------------------------------------------------

def test_search_page_shows_results_and_filters(sample_client):
    response = sample_client.get("/zoeken", query_string={"q": "alzheimer"})
    assert response.status_code == 200
    page = html(response)
    assert "Waar zoekt u hulp bij?" in page
    assert 'value="alzheimer"' in page
    api = sample_client.get("/api/v1/search", query_string={"q": "alzheimer"}).get_json()
    assert api["total"] > 0
    first = api["results"][0]
    assert contains(page, first["name"])
    assert f'/aanbod/{first["id"]}' in page
    assert "Filters" in page
    # Filter links keep the query and add a facet value.
    assert re.search(r'href="\?q=alzheimer&amp;(category|type)=\w+"', page)
    assert f'{api["total"]} resulta' in page


def test_search_page_suggests_spelling(sample_client):
    page = html(sample_client.get("/zoeken", query_string={"q": "altzheimer"}))
    assert "Bedoelde u" in page
    assert "alzheimer" in page.split("Bedoelde u", 1)[1][:300]


def test_search_page_filter_chip_can_be_removed(sample_client):
    response = sample_client.get("/zoeken", query_string={"q": "hulp", "type": "cursus"})
    assert response.status_code == 200
    page = html(response)
    assert "Gekozen filters" in page
    assert 'href="?q=hulp"' in page


def test_search_page_paging_links(sample_client):
    page = html(sample_client.get("/zoeken"))
    assert 'rel="next"' in page
    assert "Pagina 1 van" in page
    second = html(sample_client.get("/zoeken", query_string={"page": "2"}))
    assert 'rel="prev"' in second


@pytest.mark.parametrize("query", [
    {"km": "5"}, {"near": "4251", "km": "-1"}, {"sort": "distance"}, {"page": "0"},
    {"type": "bogus"}, {"age": "200"}, {"open": "bogus"}, {"near": "Xyzzyplaatsbestaatniet"},
    {"q": "a" * 501}, {"free": "maybe"},
])
def test_search_page_bad_parameter_is_a_friendly_400(sample_client, query):
    response = sample_client.get("/zoeken", query_string=query)
    assert response.status_code == 400
    page = html(response)
    assert "Dit kunnen we niet zoeken" in page
    assert "Waar zoekt u hulp bij?" in page  # the person can search again
    assert "Traceback" not in page


def test_search_page_zero_results(sample_client):
    response = sample_client.get("/zoeken", query_string={"q": "qqqxxxzzzvvv"})
    assert response.status_code == 200
    page = html(response)
    assert "0 resultaten" in page
    assert "We hebben niets gevonden" in page
    assert "Kijk of alles goed gespeld is" in page


def test_search_page_zero_results_near_offers_wider_radius(sample_client):
    response = sample_client.get("/zoeken", query_string={"q": "qqqxxxzzzvvv",
                                                          "near": "4251", "km": "3"})
    assert response.status_code == 200
    page = html(response)
    assert "Zoek verder weg" in page
    assert "km=6" in page


@pytest.mark.parametrize("q", ['"', "(", "AND OR NOT", "\\", "😀", "مساعدة", "<script>", " "])
def test_search_page_odd_queries(sample_client, q):
    response = sample_client.get("/zoeken", query_string={"q": q})
    assert response.status_code == 200
    page = html(response)
    assert "Waar zoekt u hulp bij?" in page
    assert "resulta" in page


def test_search_page_escapes_the_query(sample_client):
    page = html(sample_client.get("/zoeken", query_string={"q": "<script>alert(1)</script>"}))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


# -- detail --------------------------------------------------------------------------------

def sample_with(predicate) -> dict:
    return next(s for s in SERVICES if s["status"] == "active" and predicate(s))


def test_detail_page(sample_client):
    service = sample_with(lambda s: s["phone"] and s["locations"])
    response = sample_client.get(f"/aanbod/{service['id']}")
    assert response.status_code == 200
    page = html(response)
    assert contains(page, service["name"])
    assert contains(page, service["organization"]["name"])
    assert contains(page, service["phone"])
    location = service["locations"][0]
    assert contains(page, location["street"])
    assert contains(page, f'{location["postcode"]} {location["city"]}')
    assert "Laatst gecontroleerd" in page or "Nog niet gecontroleerd" in page


def test_detail_page_without_location_names_the_area(sample_client):
    service = sample_with(lambda s: not s["locations"] and s["service_area"])
    page = html(sample_client.get(f"/aanbod/{service['id']}"))
    assert contains(page, service["name"])
    assert contains(page, service["service_area"][0])


def test_detail_page_of_a_course_shows_dates(sample_client):
    service = sample_with(lambda s: s.get("course") and s["course"]["until"] > "2026-11-22")
    page = html(sample_client.get(f"/aanbod/{service['id']}"))
    assert "Cursusdata" in page


def test_detail_page_of_inactive_service_says_so(sample_client):
    service = next(s for s in SERVICES if s["status"] == "inactive")
    response = sample_client.get(f"/aanbod/{service['id']}")
    assert response.status_code == 200
    assert "niet actief" in html(response)


@pytest.mark.parametrize("service_id", [
    "00000000-0000-4000-8000-000000000000", "bestaat-niet", "x" * 65, "%00", "..",
])
def test_unknown_detail_is_404_page(sample_client, service_id):
    response = sample_client.get(f"/aanbod/{service_id}")
    assert response.status_code == 404
    page = html(response)
    assert "Deze pagina bestaat niet" in page


def test_unknown_page_is_404(sample_client):
    response = sample_client.get("/bestaat/niet")
    assert response.status_code == 404
    assert "Deze pagina bestaat niet" in html(response)


# -- about ---------------------------------------------------------------------------------

def test_about_has_geonames_attribution(sample_client):
    response = sample_client.get("/over")
    assert response.status_code == 200
    page = html(response)
    assert "GeoNames" in page
    assert "https://www.geonames.org/" in page
    assert "CC BY 4.0" in page
