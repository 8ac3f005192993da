"""From the ORM to the matcher's plain records, and a small cache of built matchers.

Why a cache: building a :class:`~.matching.ListingMatcher` reads every live listing and expands
its tags through the thesaurus (a few tens of ms at 1,000 listings); scoring one volunteer then
takes well under a millisecond. The cache is keyed on a cheap fingerprint of the listings and
responses (count and last change), so a new listing, an edit or a response rebuilds it and a
page never shows stale suggestions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Person, Response, VolunteerListing
from .listings import approved_organisation_ids, is_live
from .matching import (
    ConceptSpace,
    ListingFacts,
    ListingMatcher,
    Suggestion,
    VolunteerMatcher,
    VolunteerProfile,
)
from .people import age_on


def profile_from_person(person: Person, today: date) -> VolunteerProfile:
    """A person's volunteer profile: interests and skills as tags, kern centre as location."""
    return VolunteerProfile(
        id=person.id,
        interests=frozenset([*(person.interests or []), *(person.skills or [])]),
        dagdelen=frozenset(person.dagdelen or []),
        kern=person.kern, lat=person.lat, lon=person.lon,
        travel_km=float(person.travel_km or 0),
        has_car=bool(person.has_car), has_licence=bool(person.has_licence),
        vog_status=person.vog_status or "none", vog_expires=person.vog_expires_on,
        age=age_on(person, today),
        active=bool(person.is_volunteer) and person.user_id is not None,
        open_to_requests=bool(person.ask_opt_in))


def facts_from_listing(listing: VolunteerListing, responses: int, today: date,
                       approved: set[str] | None = None) -> ListingFacts:
    """A listing's facts; an organisation's vacancy only counts once the organisation is
    approved, and a listing the coordinator marked "not for volunteers" never does."""
    dagdelen = set(listing.dagdelen or [])
    if listing.schedule_kind == "eenmalig" and listing.date_on and not dagdelen:
        day = ("ma", "di", "wo", "do", "vr", "za", "zo")[listing.date_on.weekday()]
        dagdelen = {f"{day}-ochtend", f"{day}-middag", f"{day}-avond"}
    org_ok = listing.organization_id is None or approved is None \
        or listing.organization_id in approved
    published = listing.published_at.date() if listing.published_at else None
    return ListingFacts(
        id=listing.id, kind=listing.type, tags=frozenset(listing.themes or []),
        dagdelen=frozenset(dagdelen), kern=listing.kern, lat=listing.lat, lon=listing.lon,
        online=listing.mode == "online", requires_vog=bool(listing.requires_vog),
        requires_car=bool(listing.requires_car), requires_licence=bool(listing.requires_licence),
        min_age=listing.min_age, active=is_live(listing, today) and org_ok
        and not listing.not_for_volunteers,
        published=published, list_until=listing.list_until, responses=responses,
        owner_id=listing.owner_person_id)


def _response_counts(session: Session) -> dict[int, int]:
    rows = session.execute(select(Response.listing_id, func.count(Response.id))
                           .group_by(Response.listing_id))
    return {listing_id: count for listing_id, count in rows}


def _fingerprint(session: Session, today: date) -> tuple:
    listings = session.execute(select(func.count(VolunteerListing.id),
                                      func.max(VolunteerListing.updated_at))).one()
    responses = session.execute(select(func.count(Response.id),
                                       func.max(Response.updated_at))).one()
    people = session.execute(select(func.count(Person.id), func.max(Person.updated_at))).one()
    return (today, tuple(listings), tuple(responses), tuple(people))


@dataclass
class _Cached:
    key: tuple
    value: object


_lock = threading.Lock()
_cache: dict[tuple[str, str], _Cached] = {}
_concepts: ConceptSpace | None = None


def _concept_space() -> ConceptSpace:
    global _concepts
    if _concepts is None:
        _concepts = ConceptSpace()
    return _concepts


def listing_matcher(session: Session, today: date) -> ListingMatcher:
    """The matcher over all live listings, rebuilt only when listings or responses changed."""
    key = _fingerprint(session, today)
    slot = (str(session.get_bind().url), "listings")
    with _lock:
        hit = _cache.get(slot)
        if hit is not None and hit.key == key:
            return hit.value  # type: ignore[return-value]
    counts = _response_counts(session)
    approved = approved_organisation_ids(session)
    rows = session.scalars(select(VolunteerListing).where(
        VolunteerListing.status == "active",
        VolunteerListing.type.in_(("vacature", "hulpvraag"))))
    facts = [facts_from_listing(row, counts.get(row.id, 0), today, approved) for row in rows]
    matcher = ListingMatcher([f for f in facts if f.active], today, _concept_space())
    with _lock:
        _cache[slot] = _Cached(key, matcher)
    return matcher


def volunteer_matcher(session: Session, today: date) -> VolunteerMatcher:
    """The matcher over volunteers who opted in to be asked."""
    key = _fingerprint(session, today)
    slot = (str(session.get_bind().url), "volunteers")
    with _lock:
        hit = _cache.get(slot)
        if hit is not None and hit.key == key:
            return hit.value  # type: ignore[return-value]
    people = session.scalars(select(Person).where(Person.ask_opt_in.is_(True),
                                                  Person.is_volunteer.is_(True)))
    matcher = VolunteerMatcher([profile_from_person(p, today) for p in people], today,
                               _concept_space())
    with _lock:
        _cache[slot] = _Cached(key, matcher)
    return matcher


def suggestions_for(session: Session, person: Person, today: date,
                    limit: int = 5) -> list[tuple[VolunteerListing, Suggestion]]:
    """"Voor u gevonden": the best live listings for one person, with their reasons."""
    matcher = listing_matcher(session, today)
    found = matcher.suggest(profile_from_person(person, today), limit=limit)
    out = []
    for suggestion in found:
        listing = session.get(VolunteerListing, suggestion.id)
        if listing is not None:
            out.append((listing, suggestion))
    return out


def volunteers_for(session: Session, listing: VolunteerListing, today: date,
                   limit: int = 20) -> list[tuple[Person, Suggestion]]:
    """Opted-in volunteers who suit a listing, best first (for its organisation or the
    coordinator). Returns persons; the caller shows only their alias and kern."""
    matcher = volunteer_matcher(session, today)
    facts = facts_from_listing(listing, 0, today)
    out = []
    for suggestion in matcher.rank(facts, limit=limit):
        person = session.get(Person, suggestion.id)
        if person is not None:
            out.append((person, suggestion))
    return out
