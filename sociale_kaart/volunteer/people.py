"""Participants: signing up as ``deelnemer``, the profile, and clients without an account.

A participant's login is an ordinary ``user_account`` (argon2, the same sign-in as staff) with
role ``deelnemer``; everything else about them lives in :class:`~sociale_kaart.models.Person`,
split into private data (never shown publicly) and public data (alias and kern).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..geo.gazetteer import default_gazetteer
from ..models import Person
from ..models.volunteer import DAGDELEN, SUITABLE_FOR, VOG_STATUSES, VOLUNTEER_THEMES
from ..services.accounts import AccountError, create_user
from . import VolunteerError

POSTCODE_RE = re.compile(r"^[1-9]\d{3}\s?[A-Za-z]{2}$")
PHONE_RE = re.compile(r"^[+0-9][0-9 ()-]{7,19}$")


def kern_point(kern: str | None) -> tuple[float | None, float | None]:
    """The centre of a kern from the offline gazetteer (never a person's address)."""
    if not kern:
        return None, None
    place = default_gazetteer().resolve(kern)
    return (place.lat, place.lon) if place else (None, None)


def _clean(value: str | None, field: str, max_len: int, required: bool = False) -> str | None:
    value = " ".join((value or "").split())
    if required and not value:
        raise VolunteerError(field, "Dit veld is verplicht.")
    if len(value) > max_len:
        raise VolunteerError(field, f"Gebruik hoogstens {max_len} tekens.")
    return value or None


def _check_codes(values, allowed, field: str) -> list[str]:
    out = []
    for value in values or []:
        if value not in allowed:
            raise VolunteerError(field, f"Onbekende keuze {str(value)[:40]!r}.")
        if value not in out:
            out.append(value)
    return out


def validate_private(*, full_name=None, postcode=None, phone=None,
                     date_of_birth: date | None = None, today: date | None = None) -> dict:
    """Checked private fields; raises VolunteerError naming the field."""
    postcode = _clean(postcode, "postcode", 10)
    if postcode and not POSTCODE_RE.match(postcode):
        raise VolunteerError("postcode", "Vul een postcode in zoals 4285 AB.")
    phone = _clean(phone, "phone", 40)
    if phone and not PHONE_RE.match(phone):
        raise VolunteerError("phone", "Vul een telefoonnummer in zoals 06 1234 5678.")
    if date_of_birth is not None and today is not None and not (
            date(1900, 1, 1) <= date_of_birth <= today):
        raise VolunteerError("date_of_birth", "Deze geboortedatum kan niet kloppen.")
    return {"full_name": _clean(full_name, "full_name", 200),
            "postcode": postcode.upper() if postcode else None, "phone": phone,
            "date_of_birth": date_of_birth}


def register_participant(session: Session, *, email: str, password: str, alias: str,
                         kern: str | None, full_name: str | None = None,
                         postcode: str | None = None, phone: str | None = None,
                         date_of_birth: date | None = None, now: datetime) -> Person:
    """Create a ``deelnemer`` account and its person; raises VolunteerError on bad input.

    :param alias: first name or alias, shown to other participants.
    :param kern: the village or town, shown publicly; its centre is stored, not the address.
    """
    alias = _clean(alias, "alias", 80, required=True)
    kern = _clean(kern, "kern", 100)
    private = validate_private(full_name=full_name, postcode=postcode, phone=phone,
                               date_of_birth=date_of_birth, today=now.date())
    try:
        user = create_user(session, email, "deelnemer", password=password, name=alias)
    except AccountError as error:
        raise VolunteerError(error.field, error.message) from error
    lat, lon = kern_point(kern)
    person = Person(user_id=user.id, alias=alias, kern=kern, lat=lat, lon=lon,
                    email=user.email, created_at=now, updated_at=now, last_active_at=now,
                    interests=[], skills=[], dagdelen=[], suitable_for=[], **private)
    session.add(person)
    session.flush()
    return person


def create_client(session: Session, *, alias: str, kern: str | None,
                  full_name: str | None = None, phone: str | None = None,
                  email: str | None = None, postcode: str | None = None,
                  now: datetime) -> Person:
    """A help seeker without an account, represented by the professional who posts for them."""
    alias = _clean(alias, "alias", 80, required=True)
    kern = _clean(kern, "kern", 100)
    private = validate_private(full_name=full_name, postcode=postcode, phone=phone)
    email = _clean(email, "email", 320)
    lat, lon = kern_point(kern)
    person = Person(alias=alias, kern=kern, lat=lat, lon=lon, email=email, is_volunteer=False,
                    created_at=now, updated_at=now, interests=[], skills=[], dagdelen=[],
                    suitable_for=[], **private)
    session.add(person)
    session.flush()
    return person


def person_for_user(session: Session, user_id: int | None) -> Person | None:
    if user_id is None:
        return None
    return session.scalar(select(Person).where(Person.user_id == user_id))


def update_profile(session: Session, person: Person, *, now: datetime, **fields) -> Person:
    """Change the profile. Unknown fields are refused; codes are checked against their lists.

    Accepted keys: alias, kern, full_name, postcode, phone, date_of_birth, interests, skills,
    dagdelen, travel_km, has_car, has_licence, suitable_for, vog_status, vog_expires_on,
    ask_opt_in, digest_opt_in.
    """
    allowed = {"alias", "kern", "full_name", "postcode", "phone", "date_of_birth", "interests",
               "skills", "dagdelen", "travel_km", "has_car", "has_licence", "suitable_for",
               "vog_status", "vog_expires_on", "ask_opt_in", "digest_opt_in"}
    unknown = set(fields) - allowed
    if unknown:
        raise VolunteerError(sorted(unknown)[0], "Dit veld bestaat niet in het profiel.")
    if "alias" in fields:
        person.alias = _clean(fields["alias"], "alias", 80, required=True)
    if "kern" in fields:
        person.kern = _clean(fields["kern"], "kern", 100)
        person.lat, person.lon = kern_point(person.kern)
    private_keys = {"full_name", "postcode", "phone", "date_of_birth"} & set(fields)
    if private_keys:
        current = {k: getattr(person, k) for k in ("full_name", "postcode", "phone",
                                                   "date_of_birth")}
        current.update({k: fields[k] for k in private_keys})
        for key, value in validate_private(today=now.date(), **current).items():
            setattr(person, key, value)
    if "interests" in fields:
        person.interests = _check_codes(fields["interests"], VOLUNTEER_THEMES, "interests")
    if "dagdelen" in fields:
        person.dagdelen = _check_codes(fields["dagdelen"], DAGDELEN, "dagdelen")
    if "suitable_for" in fields:
        person.suitable_for = _check_codes(fields["suitable_for"], SUITABLE_FOR, "suitable_for")
    if "skills" in fields:
        skills = [_clean(s, "skills", 60) for s in fields["skills"] or []]
        person.skills = [s for s in skills if s][:30]
    if "travel_km" in fields:
        km = fields["travel_km"]
        if not isinstance(km, int) or not 0 <= km <= 100:
            raise VolunteerError("travel_km", "Kies een afstand van 0 tot 100 km.")
        person.travel_km = km
    if "vog_status" in fields:
        if fields["vog_status"] not in VOG_STATUSES:
            raise VolunteerError("vog_status", "Onbekende VOG-status.")
        person.vog_status = fields["vog_status"]
    for key in ("has_car", "has_licence", "ask_opt_in", "digest_opt_in"):
        if key in fields:
            setattr(person, key, bool(fields[key]))
    if "vog_expires_on" in fields:
        person.vog_expires_on = fields["vog_expires_on"]
    if person.digest_opt_in and not person.digest_token_hash:
        new_unsubscribe_token(person)
    person.updated_at = now
    person.last_active_at = now
    session.flush()
    return person


def new_unsubscribe_token(person: Person) -> str:
    """A fresh one-click unsubscribe token; only its hash is stored (the digest mails it)."""
    token = secrets.token_urlsafe(24)
    person.digest_token_hash = hashlib.sha256(token.encode()).hexdigest()
    return token


def age_on(person: Person, day: date) -> int | None:
    if person.date_of_birth is None:
        return None
    born = person.date_of_birth
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
