"""The Open data page and its downloads."""

from __future__ import annotations

import io
import json
import zipfile

from sociale_kaart import create_app


def test_page_names_the_licence_and_links_the_downloads(settings):
    settings.open_data_licence = "CC BY 4.0"
    html = create_app(settings).test_client().get("/open-data").get_data(as_text=True)
    assert "CC BY 4.0" in html and "https://creativecommons.org/licenses/by/4.0/" in html
    for link in ("/open-data/services.json", "/open-data/hsds.zip", "/api/docs", "/hsds/"):
        assert link in html
    assert "<script" not in html and " style=" not in html


def test_default_licence_is_cc0(client):
    assert "CC0 1.0" in client.get("/open-data").get_data(as_text=True)


def test_downloads_are_hsds_and_cached(client, settings):
    response = client.get("/open-data/services.json")
    assert response.status_code == 200
    assert json.loads(response.get_data()) == []
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert 'rel="license"' in response.headers["Link"]
    cached = settings.instance_path / "open-data" / "services.json"
    assert cached.is_file()
    etag_again = client.get("/open-data/services.json", headers={
        "If-None-Match": response.headers["ETag"]})
    assert etag_again.status_code == 304
    archive = zipfile.ZipFile(io.BytesIO(client.get("/open-data/hsds.zip").get_data()))
    assert {"datapackage.json", "services.csv", "taxonomy_terms.csv"} <= set(archive.namelist())
