"""The map view (/kaart) and the detail page's small map: no CDN, the same results as the
search, escaped popups, a list for everyone without the map, tiles that can be switched off."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from conftest import REFERENCE_DATE
from flask import render_template

from sociale_kaart import create_app
from sociale_kaart.config import load_settings
from sociale_kaart.search.engine import Hit
from sociale_kaart.search.params import SearchParams
from sociale_kaart.web.maps import (
    DEFAULT_TILES_URL,
    MapMarker,
    detail_map_html,
    results_map,
    tiles_origin,
)

TILE_HOST = urlsplit(DEFAULT_TILES_URL).netloc
QUERIES = [{}, {"q": "eenzaam"}, {"q": "mantelzorg", "near": "Werkendam"},
           {"category": "mantelzorg"}]


def page_of(response) -> str:
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def marker_rows(page: str) -> list[list]:
    """The marker data rows ([lat, lon, popup_html, title]) in the page's map script."""
    match = re.search(r"var data = (\[.*?\]);\n", page, re.S)
    return json.loads(match.group(1)) if match else []


def list_section(page: str) -> str:
    start = page.index('id="kaart-lijst"')
    return page[start:page.index("</section>", start)]


def search_all(client, args: dict) -> list[dict]:
    """Every result of the JSON API for these arguments."""
    results, page = [], 1
    while True:
        body = client.get("/api/v1/search",
                          query_string={**args, "per_page": 100, "page": page}).get_json()
        results += body["results"]
        if len(results) >= body["total"] or not body["results"]:
            return results
        page += 1


def located_ids(app, args: dict) -> set[str]:
    """Ids of the results with at least one point, from the search behind the API."""
    from werkzeug.datastructures import MultiDict

    from sociale_kaart.search.params import parse_params

    search = app.extensions["sociale_kaart.search"]
    params = parse_params(MultiDict(args), default_km=10.0).with_(per_page=1000)
    return {h.id for h in search.search(params).hits if h.meta.get("points")}


def external_refs(page: str) -> set[str]:
    """Hosts of every absolute URL in the page (attributes, CSS and script text)."""
    return {urlsplit(url).netloc for url in re.findall(r"(?:https?:)?//[\w.-]+[^\s\"'<>)]*",
                                                       page)}


@pytest.fixture(scope="module")
def no_tiles_app(sample_instance):
    settings = load_settings(sample_instance, today=REFERENCE_DATE,
                             flask={"TESTING": True, "TILES_URL": ""})
    return create_app(settings)


# -- the map page -----------------------------------------------------------------------------

@pytest.mark.parametrize("args", QUERIES)
def test_map_has_a_marker_per_located_result(sample_client, sample_app, args):
    response = sample_client.get("/kaart", query_string=args)
    assert response.status_code == 200
    page = page_of(response)
    api = search_all(sample_client, args)
    located = located_ids(sample_app, args)
    assert located <= {r["id"] for r in api}
    rows = marker_rows(page)
    ids_on_map = {re.search(r'href="/aanbod/([^"]+)"', row[2]).group(1) for row in rows}
    assert ids_on_map == located
    # One marker per location: at least one per located result.
    assert len(rows) >= len(located)
    if located:
        assert "L.markerClusterGroup" in page and ".fitBounds(" in page


def test_map_page_has_every_result_as_a_list(sample_client):
    args = {"q": "hulp"}
    page = page_of(sample_client.get("/kaart", query_string=args))
    api = search_all(sample_client, args)
    assert len(api) > 5
    section = list_section(page)
    linked = re.findall(r'href="/aanbod/([^"]+)"', section)
    assert sorted(linked) == sorted(r["id"] for r in api)
    assert "Bekijk als lijst" in page
    assert 'href="/zoeken?q=hulp"' in page


def test_services_without_a_point_are_listed_as_remote(sample_client, sample_app):
    page = page_of(sample_client.get("/kaart"))
    api_ids = {r["id"] for r in search_all(sample_client, {})}
    remote = api_ids - located_ids(sample_app, {})
    assert remote, "the sample data has home-visit/online services"
    assert "Bij u thuis, telefonisch of online" in page
    section = list_section(page)
    remote_part = section[section.index('id="kop-thuis"'):]
    assert set(re.findall(r'href="/aanbod/([^"]+)"', remote_part)) == remote
    on_map = {re.search(r"/aanbod/([^\"]+)", row[2]).group(1) for row in marker_rows(page)}
    assert not on_map & remote


def test_map_links_only_to_this_site_and_the_tile_server(sample_client):
    page = page_of(sample_client.get("/kaart", query_string={"q": "eenzaam"}))
    assert external_refs(page) == {TILE_HOST}
    for attr in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert not urlsplit(attr).netloc, attr
    assert "/static/vendor/leaflet/leaflet.js" in page
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in page
    for cdn in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers",
                "cdn", "unpkg"):
        assert cdn not in page.lower()


def test_leaflet_only_on_map_pages(sample_client):
    page = page_of(sample_client.get("/zoeken", query_string={"q": "eenzaam"}))
    assert "leaflet" not in page.lower()


def test_vendored_assets_are_served(sample_client):
    for path in ("vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css",
                 "vendor/leaflet/images/marker-icon.png",
                 "vendor/leaflet/images/marker-icon-2x.png",
                 "vendor/leaflet/images/marker-shadow.png",
                 "vendor/leaflet.markercluster/leaflet.markercluster.js",
                 "vendor/leaflet.markercluster/MarkerCluster.css",
                 "vendor/leaflet.markercluster/MarkerCluster.Default.css",
                 "vendor/leaflet/LICENSE", "vendor/leaflet.markercluster/LICENSE",
                 "css/map.css"):
        response = sample_client.get(f"/static/{path}")
        assert response.status_code == 200, path
        response.close()


def test_map_works_without_javascript(sample_client):
    """The map container starts hidden; only the script (when Leaflet loaded) shows it."""
    page = page_of(sample_client.get("/kaart"))
    assert re.search(r'<div class="map-wrap" id="[^"]+" hidden>', page)
    assert "if (!window.L" in page
    assert page.index('id="kaart-lijst"') < page.index("<script")


def test_tiles_off_removes_the_tile_layer(no_tiles_app):
    client = no_tiles_app.test_client()
    page = page_of(client.get("/kaart"))
    assert "L.tileLayer" not in page
    assert external_refs(page) == set()
    assert marker_rows(page), "markers still show without tiles"
    with no_tiles_app.test_request_context():
        assert tiles_origin() is None


def test_default_tiles_are_pdok(sample_client, sample_app):
    page = page_of(sample_client.get("/kaart"))
    assert 'L.tileLayer(\n                "' + DEFAULT_TILES_URL in page
    assert "Kaartgegevens \\u0026copy; Kadaster" in page
    with sample_app.test_request_context():
        assert tiles_origin() == "https://service.pdok.nl"


@pytest.mark.parametrize("args", [{"km": "abc", "near": "Werkendam"}, {"sort": "distance"},
                                  {"category": "bestaat-niet"}, {"page": "0"}])
def test_bad_parameters_give_a_friendly_400(sample_client, args):
    response = sample_client.get("/kaart", query_string=args)
    assert response.status_code == 400
    page = page_of(response)
    assert "Dit kunnen we niet zoeken" in page
    assert "leaflet" not in page.lower()


def test_no_results_no_map(sample_client):
    response = sample_client.get("/kaart", query_string={"q": "xqzvwk"})
    assert response.status_code == 200
    page = page_of(response)
    assert "0 resultaten" in page
    assert "leaflet" not in page.lower()


# -- building blocks --------------------------------------------------------------------------

EVIL = '<script>alert("x")</script> & <b>vet</b>'


def test_popups_escape_html(sample_app):
    with sample_app.test_request_context("/kaart"):
        rendered = results_map([MapMarker(51.8, 4.9, EVIL, [EVIL], "/aanbod/1")])
        script = str(rendered.script)
    assert "<script>" not in script and "<b>" not in script and "</" not in script
    popup = marker_rows("var data = " + script.split("var data = ", 1)[1])[0][2]
    assert "<script>" not in popup and "<b>" not in popup
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;vet&lt;/b&gt;" in popup
    assert popup.startswith('<strong><a href="/aanbod/1">')


def test_hostile_listing_name_on_the_map_page(sample_app, monkeypatch):
    from sociale_kaart.web import map_views

    hit = Hit(id="x1", name=EVIL, organization_id="o", organization=EVIL, summary="",
              meta={"points": [[51.8, 4.9]], "kernen": ["Werkendam"]}, score=1.0)
    fake = type("R", (), {"total": 1, "suggestion": None, "near": None,
                          "detected_place": None, "extra": {}})()
    monkeypatch.setattr(map_views, "_all_hits", lambda params: (fake, [hit]))
    page = page_of(sample_app.test_client().get("/kaart"))
    assert "<script>alert" not in page and "<b>vet" not in page
    assert "&lt;script&gt;alert" in page


def test_detail_map_partial_renders(sample_app):
    with sample_app.test_request_context("/aanbod/x"):
        html = detail_map_html([(51.8135, 4.89453, "Buurthuis <De Spil>"),
                                (51.82, 4.9, "")])
        out = render_template("public/_detail_map.html", map_html=html)
        empty = render_template("public/_detail_map.html", map_html=detail_map_html([]))
    assert 'class="detail-map"' in out and 'class="folium-map"' in out
    assert "/static/vendor/leaflet/leaflet.js" in out and "leaflet.css" in out
    assert "markercluster" not in out
    assert "<De Spil>" not in out and "Buurthuis \\u0026lt;De Spil\\u0026gt;" in out
    assert len(marker_rows(out)) == 2
    assert external_refs(out) == {TILE_HOST}
    assert empty.strip() == ""


def test_detail_page_small_map(sample_client, sample_app):
    """The lead's detail page includes the partial for a listing with an address."""
    search = sample_app.extensions["sociale_kaart.search"]
    hit = next(h for h in search.search(SearchParams(per_page=200)).hits
               if h.meta.get("points"))
    page = page_of(sample_client.get(f"/aanbod/{hit.id}"))
    if 'class="detail-map"' not in page:
        pytest.skip("detail.html does not include the map partial yet")
    assert len(marker_rows(page)) == len(hit.meta["points"])
    # Everything the page loads comes from this site (links to other sites are fine).
    loaded = re.findall(r'<(?:script|img)[^>]* src="([^"]*)"', page)
    loaded += re.findall(r'<link[^>]* href="([^"]*)"', page)
    assert loaded and not [url for url in loaded if urlsplit(url).netloc]
