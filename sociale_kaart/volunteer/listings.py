"""Listings: posting, review, closing, and who may see and manage them.

Life of a listing: ``draft`` → ``pending`` (waiting for the coordinator) → ``active`` →
``filled`` or ``closed`` → ``archived``. An active listing whose ``list_until`` has passed leaves
every public page by itself (:func:`is_live`), without a job having to run.

Who sees what (:func:`can_view`): vacatures and hulpaanbod of approved organisations and
persons are public; a hulpvraag is never public: only signed-in participants and staff see it,
and then only with the alias and kern of the help seeker. An organisation's vacatures only go
public once the organisation is approved for the platform (:class:`OrganisationApproval`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import OrganisationApproval, Organization, Person, User, VolunteerListing
from ..models.volunteer import (
    DAGDELEN,
    LISTING_MODES,
    LISTING_TYPES,
    SCHEDULE_KINDS,
    SUITABLE_FOR,
    URGENCIES,
    VOLUNTEER_THEMES,
)
from . import NotAllowed, VolunteerError
from .people import kern_point
from .privacy import check_free_text

#: Roles that moderate and broker on the platform (the beheerder may stand in).
COORDINATORS = ("coordinator", "beheerder")
#: Roles that may post a hulpvraag on behalf of a client (staff above a consultant too).
PROFESSIONALS = ("consultant", "moderator", "coordinator", "beheerder")
PUBLIC_TYPES = ("vacature", "hulpaanbod")


@dataclass
class ListingInput:
    """What a poster fills in. Views build it from a form; the demo from JSON."""

    type: str
    title: str
    description: str = ""
    themes: tuple[str, ...] = ()
    kern: str | None = None
    wijk: str | None = None
    municipality: str | None = None
    mode: str = "in_kern"
    schedule_kind: str = "flexibel"
    date_on: date | None = None
    dagdelen: tuple[str, ...] = ()
    hours_per_week: float | None = None
    period_start: date | None = None
    period_end: date | None = None
    requires_vog: bool = False
    requires_licence: bool = False
    requires_car: bool = False
    min_age: int | None = None
    suitable_for: tuple[str, ...] = ()
    volunteers_needed: int = 1
    urgency: str = "normaal"
    needed_by: date | None = None
    list_until: date | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    wants_help_searching: bool = False


def _text(value: str | None, field: str, max_len: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise VolunteerError(field, "Dit veld is verplicht.")
    if len(value) > max_len:
        raise VolunteerError(field, f"Gebruik hoogstens {max_len} tekens (nu {len(value)}).")
    return value


def _codes(values, allowed, field: str) -> list[str]:
    out: list[str] = []
    for value in values or ():
        if value not in allowed:
            raise VolunteerError(field, f"Onbekende keuze {str(value)[:40]!r}.")
        if value not in out:
            out.append(value)
    return out


def validate(data: ListingInput, today: date) -> dict:
    """The checked column values of a listing; raises VolunteerError naming the field."""
    if data.type not in LISTING_TYPES:
        raise VolunteerError("type", "Kies vacature, hulpvraag of hulpaanbod.")
    if data.mode not in LISTING_MODES:
        raise VolunteerError("mode", "Kies in de kern, bij iemand thuis of online.")
    if data.schedule_kind not in SCHEDULE_KINDS:
        raise VolunteerError("schedule_kind", "Kies eenmalig, regelmatig of flexibel.")
    if data.urgency not in URGENCIES:
        raise VolunteerError("urgency", "Kies normaal, hoog of spoed.")
    if data.schedule_kind == "eenmalig" and data.date_on is None:
        raise VolunteerError("date_on", "Vul de datum in voor eenmalige hulp.")
    if data.schedule_kind == "eenmalig" and data.date_on and data.date_on < today:
        raise VolunteerError("date_on", "Deze datum is al voorbij.")
    if data.period_start and data.period_end and data.period_end < data.period_start:
        raise VolunteerError("period_end", "Het einde ligt voor het begin.")
    if data.list_until and data.list_until < today:
        raise VolunteerError("list_until", "Deze datum is al voorbij.")
    if data.hours_per_week is not None and not 0 < data.hours_per_week <= 60:
        raise VolunteerError("hours_per_week", "Kies 1 tot 60 uur per week.")
    if data.min_age is not None and not 0 <= data.min_age <= 99:
        raise VolunteerError("min_age", "Kies een leeftijd van 0 tot 99.")
    if not 1 <= int(data.volunteers_needed) <= 500:
        raise VolunteerError("volunteers_needed", "Kies 1 tot 500 vrijwilligers.")
    if data.mode != "online" and not (data.kern or "").strip():
        raise VolunteerError("kern", "Vul de kern (het dorp of de stad) in.")
    kern = _text(data.kern, "kern", 100) or None
    lat, lon = kern_point(kern)
    return {
        "type": data.type,
        "title": _text(data.title, "title", 200, required=True),
        "description": _text(data.description, "description", 5000, required=True),
        "themes": _codes(data.themes, VOLUNTEER_THEMES, "themes"),
        "kern": kern, "wijk": _text(data.wijk, "wijk", 100) or None,
        "municipality": _text(data.municipality, "municipality", 100) or None,
        "lat": lat, "lon": lon, "mode": data.mode, "schedule_kind": data.schedule_kind,
        "date_on": data.date_on if data.schedule_kind == "eenmalig" else None,
        "dagdelen": _codes(data.dagdelen, DAGDELEN, "dagdelen"),
        "hours_per_week": data.hours_per_week, "period_start": data.period_start,
        "period_end": data.period_end, "requires_vog": bool(data.requires_vog),
        "requires_licence": bool(data.requires_licence),
        "requires_car": bool(data.requires_car), "min_age": data.min_age,
        "suitable_for": _codes(data.suitable_for, SUITABLE_FOR, "suitable_for"),
        "volunteers_needed": int(data.volunteers_needed), "urgency": data.urgency,
        "needed_by": data.needed_by, "list_until": data.list_until,
        "contact_name": _text(data.contact_name, "contact_name", 200) or None,
        "contact_email": _text(data.contact_email, "contact_email", 320) or None,
        "contact_phone": _text(data.contact_phone, "contact_phone", 40) or None,
        "wants_help_searching": bool(data.wants_help_searching),
    }


# -- who may post and manage -------------------------------------------------------------------

def member_of(user: User, organization_id: str | None) -> bool:
    return bool(organization_id) and user.role == "provider" and \
        organization_id in user.organization_ids


def can_manage(user: User | None, listing: VolunteerListing, person: Person | None = None) -> bool:
    """May this account edit the listing and decide on its responses?

    The coordinator always; for an organisation's listing its provider members; for a
    person's listing that person, and the professional who posted it on their behalf.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role in COORDINATORS:
        return True
    if listing.organization_id is not None:
        return member_of(user, listing.organization_id)
    if person is not None and listing.owner_person_id == person.id:
        return True
    return listing.on_behalf_of_person_id is not None and listing.posted_by_user_id == user.id


def create_listing(session: Session, data: ListingInput, *, posted_by: User, now: datetime,
                   organization_id: str | None = None, owner: Person | None = None,
                   on_behalf_of: Person | None = None, consent_text: str | None = None,
                   submit: bool = True) -> VolunteerListing:
    """Store a new listing as ``pending`` (or ``draft`` with ``submit=False``).

    Exactly one of ``organization_id`` (a vacature or an organisation's hulpaanbod; the poster
    must be a member, or the coordinator) and ``owner`` (a person's hulpvraag or hulpaanbod)
    is given. With ``on_behalf_of`` (a client of a professional) the consent text is required
    and recorded with its time. The free text is checked for phone numbers, e-mail addresses and
    addresses; what is found is kept in ``privacy_warnings`` for the poster and coordinator.

    :raises VolunteerError: on invalid input (names the field).
    :raises NotAllowed: when the poster may not post for this organisation or person.
    """
    values = validate(data, now.date())
    if on_behalf_of is not None:
        if posted_by.role not in PROFESSIONALS:
            raise NotAllowed("Alleen een professional kan namens iemand anders plaatsen.")
        if not (consent_text or "").strip():
            raise VolunteerError("consent_text", "Leg vast dat de hulpvrager toestemming gaf.")
        owner = on_behalf_of
    if (organization_id is None) == (owner is None):
        raise VolunteerError("organization", "Kies een organisatie of plaats het voor een persoon.")
    if organization_id is not None:
        if session.get(Organization, organization_id) is None:
            raise VolunteerError("organization", f"Organisatie {organization_id} bestaat niet.")
        if not (member_of(posted_by, organization_id) or posted_by.role in COORDINATORS):
            raise NotAllowed("U hoort niet bij deze organisatie.")
        if values["type"] == "hulpvraag":
            raise VolunteerError("type", "Een organisatie plaatst een vacature of hulpaanbod.")
    elif values["type"] == "vacature":
        raise VolunteerError("type", "Een vacature hoort bij een organisatie.")
    listing = VolunteerListing(
        organization_id=organization_id, owner_person_id=owner.id if owner else None,
        posted_by_user_id=posted_by.id,
        on_behalf_of_person_id=on_behalf_of.id if on_behalf_of else None,
        consent_text=(consent_text or "").strip() or None if on_behalf_of else None,
        consent_at=now if on_behalf_of else None,
        privacy_warnings=check_free_text(values["title"], values["description"]),
        status="draft", created_at=now, updated_at=now, taxonomy_term_ids=[], **values)
    session.add(listing)
    session.flush()
    if organization_id is not None:
        request_organisation_approval(session, organization_id, posted_by, now)
    if submit:
        submit_listing(session, listing, now)
    return listing


def update_listing(session: Session, listing: VolunteerListing, data: ListingInput, *,
                   now: datetime) -> VolunteerListing:
    """Change a listing's content; an active listing goes back to review (it is public)."""
    if listing.anonymised_at is not None:
        raise VolunteerError("state", "Deze oproep is geanonimiseerd en kan niet meer wijzigen.")
    values = validate(data, now.date())
    if values["type"] != listing.type:
        raise VolunteerError("type", "Het soort oproep kan niet veranderen.")
    for key, value in values.items():
        setattr(listing, key, value)
    listing.privacy_warnings = check_free_text(listing.title, listing.description)
    listing.updated_at = now
    if listing.status == "active":
        listing.status = "pending"
        listing.submitted_at = now
    session.flush()
    return listing


def submit_listing(session: Session, listing: VolunteerListing, now: datetime) -> None:
    if listing.status not in ("draft", "pending"):
        raise VolunteerError("state", f"Een oproep met status {listing.status} kan niet "
                                      "ter controle worden aangeboden.")
    listing.status = "pending"
    listing.submitted_at = now
    session.flush()


# -- organisations on the platform -------------------------------------------------------------

def request_organisation_approval(session: Session, organization_id: str, user: User,
                                  now: datetime) -> OrganisationApproval:
    approval = session.get(OrganisationApproval, organization_id)
    if approval is None:
        approval = OrganisationApproval(organization_id=organization_id, status="pending",
                                        requested_at=now, requested_by_user_id=user.id)
        session.add(approval)
        session.flush()
    return approval


def organisation_approved(session: Session, organization_id: str | None) -> bool:
    if organization_id is None:
        return True
    approval = session.get(OrganisationApproval, organization_id)
    return approval is not None and approval.status == "approved"


def approved_organisation_ids(session: Session) -> set[str]:
    return set(session.scalars(select(OrganisationApproval.organization_id)
                               .where(OrganisationApproval.status == "approved")))


def approve_organisation(session: Session, organization_id: str, *, by: User,
                         now: datetime) -> OrganisationApproval:
    """The coordinator admits an organisation: its vacatures can now go public."""
    if by.role not in COORDINATORS:
        raise NotAllowed("Alleen de coördinator keurt organisaties goed.")
    if session.get(Organization, organization_id) is None:
        raise VolunteerError("organization", f"Organisatie {organization_id} bestaat niet.")
    approval = session.get(OrganisationApproval, organization_id) or OrganisationApproval(
        organization_id=organization_id, requested_at=now)
    approval.status = "approved"
    approval.approved_at = now
    approval.approved_by_user_id = by.id
    session.add(approval)
    session.flush()
    return approval


def reject_organisation(session: Session, organization_id: str, *, by: User, now: datetime,
                        note: str | None = None) -> OrganisationApproval:
    if by.role not in COORDINATORS:
        raise NotAllowed("Alleen de coördinator beoordeelt organisaties.")
    approval = session.get(OrganisationApproval, organization_id)
    if approval is None:
        raise VolunteerError("organization", f"Organisatie {organization_id} vroeg niets aan.")
    approval.status = "rejected"
    approval.note = note
    approval.approved_at = None
    approval.approved_by_user_id = by.id
    session.flush()
    return approval


# -- review and closing ------------------------------------------------------------------------

def approve_listing(session: Session, listing: VolunteerListing, *, by: User,
                    now: datetime) -> VolunteerListing:
    """The coordinator publishes a pending listing (its organisation must be approved)."""
    if by.role not in COORDINATORS:
        raise NotAllowed("Alleen de coördinator keurt oproepen goed.")
    if listing.status != "pending":
        raise VolunteerError("state", f"Oproep {listing.id} wacht niet op controle "
                                      f"(status {listing.status}).")
    if not organisation_approved(session, listing.organization_id):
        raise VolunteerError("organization", "Keur eerst de organisatie goed; daarna kan "
                                             "de vacature online.")
    listing.status = "active"
    listing.reviewed_at = now
    listing.reviewed_by_user_id = by.id
    listing.published_at = listing.published_at or now
    session.flush()
    return listing


def reject_listing(session: Session, listing: VolunteerListing, *, by: User, now: datetime,
                   note: str) -> VolunteerListing:
    """Send a pending listing back to its poster as a draft, with the reason."""
    if by.role not in COORDINATORS:
        raise NotAllowed("Alleen de coördinator beoordeelt oproepen.")
    if listing.status != "pending":
        raise VolunteerError("state", f"Oproep {listing.id} wacht niet op controle.")
    if not (note or "").strip():
        raise VolunteerError("note", "Schrijf waarom de oproep nog niet online kan.")
    listing.status = "draft"
    listing.review_note = note.strip()
    listing.reviewed_at = now
    listing.reviewed_by_user_id = by.id
    session.flush()
    return listing


def close_listing(session: Session, listing: VolunteerListing, *, now: datetime,
                  filled: bool = False) -> VolunteerListing:
    """Close (or mark filled) a listing; it leaves the public pages at once."""
    if listing.status in ("closed", "filled", "archived"):
        raise VolunteerError("state", f"Oproep {listing.id} is al gesloten.")
    listing.status = "filled" if filled else "closed"
    listing.closed_at = now
    session.flush()
    return listing


def archive_listing(session: Session, listing: VolunteerListing, *, now: datetime) -> None:
    if listing.status not in ("closed", "filled"):
        raise VolunteerError("state", "Sluit de oproep eerst af.")
    listing.status = "archived"
    listing.archived_at = now
    listing.closed_at = listing.closed_at or now
    session.flush()


# -- visibility --------------------------------------------------------------------------------

def is_live(listing: VolunteerListing, today: date) -> bool:
    """Active and not past ``list_until`` (the day itself still counts)."""
    return listing.status == "active" and (listing.list_until is None
                                           or listing.list_until >= today)


def is_public(session: Session, listing: VolunteerListing, today: date) -> bool:
    """Shown to anonymous visitors, the API and the public search."""
    return (listing.type in PUBLIC_TYPES and is_live(listing, today)
            and organisation_approved(session, listing.organization_id))


def can_view(session: Session, listing: VolunteerListing, user: User | None, today: date,
             person: Person | None = None) -> bool:
    """May this visitor open the listing's page?"""
    if can_manage(user, listing, person):
        return True
    if listing.type != "hulpvraag":
        return is_public(session, listing, today)
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    return (signed_in and user.role in ("deelnemer", "consultant", "provider")
            and is_live(listing, today) and not listing.not_for_volunteers)


def open_vacancies(session: Session, organization_id: str, today: date) -> list[VolunteerListing]:
    """An organisation's public vacatures and hulpaanbod, for its pages on the kaart."""
    if not organisation_approved(session, organization_id):
        return []
    rows = session.scalars(select(VolunteerListing).where(
        VolunteerListing.organization_id == organization_id,
        VolunteerListing.status == "active",
        VolunteerListing.type.in_(PUBLIC_TYPES)).order_by(VolunteerListing.title))
    return [row for row in rows if is_live(row, today)]


def listings_of(session: Session, *, person: Person | None = None,
                organization_ids: set[str] | None = None,
                posted_by: User | None = None) -> list[VolunteerListing]:
    """Listings one account manages: own, of its organisations, or posted on behalf of others."""
    clauses = []
    if person is not None:
        clauses.append(VolunteerListing.owner_person_id == person.id)
    if organization_ids:
        clauses.append(VolunteerListing.organization_id.in_(organization_ids))
    if posted_by is not None:
        clauses.append((VolunteerListing.posted_by_user_id == posted_by.id)
                       & VolunteerListing.on_behalf_of_person_id.is_not(None))
    if not clauses:
        return []
    from sqlalchemy import or_

    return list(session.scalars(select(VolunteerListing).where(or_(*clauses))
                                .order_by(VolunteerListing.created_at.desc())))
