"""Responses and matches: a small state machine, and contact details released on acceptance.

States: ``interested`` → ``accepted`` (contact details released to both sides) → ``matched`` →
``completed`` / ``not_completed``; ``declined`` (by the listing's side) and ``withdrawn`` (by the
responder) end a response early. Every state has its own timestamp column, and an illegal step
raises :class:`~sociale_kaart.volunteer.VolunteerError` with ``field="state"`` that says from
which state to which, so a double click or a stale page never corrupts anything.

A volunteer never contacts a help seeker first: they respond here, and only when the listing's
side accepts does :func:`contact_details` give either side the other's name, phone and e-mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Match, Person, Response, User, VolunteerListing
from ..models.volunteer import CHANNELS
from . import NotAllowed, VolunteerError
from .listings import COORDINATORS, can_manage, is_live, member_of

#: state -> the states it may move to.
TRANSITIONS = {
    "interested": ("accepted", "declined", "withdrawn"),
    "accepted": ("matched", "declined", "withdrawn", "not_completed"),
    "matched": ("completed", "not_completed"),
    "completed": (),
    "not_completed": (),
    "declined": (),
    "withdrawn": (),
}
RELEASED_STATES = ("accepted", "matched", "completed", "not_completed")
OPEN_STATES = ("interested", "accepted", "matched")
STATE_LABELS = {"interested": "Gereageerd", "accepted": "Geaccepteerd", "matched": "Match",
                "completed": "Afgerond", "not_completed": "Niet doorgegaan",
                "declined": "Afgewezen", "withdrawn": "Ingetrokken"}


def _move(response: Response, state: str, now: datetime) -> None:
    if state not in TRANSITIONS[response.state]:
        raise VolunteerError(
            "state", f"Reactie {response.id} kan niet van '{STATE_LABELS[response.state]}' "
                     f"naar '{STATE_LABELS[state]}'.")
    response.state = state
    setattr(response, f"{state}_at", now)
    response.updated_at = now


def respond(session: Session, listing: VolunteerListing, *, now: datetime,
            person: Person | None = None, organization_id: str | None = None,
            user: User | None = None, message: str | None = None, channel: str = "online",
            entered_by: User | None = None) -> Response:
    """Record interest in a listing, by a person or an organisation.

    :param channel: ``online`` (the responder on the site) or ``desk``/``phone`` (entered by the
        coordinator, who is then ``entered_by``).
    :raises VolunteerError: listing not open, own listing, already responded, bad channel.
    """
    if channel not in CHANNELS:
        raise VolunteerError("channel", "Kies online, balie of telefoon.")
    if channel != "online" and (entered_by is None or entered_by.role not in COORDINATORS):
        raise NotAllowed("Alleen de coördinator voert reacties via balie of telefoon in.")
    if (person is None) == (organization_id is None):
        raise VolunteerError("responder", "Een reactie komt van een persoon of een organisatie.")
    if organization_id is not None and user is not None and not member_of(user, organization_id):
        raise NotAllowed("U hoort niet bij deze organisatie.")
    if not is_live(listing, now.date()) or listing.not_for_volunteers:
        raise VolunteerError("listing", f"Oproep {listing.id} staat niet (meer) open.")
    if person is not None and listing.owner_person_id == person.id:
        raise VolunteerError("listing", "Dit is uw eigen oproep.")
    if organization_id is not None and listing.organization_id == organization_id:
        raise VolunteerError("listing", "Dit is een oproep van uw eigen organisatie.")
    message = (message or "").strip()
    if len(message) > 2000:
        raise VolunteerError("message", "Gebruik hoogstens 2000 tekens.")
    clause = (Response.person_id == person.id) if person is not None else \
        (Response.organization_id == organization_id)
    existing = session.scalar(select(Response).where(
        Response.listing_id == listing.id, clause, Response.state.in_(OPEN_STATES)))
    if existing is not None:
        raise VolunteerError("listing", "U heeft al op deze oproep gereageerd.")
    response = Response(listing_id=listing.id, person_id=person.id if person else None,
                        organization_id=organization_id, user_id=user.id if user else None,
                        state="interested", channel=channel, message=message or None,
                        entered_by_user_id=entered_by.id if entered_by else None,
                        interested_at=now, updated_at=now)
    session.add(response)
    session.flush()
    return response


def is_responder(user: User | None, response: Response, person: Person | None) -> bool:
    if user is None:
        return False
    if person is not None and response.person_id == person.id:
        return True
    return response.organization_id is not None and member_of(user, response.organization_id)


def _decider(session: Session, response: Response, user: User, person: Person | None) -> None:
    listing = session.get(VolunteerListing, response.listing_id)
    if not can_manage(user, listing, person):
        raise NotAllowed("Alleen wie de oproep plaatste beslist over reacties.")


def accept(session: Session, response: Response, *, by: User, now: datetime,
           person: Person | None = None) -> Response:
    """The listing's side accepts: both sides now see each other's contact details.

    :param person: the deciding account's person, when it is a participant.
    """
    _decider(session, response, by, person)
    _move(response, "accepted", now)
    session.flush()
    return response


def decline(session: Session, response: Response, *, by: User, now: datetime,
            person: Person | None = None) -> Response:
    _decider(session, response, by, person)
    _move(response, "declined", now)
    session.flush()
    return response


def withdraw(session: Session, response: Response, *, by: User, now: datetime,
             person: Person | None = None) -> Response:
    """The responder pulls out."""
    if not (is_responder(by, response, person) or by.role in COORDINATORS):
        raise NotAllowed("Alleen wie reageerde kan de reactie intrekken.")
    _move(response, "withdrawn", now)
    session.flush()
    return response


def match_kind(listing: VolunteerListing, response: Response) -> str:
    listing_org = listing.organization_id is not None
    responder_org = response.organization_id is not None
    if listing_org and responder_org:
        return "organisatie-organisatie"
    if listing_org or responder_org:
        return "persoon-organisatie"
    return "persoon-persoon"


def record_match(session: Session, response: Response, *, by: User, now: datetime,
                 person: Person | None = None, made: str | None = None) -> Match:
    """Mark an accepted response a match (either side, or the coordinator).

    :param made: ``online`` or ``brokered``; default ``brokered`` when the coordinator records
        it, else ``online``.
    """
    listing = session.get(VolunteerListing, response.listing_id)
    if not (can_manage(by, listing, person) or is_responder(by, response, person)):
        raise NotAllowed("Alleen de betrokkenen of de coördinator leggen een match vast.")
    made = made or ("brokered" if by.role in COORDINATORS else "online")
    if made not in ("online", "brokered"):
        raise VolunteerError("made", "Kies online of bemiddeld.")
    return create_match(session, response, listing, made=made, now=now, entered_by=by.id)


def create_match(session: Session, response: Response, listing: VolunteerListing, *,
                 made: str, now: datetime, entered_by: int | None = None) -> Match:
    """Move an accepted response to ``matched`` and record its Match (the caller has checked
    who may do so: a person on the platform, or a token from a follow-up e-mail)."""
    _move(response, "matched", now)
    match = Match(response_id=response.id, listing_id=listing.id,
                  volunteer_person_id=response.person_id, kind=match_kind(listing, response),
                  made=made, channel=response.channel, entered_by_user_id=entered_by,
                  listing_type=listing.type, kern=listing.kern,
                  themes=list(listing.themes or []), started_at=now, created_at=now,
                  durable="unknown")
    session.add(match)
    _fill_when_complete(session, listing, now)
    session.flush()
    return match


def _fill_when_complete(session: Session, listing: VolunteerListing, now: datetime) -> None:
    """A listing with as many matches as volunteers needed is filled."""
    session.flush()
    matched = len(session.scalars(select(Response.id).where(
        Response.listing_id == listing.id,
        Response.state.in_(("matched", "completed")))).all())
    if listing.status == "active" and matched >= listing.volunteers_needed:
        listing.status = "filled"
        listing.closed_at = now


def finish(session: Session, response: Response, *, by: User, now: datetime, completed: bool,
           person: Person | None = None) -> Response:
    """The help was given (``completed``) or it came to nothing (``not_completed``)."""
    listing = session.get(VolunteerListing, response.listing_id)
    if not (can_manage(by, listing, person) or is_responder(by, response, person)):
        raise NotAllowed("Alleen de betrokkenen of de coördinator ronden af.")
    _move(response, "completed" if completed else "not_completed", now)
    match = session.scalar(select(Match).where(Match.response_id == response.id))
    if match is not None and not completed:
        match.ended_at = now
    session.flush()
    return response


def record_offline_match(session: Session, listing: VolunteerListing, *, entered_by: User,
                         now: datetime, channel: str, person: Person | None = None,
                         organization_id: str | None = None, note: str | None = None) -> Match:
    """The coordinator enters a match made at the desk or by phone, so it counts in the figures.

    Creates the response (channel ``desk`` or ``phone``), accepts it and records a ``brokered``
    match in one go; works on any live listing.
    """
    if entered_by.role not in COORDINATORS:
        raise NotAllowed("Alleen de coördinator voert matches van balie of telefoon in.")
    if channel not in ("desk", "phone"):
        raise VolunteerError("channel", "Kies balie of telefoon.")
    response = respond(session, listing, now=now, person=person,
                       organization_id=organization_id, channel=channel,
                       entered_by=entered_by, message=None)
    _move(response, "accepted", now)
    match = record_match(session, response, by=entered_by, now=now, made="brokered")
    match.note = (note or "").strip() or None
    session.flush()
    return match


# -- contact release ---------------------------------------------------------------------------

@dataclass
class Contact:
    name: str | None
    phone: str | None
    email: str | None


class ContactNotReleased(NotAllowed):
    pass


def listing_contact(session: Session, listing: VolunteerListing) -> Contact:
    if listing.organization_id is not None:
        org = listing.organization
        return Contact(listing.contact_name or (org.name if org else None),
                       listing.contact_phone, listing.contact_email or (org.email if org else None))
    owner = session.get(Person, listing.owner_person_id) if listing.owner_person_id else None
    if owner is None:
        return Contact(None, None, None)
    if listing.on_behalf_of_person_id and listing.contact_phone:
        # The professional gave their own number as contact for the client.
        return Contact(listing.contact_name or owner.full_name or owner.alias,
                       listing.contact_phone, listing.contact_email)
    return Contact(owner.full_name or owner.alias, owner.phone, owner.email)


def responder_contact(session: Session, response: Response) -> Contact:
    if response.organization_id is not None:
        org = response.organization
        return Contact(org.name if org else None, None, org.email if org else None)
    person = session.get(Person, response.person_id) if response.person_id else None
    if person is None:
        return Contact(None, None, None)
    return Contact(person.full_name or person.alias, person.phone, person.email)


def contact_details(session: Session, response: Response, *, viewer: User,
                    person: Person | None = None) -> dict[str, Contact]:
    """Both sides' contact details, for one of the two sides or the coordinator.

    :raises ContactNotReleased: before acceptance (or after a decline/withdrawal), or for
        anybody else; the web layer answers 403.
    """
    listing = session.get(VolunteerListing, response.listing_id)
    party = can_manage(viewer, listing, person) or is_responder(viewer, response, person)
    if not party:
        raise ContactNotReleased("U hoort niet bij deze reactie.")
    if response.state not in RELEASED_STATES:
        raise ContactNotReleased("De contactgegevens zijn pas zichtbaar als de reactie is "
                                 "geaccepteerd.")
    return {"listing": listing_contact(session, listing),
            "responder": responder_contact(session, response)}


def match_count(session: Session, *, made: str | None = None) -> int:
    """Number of matches (a service-level figure for tests until the indicators page exists)."""
    query = select(Match.id)
    if made:
        query = query.where(Match.made == made)
    return len(session.scalars(query).all())
