"""The coordinator's work: moderation and brokering queues, contact log, VOG and routing.

Why a queue that fills itself: on volunteer platforms the hulpvragen that nobody answers are
the ones that matter most (older residents, a first question), and they silently expire. So
every hulpvraag without an accepted response after ``volunteer_brokering_days`` days (default 5),
or whose help seeker asked for help searching, lands in the brokering queue. The move is
idempotent (a case already in the queue keeps its date), so the CLI command, a scheduled job and
opening the queue page may all run it.

Time is a parameter (``now``) everywhere, so the rules are testable with a fixed clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..models import (
    ContactLogEntry,
    OrganisationApproval,
    Organization,
    Person,
    Response,
    User,
    VolunteerListing,
)
from ..models.volunteer import CHANNELS, VOG_STATUSES
from . import NotAllowed, VolunteerError
from .listings import COORDINATORS

#: Brokering states of a case: waiting, someone is working on it, finished.
BROKERING_STATES = ("open", "in_progress", "done")


def _coordinator(user: User) -> None:
    if user is None or user.role not in COORDINATORS:
        raise NotAllowed("Alleen de coördinator doet dit.")


# -- moderation --------------------------------------------------------------------------------

@dataclass
class ModerationQueue:
    organisations: list[tuple[OrganisationApproval, Organization | None]]
    listings: list[VolunteerListing]


def moderation_queue(session: Session) -> ModerationQueue:
    """Organisations waiting for approval and listings waiting for review, oldest first."""
    approvals = session.scalars(select(OrganisationApproval)
                                .where(OrganisationApproval.status == "pending")
                                .order_by(OrganisationApproval.requested_at)).all()
    organisations = [(a, session.get(Organization, a.organization_id)) for a in approvals]
    listings = session.scalars(select(VolunteerListing)
                               .where(VolunteerListing.status == "pending")
                               .order_by(VolunteerListing.submitted_at,
                                         VolunteerListing.id)).all()
    return ModerationQueue(organisations, list(listings))


# -- brokering ---------------------------------------------------------------------------------

def _accepted_exists():
    return exists().where(Response.listing_id == VolunteerListing.id,
                          Response.accepted_at.is_not(None))


def due_for_brokering(session: Session, now: datetime, days: int) -> list[VolunteerListing]:
    """Live hulpvragen that should be in the brokering queue but are not yet.

    A hulpvraag is due when its help seeker asked for help searching, or when it has been
    online for ``days`` days (counted from publication) without any accepted response.
    """
    if days < 0:
        raise VolunteerError("days", "Het aantal dagen kan niet negatief zijn.")
    cutoff = now - timedelta(days=days)
    rows = session.scalars(select(VolunteerListing).where(
        VolunteerListing.type == "hulpvraag",
        VolunteerListing.status == "active",
        VolunteerListing.brokering_status.is_(None),
        VolunteerListing.anonymised_at.is_(None),
        ~_accepted_exists(),
    ).order_by(VolunteerListing.id))
    due = []
    for listing in rows:
        since = listing.published_at or listing.submitted_at or listing.created_at
        if listing.wants_help_searching or (since is not None and since <= cutoff):
            due.append(listing)
    return due


def move_to_brokering(session: Session, now: datetime, days: int) -> list[VolunteerListing]:
    """Put every due hulpvraag in the brokering queue; returns the ones moved now."""
    moved = due_for_brokering(session, now, days)
    for listing in moved:
        listing.brokering_status = "open"
        listing.brokering_since = now
    session.flush()
    return moved


def brokering_queue(session: Session) -> list[VolunteerListing]:
    """Cases in the queue that are not done, longest waiting first."""
    return list(session.scalars(select(VolunteerListing).where(
        VolunteerListing.brokering_status.in_(("open", "in_progress")))
        .order_by(VolunteerListing.brokering_since, VolunteerListing.id)))


def set_brokering(session: Session, listing: VolunteerListing, *, by: User, state: str,
                  now: datetime) -> VolunteerListing:
    """Take a case (``in_progress``), finish it (``done``) or put it back (``open``)."""
    _coordinator(by)
    if state not in BROKERING_STATES:
        raise VolunteerError("state", f"Onbekende status {state[:20]!r}; kies open, "
                                      "in_progress of done.")
    if listing.brokering_status is None:
        listing.brokering_since = now
    listing.brokering_status = state
    listing.brokering_user_id = by.id if state == "in_progress" else listing.brokering_user_id
    session.flush()
    return listing


# -- contact log -------------------------------------------------------------------------------

def add_log_entry(session: Session, listing: VolunteerListing, *, by: User, note: str,
                  now: datetime, channel: str | None = None,
                  follow_up_on: date | None = None) -> ContactLogEntry:
    """A note on a case; with ``follow_up_on`` it shows as a follow-up flag until done."""
    _coordinator(by)
    note = (note or "").strip()
    if not note:
        raise VolunteerError("note", "Schrijf een notitie.")
    if len(note) > 4000:
        raise VolunteerError("note", "Gebruik hoogstens 4000 tekens.")
    if channel and channel not in CHANNELS:
        raise VolunteerError("channel", "Kies online, balie of telefoon.")
    entry = ContactLogEntry(listing_id=listing.id, coordinator_user_id=by.id,
                            channel=channel or None, note=note,
                            follow_up=follow_up_on is not None, follow_up_on=follow_up_on,
                            created_at=now)
    session.add(entry)
    session.flush()
    return entry


def finish_follow_up(session: Session, entry: ContactLogEntry, *, by: User,
                     now: datetime) -> ContactLogEntry:
    _coordinator(by)
    if not entry.follow_up:
        raise VolunteerError("follow_up", f"Notitie {entry.id} heeft geen opvolging.")
    entry.follow_up_done_at = entry.follow_up_done_at or now
    session.flush()
    return entry


def case_log(session: Session, listing_id: int) -> list[ContactLogEntry]:
    return list(session.scalars(select(ContactLogEntry)
                                .where(ContactLogEntry.listing_id == listing_id)
                                .order_by(ContactLogEntry.created_at, ContactLogEntry.id)))


def open_follow_ups(session: Session, today: date) -> list[ContactLogEntry]:
    """Follow-up flags not done yet whose date has come, earliest first."""
    return list(session.scalars(select(ContactLogEntry).where(
        ContactLogEntry.follow_up.is_(True), ContactLogEntry.follow_up_done_at.is_(None),
        ContactLogEntry.follow_up_on <= today).order_by(ContactLogEntry.follow_up_on)))


# -- VOG ---------------------------------------------------------------------------------------

def set_vog(session: Session, person: Person, *, by: User, status: str,
            expires_on: date | None, today: date) -> Person:
    """Record a volunteer's VOG status and expiry date (never the document itself).

    A new expiry date resets the reminder, so the next expiry gets its own reminder.
    """
    _coordinator(by)
    if status not in VOG_STATUSES:
        raise VolunteerError("vog_status", f"Onbekende VOG-status {status[:20]!r}.")
    if status == "verified" and expires_on is None:
        raise VolunteerError("vog_expires_on", "Vul de datum in tot wanneer de VOG geldt.")
    if expires_on is not None and status == "verified" and expires_on < today:
        raise VolunteerError("vog_expires_on", "Deze datum ligt in het verleden: de VOG is "
                                               "dan al verlopen.")
    if expires_on != person.vog_expires_on:
        person.vog_reminder_sent_at = None
    person.vog_status = status
    person.vog_expires_on = expires_on if status != "none" else None
    session.flush()
    return person


def vog_due_for_reminder(session: Session, today: date, lead_days: int) -> list[Person]:
    """Volunteers whose verified VOG expires within ``lead_days`` and who had no reminder for
    this expiry date yet."""
    horizon = today + timedelta(days=lead_days)
    rows = session.scalars(select(Person).where(
        Person.vog_status == "verified", Person.vog_expires_on.is_not(None),
        Person.vog_expires_on <= horizon, Person.vog_expires_on >= today,
        Person.vog_reminder_sent_at.is_(None)).order_by(Person.id))
    return list(rows)


def vog_overview(session: Session) -> list[Person]:
    """Volunteers with any VOG status, the first to expire first."""
    return list(session.scalars(select(Person).where(Person.vog_status != "none")
                                .order_by(Person.vog_expires_on.is_(None),
                                          Person.vog_expires_on, Person.id)))


# -- routing to the sociale kaart (part 6) -------------------------------------------------------

def mark_not_for_volunteers(session: Session, listing: VolunteerListing, *, by: User,
                            note: str | None, flag: bool = True) -> VolunteerListing:
    """Decide that volunteers should not take this hulpvraag on (debts, care, safety).

    It leaves the volunteers' lists (responses are refused) and the coordinator and help
    seeker are shown the kaart's provisions instead.
    """
    _coordinator(by)
    listing.not_for_volunteers = flag
    listing.routing_note = (note or "").strip()[:2000] or None
    session.flush()
    return listing


def routing_query(listing: VolunteerListing) -> str:
    """Words to search the kaart with: the hulpvraag's themes and title (never personal data;
    the title is public text the free-text check already looked at)."""
    words = [*(listing.themes or []), listing.title or ""]
    return " ".join(w for w in words if w and w != "overig")[:200]
