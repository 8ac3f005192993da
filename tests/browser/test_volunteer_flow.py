"""The volunteer platform in a real browser, end to end, without JavaScript (issue 9).

An organisation posts a vacancy → the coordinator approves the organisation and the vacancy →
a volunteer finds it by searching "chauffeur Woudrichem" → responds → the organisation accepts →
both now see contact details, not before → it is marked a match → the coordinator's figures
count it. Every participant's browser runs with JavaScript switched off, so the flow also proves
the pages work without it. A second test runs axe-core on every page type a signed-in
participant sees (the anonymous ones are in test_accessibility.py).

The flow writes, so it has an instance and live server of its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kit_live_server import serving

from .conftest import AXE_TAGS, DESKTOP, format_violations

pytestmark = pytest.mark.browser

TITLE = "Vrijwillige chauffeur voor de buurtbus"
CONTACT_PHONE = "0183 444 555"


@pytest.fixture(scope="module")
def platform(tmp_path_factory) -> Iterator[tuple[str, object]]:
    """A live server over two kaart organisations with every role's account (kit_volunteer)."""
    from kit_volunteer import make_app

    tmp = tmp_path_factory.mktemp("volunteer-flow")
    app = make_app(tmp / "instance", tmp, tiles_url="")
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    with serving(app, threads=4, name="volunteer-live-server") as base:
        yield base, app


def _browser_page(browser, base: str, *, javascript: bool = False, bypass_csp: bool = False):
    context = browser.new_context(base_url=base, viewport=DESKTOP, locale="nl-NL",
                                  java_script_enabled=javascript, bypass_csp=bypass_csp)
    context.set_default_timeout(15_000)
    return context, context.new_page()


def _sign_in(page, email: str) -> None:
    from kit_volunteer import PASSWORD

    page.goto("/account/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    assert "/account/inloggen" not in page.url, page.content()[:500]


def _match_count(app) -> int:
    from kit_volunteer import db_of

    from sociale_kaart.volunteer.responses import match_count

    with db_of(app).session() as session:
        return match_count(session)


def test_vacancy_from_posting_to_match_without_javascript(browser, platform):
    from kit_volunteer import COORDINATOR, HELPER, PROVIDER

    base, app = platform
    provider_ctx, provider = _browser_page(browser, base)
    coordinator_ctx, coordinator = _browser_page(browser, base)
    helper_ctx, helper = _browser_page(browser, base)
    try:
        # 1. The organisation posts a vacancy.
        _sign_in(provider, PROVIDER)
        provider.goto("/vrijwilligers/oproep/nieuw")
        provider.get_by_label("Vacature", exact=True).check()
        provider.get_by_label("Titel").fill(TITLE)
        provider.get_by_label("Omschrijving").fill(
            "Rijd ouderen uit Woudrichem naar de dokter of de winkel, een ochtend per week.")
        provider.get_by_label("Vervoer", exact=True).check()
        provider.get_by_label("Kern (dorp of stad)").fill("Woudrichem")
        provider.get_by_label("Regelmatig", exact=True).check()
        provider.get_by_label("dinsdag ochtend").check()
        provider.get_by_label("Telefoon", exact=True).fill(CONTACT_PHONE)
        provider.get_by_role("button", name="Oproep plaatsen").click()
        assert "/vrijwilligers/oproep/" in provider.url
        assert "Wacht op controle" in provider.content()
        listing_path = provider.url.replace(base, "")

        # Not public yet.
        anonymous_ctx, anonymous = _browser_page(browser, base)
        assert anonymous.goto(listing_path).status == 404
        anonymous_ctx.close()

        # 2. The coordinator approves the organisation and the vacancy.
        _sign_in(coordinator, COORDINATOR)
        if "coordinator.moderation" in app.view_functions:
            coordinator.goto("/vrijwilligers/coordinator/moderatie")
            coordinator.get_by_role("button", name="Goedkeuren").first.click()
            coordinator.get_by_role("button", name="Online zetten").first.click()
            assert "Er wachten geen oproepen." in coordinator.content()
        else:  # pragma: no cover - until the coordinator's pages exist (issue 9, part 5)
            _approve_through_services(app, int(listing_path.rsplit("/", 1)[1]))

        # 3. A volunteer finds it by searching "chauffeur Woudrichem" and responds.
        _sign_in(helper, HELPER["email"])
        helper.goto("/vrijwilligers/")
        helper.get_by_label("Wat zoekt u?").fill("chauffeur Woudrichem")
        helper.get_by_role("button", name="Zoeken", exact=True).click()
        assert "in of bij Woudrichem" in helper.content()
        helper.get_by_role("link", name=TITLE).click()
        assert CONTACT_PHONE not in helper.content()
        helper.get_by_label("Bericht (niet verplicht)").fill("Ik rijd graag op dinsdag.")
        helper.get_by_role("button", name="Ik wil helpen").click()
        assert "U ziet de contactgegevens zodra de ander uw reactie accepteert." in \
            helper.content()
        assert CONTACT_PHONE not in helper.content()

        # Before acceptance neither side may open the contact details.
        from kit_volunteer import db_of

        from sociale_kaart.models import Response

        with db_of(app).session() as session:
            response_id = session.query(Response).one().id
        contact = f"/vrijwilligers/reactie/{response_id}/contact"
        assert helper.goto(contact).status == 403
        assert provider.goto(contact).status == 403

        # 4. The organisation accepts; both now see each other's contact details.
        provider.goto(listing_path)
        assert "Ik rijd graag op dinsdag." in provider.content()
        provider.get_by_role("button", name="Accepteren").click()
        assert HELPER["phone"] in provider.content()
        helper.goto(contact)
        assert CONTACT_PHONE in helper.content()

        # 5. The volunteer marks it a match.
        helper.goto(listing_path)
        helper.get_by_role("button", name="Het is een match").click()
        assert "Dit is vastgelegd als match." in helper.content()
        assert _match_count(app) == 1

        # 6. It appears in the figures.
        if "coordinator.figures" in app.view_functions:
            coordinator.goto("/vrijwilligers/coordinator/cijfers")
            row = coordinator.get_by_role("row", name="Matches online")
            assert row.get_by_role("cell").last.inner_text().strip() == "1"
    finally:
        for context in (provider_ctx, coordinator_ctx, helper_ctx):
            context.close()


HULPVRAAG = "Boodschappen voor mevrouw in Almkerk"


def test_hulpvraag_for_a_client_from_consent_to_contact_without_javascript(browser, platform):
    """A professional posts a hulpvraag for a client with consent → the coordinator reviews
    it → a volunteer responds → the professional accepts → only now do both sides see the
    contact details (the client's and the volunteer's), never before."""
    from kit_volunteer import CLIENT, CONSULTANT, COORDINATOR, HELPER, db_of

    from sociale_kaart.models import Response, VolunteerListing

    base, app = platform
    pro_ctx, pro = _browser_page(browser, base)
    coordinator_ctx, coordinator = _browser_page(browser, base)
    helper_ctx, helper = _browser_page(browser, base)
    try:
        # 1. The professional posts on behalf of the client; without consent it is refused.
        _sign_in(pro, CONSULTANT)
        pro.goto("/vrijwilligers/oproep/nieuw")
        pro.get_by_label("Voornaam of bijnaam van de cliënt").fill(CLIENT["alias"])
        pro.get_by_label("Volledige naam van de cliënt").fill(CLIENT["full_name"])
        pro.get_by_label("Telefoonnummer voor contact").fill(CLIENT["phone"])
        pro.get_by_label("Hoe gaf de cliënt toestemming?").fill("Mondeling, bij het huisbezoek.")
        pro.get_by_label("Titel").fill(HULPVRAAG)
        pro.get_by_label("Omschrijving").fill(
            "Een oudere dame zoekt iemand die op dinsdag de boodschappen meeneemt.")
        pro.get_by_label("Boodschappen", exact=True).check()
        pro.get_by_label("Kern (dorp of stad)").fill("Almkerk")
        pro.get_by_role("button", name="Oproep plaatsen").click()
        assert "toestemming" in pro.content() and "/oproep/nieuw" in pro.url
        pro.get_by_label("De cliënt gaf toestemming om deze hulpvraag te plaatsen").check()
        pro.get_by_role("button", name="Oproep plaatsen").click()
        assert "Wacht op controle" in pro.content()
        listing_path = pro.url.replace(base, "")
        listing_id = int(listing_path.rsplit("/", 1)[1])
        with db_of(app).session() as session:
            listing = session.get(VolunteerListing, listing_id)
            assert listing.consent_text == "Mondeling, bij het huisbezoek."
            assert listing.on_behalf_of_person_id is not None

        # Before review a volunteer cannot open it.
        _sign_in(helper, HELPER["email"])
        assert helper.goto(listing_path).status == 403

        # 2. The coordinator reviews it and puts it online.
        _sign_in(coordinator, COORDINATOR)
        coordinator.goto("/vrijwilligers/coordinator/moderatie")
        card = coordinator.locator("section.card").filter(has_text=HULPVRAAG)
        assert "namens een inwoner, met toestemming" in card.inner_text()
        card.get_by_role("button", name="Online zetten").click()
        assert HULPVRAAG not in coordinator.content()

        # 3. The volunteer finds it, sees alias and kern only, and responds.
        helper.goto("/vrijwilligers/?type=hulpvraag&q=boodschappen")
        helper.get_by_role("link", name=HULPVRAAG).click()
        page = helper.content()
        assert CLIENT["alias"] in page and CLIENT["full_name"] not in page
        assert CLIENT["phone"] not in page
        helper.get_by_role("button", name="Ik wil helpen").click()
        assert "U ziet de contactgegevens zodra de ander uw reactie accepteert." in \
            helper.content()
        with db_of(app).session() as session:
            response_id = session.query(Response).filter_by(listing_id=listing_id).one().id
        contact = f"/vrijwilligers/reactie/{response_id}/contact"
        assert helper.goto(contact).status == 403
        assert pro.goto(contact).status == 403
        pro.goto(listing_path)
        assert HELPER["phone"] not in pro.content() and HELPER["full_name"] not in pro.content()

        # 4. The professional (the help seeker's side) accepts: now both see the contacts.
        pro.get_by_role("button", name="Accepteren").click()
        assert "/contact" in pro.url and HELPER["phone"] in pro.content()
        assert helper.goto(contact).status == 200
        assert CLIENT["phone"] in helper.content()
    finally:
        for context in (pro_ctx, coordinator_ctx, helper_ctx):
            context.close()


def _approve_through_services(app, listing_id: int) -> None:
    from kit_portal import ORG
    from kit_volunteer import COORDINATOR, NOW, db_of, user

    from sociale_kaart.models import VolunteerListing
    from sociale_kaart.volunteer.listings import approve_listing, approve_organisation

    with db_of(app).session() as session:
        coordinator = user(session, COORDINATOR)
        approve_organisation(session, ORG, by=coordinator, now=NOW)
        approve_listing(session, session.get(VolunteerListing, listing_id), by=coordinator,
                        now=NOW)


def _invite_helper(app, listing_id: int) -> None:
    """HELPER opts in to be asked and is invited to this listing by its organisation."""
    from kit_volunteer import HELPER, NOW, PROVIDER, db_of, person, user

    from sociale_kaart.models import VolunteerListing
    from sociale_kaart.volunteer.invitations import invite

    with db_of(app).session() as session:
        helper = person(session, HELPER["email"])
        helper.ask_opt_in = True
        invite(session, session.get(VolunteerListing, listing_id), helper,
               by=user(session, PROVIDER), by_person=None, now=NOW)


def _accepted_response(app, listing_id: int) -> int:
    from kit_volunteer import HELPER, NOW, SEEKER, db_of, person, user

    from sociale_kaart.models import VolunteerListing
    from sociale_kaart.volunteer.responses import accept, respond

    with db_of(app).session() as session:
        response = respond(session, session.get(VolunteerListing, listing_id), now=NOW,
                           person=person(session, HELPER["email"]), message="Graag.")
        accept(session, response, by=user(session, SEEKER["email"]), now=NOW,
               person=person(session, SEEKER["email"]))
        return response.id


def test_sign_up_errors_have_no_axe_violations(browser, platform, axe_source):
    base, _app = platform
    context, page = _browser_page(browser, base, javascript=True, bypass_csp=True)
    try:
        page.goto("/vrijwilligers/aanmelden")
        page.get_by_label("Ik heb gelezen wat er met mijn gegevens gebeurt.").check()
        page.get_by_role("button", name="Account maken").click()
        assert "Dit veld is verplicht." in page.content()
        page.add_script_tag(content=axe_source)
        violations = page.evaluate("tags => axe.run(document, {runOnly: tags})"
                                   ".then(r => r.violations)", AXE_TAGS)
        assert not violations, format_violations("/vrijwilligers/aanmelden (errors)", violations)
    finally:
        context.close()


def test_participant_pages_have_no_axe_violations(browser, platform, axe_source):
    from kit_volunteer import HELPER, PROVIDER, live_hulpvraag, live_vacancy

    base, app = platform
    vacancy, hulpvraag = live_vacancy(app, title="Axe vacature", requires_licence=False), \
        live_hulpvraag(app)
    contact = f"/vrijwilligers/reactie/{_accepted_response(app, hulpvraag)}/contact"
    _invite_helper(app, live_vacancy(app, title="Axe uitnodiging", requires_licence=False))
    problems = []
    for email, paths in (
            (HELPER["email"], ["/vrijwilligers/mijn", "/vrijwilligers/mijn/profiel",
                               "/vrijwilligers/oproep/nieuw", "/vrijwilligers/mijn/verwijderen",
                               f"/vrijwilligers/oproep/{vacancy}",
                               f"/vrijwilligers/oproep/{hulpvraag}",
                               "/vrijwilligers/?q=boodschappen&type=hulpvraag", contact]),
            (PROVIDER, [f"/vrijwilligers/oproep/{vacancy}", "/vrijwilligers/oproep/nieuw",
                        f"/vrijwilligers/oproep/{vacancy}/bewerken",
                        f"/vrijwilligers/oproep/{vacancy}/wie-kan-helpen"])):
        context, page = _browser_page(browser, base, javascript=True, bypass_csp=True)
        try:
            _sign_in(page, email)
            for path in paths:
                response = page.goto(path, wait_until="networkidle")
                assert response is not None and response.status == 200, path
                if path == "/vrijwilligers/mijn":  # the invitations with their buttons
                    assert "Ja, ik wil helpen" in page.content()
                if path.endswith("/wie-kan-helpen"):  # the invite buttons
                    assert "Uitnodigen" in page.content()
                page.add_script_tag(content=axe_source)
                violations = page.evaluate("tags => axe.run(document, {runOnly: tags})"
                                           ".then(r => r.violations)", AXE_TAGS)
                if violations:
                    problems.append(format_violations(path, violations))
        finally:
            context.close()
    assert not problems, "\n".join(problems)
