"""Semantic search on the site: the status page's count, and "why it matched" for staff only."""

from __future__ import annotations

from datetime import date

from kit_accounts import add_user, login, make_app
from kit_semantic import add_two_listings, install_fake

TODAY = date(2026, 11, 22)


def _app(tmp_path, monkeypatch, **overrides):
    install_fake(monkeypatch)
    app = make_app(tmp_path / "instance", TODAY, **overrides)
    add_two_listings(app)
    add_user(app, "beheer@gemeente.example", "beheerder")
    add_user(app, "consulent@gemeente.example", "consultant")
    return app


def test_status_page_counts_listings_with_a_vector(tmp_path, monkeypatch):
    app = _app(tmp_path, monkeypatch)
    client = app.test_client()
    login(client, "beheer@gemeente.example")
    page = client.get("/beheer/status").get_data(as_text=True)
    assert "Zoeken op betekenis" in page
    assert "0 van 2 gepubliceerde diensten" in page
    app.extensions["sociale_kaart.search"].embed_missing()
    page = client.get("/beheer/status").get_data(as_text=True)
    assert "2 van 2 gepubliceerde diensten" in page


def test_status_page_says_when_semantic_search_is_off(tmp_path, monkeypatch):
    app = _app(tmp_path, monkeypatch, semantic="off")
    client = app.test_client()
    login(client, "beheer@gemeente.example")
    page = client.get("/beheer/status").get_data(as_text=True)
    assert "uit (instelling semantic = off)" in page


def test_staff_see_why_a_listing_matched_residents_do_not(tmp_path, monkeypatch):
    app = _app(tmp_path, monkeypatch)
    app.extensions["sociale_kaart.search"].embed_missing()
    resident = app.test_client().get("/zoeken?q=voedselbank").get_data(as_text=True)
    assert "Voedselbank Altena" in resident and "Waarom gevonden?" not in resident
    staff = app.test_client()
    login(staff, "consulent@gemeente.example")
    page = staff.get("/zoeken?q=voedselbank").get_data(as_text=True)
    assert "Waarom gevonden?" in page
    assert "Overeenkomst in betekenis" in page


def test_status_page_names_the_embedding_kernel(tmp_path):
    """With the real model (no fake): which engine embeds, the faster one built here."""
    app = make_app(tmp_path / "instance", TODAY)
    add_user(app, "beheer@gemeente.example", "beheerder")
    client = app.test_client()
    login(client, "beheer@gemeente.example")
    page = client.get("/beheer/status").get_data(as_text=True)
    assert "Rekenkern" in page
    assert "sneller, gebouwd voor deze processor" in page
