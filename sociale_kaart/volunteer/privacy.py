"""Privacy (AVG) on the volunteer platform: free-text check, export, erasure, retention.

Why here and not in the views: the same rules hold for the web, the CLI and the demo loader,
and the privacy tests can call them directly.

* :func:`check_free_text` looks for a phone number, an e-mail address or a street address in
  text that will be public. It warns rather than blocks: the poster can rephrase, and the
  coordinator sees the warning in the moderation queue (``listing.privacy_warnings``).
* :func:`export_person` returns everything we hold about one person as JSON-ready data.
* :func:`erase_person` is the right to erasure: the account and the person row go, personal text
  in their listings, responses and in the coordinator's notes is wiped; the bare facts that the
  municipality's figures count (a response, a match, its kind, kern and theme) stay without any
  link to the person.
* :func:`anonymise_expired` wipes closed hulpvragen after the retention period.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import (
    ContactLogEntry,
    DigestLog,
    Match,
    Person,
    Response,
    User,
    VolunteerInvitation,
    VolunteerListing,
)
from ..models.volunteer import LISTING_PRIVATE_FIELDS, PERSON_PRIVATE_FIELDS

#: Dutch phone numbers: 0612345678, 06-12 34 56 78, +31 6 1234 5678, 0183-123456, 0031...
PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+31|0031|0)[\s.-]?(?:\(0\))?[\s.-]?[1-9](?:[\s.-]?\d){7,8}(?!\d)")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: A street name with a house number ("Kerkstraat 12", "Dorpsweg 3a"), or a postcode.
STREET_RE = re.compile(
    r"\b[A-Za-zÀ-ÿ'-]{2,}(?:straat|weg|laan|plein|dijk|kade|singel|gracht|hof|pad|steeg|"
    r"dreef|markt|erf|baan|wal|veld|park|akker|dam|haven|ring|boulevard|plantsoen)"
    r"\s+\d{1,5}\s?[a-zA-Z]?\b", re.IGNORECASE)
POSTCODE_RE = re.compile(r"\b[1-9]\d{3}\s?[A-Z]{2}\b")

#: Codes of :func:`check_free_text`, with their explanation for the poster (B1).
WARNINGS = {
    "phone": "Er staat een telefoonnummer in de tekst.",
    "email": "Er staat een e-mailadres in de tekst.",
    "address": "Er staat een adres of postcode in de tekst.",
}
ERASED = "[verwijderd]"


def check_free_text(*texts: str | None) -> list[str]:
    """Codes of the kinds of personal data found in public free text, in a stable order.

    >>> check_free_text("Bel mij op 06-12345678", "Ik woon aan de Kerkstraat 4")
    ['phone', 'address']
    """
    joined = "\n".join(t for t in texts if t)
    found = []
    if PHONE_RE.search(joined):
        found.append("phone")
    if EMAIL_RE.search(joined):
        found.append("email")
    if STREET_RE.search(joined) or POSTCODE_RE.search(joined):
        found.append("address")
    return found


# -- export -----------------------------------------------------------------------------------

def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(obj, fields: list[str]) -> dict:
    return {f: _plain(getattr(obj, f)) for f in fields}


def export_person(session: Session, person: Person) -> dict:
    """Everything the platform holds about this person, as JSON-ready data (right of access).

    Includes the account, the private and public profile, their listings, their responses, the
    invitations they received, and the responses to their listings (without the other side's
    private data).
    """
    person_fields = [c.key for c in Person.__table__.columns if c.key != "digest_token_hash"]
    listing_fields = [c.key for c in VolunteerListing.__table__.columns]
    response_fields = ["id", "listing_id", "state", "channel", "message", "interested_at",
                       "accepted_at", "matched_at", "completed_at", "not_completed_at",
                       "declined_at", "withdrawn_at"]
    user = session.get(User, person.user_id) if person.user_id else None
    listings = session.scalars(select(VolunteerListing).where(or_(
        VolunteerListing.owner_person_id == person.id,
        VolunteerListing.on_behalf_of_person_id == person.id)).order_by(VolunteerListing.id))
    responses = session.scalars(select(Response).where(Response.person_id == person.id)
                                .order_by(Response.id))
    return {
        "account": None if user is None else {
            "email": user.email, "role": user.role, "created_at": _plain(user.created_at),
            "last_login_at": _plain(user.last_login_at)},
        "person": _row(person, person_fields),
        "listings": [_row(listing, listing_fields) for listing in listings],
        "responses": [_row(response, response_fields) for response in responses],
        "invitations": [_row(invitation, ["id", "listing_id", "created_at", "answered_at"])
                        for invitation in session.scalars(
                            select(VolunteerInvitation)
                            .where(VolunteerInvitation.person_id == person.id)
                            .order_by(VolunteerInvitation.id))],
    }


# -- erasure ----------------------------------------------------------------------------------

def _wipe_listing(listing: VolunteerListing, title: str, now: datetime) -> None:
    listing.title = title
    listing.description = ""
    for name in LISTING_PRIVATE_FIELDS:
        setattr(listing, name, None)
    listing.wijk = None
    listing.owner_person_id = None
    listing.on_behalf_of_person_id = None
    listing.privacy_warnings = []
    listing.anonymised_at = now
    if listing.status in ("draft", "pending", "active"):
        listing.status = "closed"
        listing.closed_at = now
    for response in listing.responses:
        response.message = None
    for entry in listing_log(listing):
        entry.note = ERASED


def listing_log(listing: VolunteerListing) -> list[ContactLogEntry]:
    session = Session.object_session(listing)
    if session is None:
        return []
    return list(session.scalars(select(ContactLogEntry)
                                .where(ContactLogEntry.listing_id == listing.id)))


def erase_person(session: Session, person: Person, now: datetime) -> None:
    """Delete the person, their account and every personal value they left behind.

    Their own listings (and those posted on their behalf) are anonymised and closed rather than
    deleted, so a response or match on them still counts in the figures. Their responses lose
    the message and the link to them. Works for a person without an account (a client).
    """
    listings = session.scalars(select(VolunteerListing).where(or_(
        VolunteerListing.owner_person_id == person.id,
        VolunteerListing.on_behalf_of_person_id == person.id)))
    for listing in listings:
        _wipe_listing(listing, "Verwijderd", now)
    for response in session.scalars(select(Response).where(Response.person_id == person.id)):
        response.message = None
        response.person_id = None
        response.user_id = None
    for match in session.scalars(select(Match).where(Match.volunteer_person_id == person.id)):
        match.volunteer_person_id = None
        match.note = None
    for model in (VolunteerInvitation, DigestLog):
        for row in session.scalars(select(model).where(model.person_id == person.id)):
            session.delete(row)
    user = session.get(User, person.user_id) if person.user_id else None
    for name in PERSON_PRIVATE_FIELDS:
        setattr(person, name, None)
    session.flush()
    session.delete(person)
    if user is not None:
        session.delete(user)
    session.flush()


def anonymise_expired(session: Session, now: datetime, retention_months: int = 12) -> int:
    """Anonymise hulpvragen closed (or filled, archived) longer than the retention period ago.

    Returns how many were anonymised. Running it twice changes nothing the second time.
    A month counts as 30 days, so "12 months" is 360 days: never later than promised.

    :param now: the current time (naive UTC).
    :param retention_months: ``Settings.volunteer_retention_months``.
    """
    if retention_months < 0:
        raise ValueError("retention_months must be 0 or more")
    cutoff = now - timedelta(days=30 * retention_months)
    candidates = session.scalars(select(VolunteerListing).where(
        VolunteerListing.type == "hulpvraag",
        VolunteerListing.anonymised_at.is_(None),
        VolunteerListing.status.in_(("filled", "closed", "archived")),
        VolunteerListing.closed_at.is_not(None),
        VolunteerListing.closed_at <= cutoff))
    count = 0
    for listing in candidates:
        _wipe_listing(listing, "Hulpvraag (geanonimiseerd)", now)
        count += 1
    session.flush()
    return count
