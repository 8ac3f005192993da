"""The coordinator's pages: moderation, the brokering queue with a controllable clock, the
contact log with follow-up flags, matches from the desk or phone, VOG, print lists, and
"Dit kan beter via ..." routing to the kaart."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from kit_accounts import login
from kit_coordinator import (
    T0,
    coordinator_app,
    db_of,
    hulpvraag_for_client,
    organisation_vacancy,
    set_now,
    staff,
    user_by_email,
    volunteer,
)
from sqlalchemy import select

from sociale_kaart.models import ContactLogEntry, Match, Person, VolunteerListing
from sociale_kaart.volunteer.indicators import period_figures
from sociale_kaart.volunteer.responses import accept, respond

BASE = "/vrijwilligers/coordinator"


def token_of(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def post(client, page: str, target: str, **data):
    return client.post(target, data={"csrf_token": token_of(client, page), **data})


@pytest.fixture
def world(tmp_path):
    app = coordinator_app(tmp_path / "inst", T0)
    staff(app)
    staff(app, "consulent@example.org", "consultant")
    staff(app, "beheer@example.org", "beheerder")
    with db_of(app).session() as session:
        volunteer(session, "Anna", interests=["boodschappen"], ask_opt_in=True)
    client = app.test_client()
    login(client, "coordinator@example.org")
    return app, client


def users(app):
    with db_of(app).session() as session:
        return (user_by_email(session, "coordinator@example.org"),
                user_by_email(session, "consulent@example.org"))


def test_pages_need_the_coordinator_or_beheerder_role(world):
    app, client = world
    assert client.get(f"{BASE}/").status_code == 200
    anonymous = app.test_client()
    assert anonymous.get(f"{BASE}/bemiddeling").status_code in (302, 401)
    consultant = app.test_client()
    login(consultant, "consulent@example.org")
    assert consultant.get(f"{BASE}/bemiddeling").status_code == 403
    beheerder = app.test_client()
    login(beheerder, "beheer@example.org")
    assert beheerder.get(f"{BASE}/moderatie").status_code == 200


def test_moderation_approves_the_organisation_before_its_vacancy(world):
    app, client = world
    coordinator, _ = users(app)
    with db_of(app).session() as session:
        listing = organisation_vacancy(session, coordinator, "Chauffeur", approve=False,
                                       description="Bel 06-12345678 voor info.")
        listing_id, org_id = listing.id, listing.organization_id
    page = client.get(f"{BASE}/moderatie").get_data(as_text=True)
    assert "Stichting Chauffeur" in page
    assert "Er staat een telefoonnummer in de tekst." in page  # 9a's free-text check
    # The vacancy cannot go online before the organisation is approved.
    refused = post(client, f"{BASE}/moderatie", f"{BASE}/moderatie/oproep/{listing_id}",
                   action="approve")
    assert refused.status_code == 302
    assert "Keur eerst de organisatie goed" in client.get(f"{BASE}/moderatie").get_data(
        as_text=True)
    post(client, f"{BASE}/moderatie", f"{BASE}/moderatie/organisatie/{org_id}",
         action="approve")
    post(client, f"{BASE}/moderatie", f"{BASE}/moderatie/oproep/{listing_id}", action="approve")
    with db_of(app).session() as session:
        assert session.get(VolunteerListing, listing_id).status == "active"


def test_reject_needs_a_reason(world):
    app, client = world
    coordinator, consultant = users(app)
    with db_of(app).session() as session:
        listing_id = hulpvraag_for_client(session, consultant, coordinator, approve=False).id
    post(client, f"{BASE}/moderatie", f"{BASE}/moderatie/oproep/{listing_id}", action="reject")
    with db_of(app).session() as session:
        assert session.get(VolunteerListing, listing_id).status == "pending"
    post(client, f"{BASE}/moderatie", f"{BASE}/moderatie/oproep/{listing_id}", action="reject",
         note="Maak de vraag iets concreter.")
    with db_of(app).session() as session:
        assert session.get(VolunteerListing, listing_id).status == "draft"


def test_hulpvraag_without_response_reaches_the_brokering_queue_after_n_days(world):
    """Acceptance: a professional posts on behalf of a client with consent → review → with no
    accepted response it reaches the brokering queue after N days (controllable clock)."""
    app, client = world
    coordinator, consultant = users(app)
    with db_of(app).session() as session:
        unanswered = hulpvraag_for_client(session, consultant, coordinator, "Hulp in de tuin",
                                          themes=("tuin",))
        answered = hulpvraag_for_client(session, consultant, coordinator, "Boodschappen doen")
        assert unanswered.consent_at is not None and unanswered.on_behalf_of_person_id
        anna = session.scalar(select(Person).where(Person.alias == "Anna"))
        response = respond(session, answered, now=T0 + timedelta(days=1), person=anna,
                           user=anna.user)
        accept(session, response, by=consultant, now=T0 + timedelta(days=2))
        unanswered_id, answered_id = unanswered.id, answered.id

    set_now(app, T0 + timedelta(days=4, hours=23))
    assert "Hulp in de tuin" not in client.get(f"{BASE}/bemiddeling").get_data(as_text=True)
    set_now(app, T0 + timedelta(days=5))
    page = client.get(f"{BASE}/bemiddeling").get_data(as_text=True)
    assert "Hulp in de tuin" in page and "geen geaccepteerde reactie" in page
    assert "Boodschappen doen" not in page
    with db_of(app).session() as session:
        case = session.get(VolunteerListing, unanswered_id)
        assert case.brokering_status == "open"
        assert case.brokering_since == T0 + timedelta(days=5)
        assert session.get(VolunteerListing, answered_id).brokering_status is None


def test_setting_changes_the_number_of_days(tmp_path):
    app = coordinator_app(tmp_path / "inst", T0, volunteer_brokering_days=2)
    staff(app)
    staff(app, "consulent@example.org", "consultant")
    coordinator, consultant = users(app)
    with db_of(app).session() as session:
        hulpvraag_for_client(session, consultant, coordinator, "Klusje")
    client = app.test_client()
    login(client, "coordinator@example.org")
    set_now(app, T0 + timedelta(days=2))
    assert "Klusje" in client.get(f"{BASE}/bemiddeling").get_data(as_text=True)


def test_asking_for_help_searching_goes_to_the_queue_at_once(world):
    app, client = world
    coordinator, consultant = users(app)
    with db_of(app).session() as session:
        hulpvraag_for_client(session, consultant, coordinator, "Zoek mee",
                             wants_help_searching=True)
    page = client.get(f"{BASE}/bemiddeling").get_data(as_text=True)
    assert "Zoek mee" in page and "vroeg om hulp bij zoeken" in page


def test_case_page_contact_log_follow_up_and_offline_match(world):
    app, client = world
    coordinator, consultant = users(app)
    with db_of(app).session() as session:
        listing_id = hulpvraag_for_client(session, consultant, coordinator).id
        anna_id = session.scalar(select(Person.id).where(Person.alias == "Anna"))
    case = f"{BASE}/zaak/{listing_id}"
    page = client.get(case).get_data(as_text=True)
    assert "Wie kan dit doen?" in page and "Anna" in page  # opted in, likes boodschappen
    assert "Johanna Geheim" not in page and "0183123456" not in page
    post(client, case, f"{case}/notitie", note="Mevrouw gebeld, belt terug.", channel="phone",
         follow_up_on="2026-11-05")
    post(client, case, f"{case}/notitie", note="")  # refused: empty
    with db_of(app).session() as session:
        entries = session.scalars(select(ContactLogEntry)).all()
        assert len(entries) == 1 and entries[0].follow_up and entries[0].channel == "phone"
        entry_id = entries[0].id
    set_now(app, datetime(2026, 11, 5, 9))
    assert "Mevrouw gebeld" in client.get(f"{BASE}/bemiddeling").get_data(as_text=True)
    post(client, case, f"{case}/opvolging/{entry_id}")
    assert "Mevrouw gebeld" not in client.get(f"{BASE}/bemiddeling").get_data(as_text=True)
    post(client, case, f"{case}/status", state="in_progress")
    post(client, case, f"{case}/match", person_id=str(anna_id), channel="desk",
         note="Aan de balie afgesproken.")
    with db_of(app).session() as session:
        match = session.scalar(select(Match))
        assert match.made == "brokered" and match.channel == "desk"
        assert session.get(VolunteerListing, listing_id).brokering_status == "done"
        figures = period_figures(session, date(2026, 1, 1), date(2026, 12, 31))
        assert figures["matches_brokered"] == 1


def test_vog_workflow_stores_status_and_expiry_only(world):
    app, client = world
    with db_of(app).session() as session:
        anna_id = session.scalar(select(Person.id).where(Person.alias == "Anna"))
    page = f"{BASE}/vog"
    post(client, page, page, person_id=str(anna_id), status="verified", expires_on="")
    assert "Vul de datum in" in client.get(page).get_data(as_text=True)
    post(client, page, page, person_id=str(anna_id), status="verified", expires_on="31-12-2027")
    assert "JJJJ-MM-DD" in client.get(page).get_data(as_text=True)
    post(client, page, page, person_id=str(anna_id), status="verified", expires_on="2027-12-31")
    with db_of(app).session() as session:
        anna = session.get(Person, anna_id)
        assert (anna.vog_status, anna.vog_expires_on) == ("verified", date(2027, 12, 31))
    assert "31" in client.get(page).get_data(as_text=True)


def test_printable_vacancy_list_per_kern(world):
    app, client = world
    coordinator, consultant = users(app)
    with db_of(app).session() as session:
        organisation_vacancy(session, coordinator, "Chauffeur voor de buurtbus")
        organisation_vacancy(session, coordinator, "Verborgen", approve=False)
        hulpvraag_for_client(session, consultant, coordinator, "Privé hulpvraag")
    assert "Woudrichem" in client.get(f"{BASE}/").get_data(as_text=True)
    page = client.get(f"{BASE}/afdrukken/Woudrichem").get_data(as_text=True)
    assert "Chauffeur voor de buurtbus" in page
    assert "Verborgen" not in page and "Privé hulpvraag" not in page
    assert "coordinator.css" in page


def test_routing_to_the_kaart_for_coordinator_and_the_poster_only(world):
    app, client = world
    coordinator, consultant = users(app)
    staff(app, "ander@example.org", "consultant")
    with db_of(app).session() as session:
        listing_id = hulpvraag_for_client(session, consultant, coordinator,
                                          "Hulp bij schulden", themes=("administratie",)).id
    case = f"{BASE}/zaak/{listing_id}"
    post(client, case, f"{case}/doorverwijzen", flag="1", note="Schuldhulp is beter.")
    with db_of(app).session() as session:
        assert session.get(VolunteerListing, listing_id).not_for_volunteers
    path = f"/vrijwilligers/doorverwijzen/{listing_id}"
    page = client.get(path)
    assert page.status_code == 200 and "Dit kan beter via" in page.get_data(as_text=True)
    poster = app.test_client()
    login(poster, "consulent@example.org")
    assert poster.get(path).status_code == 200
    other = app.test_client()
    login(other, "ander@example.org")
    assert other.get(path).status_code == 403
    assert app.test_client().get(path).status_code == 302
