"""The map shows markers, and no page loads anything from another host (tiles are off)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from .conftest import open_page, same_host

pytestmark = pytest.mark.browser

MARKERS = ".leaflet-marker-icon, .marker-cluster, .leaflet-interactive"


def test_map_shows_markers(page):
    open_page(page, "/kaart?q=koffie", pending=True)
    page.wait_for_selector(MARKERS, state="attached")
    assert page.locator(MARKERS).count() > 0


def test_no_request_leaves_the_site(context, live_server, service_id):
    requests: list[str] = []
    failed: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    context.on("requestfailed", lambda request: failed.append(
        f"{request.url}: {request.failure}"))
    page = context.new_page()
    paths = ["/", "/zoeken?q=koffie", "/zoeken?q=koffie&type=cursus", "/zoeken?q=qqqxxzz",
             f"/aanbod/{service_id}", "/kaart?q=koffie", "/onderwerp/ontmoeting",
             "/plaatsen", "/over", "/bestaat-niet"]
    for path in paths:
        page.goto(path, wait_until="networkidle")
    elsewhere = sorted({url for url in requests
                        if urlsplit(url).scheme not in ("data", "blob")
                        and not same_host(url, live_server)})
    assert not elsewhere, "requests to other hosts than the site:\n" + "\n".join(elsewhere)
    assert not failed, "failed requests:\n" + "\n".join(failed)


def test_page_assets_load_without_script_errors(context, service_id):
    """Every stylesheet, script and image a page asks for exists, and no script fails."""
    bad: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: bad.append(f"script error on {page.url}: {error}"))

    def check(response):
        if response.request.resource_type != "document" and response.status >= 400:
            bad.append(f"{response.status} {response.url}")

    page.on("response", check)
    for path in ["/", "/zoeken?q=koffie", f"/aanbod/{service_id}", "/kaart?q=koffie"]:
        page.goto(path, wait_until="networkidle")
    assert not bad, "\n".join(bad)
