"""Demo data for the volunteer platform: vacatures, hulpaanbod and a few hulpvragen.

``data/demo/vrijwilligerswerk.json`` gives dates as days from the load day, so the demo never
shows expired listings. Loading goes through the same service functions as the site
(register, create, approve), so the demo also exercises the rules. It runs once per instance:
when any volunteer listing exists, it does nothing.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..config import DATA_DIR
from ..models import Organization, Person, VolunteerListing
from ..services.accounts import create_user, find_user
from .listings import ListingInput, approve_listing, approve_organisation, create_listing
from .people import create_client, kern_point

DEMO_FILE = DATA_DIR / "demo" / "vrijwilligerswerk.json"
DAY_FIELDS = {"date_on_days": "date_on", "period_start_days": "period_start",
              "period_end_days": "period_end", "list_until_days": "list_until",
              "needed_by_days": "needed_by"}
LISTING_KEYS = set(ListingInput.__dataclass_fields__)


def load_demo(session: Session, now: datetime, path: Path = DEMO_FILE) -> dict[str, int]:
    """Load the demo listings once; returns counts per kind (all zero when already loaded).

    Organisations named in the file that are not in the database (the kaart demo was not
    imported) are skipped, with their listings.
    """
    counts = {"listings": 0, "people": 0, "organizations": 0, "skipped": 0}
    if session.scalar(select(func.count()).select_from(VolunteerListing)):
        return counts
    data = json.loads(path.read_text(encoding="utf-8"))
    coordinator = find_user(session, data["coordinator"]["email"]) or create_user(
        session, data["coordinator"]["email"], "coordinator", name=data["coordinator"]["name"])
    known = set(session.scalars(select(Organization.id)))
    for org_id in data["approved_organizations"]:
        if org_id in known:
            approve_organisation(session, org_id, by=coordinator, now=now)
            counts["organizations"] += 1
    people: dict[str, Person] = {}
    for entry in data["people"]:
        people[entry["key"]] = _person(session, entry, now)
        counts["people"] += 1
    for entry in data["listings"]:
        org_id = entry.get("organization")
        if org_id and org_id not in known:
            counts["skipped"] += 1
            continue
        fields = {k: v for k, v in entry.items() if k in LISTING_KEYS}
        for key, target in DAY_FIELDS.items():
            if key in entry:
                fields[target] = (now + timedelta(days=entry[key])).date()
        for key in ("themes", "dagdelen", "suitable_for"):
            fields[key] = tuple(fields.get(key, ()))
        data_in = ListingInput(**fields)
        owner = people.get(entry.get("person"))
        client = people.get(entry.get("client"))
        listing = create_listing(
            session, data_in, posted_by=coordinator, now=now, organization_id=org_id,
            owner=owner if client is None else None, on_behalf_of=client,
            consent_text=entry.get("consent_text"))
        approve_listing(session, listing, by=coordinator, now=now)
        counts["listings"] += 1
    return counts


def _person(session: Session, entry: dict, now: datetime) -> Person:
    private = {k: entry.get(k) for k in ("full_name", "phone", "postcode")}
    if entry.get("client"):
        return create_client(session, alias=entry["alias"], kern=entry["kern"], now=now,
                             **private)
    user = find_user(session, entry["email"]) or create_user(
        session, entry["email"], "deelnemer", name=entry["alias"])
    lat, lon = kern_point(entry["kern"])
    person = Person(user_id=user.id, alias=entry["alias"], kern=entry["kern"], lat=lat, lon=lon,
                    email=user.email, created_at=now, updated_at=now,
                    interests=entry.get("interests", []), skills=entry.get("skills", []),
                    dagdelen=entry.get("dagdelen", []), suitable_for=[],
                    travel_km=entry.get("travel_km", 5), has_car=entry.get("has_car", False),
                    has_licence=entry.get("has_licence", False),
                    vog_status=entry.get("vog_status", "none"),
                    ask_opt_in=entry.get("ask_opt_in", False),
                    is_volunteer=entry.get("is_volunteer", True), **private)
    session.add(person)
    session.flush()
    return person
