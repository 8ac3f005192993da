"""Privacy rules of the volunteer platform: free-text check, export, erasure, retention."""

from __future__ import annotations

from datetime import timedelta

import kit_database
import pytest
from kit_volunteer import (
    CLIENT,
    CONSULTANT,
    COORDINATOR,
    HELPER,
    NOW,
    PROVIDER,
    SEEKER,
    client_hulpvraag,
    db_of,
    live_hulpvraag,
    live_vacancy,
    make_app,
    person,
    user,
)

from sociale_kaart.models import ContactLogEntry, Match, Person, Response, User, VolunteerListing
from sociale_kaart.volunteer.listings import close_listing
from sociale_kaart.volunteer.privacy import (
    anonymise_expired,
    check_free_text,
    erase_person,
    export_person,
)
from sociale_kaart.volunteer.responses import accept, record_match, respond


@pytest.mark.parametrize("text, expected", [
    ("Bel mij op 06-12345678", ["phone"]),
    ("bel 0183 123456 na zes uur", ["phone"]),
    ("Mijn nummer: +31 6 1234 5678", ["phone"]),
    ("of 0031612345678", ["phone"]),
    ("Mail naar jan.jansen@voorbeeld.nl", ["email"]),
    ("Ik woon aan de Kerkstraat 12 in Almkerk", ["address"]),
    ("Kom naar Dorpsweg 3a", ["address"]),
    ("postcode 4285 AB", ["address"]),
    ("Bel 06 12 34 56 78 of mail a@b.nl, Molenlaan 4", ["phone", "email", "address"]),
    ("Ik ben 82 jaar en zoek 2 uur per week hulp", []),
    ("Iedere dinsdag van 10 tot 12 uur in het dorpshuis", []),
    ("", []),
])
def test_free_text_check(text, expected):
    assert check_free_text(text) == expected


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path / "instance", tmp_path)


def _scan(app, needles: list[str]) -> list[str]:
    """Every table and column of the database holding one of these values (case-insensitive)."""
    found = []
    for table in kit_database.tables_of_app(app):
        columns = sorted(kit_database.columns_of_app(app, table))
        quoted = ", ".join(f'"{c}"' for c in columns)
        for row in kit_database.execute_on_app(app, f'select {quoted} from "{table}"'):
            for column, value in zip(columns, row, strict=True):
                text = str(value).lower() if value is not None else ""
                found += [f"{table}.{column}: {n}" for n in needles if n.lower() in text]
    return found


def _values(data: dict) -> list[str]:
    out = []
    for key in ("email", "full_name", "phone", "postcode", "date_of_birth"):
        if data.get(key):
            out.append(str(data[key]))
    return out


def test_export_holds_the_persons_own_data(app):
    hulpvraag = live_hulpvraag(app)
    with db_of(app).session() as session:
        exported = export_person(session, person(session, SEEKER["email"]))
    assert exported["account"]["email"] == SEEKER["email"]
    assert exported["person"]["phone"] == SEEKER["phone"]
    assert exported["person"]["date_of_birth"] == SEEKER["date_of_birth"].isoformat()
    assert [item["id"] for item in exported["listings"]] == [hulpvraag]
    assert "digest_token_hash" not in exported["person"]


def test_erasure_removes_every_personal_value_from_the_database(app):
    hulpvraag = live_hulpvraag(app, description="Ik ben Bart en woon in Werkendam.")
    vacancy = live_vacancy(app)
    with db_of(app).session() as session:
        seeker, helper = person(session, SEEKER["email"]), person(session, HELPER["email"])
        # The seeker also volunteers: a response and a match on the vacancy.
        response = respond(session, session.get(VolunteerListing, vacancy), now=NOW,
                           person=seeker, message="Groet van Bartholomeus Verborgen-Jansma")
        accept(session, response, by=user(session, PROVIDER), now=NOW)
        record_match(session, response, by=user(session, PROVIDER), now=NOW)
        # And someone responded to the seeker's hulpvraag; the coordinator wrote a note.
        respond(session, session.get(VolunteerListing, hulpvraag), now=NOW, person=helper)
        session.add(ContactLogEntry(listing_id=hulpvraag, note="Gebeld met Bartholomeus.",
                                    coordinator_user_id=user(session, COORDINATOR).id))
    assert _scan(app, _values(SEEKER)), "the scan finds the values before erasure"
    with db_of(app).session() as session:
        erase_person(session, person(session, SEEKER["email"]), NOW)
    leftovers = _scan(app, _values(SEEKER) + ["Bartholomeus", "Verborgen"])
    assert leftovers == []
    with db_of(app).session() as session:
        assert session.query(User).filter_by(email=SEEKER["email"]).count() == 0
        assert session.query(Match).count() == 1  # the figures keep the match ...
        assert session.query(Match).one().volunteer_person_id is None  # ... without the person
        erased = session.get(VolunteerListing, hulpvraag)
        assert erased.status == "closed" and erased.owner_person_id is None
        assert session.query(Response).filter_by(listing_id=hulpvraag).count() == 1
        # Other people are untouched.
        assert person(session, HELPER["email"]).phone == HELPER["phone"]


def test_erasure_of_a_client_without_an_account(app):
    listing_id = client_hulpvraag(app)
    with db_of(app).session() as session:
        client = session.query(Person).filter_by(full_name=CLIENT["full_name"]).one()
        assert session.get(VolunteerListing, listing_id).consent_text
        erase_person(session, client, NOW)
    assert _scan(app, _values(CLIENT) + ["Mondeling toestemming"]) == []
    with db_of(app).session() as session:
        assert user(session, CONSULTANT) is not None  # the professional's account stays


def test_closed_hulpvragen_are_anonymised_after_the_retention_period(app):
    old, recent = live_hulpvraag(app), live_hulpvraag(app, title="Hulp bij de tuin")
    open_one = live_hulpvraag(app, title="Nog open vraag")
    vacancy = live_vacancy(app)
    with db_of(app).session() as session:
        close_listing(session, session.get(VolunteerListing, old), now=NOW)
        close_listing(session, session.get(VolunteerListing, recent),
                      now=NOW + timedelta(days=300))
        close_listing(session, session.get(VolunteerListing, vacancy), now=NOW)
    later = NOW + timedelta(days=361)
    with db_of(app).session() as session:
        assert anonymise_expired(session, later, 12) == 1
        assert anonymise_expired(session, later, 12) == 0  # idempotent
        wiped = session.get(VolunteerListing, old)
        assert wiped.anonymised_at == later and wiped.description == ""
        assert wiped.owner_person_id is None
        assert session.get(VolunteerListing, recent).anonymised_at is None
        assert session.get(VolunteerListing, open_one).anonymised_at is None
        assert session.get(VolunteerListing, vacancy).anonymised_at is None  # not a hulpvraag
        assert anonymise_expired(session, later, 0) == 1  # retention 0: everything closed
    with pytest.raises(ValueError):
        with db_of(app).session() as session:
            anonymise_expired(session, later, -1)
