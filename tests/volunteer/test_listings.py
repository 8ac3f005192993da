"""Posting, review and visibility of listings (service level)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kit_volunteer import (
    CONSULTANT,
    COORDINATOR,
    HELPER,
    NOW,
    ORG,
    OTHER_PROVIDER,
    PROVIDER,
    SEEKER,
    db_of,
    hulpvraag_input,
    live_hulpvraag,
    live_vacancy,
    make_app,
    person,
    user,
    vacancy_input,
)

from sociale_kaart.models import OrganisationApproval, VolunteerListing
from sociale_kaart.volunteer import NotAllowed, VolunteerError
from sociale_kaart.volunteer.listings import (
    approve_listing,
    approve_organisation,
    can_view,
    close_listing,
    create_listing,
    is_public,
    open_vacancies,
    reject_listing,
    update_listing,
)
from sociale_kaart.volunteer.people import create_client


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path / "instance", tmp_path)


def test_a_vacancy_goes_public_only_after_organisation_and_vacancy_are_approved(app):
    with db_of(app).session() as session:
        listing = create_listing(session, vacancy_input(), posted_by=user(session, PROVIDER),
                                 now=NOW, organization_id=ORG)
        assert listing.status == "pending" and listing.submitted_at == NOW
        assert session.get(OrganisationApproval, ORG).status == "pending"
        coordinator = user(session, COORDINATOR)
        with pytest.raises(VolunteerError, match="Keur eerst de organisatie goed"):
            approve_listing(session, listing, by=coordinator, now=NOW)
        with pytest.raises(NotAllowed):
            approve_organisation(session, ORG, by=user(session, PROVIDER), now=NOW)
        approve_organisation(session, ORG, by=coordinator, now=NOW)
        assert not is_public(session, listing, NOW.date())
        approve_listing(session, listing, by=coordinator, now=NOW)
        assert is_public(session, listing, NOW.date())
        assert [v.id for v in open_vacancies(session, ORG, NOW.date())] == [listing.id]


def test_expired_listings_leave_public_pages_by_themselves(app):
    vacancy = live_vacancy(app, list_until=(NOW + timedelta(days=3)).date())
    with db_of(app).session() as session:
        listing = session.get(VolunteerListing, vacancy)
        assert is_public(session, listing, (NOW + timedelta(days=3)).date())
        assert not is_public(session, listing, (NOW + timedelta(days=4)).date())
        assert open_vacancies(session, ORG, (NOW + timedelta(days=4)).date()) == []


def test_provider_of_another_organisation_cannot_post_for_it(app):
    with db_of(app).session() as session, pytest.raises(NotAllowed):
        create_listing(session, vacancy_input(), posted_by=user(session, OTHER_PROVIDER),
                       now=NOW, organization_id=ORG)


@pytest.mark.parametrize("changes, field", [
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"description": ""}, "description"),
    ({"themes": ("onbekend",)}, "themes"),
    ({"dagdelen": ("ma-nacht",)}, "dagdelen"),
    ({"kern": ""}, "kern"),
    ({"schedule_kind": "eenmalig"}, "date_on"),
    ({"list_until": (NOW - timedelta(days=1)).date()}, "list_until"),
    ({"mode": "ergens"}, "mode"),
    ({"volunteers_needed": 0}, "volunteers_needed"),
    ({"hours_per_week": 100.0}, "hours_per_week"),
])
def test_bad_input_names_the_field_and_stores_nothing(app, changes, field):
    with db_of(app).session() as session:
        with pytest.raises(VolunteerError) as error:
            create_listing(session, vacancy_input(**changes), posted_by=user(session, PROVIDER),
                           now=NOW, organization_id=ORG)
        assert error.value.field == field
        session.rollback()
        assert session.query(VolunteerListing).count() == 0


def test_private_data_in_the_text_is_flagged_for_poster_and_coordinator(app):
    with db_of(app).session() as session:
        listing = create_listing(
            session, hulpvraag_input(description="Bel mij: 06-11223344, Dorpsstraat 5."),
            posted_by=user(session, SEEKER["email"]), now=NOW,
            owner=person(session, SEEKER["email"]))
        assert listing.privacy_warnings == ["phone", "address"]
        update_listing(session, listing, hulpvraag_input(), now=NOW)
        assert listing.privacy_warnings == []


def test_professional_posts_on_behalf_of_a_client_only_with_consent(app):
    with db_of(app).session() as session:
        client = create_client(session, alias="Mevrouw K.", kern="Almkerk", now=NOW)
        consultant = user(session, CONSULTANT)
        with pytest.raises(VolunteerError) as error:
            create_listing(session, hulpvraag_input(), posted_by=consultant, now=NOW,
                           on_behalf_of=client, consent_text=" ")
        assert error.value.field == "consent_text"
        with pytest.raises(NotAllowed):
            create_listing(session, hulpvraag_input(), posted_by=user(session, PROVIDER),
                           now=NOW, on_behalf_of=client, consent_text="ja")
        listing = create_listing(session, hulpvraag_input(), posted_by=consultant, now=NOW,
                                 on_behalf_of=client, consent_text="Mondeling, 20 nov.")
        assert listing.owner_person_id == client.id == listing.on_behalf_of_person_id
        assert listing.posted_by_user_id == consultant.id and listing.consent_at == NOW


def test_a_hulpvraag_is_never_public_and_only_seen_by_signed_in_participants(app):
    hulpvraag = live_hulpvraag(app)
    with db_of(app).session() as session:
        listing = session.get(VolunteerListing, hulpvraag)
        assert not is_public(session, listing, NOW.date())
        assert not can_view(session, listing, None, NOW.date())
        helper = user(session, HELPER["email"])
        assert can_view(session, listing, helper, NOW.date(), person(session, HELPER["email"]))
        listing.not_for_volunteers = True
        assert not can_view(session, listing, helper, NOW.date())


def test_review_reject_and_close(app):
    with db_of(app).session() as session:
        listing = create_listing(session, hulpvraag_input(),
                                 posted_by=user(session, SEEKER["email"]), now=NOW,
                                 owner=person(session, SEEKER["email"]))
        coordinator = user(session, COORDINATOR)
        with pytest.raises(VolunteerError, match="Schrijf waarom"):
            reject_listing(session, listing, by=coordinator, now=NOW, note="")
        reject_listing(session, listing, by=coordinator, now=NOW, note="Graag zonder naam.")
        assert listing.status == "draft" and listing.review_note == "Graag zonder naam."
        with pytest.raises(VolunteerError, match="wacht niet op controle"):
            approve_listing(session, listing, by=coordinator, now=NOW)
        close_listing(session, listing, now=NOW)
        with pytest.raises(VolunteerError, match="al gesloten"):
            close_listing(session, listing, now=NOW)
