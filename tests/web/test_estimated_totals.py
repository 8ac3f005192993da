"""Estimated totals (the postgres backend counts exactly up to a limit, issue 12): the results
page says "ongeveer" and the API marks the total and the facets as estimates. The engine side
is tested in tests/search/test_pg_backend.py; here the flags are set on a real search result."""

from __future__ import annotations

import re


def heading(html: str) -> str:
    return " ".join(re.search(r'<h1 id="kop-resultaten">(.*?)</h1>', html, re.S).group(1).split())


def estimate_from_now_on(app, monkeypatch) -> None:
    service = app.extensions["sociale_kaart.search"]
    real_search = service.search

    def search(params):
        result = real_search(params)
        result.extra["total_estimated"] = True
        result.extra["facets_estimated"] = True
        return result

    monkeypatch.setattr(service, "search", search)


def test_results_page_says_the_total_is_about(sample_app, sample_client, monkeypatch):
    exact = heading(sample_client.get("/zoeken?q=taal").get_data(as_text=True))
    assert re.match(r"\d+ resultaten voor", exact), exact
    estimate_from_now_on(sample_app, monkeypatch)
    page = heading(sample_client.get("/zoeken?q=taal").get_data(as_text=True))
    assert page == "ongeveer " + exact, page


def test_api_marks_estimates(sample_app, sample_client, monkeypatch):
    exact = sample_client.get("/api/v1/search?q=taal").get_json()
    assert "total_estimated" not in exact and "facets_estimated" not in exact
    estimate_from_now_on(sample_app, monkeypatch)
    body = sample_client.get("/api/v1/search?q=taal").get_json()
    assert body["total_estimated"] is True and body["facets_estimated"] is True
    assert body["total"] == exact["total"]
