"""The response state machine, matches and contact release (service level)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kit_volunteer import (
    COORDINATOR,
    HELPER,
    NOW,
    ORG,
    OTHER_ORG,
    OTHER_PROVIDER,
    PROVIDER,
    SEEKER,
    db_of,
    live_hulpvraag,
    live_vacancy,
    make_app,
    person,
    user,
)

from sociale_kaart.models import Match, Response, VolunteerListing
from sociale_kaart.volunteer import NotAllowed, VolunteerError
from sociale_kaart.volunteer.responses import (
    ContactNotReleased,
    accept,
    contact_details,
    decline,
    finish,
    match_count,
    record_match,
    record_offline_match,
    respond,
    withdraw,
)


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path / "instance", tmp_path)


def _respond(session, listing_id, email=HELPER["email"]):
    listing = session.get(VolunteerListing, listing_id)
    return respond(session, listing, now=NOW, person=person(session, email),
                   user=user(session, email), message="Ik help graag.")


def test_the_whole_way_from_interest_to_completed_has_a_timestamp_per_state(app):
    vacancy = live_vacancy(app)
    with db_of(app).session() as session:
        response = _respond(session, vacancy)
        provider = user(session, PROVIDER)
        accept(session, response, by=provider, now=NOW + timedelta(hours=1))
        match = record_match(session, response, by=provider, now=NOW + timedelta(days=1))
        finish(session, response, by=provider, now=NOW + timedelta(days=30), completed=True)
        assert response.state == "completed"
        assert response.interested_at == NOW
        assert response.accepted_at == NOW + timedelta(hours=1)
        assert response.matched_at == NOW + timedelta(days=1)
        assert response.completed_at == NOW + timedelta(days=30)
        assert match.kind == "persoon-organisatie" and match.made == "online"
        assert match.kern == "Woudrichem" and match.themes == ["vervoer"]


@pytest.mark.parametrize("steps, illegal", [
    ([], "match"),                       # interested -> matched skips acceptance
    (["decline"], "accept"),             # declined is final
    (["withdraw"], "accept"),            # withdrawn is final
    (["accept", "match", "complete"], "withdraw"),
])
def test_illegal_transitions_are_refused_with_a_clear_error(app, steps, illegal):
    vacancy = live_vacancy(app)
    with db_of(app).session() as session:
        response = _respond(session, vacancy)
        provider, helper = user(session, PROVIDER), user(session, HELPER["email"])
        me = person(session, HELPER["email"])
        actions = {
            "accept": lambda: accept(session, response, by=provider, now=NOW),
            "decline": lambda: decline(session, response, by=provider, now=NOW),
            "withdraw": lambda: withdraw(session, response, by=helper, now=NOW, person=me),
            "match": lambda: record_match(session, response, by=provider, now=NOW),
            "complete": lambda: finish(session, response, by=provider, now=NOW,
                                       completed=True),
        }
        for step in steps:
            actions[step]()
        state = response.state
        with pytest.raises(VolunteerError) as error:
            actions[illegal]()
        assert error.value.field == "state"
        assert f"Reactie {response.id} kan niet van" in error.value.message
        assert response.state == state


def test_only_the_listing_side_decides(app):
    vacancy = live_vacancy(app)
    with db_of(app).session() as session:
        response = _respond(session, vacancy)
        for email in (OTHER_PROVIDER, HELPER["email"], SEEKER["email"]):
            with pytest.raises(NotAllowed):
                accept(session, response, by=user(session, email), now=NOW,
                       person=None if "aanbieder" in email else person(session, email))
        assert response.state == "interested"
        accept(session, response, by=user(session, COORDINATOR), now=NOW)
        assert response.state == "accepted"


def test_contact_details_only_after_acceptance_and_only_for_the_two_sides(app):
    hulpvraag = live_hulpvraag(app)
    with db_of(app).session() as session:
        response = _respond(session, hulpvraag)
        helper, seeker = user(session, HELPER["email"]), user(session, SEEKER["email"])
        helper_p, seeker_p = person(session, HELPER["email"]), person(session, SEEKER["email"])
        with pytest.raises(ContactNotReleased):
            contact_details(session, response, viewer=helper, person=helper_p)
        with pytest.raises(ContactNotReleased):
            contact_details(session, response, viewer=seeker, person=seeker_p)
        accept(session, response, by=seeker, now=NOW, person=seeker_p)
        for viewer, me in ((helper, helper_p), (seeker, seeker_p)):
            details = contact_details(session, response, viewer=viewer, person=me)
            assert details["listing"].phone == SEEKER["phone"]
            assert details["responder"].phone == HELPER["phone"]
        with pytest.raises(ContactNotReleased):
            contact_details(session, response, viewer=user(session, OTHER_PROVIDER))


def test_a_response_twice_or_to_ones_own_listing_is_refused(app):
    hulpvraag = live_hulpvraag(app)
    with db_of(app).session() as session:
        _respond(session, hulpvraag)
        with pytest.raises(VolunteerError, match="al op deze oproep"):
            _respond(session, hulpvraag)
        with pytest.raises(VolunteerError, match="eigen oproep"):
            _respond(session, hulpvraag, SEEKER["email"])


def test_an_expired_listing_takes_no_responses(app):
    vacancy = live_vacancy(app, list_until=(NOW + timedelta(days=1)).date())
    with db_of(app).session() as session:
        listing = session.get(VolunteerListing, vacancy)
        with pytest.raises(VolunteerError, match="niet \\(meer\\) open"):
            respond(session, listing, now=NOW + timedelta(days=2),
                    person=person(session, HELPER["email"]))


def test_organisation_to_organisation_match(app):
    vacancy = live_vacancy(app)
    with db_of(app).session() as session:
        listing = session.get(VolunteerListing, vacancy)
        other = user(session, OTHER_PROVIDER)
        response = respond(session, listing, now=NOW, organization_id=OTHER_ORG, user=other)
        with pytest.raises(NotAllowed):
            respond(session, listing, now=NOW, organization_id=ORG, user=other)
        accept(session, response, by=user(session, PROVIDER), now=NOW)
        match = record_match(session, response, by=other, now=NOW)
        assert match.kind == "organisatie-organisatie"


def test_coordinator_enters_a_desk_match_that_counts_as_brokered(app):
    hulpvraag = live_hulpvraag(app)
    with db_of(app).session() as session:
        listing = session.get(VolunteerListing, hulpvraag)
        with pytest.raises(NotAllowed):
            record_offline_match(session, listing, entered_by=user(session, PROVIDER), now=NOW,
                                 channel="desk", person=person(session, HELPER["email"]))
        match = record_offline_match(session, listing, entered_by=user(session, COORDINATOR),
                                     now=NOW, channel="phone",
                                     person=person(session, HELPER["email"]))
        assert (match.made, match.channel, match.kind) == ("brokered", "phone",
                                                           "persoon-persoon")
        response = session.get(Response, match.response_id)
        assert response.state == "matched" and response.channel == "phone"
        assert listing.status == "filled"  # one volunteer needed, one matched
        assert match_count(session) == 1 and match_count(session, made="brokered") == 1
        assert session.query(Match).count() == 1
