"""The provider portal and moderation in a real browser, end to end.

A provider signs in, changes the dates of a course and (as a provider who is not trusted) its
description, and submits; the dates are on the map at once, the description waits. A
moderator, in a browser context of their own, publishes the waiting change. A resident without
an account then opens the listing and sees the new dates and the new text.

The flow writes, so it has an instance and live server of its own: the session-wide sample
instance of the other browser tests stays as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from conftest import REFERENCE_DATE
from kit_live_server import serving

from sociale_kaart import create_app
from sociale_kaart.config import load_settings
from sociale_kaart.services.accounts import create_user
from sociale_kaart.services.imports import import_paths

from .conftest import DESKTOP, open_page

pytestmark = pytest.mark.browser

PROVIDER = "aanbieder@cursus.example"
MODERATOR = "moderator@gemeente.example"
PASSWORD = "een-lang-wachtwoord-voor-de-browser"
NEW_TEXT = "Nieuw in 2027: les in de avond, met kinderopvang in het buurthuis."


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[tuple[str, dict]]:
    """A live server over one course listing, with a provider and a moderator account.

    The session cookie keeps its ``Secure`` flag (the default): Chromium counts
    http://127.0.0.1 as a secure context and keeps such cookies there, so the flow also
    proves that the default cookie settings work on a local test server."""
    from kit_portal import COURSE, ORG

    tmp = tmp_path_factory.mktemp("portal-flow")
    settings = load_settings(tmp / "instance", today=REFERENCE_DATE, tiles_url="",
                             flask={"TILES_URL": "", "PROPAGATE_EXCEPTIONS": False})
    assert settings.session_cookie_secure
    app = create_app(settings)
    database = app.extensions["sociale_kaart.db"]
    path = tmp / "course.json"
    path.write_text(json.dumps([COURSE]), encoding="utf-8")
    assert len(import_paths(database, [path], load_plugins=False).created) == 1
    with database.session() as session:
        create_user(session, PROVIDER, "provider", password=PASSWORD, organization_ids=[ORG])
        create_user(session, MODERATOR, "moderator", password=PASSWORD)
    with serving(app, threads=4, name="portal-live-server") as base:
        yield base, COURSE


def new_page(browser, base_url: str):
    context = browser.new_context(base_url=base_url, viewport=DESKTOP, locale="nl-NL")
    context.set_default_timeout(10_000)
    return context, context.new_page()


def sign_in(page, email: str) -> None:
    open_page(page, "/account/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Inloggen").click()
    assert "/account/inloggen" not in page.url, page.locator("main").inner_text()[:500]
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"


def test_provider_changes_a_course_moderator_approves_resident_sees_it(browser, portal):
    base_url, course = portal
    service_id = course["id"]
    schedule_id = next(s["id"] for s in course["schedules"] if s.get("dtstart"))
    contexts = []
    try:
        # The provider changes the course dates: they are on the map at once.
        context, provider = new_page(browser, base_url)
        contexts.append(context)
        sign_in(provider, PROVIDER)
        assert provider.url.endswith("/aanbieder/")
        with provider.expect_navigation():
            provider.locator(f"a[href='/aanbieder/aanbod/{service_id}/cursusdata']").click()
        form = provider.locator(
            f"form[action='/aanbieder/aanbod/{service_id}/cursusdata/{schedule_id}']")
        form.locator(f"[name='s-{schedule_id}-start']").fill("2027-03-02")
        form.locator(f"[name='s-{schedule_id}-end']").fill("2027-06-15")
        with provider.expect_navigation():
            form.get_by_role("button", name="Wijziging opslaan").click()
        assert provider.url.endswith(f"/aanbieder/aanbod/{service_id}/cursusdata")
        assert "opgeslagen" in provider.locator("body").inner_text()
        assert "2 maart 2027" in provider.locator("h2").first.inner_text()

        # ... and the description, which waits for a moderator.
        with provider.expect_navigation():
            provider.goto(f"/aanbieder/aanbod/{service_id}/bewerken")
        provider.locator("textarea[name='description']").fill(NEW_TEXT)
        with provider.expect_navigation():
            provider.get_by_role("button", name="Opslaan", exact=True).click()
        assert "wacht" in provider.locator("body").inner_text()

        # Residents see the new dates already, but not yet the new text.
        context, resident = new_page(browser, base_url)
        contexts.append(context)
        open_page(resident, f"/aanbod/{service_id}")
        text = resident.locator("main").inner_text()
        assert "2 maart 2027" in text and NEW_TEXT not in text

        # A moderator (a browser of their own) publishes the change.
        context, moderator = new_page(browser, base_url)
        contexts.append(context)
        sign_in(moderator, MODERATOR)
        open_page(moderator, "/beheer/moderatie")
        with moderator.expect_navigation():
            moderator.locator("a[href^='/beheer/moderatie/']").first.click()
        assert NEW_TEXT in moderator.locator("main").inner_text()
        assert PROVIDER in moderator.locator("main").inner_text()
        with moderator.expect_navigation():
            moderator.get_by_role("button", name="Goedkeuren en plaatsen").click()
        assert moderator.locator("main").count() == 1

        # The resident reloads: the new dates and the new text.
        open_page(resident, f"/aanbod/{service_id}")
        text = resident.locator("main").inner_text()
        assert NEW_TEXT in text
        assert "2 maart 2027" in text
        assert course["description"][:40] not in text
    finally:
        for context in contexts:
            context.close()
