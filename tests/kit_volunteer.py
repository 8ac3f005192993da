"""Test kit for the volunteer platform (issue 9): an app with two kaart organisations, one
account per role (from ``kit_portal``) plus a coordinator, an analist and participants with
recognisable private data, and helpers that post, approve and respond through the services.

Not a test module (no ``test_`` prefix); tests import it as ``kit_volunteer``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from kit_portal import ORG, OTHER_ORG, PASSWORD, _password_hash, db_of, login, token_of
from kit_portal import make_app as make_portal_app

from sociale_kaart.models import Person, User, VolunteerListing
from sociale_kaart.services.accounts import create_user, find_user
from sociale_kaart.volunteer.listings import (
    ListingInput,
    approve_listing,
    approve_organisation,
    create_listing,
)
from sociale_kaart.volunteer.people import create_client

#: The platform's pinned clock in these tests.
NOW = datetime(2026, 11, 22, 10, 0)
COORDINATOR = "coordinator@welzijn.example"
ANALIST = "analist@gemeente.example"
PROVIDER = "aanbieder@cursus.example"        # member of ORG
OTHER_PROVIDER = "aanbieder@ander.example"   # member of OTHER_ORG
CONSULTANT = "consulent@gemeente.example"

#: Participants with private data that must never leak: e-mail, name, phone, postcode, birth.
HELPER = {"email": "hendrika.prive@deelnemer.example", "alias": "Riek",
          "full_name": "Hendrika Privévrouw-Zuidema", "phone": "06 9876 5432",
          "postcode": "4285 ZX", "date_of_birth": date(1950, 3, 14), "kern": "Woudrichem"}
SEEKER = {"email": "geheim.hulpvrager@deelnemer.example", "alias": "Bart",
          "full_name": "Bartholomeus Verborgen-Jansma", "phone": "0183 765 432",
          "postcode": "4251 QQ", "date_of_birth": date(1941, 7, 2), "kern": "Werkendam"}
CLIENT = {"alias": "Mevrouw T.", "full_name": "Theodora Cliënt-Onzichtbaar",
          "phone": "06 1122 3344", "email": "theodora.client@nergens.example",
          "kern": "Almkerk"}
PRIVATE_VALUES = [v for person in (HELPER, SEEKER, CLIENT) for k, v in person.items()
                  if k in ("email", "full_name", "phone", "postcode", "date_of_birth")]


def make_app(instance, tmp_path, **overrides):
    """The portal app plus volunteer accounts and people; the clock is pinned to NOW."""
    overrides.setdefault("login_rate_limit", "10000 per minute")
    app = make_portal_app(instance, tmp_path, **overrides)
    app.config["VOLUNTEER_NOW"] = NOW
    with db_of(app).session() as session:
        for email, role in ((COORDINATOR, "coordinator"), (ANALIST, "analist")):
            user = create_user(session, email, role)
            user.password_hash = _password_hash()
        for data in (HELPER, SEEKER):
            add_participant(session, data)
    return app


def add_participant(session, data: dict) -> Person:
    """A deelnemer with this data (without argon2 per test: the kit's shared hash)."""
    user = create_user(session, data["email"], "deelnemer", name=data["alias"])
    user.password_hash = _password_hash()
    person = Person(user_id=user.id, alias=data["alias"], kern=data["kern"],
                    email=user.email, full_name=data["full_name"], phone=data["phone"],
                    postcode=data["postcode"], date_of_birth=data["date_of_birth"],
                    interests=["vervoer"], skills=[], dagdelen=["di-ochtend"],
                    suitable_for=[], has_car=True, created_at=NOW, updated_at=NOW)
    session.add(person)
    session.flush()
    return person


def user(session, email: str) -> User:
    return session.query(User).filter_by(email=email).one()


def person(session, email: str) -> Person:
    return session.query(Person).filter_by(email=email).one()


def vacancy_input(**changes) -> ListingInput:
    values = dict(type="vacature", title="Vrijwillige chauffeur voor de buurtbus",
                  description="Rijdt u ouderen naar de dokter of de winkel? Een of twee "
                              "ochtenden per week.",
                  themes=("vervoer",), kern="Woudrichem", municipality="Altena",
                  schedule_kind="regelmatig", dagdelen=("di-ochtend",), hours_per_week=4,
                  requires_licence=True, list_until=(NOW + timedelta(days=60)).date(),
                  contact_name="Planner Buurtbus", contact_email="planner@buurtbus.example",
                  contact_phone="0183 111 222")
    values.update(changes)
    return ListingInput(**values)


def hulpvraag_input(**changes) -> ListingInput:
    values = dict(type="hulpvraag", title="Wie helpt mij met boodschappen?",
                  description="Ik kan niet meer goed lopen en zoek iemand voor de "
                              "wekelijkse boodschappen.",
                  themes=("boodschappen",), kern="Werkendam", schedule_kind="regelmatig",
                  dagdelen=("di-ochtend",), list_until=(NOW + timedelta(days=30)).date())
    values.update(changes)
    return ListingInput(**values)


def live_vacancy(app, **changes) -> int:
    """A vacature of ORG, approved with its organisation; returns its id."""
    with db_of(app).session() as session:
        coordinator = user(session, COORDINATOR)
        listing = create_listing(session, vacancy_input(**changes),
                                 posted_by=user(session, PROVIDER), now=NOW,
                                 organization_id=ORG)
        approve_organisation(session, ORG, by=coordinator, now=NOW)
        approve_listing(session, listing, by=coordinator, now=NOW)
        return listing.id


def live_hulpvraag(app, **changes) -> int:
    """An approved hulpvraag of SEEKER; returns its id."""
    with db_of(app).session() as session:
        listing = create_listing(session, hulpvraag_input(**changes),
                                 posted_by=user(session, SEEKER["email"]), now=NOW,
                                 owner=person(session, SEEKER["email"]))
        approve_listing(session, listing, by=user(session, COORDINATOR), now=NOW)
        return listing.id


def client_hulpvraag(app) -> int:
    """A hulpvraag a consultant posted for CLIENT, approved."""
    with db_of(app).session() as session:
        client = create_client(session, alias=CLIENT["alias"], kern=CLIENT["kern"],
                               full_name=CLIENT["full_name"], phone=CLIENT["phone"],
                               email=CLIENT["email"], now=NOW)
        listing = create_listing(session, hulpvraag_input(kern=CLIENT["kern"]),
                                 posted_by=user(session, CONSULTANT), now=NOW,
                                 on_behalf_of=client,
                                 consent_text="Mondeling toestemming gegeven op 20 november.")
        approve_listing(session, listing, by=user(session, COORDINATOR), now=NOW)
        return listing.id


def listing(app, listing_id: int) -> VolunteerListing:
    with db_of(app).session() as session:
        return session.get(VolunteerListing, listing_id)


__all__ = ["ORG", "OTHER_ORG", "PASSWORD", "db_of", "login", "token_of"]


def add_matrix_accounts(app) -> dict:
    """For the authorization matrices: a coordinator, an analist and a deelnemer (HELPER)
    with kit_portal's password, plus a live vacancy of ORG with HELPER's response and a second
    live vacancy to close. Returns the ids the matrices' routes use."""
    app.config["VOLUNTEER_NOW"] = NOW
    with db_of(app).session() as session:
        for email, role in ((COORDINATOR, "coordinator"), (ANALIST, "analist")):
            if find_user(session, email) is None:  # another issue's kit may have made it
                create_user(session, email, role).password_hash = _password_hash()
        add_participant(session, HELPER)
    ids = {"v_listing": live_vacancy(app), "v_closable": live_vacancy(app, title="Te sluiten")}
    from sociale_kaart.volunteer.responses import respond

    with db_of(app).session() as session:
        response = respond(session, session.get(VolunteerListing, ids["v_listing"]), now=NOW,
                           person=person(session, HELPER["email"]),
                           user=user(session, HELPER["email"]))
        ids["v_response"] = response.id
    # Invitations: HELPER opts in to be asked; one listing to invite HELPER to, and one where
    # HELPER already has an open invitation to answer.
    ids["v_invite_to"] = live_vacancy(app, title="Uitnodigen")
    invited_to = live_vacancy(app, title="Uitgenodigd")
    from sociale_kaart.models import VolunteerInvitation

    with db_of(app).session() as session:
        helper = person(session, HELPER["email"])
        helper.ask_opt_in = True
        invitation = VolunteerInvitation(listing_id=invited_to, person_id=helper.id,
                                         created_at=NOW)
        session.add(invitation)
        session.flush()
        ids["v_helper"], ids["v_invitation"] = helper.id, invitation.id
    return ids


#: The matrices' form data for posting a listing: a hulpvraag without an owner, refused with a
#: field error (400) for every role that may open the form, so nothing is stored.
MATRIX_LISTING_FORM = {"type": "hulpvraag", "title": "Matrix", "description": "Matrix.",
                       "kern": "Almkerk", "mode": "in_kern", "schedule_kind": "flexibel"}
