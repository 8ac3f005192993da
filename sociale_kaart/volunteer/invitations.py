"""Inviting a volunteer: an organisation or the coordinator asks an opted-in volunteer about a
listing ("Wilt u hiermee helpen?").

Why it goes through a response: an invitation releases nothing. The inviter only ever sees the
volunteer's alias and kern (on "wie kan helpen"); the volunteer sees the listing as any
participant would. When the volunteer says yes, that becomes an ordinary response
(``interested``), and contact details are released only when the listing's side accepts it,
exactly as for a response the volunteer made unasked (see :mod:`.responses`). Saying no just
closes the invitation; the inviter is not told who declined beyond "no answer yet / answered".

Who may be invited: a volunteer with a login who opted in to be asked (``ask_opt_in``), not
the listing's own owner, who has no open response on it yet, and, for a listing that needs a
VOG, whose VOG is verified or in progress (the same rule as "Voor u gevonden").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Person, Response, User, VolunteerInvitation, VolunteerListing
from . import NotAllowed, VolunteerError
from .listings import can_manage, is_live
from .responses import OPEN_STATES, respond

#: VOG statuses that may receive a listing that needs a VOG.
VOG_OK = ("verified", "in_progress")


@dataclass
class InvitationView:
    """An open invitation as the invited volunteer sees it (no data about the inviter)."""

    invitation: VolunteerInvitation
    listing: VolunteerListing


def _open_response(session: Session, listing_id: int, person_id: int) -> Response | None:
    return session.scalar(select(Response).where(
        Response.listing_id == listing_id, Response.person_id == person_id,
        Response.state.in_(OPEN_STATES)))


def invite(session: Session, listing: VolunteerListing, volunteer: Person, *, by: User,
           by_person: Person | None, now: datetime) -> VolunteerInvitation:
    """Invite ``volunteer`` to ``listing`` on behalf of whoever manages it.

    :raises NotAllowed: ``by`` does not manage the listing.
    :raises VolunteerError: the listing is not open, or this volunteer cannot be invited
        (names the reason; nothing is stored).
    """
    if not can_manage(by, listing, by_person):
        raise NotAllowed("Alleen wie de oproep beheert, kan vrijwilligers uitnodigen.")
    if not is_live(listing, now.date()) or listing.not_for_volunteers:
        raise VolunteerError("listing", f"Oproep {listing.id} staat niet (meer) open.")
    if listing.type == "hulpaanbod":
        raise VolunteerError("listing", "Voor hulpaanbod nodigt u geen vrijwilligers uit.")
    if not (volunteer.is_volunteer and volunteer.ask_opt_in and volunteer.user_id):
        raise VolunteerError("person_id", f"Vrijwilliger {volunteer.id} wil niet gevraagd "
                                          "worden.")
    if listing.owner_person_id == volunteer.id:
        raise VolunteerError("person_id", "Dit is de eigen oproep van deze persoon.")
    if listing.requires_vog and volunteer.vog_status not in VOG_OK:
        raise VolunteerError("person_id", f"Vrijwilliger {volunteer.id} heeft (nog) geen VOG, "
                                          "en die is nodig voor deze oproep.")
    if _open_response(session, listing.id, volunteer.id) is not None:
        raise VolunteerError("person_id", "Deze vrijwilliger heeft al gereageerd.")
    existing = session.scalar(select(VolunteerInvitation).where(
        VolunteerInvitation.listing_id == listing.id,
        VolunteerInvitation.person_id == volunteer.id))
    if existing is not None:
        raise VolunteerError("person_id", "Deze vrijwilliger is al uitgenodigd.")
    invitation = VolunteerInvitation(listing_id=listing.id, person_id=volunteer.id,
                                     invited_by_user_id=by.id, created_at=now)
    session.add(invitation)
    session.flush()
    return invitation


def invited_ids(session: Session, listing_id: int) -> set[int]:
    """Ids of the people already invited to a listing (to show "uitgenodigd" on the list)."""
    return set(session.scalars(select(VolunteerInvitation.person_id)
                               .where(VolunteerInvitation.listing_id == listing_id)))


def open_invitations(session: Session, person: Person, today) -> list[InvitationView]:
    """The person's unanswered invitations to listings that are still open, newest first."""
    rows = session.scalars(select(VolunteerInvitation).where(
        VolunteerInvitation.person_id == person.id,
        VolunteerInvitation.answered_at.is_(None))
        .order_by(VolunteerInvitation.created_at.desc(), VolunteerInvitation.id.desc()))
    out = []
    for invitation in rows:
        listing = session.get(VolunteerListing, invitation.listing_id)
        if listing is not None and is_live(listing, today) and not listing.not_for_volunteers:
            out.append(InvitationView(invitation, listing))
    return out


def answer(session: Session, invitation: VolunteerInvitation, person: Person | None, *,
           user: User, yes: bool, now: datetime) -> Response | None:
    """The invited volunteer answers. Yes makes an ordinary response (``interested``); the
    listing's side then accepts or declines it, and only acceptance releases contact details.

    :raises NotAllowed: the account is not the invited person.
    :raises VolunteerError: already answered, or the listing closed meanwhile.
    """
    if person is None or invitation.person_id != person.id:
        raise NotAllowed("Deze uitnodiging is niet voor u.")
    if invitation.answered_at is not None:
        raise VolunteerError("invitation", "U heeft deze uitnodiging al beantwoord.")
    response = None
    if yes:
        listing = session.get(VolunteerListing, invitation.listing_id)
        if listing is None:
            raise VolunteerError("invitation", "Deze oproep bestaat niet meer.")
        response = respond(session, listing, now=now, person=person, user=user)
    invitation.answered_at = now
    session.flush()
    return response
