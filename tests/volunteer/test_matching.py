""""Voor u gevonden": hard filters, synonyms, schedule, equity, reasons, the reverse ranking,
and the ORM adapters on a real SQLite database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
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

from sociale_kaart.volunteer.match_adapters import suggestions_for, volunteers_for
from sociale_kaart.volunteer.matching import (
    ConceptSpace,
    ListingFacts,
    ListingMatcher,
    Reason,
    VolunteerMatcher,
    VolunteerProfile,
    reason_text,
)

TODAY = date(2026, 12, 1)
WOUDRICHEM = (51.8147, 4.9981)
GORINCHEM_FAR = (52.09, 5.12)  # Utrecht-ish: far outside any travel range


@pytest.fixture(scope="module")
def concepts() -> ConceptSpace:
    return ConceptSpace()


def listing(id: int, **fields) -> ListingFacts:
    base = dict(tags=frozenset({"vervoer"}), kern="Woudrichem", lat=WOUDRICHEM[0],
                lon=WOUDRICHEM[1], published=TODAY - timedelta(days=3))
    base.update(fields)
    return ListingFacts(id=id, **base)


def person(id: int = 1000, **fields) -> VolunteerProfile:
    base = dict(interests=frozenset({"vervoer"}), kern="Woudrichem", lat=WOUDRICHEM[0],
                lon=WOUDRICHEM[1], travel_km=5.0)
    base.update(fields)
    return VolunteerProfile(id=id, **base)


def ids(matcher: ListingMatcher, profile: VolunteerProfile) -> list[int]:
    return [s.id for s in matcher.suggest(profile, limit=10)]


@pytest.mark.parametrize("vog_status, expires, reaches", [
    ("verified", date(2027, 6, 1), True),
    ("in_progress", None, True),
    ("verified", date(2026, 11, 30), False),   # expired yesterday
    ("none", None, False),
])
def test_a_vacancy_requiring_a_vog_only_reaches_a_valid_vog(concepts, vog_status, expires,
                                                            reaches):
    matcher = ListingMatcher([listing(1, requires_vog=True)], TODAY, concepts)
    profile = person(vog_status=vog_status, vog_expires=expires)
    assert (ids(matcher, profile) == [1]) is reaches


@pytest.mark.parametrize("requirement, profile_fields, reaches", [
    ({"requires_car": True}, {"has_car": True}, True),
    ({"requires_car": True}, {"has_licence": True}, False),
    ({"requires_licence": True}, {"has_licence": True}, True),
    ({"requires_licence": True}, {"has_car": True}, True),
    ({"requires_licence": True}, {}, False),
    ({"min_age": 18}, {"age": 17}, False),
    ({"min_age": 18}, {"age": 18}, True),
    ({"min_age": 18}, {}, False),              # age unknown: not suggested
    ({"active": False}, {}, False),
    ({"list_until": TODAY - timedelta(days=1)}, {}, False),
    ({"owner_id": 1000}, {}, False),           # never your own listing
])
def test_hard_filters(concepts, requirement, profile_fields, reaches):
    matcher = ListingMatcher([listing(1, **requirement)], TODAY, concepts)
    assert (ids(matcher, person(**profile_fields)) == [1]) is reaches


def test_area_filter_keeps_near_and_online_listings(concepts):
    matcher = ListingMatcher([
        listing(1),
        listing(2, kern="Utrecht", lat=GORINCHEM_FAR[0], lon=GORINCHEM_FAR[1]),
        listing(3, kern="Utrecht", lat=GORINCHEM_FAR[0], lon=GORINCHEM_FAR[1], online=True),
    ], TODAY, concepts)
    assert sorted(ids(matcher, person())) == [1, 3]


def test_an_inactive_volunteer_gets_nothing(concepts):
    matcher = ListingMatcher([listing(1)], TODAY, concepts)
    assert ids(matcher, person(active=False)) == []


def test_synonyms_and_themes_bridge_the_words(concepts):
    """The volunteer says "chauffeur", the vacancy says "vervoer": they meet."""
    matcher = ListingMatcher([listing(1, tags=frozenset({"vervoer"})),
                              listing(2, tags=frozenset({"tuin"}))], TODAY, concepts)
    assert ids(matcher, person(interests=frozenset({"chauffeur"}))) == [1]
    assert ids(matcher, person(interests=frozenset({"tuinieren"}))) == [2]


def test_no_shared_interest_means_no_suggestion(concepts):
    matcher = ListingMatcher([listing(1, tags=frozenset({"administratie"}))], TODAY, concepts)
    assert ids(matcher, person(interests=frozenset({"tuin"}))) == []


def test_schedule_fit_ranks_the_fitting_listing_first(concepts):
    matcher = ListingMatcher([listing(1, dagdelen=frozenset({"wo-avond"})),
                              listing(2, dagdelen=frozenset({"di-ochtend"}))], TODAY, concepts)
    assert ids(matcher, person(dagdelen=frozenset({"di-ochtend"})))[0] == 2


def test_equity_lifts_a_listing_nobody_responded_to(concepts):
    matcher = ListingMatcher([listing(1, responses=12), listing(2, responses=0)], TODAY,
                             concepts)
    assert ids(matcher, person()) == [2, 1]


def test_reasons_are_dutch_b1(concepts):
    matcher = ListingMatcher([listing(1, requires_car=True, dagdelen=frozenset({"di-ochtend"}))],
                             TODAY, concepts)
    found = matcher.suggest(person(has_car=True, dagdelen=frozenset({"di-ochtend"})))
    texts = [reason_text(r) for r in found[0].reasons]
    assert "in uw kern" in texts
    assert "past bij dinsdagochtend" in texts
    assert "u heeft een auto" in texts
    assert "past bij uw interesse: vervoer" in texts
    assert reason_text(Reason("near", "3,2")) == "op 3,2 km van u"


def test_reverse_only_proposes_volunteers_who_opted_in(concepts):
    people = [person(1, open_to_requests=True), person(2, open_to_requests=False),
              person(3, open_to_requests=True, interests=frozenset({"tuin"})),
              person(4, open_to_requests=True, has_car=True)]
    matcher = VolunteerMatcher(people, TODAY, concepts)
    assert [s.id for s in matcher.rank(listing(9))] in ([1, 4], [4, 1])
    assert [s.id for s in matcher.rank(listing(9, requires_car=True))] == [4]


# -- the ORM adapters ------------------------------------------------------------------------

def test_suggestions_from_the_database(tmp_path):
    now = datetime(2026, 12, 1, 9, 0)
    app = coordinator_app(tmp_path / "inst", now)
    staff(app)
    staff(app, "consulent@example.org", "consultant")
    with db_of(app).session() as session:
        coordinator = user_by_email(session, "coordinator@example.org")
        consultant = user_by_email(session, "consulent@example.org")
        driver = organisation_vacancy(session, coordinator, "Chauffeur voor ouderen",
                                      requires_car=True, now=T0)
        unapproved = organisation_vacancy(session, coordinator, "Ook chauffeur", now=T0,
                                          approve=False)
        shopping = hulpvraag_for_client(session, consultant, coordinator, now=T0)
        anna = volunteer(session, "Anna", interests=["vervoer", "boodschappen"],
                         has_car=True, ask_opt_in=True)
        bert = volunteer(session, "Bert", interests=["vervoer"], ask_opt_in=False)
        found = [(listing.id, s) for listing, s in suggestions_for(session, anna, now.date())]
        assert {listing_id for listing_id, _ in found} == {driver.id, shopping.id}
        assert unapproved.id not in {listing_id for listing_id, _ in found}
        # Bert has no car: the driver vacancy needs one.
        assert [lst.id for lst, _ in suggestions_for(session, bert, now.date())] == []
        ranked = [p.id for p, _ in volunteers_for(session, driver, now.date())]
        assert ranked == [anna.id]


def test_for_you_page_and_who_can_help(tmp_path):
    from kit_accounts import login

    now = datetime(2026, 12, 1, 9, 0)
    app = coordinator_app(tmp_path / "inst", now)
    staff(app)
    staff(app, "consulent@example.org", "consultant")
    staff(app, "ander@example.org", "consultant")
    with db_of(app).session() as session:
        coordinator = user_by_email(session, "coordinator@example.org")
        consultant = user_by_email(session, "consulent@example.org")
        organisation_vacancy(session, coordinator, "Chauffeur voor ouderen", requires_car=True,
                             dagdelen=("di-ochtend",), schedule_kind="regelmatig", now=T0)
        shopping = hulpvraag_for_client(session, consultant, coordinator, now=T0).id
        volunteer(session, "Anna", interests=["vervoer", "boodschappen"], has_car=True,
                  dagdelen=["di-ochtend"], ask_opt_in=True)
    anna = app.test_client()
    login(anna, "anna@example.org")
    page = anna.get("/vrijwilligers/voor-u").get_data(as_text=True)
    assert "Voor u gevonden" in page and "Chauffeur voor ouderen" in page
    assert "past bij dinsdagochtend" in page and "u heeft een auto" in page
    assert "in uw kern" in page
    path = f"/vrijwilligers/oproep/{shopping}/wie-kan-helpen"
    assert anna.get(path).status_code == 403  # not hers to manage
    poster = app.test_client()
    login(poster, "consulent@example.org")
    reply = poster.get(path)
    helpers = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "<strong>Anna</strong> (Woudrichem)" in helpers
    assert "0612345678" not in helpers
    other = app.test_client()
    login(other, "ander@example.org")
    assert other.get(path).status_code == 403
    assert other.get("/vrijwilligers/voor-u").status_code == 403
