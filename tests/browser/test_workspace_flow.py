"""Issue 6 in a real browser: a consultant signs in, searches the workspace, puts three
services on the referral list, writes a note for each, and downloads the referral sheet as a
PDF. The new pages have no axe violations."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid

import pytest
from conftest import REFERENCE_DATE

from sociale_kaart.config import load_settings
from sociale_kaart.db import Database
from sociale_kaart.services.accounts import create_user

from .conftest import AXE_TAGS, DESKTOP, format_violations, open_page

pytestmark = pytest.mark.browser

PASSWORD = "een-lang-wachtwoord-voor-de-test"
QUERY = "geld"


@pytest.fixture(scope="module")
def consultant(sample_instance, live_server) -> str:
    """A consultant account made in the live server's instance."""
    email = f"consulent-{uuid.uuid4().hex[:8]}@gemeente.example"
    settings = load_settings(sample_instance, today=REFERENCE_DATE)
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            create_user(session, email, "consultant", password=PASSWORD)
    finally:
        database.dispose()
    return email


def sign_in(page, email: str) -> None:
    open_page(page, "/account/inloggen")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert page.url.endswith("/professional/"), page.url


def test_consultant_makes_a_referral_sheet(page, consultant, tmp_path):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, consultant)
    with page.expect_navigation():
        page.get_by_role("link", name="Zoeken voor professionals").click()
    page.fill("#pro-q", QUERY)
    with page.expect_navigation():
        page.locator("form.pro-search button[type=submit]").click()
    cards = page.locator("ol.cards > li.card")
    assert cards.count() >= 3
    names = []
    for index in range(3):
        card = page.locator("ol.cards > li.card").nth(index)
        names.append(card.locator("h2 a").inner_text().strip())
        with page.expect_navigation():
            card.locator("button.shortlist-button").click()
        assert "staat nu op uw lijst" in page.locator(".flash").inner_text()
    assert page.locator("ol.cards > li.card").nth(0).locator("button.shortlist-button") \
        .inner_text().startswith("Van verwijslijst halen")

    with page.expect_navigation():
        page.get_by_role("link", name="Naar de verwijslijst").click()
    notes = {}
    for number, name in enumerate(names, start=1):
        notes[name] = f"Tip {number}: hier kunt u terecht met vragen over uw geld"
        page.get_by_label(f"Notitie bij {name}").fill(notes[name])
    with page.expect_navigation():
        page.get_by_role("button", name="Notities bewaren").click()
    assert "De notities zijn bewaard" in page.locator(".flash").inner_text()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Overzicht als PDF downloaden").click()
    pdf = tmp_path / "verwijslijst.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) not installed")
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                   text=True, check=True).stdout.split())
    for name in names:
        assert " ".join(name.split()) in text
        assert notes[name] in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info

    # The print view and the short link (without the notes).
    page.goto("/verwijslijst")
    assert notes[names[0]] in page.content()
    page.goto("/mijn-lijstje")
    short = page.locator("#korte-link").input_value()
    context = page.context.browser.new_context(viewport=DESKTOP, locale="nl-NL")
    try:
        other = context.new_page()
        other.goto(short)
        content = other.content()
        assert all(name in content for name in names)
        assert not any(note in content for note in notes.values())
    finally:
        context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_workspace_pages_have_no_axe_violations(browser, live_server, axe_source, consultant):
    context = browser.new_context(base_url=live_server, viewport=DESKTOP, bypass_csp=True,
                                  locale="nl-NL")
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        sign_in(page, consultant)
        page.goto(f"/professional/zoeken?q={QUERY}")
        page.locator("ol.cards button.shortlist-button").first.click()
        page.wait_for_load_state()
        found = []
        for path in ("/professional/", f"/professional/zoeken?q={QUERY}", "/mijn-lijstje",
                     "/verwijslijst", "/verwijslijst?groot=1", "/verwijslijst?lang=en"):
            open_page(page, path, wait_until="networkidle")
            page.add_script_tag(content=axe_source)
            violations = page.evaluate("tags => axe.run(document, {runOnly: tags})"
                                       ".then(r => r.violations)", AXE_TAGS)
            if violations:
                found.append(format_violations(path, violations))
        assert not found, "\n".join(found)
    finally:
        context.close()
