"""Inviting a volunteer to a listing, and the links between the platform's pages (issue 9).

An organisation or the coordinator invites an opted-in volunteer from "Wie kan helpen?"; the
volunteer sees the invitation on "Mijn vrijwilligerswerk" and says yes or no. Nothing private
crosses before the listing's side accepts the resulting response.
"""

from __future__ import annotations

import pytest
from kit_volunteer import (
    COORDINATOR,
    HELPER,
    PASSWORD,
    PROVIDER,
    SEEKER,
    db_of,
    live_hulpvraag,
    live_vacancy,
    login,
    make_app,
    person,
    token_of,
)
from sqlalchemy import func, select

from sociale_kaart.models import Response, VolunteerInvitation, VolunteerListing

HELPER_PRIVATE = [HELPER["full_name"], HELPER["phone"], HELPER["email"], HELPER["postcode"]]


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path / "instance", tmp_path)
    with db_of(app).session() as session:
        helper = person(session, HELPER["email"])
        helper.ask_opt_in = True
        helper.has_licence = True
    return app


def _client(app, email):
    client = app.test_client()
    login(client, email, PASSWORD)
    return client


def _post(client, url, data=None):
    token = token_of(client.get("/vrijwilligers/mijn").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})})


def _helper_id(app) -> int:
    with db_of(app).session() as session:
        return person(session, HELPER["email"]).id


def _count(app, model) -> int:
    with db_of(app).session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_invite_answer_yes_then_contact_only_after_acceptance(app):
    listing_id = live_vacancy(app)
    helper_id = _helper_id(app)
    org = _client(app, PROVIDER)
    detail = org.get(f"/vrijwilligers/oproep/{listing_id}").get_data(as_text=True)
    assert f"/vrijwilligers/oproep/{listing_id}/wie-kan-helpen" in detail
    page = org.get(f"/vrijwilligers/oproep/{listing_id}/wie-kan-helpen").get_data(as_text=True)
    assert HELPER["alias"] in page and "Uitnodigen" in page
    assert not any(value in page for value in HELPER_PRIVATE)

    response = _post(org, f"/vrijwilligers/oproep/{listing_id}/uitnodigen",
                     {"person_id": str(helper_id)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/oproep/{listing_id}/wie-kan-helpen")
    page = org.get(f"/vrijwilligers/oproep/{listing_id}/wie-kan-helpen").get_data(as_text=True)
    assert "Uitgenodigd" in page and "is uitgenodigd" in page

    volunteer = _client(app, HELPER["email"])
    mine = volunteer.get("/vrijwilligers/mijn").get_data(as_text=True)
    assert "Uitnodigingen" in mine and "Vrijwillige chauffeur voor de buurtbus" in mine
    with db_of(app).session() as session:
        invitation_id = session.scalar(select(VolunteerInvitation.id))
    answer = _post(volunteer, f"/vrijwilligers/uitnodiging/{invitation_id}/ja")
    assert answer.headers["Location"].endswith(f"/vrijwilligers/oproep/{listing_id}")
    assert "Uitnodigingen" not in volunteer.get("/vrijwilligers/mijn").get_data(as_text=True)
    with db_of(app).session() as session:
        made = session.scalars(select(Response)).one()
        assert made.state == "interested" and made.person_id == helper_id
        response_id = made.id

    # Before acceptance neither side sees the other's contact details.
    assert org.get(f"/vrijwilligers/reactie/{response_id}/contact").status_code == 403
    assert volunteer.get(f"/vrijwilligers/reactie/{response_id}/contact").status_code == 403
    detail = org.get(f"/vrijwilligers/oproep/{listing_id}").get_data(as_text=True)
    assert not any(value in detail for value in HELPER_PRIVATE)

    _post(org, f"/vrijwilligers/reactie/{response_id}/accepteren")
    seen_by_org = org.get(f"/vrijwilligers/reactie/{response_id}/contact")
    assert seen_by_org.status_code == 200 and HELPER["phone"] in seen_by_org.get_data(as_text=True)
    assert volunteer.get(f"/vrijwilligers/reactie/{response_id}/contact").status_code == 200


def test_answer_no_makes_no_response_and_cannot_be_answered_twice(app):
    listing_id = live_vacancy(app)
    coordinator = _client(app, COORDINATOR)
    _post(coordinator, f"/vrijwilligers/oproep/{listing_id}/uitnodigen",
          {"person_id": str(_helper_id(app))})
    with db_of(app).session() as session:
        invitation_id = session.scalar(select(VolunteerInvitation.id))
    volunteer = _client(app, HELPER["email"])
    assert _post(volunteer, f"/vrijwilligers/uitnodiging/{invitation_id}/nee").status_code == 302
    again = _post(volunteer, f"/vrijwilligers/uitnodiging/{invitation_id}/ja")
    assert again.status_code == 302
    assert "al beantwoord" in volunteer.get("/vrijwilligers/mijn").get_data(as_text=True)
    assert _count(app, Response) == 0
    exported = volunteer.get("/vrijwilligers/mijn/gegevens.json").get_json()
    assert [i["listing_id"] for i in exported["invitations"]] == [listing_id]
    assert exported["invitations"][0]["answered_at"]


def test_only_the_invited_person_answers(app):
    listing_id = live_vacancy(app)
    _post(_client(app, PROVIDER), f"/vrijwilligers/oproep/{listing_id}/uitnodigen",
          {"person_id": str(_helper_id(app))})
    with db_of(app).session() as session:
        invitation_id = session.scalar(select(VolunteerInvitation.id))
    other = _client(app, SEEKER["email"])
    assert _post(other, f"/vrijwilligers/uitnodiging/{invitation_id}/ja").status_code == 403
    assert _post(other, f"/vrijwilligers/uitnodiging/{invitation_id}/misschien"
                 ).status_code == 404
    assert _count(app, Response) == 0


@pytest.mark.parametrize("setup, message", [
    ({"ask_opt_in": False}, "wil niet gevraagd worden"),
    ({"vog_status": "none", "listing": {"requires_vog": True}}, "geen VOG"),
    ({"twice": True}, "al uitgenodigd"),
])
def test_who_cannot_be_invited_is_refused_with_the_reason(app, setup, message):
    listing_id = live_vacancy(app, **setup.get("listing", {}))
    with db_of(app).session() as session:
        helper = person(session, HELPER["email"])
        helper.ask_opt_in = setup.get("ask_opt_in", True)
        helper.vog_status = setup.get("vog_status", "verified")
    org = _client(app, PROVIDER)
    url = f"/vrijwilligers/oproep/{listing_id}/uitnodigen"
    if setup.get("twice"):
        _post(org, url, {"person_id": str(_helper_id(app))})
    before = _count(app, VolunteerInvitation)
    assert _post(org, url, {"person_id": str(_helper_id(app))}).status_code == 302
    page = org.get(f"/vrijwilligers/oproep/{listing_id}/wie-kan-helpen").get_data(as_text=True)
    assert message in page
    assert _count(app, VolunteerInvitation) == before


def test_an_unknown_volunteer_id_is_named_and_outsiders_get_403(app):
    listing_id = live_vacancy(app)
    url = f"/vrijwilligers/oproep/{listing_id}/uitnodigen"
    org = _client(app, PROVIDER)
    _post(org, url, {"person_id": "99999"})
    assert "Vrijwilliger 99999 bestaat niet" in org.get(
        f"/vrijwilligers/oproep/{listing_id}/wie-kan-helpen").get_data(as_text=True)
    outsider = _client(app, SEEKER["email"])
    assert _post(outsider, url, {"person_id": "99999"}).status_code == 403
    assert _count(app, VolunteerInvitation) == 0


def test_participant_pages_link_to_voor_u_gevonden(app):
    volunteer = _client(app, HELPER["email"])
    for page in ("/vrijwilligers/mijn", "/vrijwilligers/mijn/profiel"):
        assert "/vrijwilligers/voor-u" in volunteer.get(page).get_data(as_text=True), page
    assert "/vrijwilligers/mijn" in volunteer.get("/vrijwilligers/voor-u").get_data(as_text=True)


def test_help_seeker_is_routed_to_the_kaart_when_the_coordinator_says_so(app):
    listing_id = live_hulpvraag(app)
    seeker = _client(app, SEEKER["email"])
    routing = f"/vrijwilligers/doorverwijzen/{listing_id}"
    assert routing not in seeker.get(f"/vrijwilligers/oproep/{listing_id}").get_data(as_text=True)
    with db_of(app).session() as session:
        session.get(VolunteerListing, listing_id).not_for_volunteers = True
    detail = seeker.get(f"/vrijwilligers/oproep/{listing_id}").get_data(as_text=True)
    assert routing in detail and "Wie kan helpen" not in detail
    page = seeker.get(routing).get_data(as_text=True)
    assert f"/vrijwilligers/oproep/{listing_id}" in page  # back to the hulpvraag
