"""Test kit for the coordinator, matching, e-mails and indicators of the volunteer platform:
an app with a pinned clock, participants and listings made through the platform's own services.

Not a test module (no ``test_`` prefix); tests import it as ``kit_coordinator``.
"""

from __future__ import annotations

from datetime import date, datetime

from kit_accounts import PASSWORD, add_organization, add_user, db_of, make_app
from sqlalchemy import select

from sociale_kaart.models import Person, User
from sociale_kaart.volunteer.listings import (
    ListingInput,
    approve_listing,
    approve_organisation,
    create_listing,
)
from sociale_kaart.volunteer.people import create_client, register_participant, update_profile

T0 = datetime(2026, 11, 2, 9, 0)


class Recorder:
    """A mail sender that keeps what it was asked to send (to, subject, body, headers)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str, dict]] = []

    def __call__(self, to: str, subject: str, body: str, headers: dict) -> bool:
        self.sent.append((to, subject, body, dict(headers)))
        return True


def coordinator_app(instance, now: datetime = T0, **overrides):
    app = make_app(instance, now.date(), **overrides)
    app.config["VOLUNTEER_NOW"] = now
    return app


def set_now(app, now: datetime) -> None:
    app.config["VOLUNTEER_NOW"] = now


def user_by_email(session, email: str) -> User:
    return session.scalar(select(User).where(User.email == email))


def staff(app, email: str = "coordinator@example.org", role: str = "coordinator") -> int:
    return add_user(app, email, role)


def volunteer(session, alias: str, kern: str = "Woudrichem", *, email: str | None = None,
              now: datetime = T0, **profile) -> Person:
    """A deelnemer who volunteers, with a profile (interests, dagdelen, has_car, ...)."""
    email = email or f"{alias.lower()}@example.org"
    person = register_participant(session, email=email, password=PASSWORD, alias=alias,
                                  kern=kern, full_name=f"{alias} Privé-Achternaam",
                                  phone="0612345678", now=now)
    if profile:
        update_profile(session, person, now=now, **profile)
    return person


def organisation_vacancy(session, coordinator: User, title: str = "Vrijwillige chauffeur",
                         kern: str = "Woudrichem", *, now: datetime = T0,
                         approve: bool = True, **fields) -> object:
    """A vacature of a new organisation (the coordinator may post for it), approved."""
    org = add_organization(session, f"Stichting {title}")
    data = ListingInput(type="vacature", title=title,
                        description=fields.pop("description", "Wij zoeken hulp."),
                        themes=fields.pop("themes", ("vervoer",)), kern=kern, **fields)
    listing = create_listing(session, data, posted_by=coordinator, now=now,
                             organization_id=org.id)
    if approve:
        approve_organisation(session, org.id, by=coordinator, now=now)
        approve_listing(session, listing, by=coordinator, now=now)
    return listing


def hulpvraag_for_client(session, professional: User, coordinator: User | None,
                         title: str = "Hulp bij boodschappen", kern: str = "Woudrichem", *,
                         now: datetime = T0, approve: bool = True, **fields):
    """A hulpvraag a professional posts on behalf of a client, with consent; reviewed."""
    client = create_client(session, alias="Mevrouw J.", kern=kern, full_name="Johanna Geheim",
                           phone="0183123456", email="johanna.geheim@example.org", now=now)
    data = ListingInput(type="hulpvraag", title=title,
                        description=fields.pop("description", "Eens per week boodschappen."),
                        themes=fields.pop("themes", ("boodschappen",)), kern=kern, **fields)
    listing = create_listing(session, data, posted_by=professional, now=now,
                             on_behalf_of=client, consent_text="Mondeling toestemming gegeven.")
    if approve:
        approve_listing(session, listing, by=coordinator, now=now)
    return listing


#: The coordinator's account in the authorization matrices (kit_portal has no coordinator).
MATRIX_COORDINATOR = "coordinator@gemeente.example"


def coordinator_matrix_ids(app) -> dict:
    """Add a coordinator account and one of each thing the coordinator's write routes act on,
    for ``tests/web/test_authorization_matrix.py``; returns the placeholders' values."""
    from kit_portal import ORG, _password_hash

    from sociale_kaart.models import ContactLogEntry
    from sociale_kaart.services.accounts import create_user

    with db_of(app).session() as session:
        coordinator = create_user(session, MATRIX_COORDINATOR, "coordinator")
        coordinator.password_hash = _password_hash()
        consultant = user_by_email(session, "consulent@gemeente.example")
        listing = hulpvraag_for_client(session, consultant, coordinator, "Matrix hulpvraag")
        pending = hulpvraag_for_client(session, consultant, coordinator, "Matrix wacht",
                                       approve=False)
        person = volunteer(session, "Matrix", email="matrix@vrijwilliger.example")
        entry = ContactLogEntry(listing_id=listing.id, coordinator_user_id=coordinator.id,
                                note="Matrix", follow_up=True, follow_up_on=T0.date())
        session.add(entry)
        from sociale_kaart.volunteer.listings import request_organisation_approval

        request_organisation_approval(session, ORG, coordinator, T0)
        session.flush()
        return {"vlisting": listing.id, "vpending": pending.id, "vperson": person.id,
                "ventry": entry.id, "vorg": ORG}


__all__ = ["MATRIX_COORDINATOR", "PASSWORD", "T0", "Recorder", "coordinator_app",
           "coordinator_matrix_ids", "date", "db_of", "hulpvraag_for_client",
           "organisation_vacancy", "set_now", "staff", "user_by_email", "volunteer"]
