"""Issue 5: the beheerder's accounts page, invitations without e-mail, the report queues per
role, marking reports handled, the freshness to-do list, and the report form's rate limit."""

from __future__ import annotations

import re
from datetime import date, datetime

import kit_database
import pytest
from kit_accounts import (
    PASSWORD,
    add_organization,
    add_service,
    add_user,
    csrf_token,
    db_of,
    login,
    make_app,
)

from sociale_kaart.models import Report
from sociale_kaart.web.security import limiter

TODAY = date(2026, 11, 22)


@pytest.fixture
def world(instance, monkeypatch):
    """Two organisations with a listing each, a report on each, and one account per role."""
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    monkeypatch.delenv("SOCIALE_KAART_SMTP_HOST", raising=False)
    app = make_app(instance, TODAY)
    limiter.reset()
    with db_of(app).session() as session:
        ours = add_organization(session, "Buurtwerk Altena")
        theirs = add_organization(session, "Taalhuis Werkendam")
        mine = add_service(session, ours, "Koffieochtend", assured=date(2026, 10, 1))
        other = add_service(session, theirs, "Taalcafé", assured=date(2026, 10, 1),
                            assurer_email="geheim@taalhuis.example")
        old = add_service(session, theirs, "Fietsles", assured=date(2025, 9, 1))
        never = add_service(session, ours, "Repair café", created=datetime(2026, 3, 1))
        session.add_all([
            Report(service_id=mine.id, reason="tijden", comment="Op woensdag dicht"),
            Report(service_id=other.id, reason="adres", comment="Verhuisd naar de Markt"),
        ])
        ids = {"ours": ours.id, "theirs": theirs.id, "mine": mine.id, "other": other.id,
               "old": old.id, "never": never.id}
    add_user(app, "beheer@gemeente.example", "beheerder")
    add_user(app, "moderator@gemeente.example", "moderator")
    add_user(app, "consulent@gemeente.example", "consultant")
    add_user(app, "aanbieder@buurtwerk.example", "provider", [ids["ours"]])
    add_user(app, "aanbieder@taalhuis.example", "provider", [ids["theirs"]])
    return app, ids


def _report_id(app, service_id: str) -> int:
    with db_of(app).session() as session:
        return session.query(Report).filter_by(service_id=service_id).one().id


def _status(app, report_id: int) -> str:
    with db_of(app).session() as session:
        return session.get(Report, report_id).status


# -- invitations ------------------------------------------------------------------------------

def test_beheerder_invites_link_is_shown_accepted_and_login_works(world):
    app, ids = world
    client = app.test_client()
    login(client, "beheer@gemeente.example")
    page = client.get("/beheer/gebruikers")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "consulent@gemeente.example" in html and "Buurtwerk Altena" in html
    token = csrf_token(client, "/beheer/gebruikers")
    response = client.post("/beheer/gebruikers", data={
        "csrf_token": token, "email": "Nieuw@Buurtwerk.example", "role": "provider",
        "organizations": [ids["ours"]], "trusted": "y"})
    assert response.status_code == 200  # no SMTP: the link is on the page, not e-mailed
    html = response.get_data(as_text=True)
    link = re.search(r'value="(http://127\.0\.0\.1:5000/account/uitnodiging/[^"]+)"', html)
    assert link, "the invitation link is shown to the beheerder"
    assert "geen e-mailserver" in html
    path = link.group(1).removeprefix("http://127.0.0.1:5000")

    other = app.test_client()  # the invited person, in their own browser
    form = other.get(path)
    assert form.status_code == 200 and "nieuw@buurtwerk.example" in form.get_data(as_text=True)
    accepted = other.post(path, data={"csrf_token": csrf_token(other, path),
                                      "password": "mijn-eigen-wachtwoord",
                                      "confirm": "mijn-eigen-wachtwoord"})
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith("/inloggen")
    assert other.get(path).status_code == 400  # the link works once
    login(other, "nieuw@buurtwerk.example", "mijn-eigen-wachtwoord")
    assert other.get("/aanbieder/meldingen").status_code == 200

    with db_of(app).session() as session:
        from sociale_kaart.services.accounts import find_user

        user = find_user(session, "nieuw@buurtwerk.example")
        assert user.role == "provider" and user.trusted
        assert user.organization_ids == {ids["ours"]}


@pytest.mark.parametrize(("data", "message"), [
    ({"email": "geen-adres", "role": "consultant"}, "geldig e-mailadres"),
    ({"email": "consulent@gemeente.example", "role": "consultant"}, "al een account"),
    ({"email": "x@y.example", "role": "provider"}, "minstens één organisatie"),
    ({"email": "x@y.example", "role": "keizer"}, "role-fout"),
])
def test_invite_errors_are_shown_at_the_field(world, data, message):
    app, _ids = world
    client = app.test_client()
    login(client, "beheer@gemeente.example")
    token = csrf_token(client, "/beheer/gebruikers")
    response = client.post("/beheer/gebruikers", data={"csrf_token": token, **data})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html or message.lower() in html.lower()
    assert 'aria-invalid="true"' in html and 'aria-describedby="' in html


def test_invite_needs_csrf(world):
    app, _ids = world
    client = app.test_client()
    login(client, "beheer@gemeente.example")
    response = client.post("/beheer/gebruikers", data={"email": "a@b.example",
                                                         "role": "consultant"})
    assert response.status_code == 400


@pytest.mark.parametrize("who", ["moderator@gemeente.example", "consulent@gemeente.example",
                                 "aanbieder@buurtwerk.example"])
def test_only_beheerders_manage_accounts(world, who):
    app, _ids = world
    client = app.test_client()
    login(client, who)
    assert client.get("/beheer/gebruikers").status_code == 403


def test_accounts_page_needs_login(world):
    app, _ids = world
    response = app.test_client().get("/beheer/gebruikers")
    assert response.status_code == 302 and "/account/inloggen" in response.headers["Location"]


def test_disable_account(world):
    app, _ids = world
    client = app.test_client()
    login(client, "beheer@gemeente.example")
    with db_of(app).session() as session:
        from sociale_kaart.services.accounts import find_user

        target = find_user(session, "consulent@gemeente.example").id
        own = find_user(session, "beheer@gemeente.example").id
    token = csrf_token(client, "/beheer/gebruikers")
    assert client.post(f"/beheer/gebruikers/{target}/uitschakelen").status_code == 400
    response = client.post(f"/beheer/gebruikers/{target}/uitschakelen",
                           data={"csrf_token": token}, follow_redirects=True)
    assert "is uitgeschakeld" in response.get_data(as_text=True)
    refused = app.test_client()
    answer = refused.post("/account/inloggen", data={
        "csrf_token": csrf_token(refused, "/account/inloggen"),
        "email": "consulent@gemeente.example", "password": PASSWORD})
    assert answer.status_code == 400
    response = client.post(f"/beheer/gebruikers/{own}/uitschakelen",
                           data={"csrf_token": token}, follow_redirects=True)
    assert "eigen account" in response.get_data(as_text=True)


# -- report queues ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/beheer/meldingen", "/aanbieder/meldingen",
                                  "/beheer/actualiteit", "/professional/"])
def test_anonymous_goes_to_login(world, path):
    app, _ids = world
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert "/account/inloggen" in response.headers["Location"]


def test_moderator_sees_all_reports_and_marks_one_handled(world):
    app, ids = world
    client = app.test_client()
    login(client, "moderator@gemeente.example")
    html = client.get("/beheer/meldingen").get_data(as_text=True)
    assert "Op woensdag dicht" in html and "Verhuisd naar de Markt" in html
    assert "De tijden kloppen niet" in html
    report_id = _report_id(app, ids["other"])
    token = csrf_token(client, "/beheer/meldingen")
    response = client.post(f"/beheer/meldingen/{report_id}/afgehandeld",
                           data={"csrf_token": token})
    assert response.status_code == 302
    assert _status(app, report_id) == "handled"
    html = client.get("/beheer/meldingen").get_data(as_text=True)
    assert "Verhuisd naar de Markt" not in html and "Op woensdag dicht" in html
    handled = client.get("/beheer/meldingen?status=handled").get_data(as_text=True)
    assert "Verhuisd naar de Markt" in handled and "Op woensdag dicht" not in handled


def test_provider_sees_only_own_reports_and_cannot_handle_others(world):
    app, ids = world
    client = app.test_client()
    login(client, "aanbieder@buurtwerk.example")
    html = client.get("/aanbieder/meldingen").get_data(as_text=True)
    assert "Op woensdag dicht" in html
    assert "Verhuisd naar de Markt" not in html and "Taalcafé" not in html
    assert client.get("/aanbieder/meldingen?status=handled").status_code == 200
    token = csrf_token(client, "/aanbieder/meldingen")
    theirs = _report_id(app, ids["other"])
    assert client.post(f"/aanbieder/meldingen/{theirs}/afgehandeld",
                       data={"csrf_token": token}).status_code == 403
    assert _status(app, theirs) == "open"
    assert client.post("/aanbieder/meldingen/99999/afgehandeld",
                       data={"csrf_token": token}).status_code == 404
    own = _report_id(app, ids["mine"])
    assert client.post(f"/aanbieder/meldingen/{own}/afgehandeld",
                       data={"csrf_token": token}).status_code == 302
    assert _status(app, own) == "handled"
    # Not the moderators' queue, nor their marking.
    assert client.get("/beheer/meldingen").status_code == 403
    assert client.post(f"/beheer/meldingen/{theirs}/afgehandeld",
                       data={"csrf_token": token}).status_code == 403


def test_marking_handled_needs_csrf(world):
    app, ids = world
    client = app.test_client()
    login(client, "moderator@gemeente.example")
    report_id = _report_id(app, ids["mine"])
    assert client.post(f"/beheer/meldingen/{report_id}/afgehandeld").status_code == 400
    assert _status(app, report_id) == "open"


def test_consultant_has_no_report_queue(world):
    app, _ids = world
    client = app.test_client()
    login(client, "consulent@gemeente.example")
    assert client.get("/beheer/meldingen").status_code == 403
    assert client.get("/aanbieder/meldingen").status_code == 403
    assert client.get("/beheer/actualiteit").status_code == 403
    dashboard = client.get("/professional/").get_data(as_text=True)
    assert "/professional/cursussen" in dashboard and "/beheer/meldingen" not in dashboard


# -- freshness to-do list ---------------------------------------------------------------------

def test_freshness_list_shows_listings_not_confirmed_for_six_months(world):
    app, _ids = world
    client = app.test_client()
    login(client, "moderator@gemeente.example")
    html = client.get("/beheer/actualiteit").get_data(as_text=True)
    assert "Fietsles" in html and "Repair café" in html
    assert "Koffieochtend" not in html and "Taalcafé" not in html
    # Fietsles: confirmed 1 September 2025, more than 12 months ago: residents are warned.
    assert "mogelijk niet meer actueel" in html
    assert html.index("Fietsles") < html.index("Repair café")  # oldest first


# -- the public report form is rate limited --------------------------------------------------

def test_reports_are_rate_limited(world):
    app, ids = world
    client = app.test_client()
    path = f"/aanbod/{ids['mine']}/klopt-niet"
    token = csrf_token(client, path)
    codes = [client.post(path, data={"csrf_token": token, "reason": "anders",
                                     "comment": f"melding {n}"}).status_code
             for n in range(6)]
    assert codes[:5] == [302] * 5
    assert codes[5] == 429, ("add @limiter.limit(\"5 per minute;30 per day\", "
                             "methods=[\"POST\"]) to public.report")
    assert client.get(path).status_code == 200  # reading the form is not limited
    count = kit_database.rows_of_app(app, "select count(*) from report "
                                          "where comment like 'melding%'")
    assert count[0][0] == 5


def test_outdated_listing_template_helper(world):
    """The helper the detail page and result cards use for "Mogelijk niet meer actueel"."""
    app, ids = world
    from sociale_kaart.models import Service

    helper = app.jinja_env.globals["outdated_listing"]
    with app.app_context(), db_of(app).session() as session:
        assert helper(session.get(Service, ids["old"]))  # confirmed 1 September 2025
        assert not helper(session.get(Service, ids["mine"]))
    with app.app_context():
        assert helper({"assured": "2025-09-01", "modified": None})
        assert not helper({"assured": "2026-10-01", "modified": "2020-01-01T00:00:00"})
        assert not helper({"assured": None, "modified": None})
