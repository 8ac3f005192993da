"""axe-core finds nothing on the coordinator's pages and the e-mail answer pages of the
volunteer platform (issue 9), and the coordinator's work runs without JavaScript.

The pages need data and a signed-in coordinator, so the module has an instance and live server
of its own (the anonymous pages of the platform are in test_accessibility.py).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from kit_live_server import serving

from .conftest import AXE_TAGS, DESKTOP, format_violations

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@example.org"


@pytest.fixture(scope="module")
def coordinator_server(tmp_path_factory):
    from kit_coordinator import (
        T0,
        coordinator_app,
        db_of,
        hulpvraag_for_client,
        organisation_vacancy,
        staff,
        user_by_email,
        volunteer,
    )

    from sociale_kaart.models import ContactLogEntry
    from sociale_kaart.volunteer.mailings import SALT_FOLLOWUP, SALT_UNSUBSCRIBE, make_token
    from sociale_kaart.volunteer.responses import accept, respond

    app = coordinator_app(tmp_path_factory.mktemp("coordinator-browser") / "inst",
                          T0 + timedelta(days=10), tiles_url="")
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    staff(app, COORDINATOR)
    staff(app, "consulent@example.org", "consultant")
    settings = app.extensions["sociale_kaart.settings"]
    with db_of(app).session() as session:
        coordinator = user_by_email(session, COORDINATOR)
        consultant = user_by_email(session, "consulent@example.org")
        organisation_vacancy(session, coordinator, "Chauffeur voor de buurtbus")
        organisation_vacancy(session, coordinator, "Penningmeester gezocht", approve=False,
                             themes=("bestuur",), description="Mail ons: info@club.example")
        case = hulpvraag_for_client(session, consultant, coordinator, "Hulp in de tuin",
                                    themes=("tuin",))
        answered = hulpvraag_for_client(session, consultant, coordinator, "Boodschappen")
        anna = volunteer(session, "Anna", interests=["tuin", "boodschappen"], ask_opt_in=True,
                         digest_opt_in=True, vog_status="verified",
                         vog_expires_on=(T0 + timedelta(days=30)).date())
        session.add(ContactLogEntry(listing_id=case.id, coordinator_user_id=coordinator.id,
                                    channel="phone", note="Gebeld, belt terug.",
                                    follow_up=True, follow_up_on=T0.date()))
        response = respond(session, answered, now=T0, person=anna, user=anna.user)
        accept(session, response, by=consultant, now=T0)
        ids = {"case": case.id,
               "unsubscribe": make_token(settings, SALT_UNSUBSCRIBE, {"p": anna.id}),
               "followup": make_token(settings, SALT_FOLLOWUP, {"r": response.id,
                                                                "s": "responder"})}
    with serving(app, threads=4, name="coordinator-server") as base:
        yield base, ids


def _sign_in(page, email: str = COORDINATOR) -> None:
    from kit_coordinator import PASSWORD

    page.goto("/account/inloggen")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()


@pytest.fixture(scope="module")
def signed_in(browser, coordinator_server):
    base, _ = coordinator_server
    context = browser.new_context(base_url=base, viewport=DESKTOP, bypass_csp=True,
                                  locale="nl-NL")
    context.set_default_timeout(20_000)
    page = context.new_page()
    _sign_in(page)
    assert "/vrijwilligers/coordinator/" in page.url  # the coordinator's start page
    yield page
    context.close()


PAGES = [
    ("dashboard", "/vrijwilligers/coordinator/", 200),
    ("moderation", "/vrijwilligers/coordinator/moderatie", 200),
    ("brokering", "/vrijwilligers/coordinator/bemiddeling", 200),
    ("case", "/vrijwilligers/coordinator/zaak/{case}", 200),
    ("routing", "/vrijwilligers/doorverwijzen/{case}", 200),
    ("vog", "/vrijwilligers/coordinator/vog", 200),
    ("print-list", "/vrijwilligers/coordinator/afdrukken/Woudrichem", 200),
    ("figures", "/vrijwilligers/coordinator/cijfers?jaar=2026", 200),
    ("mail-unsubscribe", "/vrijwilligers/e-mail/afmelden/{unsubscribe}", 200),
    ("mail-followup", "/vrijwilligers/e-mail/opvolging/{followup}", 200),
    ("mail-bad-link", "/vrijwilligers/e-mail/duurzaam/kapot", 404),
    ("who-can-help", "/vrijwilligers/oproep/{case}/wie-kan-helpen", 200),
]


@pytest.mark.parametrize(("path", "status"),
                         [pytest.param(p, s, id=name) for name, p, s in PAGES])
def test_no_axe_violations(signed_in, coordinator_server, axe_source, path, status):
    _, ids = coordinator_server
    path = path.format(**ids)
    response = signed_in.goto(path, wait_until="networkidle")
    assert response is not None and response.status == status, (path, response.status)
    signed_in.add_script_tag(content=axe_source)
    violations = signed_in.evaluate("tags => axe.run(document, {runOnly: tags})"
                                    ".then(r => r.violations)", AXE_TAGS)
    assert not violations, format_violations(path, violations)


def test_coordinator_works_without_javascript(browser, coordinator_server):
    """Approve an organisation and its vacancy, and log a call with a follow-up flag."""
    base, ids = coordinator_server
    context = browser.new_context(base_url=base, viewport=DESKTOP, java_script_enabled=False,
                                  locale="nl-NL")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        _sign_in(page)
        page.goto("/vrijwilligers/coordinator/moderatie")
        assert "Er staat een e-mailadres in de tekst." in page.content()
        with page.expect_navigation():
            page.get_by_role("button", name="Goedkeuren").first.click()
        assert "De organisatie is goedgekeurd." in page.content()
        with page.expect_navigation():
            page.get_by_role("button", name="Online zetten").first.click()
        assert "De oproep staat nu online." in page.content()
        page.goto(f"/vrijwilligers/coordinator/zaak/{ids['case']}")
        page.get_by_label("Nieuwe notitie").fill("Buurman gevraagd.")
        page.get_by_label("Opvolgen op (niet verplicht)").fill("2026-12-01")
        with page.expect_navigation():
            page.get_by_role("button", name="Notitie opslaan").click()
        assert "De notitie is opgeslagen." in page.content()
        assert "Buurman gevraagd." in page.content()
    finally:
        context.close()


def test_for_you_has_no_axe_violations(browser, coordinator_server, axe_source):
    """"Voor u gevonden", signed in as the volunteer."""
    base, _ = coordinator_server
    context = browser.new_context(base_url=base, viewport=DESKTOP, bypass_csp=True,
                                  locale="nl-NL")
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        _sign_in(page, "anna@example.org")
        response = page.goto("/vrijwilligers/voor-u", wait_until="networkidle")
        assert response is not None and response.status == 200
        assert "Hulp in de tuin" in page.content()
        page.add_script_tag(content=axe_source)
        violations = page.evaluate("tags => axe.run(document, {runOnly: tags})"
                                   ".then(r => r.violations)", AXE_TAGS)
        assert not violations, format_violations("/vrijwilligers/voor-u", violations)
    finally:
        context.close()
