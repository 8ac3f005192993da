"""Which course sessions are announced: starting within 6 weeks, or added in the last 14 days;
never cancelled ones, started ones, inactive listings or listings that are not courses."""

from __future__ import annotations

import json
from datetime import date, datetime, time

import pytest
from conftest import REFERENCE_DATE, SAMPLE
from kit_accounts import add_location, add_organization, add_service, add_session

from sociale_kaart.db import Database
from sociale_kaart.models import ChangeRecord
from sociale_kaart.services.courses import upcoming_sessions
from sociale_kaart.services.taxonomy import ensure_taxonomies

TODAY = date(2026, 11, 22)
LONG_AGO = datetime(2025, 6, 1)


@pytest.fixture
def session(db):
    with db.session() as s:
        ensure_taxonomies(s)
    s = db.Session()
    yield s
    s.close()


def _names(sessions) -> list[str]:
    return [c.service.name for c in sessions]


def test_window_and_exclusions(session):
    org = add_organization(session, "Welzijn Altena")

    def course(name: str, start: date, until: date, **kwargs):
        service = add_service(session, org, name, course=True, created=LONG_AGO,
                              status=kwargs.pop("status", "active"))
        add_session(session, service, start, until, **kwargs)
        return service

    course("Vandaag", TODAY, date(2026, 12, 20))
    course("Over zes weken", date(2027, 1, 3), date(2027, 2, 1))
    course("Over zeven weken", date(2027, 1, 4), date(2027, 2, 1))
    course("Al begonnen", date(2026, 11, 1), date(2026, 12, 20))
    course("Geannuleerd", date(2026, 12, 1), date(2026, 12, 20), cancelled=True)
    course("Inactief", date(2026, 12, 1), date(2026, 12, 20), status="inactive")
    activity = add_service(session, org, "Geen cursus", created=LONG_AGO)
    add_session(session, activity, date(2026, 12, 1), date(2026, 12, 20))
    session.commit()
    found = upcoming_sessions(session, TODAY)
    assert _names(found) == ["Vandaag", "Over zes weken"]
    assert all(c.starts_soon and not c.is_new for c in found)
    assert upcoming_sessions(session, TODAY, weeks=7)[-1].service.name == "Over zeven weken"


def test_recently_added_course_is_announced_whenever_it_starts(session):
    org = add_organization(session, "Welzijn Altena")
    new = add_service(session, org, "Nieuw", course=True, created=datetime(2026, 11, 9, 8))
    add_session(session, new, date(2027, 6, 1), date(2027, 7, 1), byday="TU")
    old = add_service(session, org, "Oud", course=True, created=datetime(2026, 11, 7, 8))
    add_session(session, old, date(2027, 6, 1), date(2027, 7, 1), byday="TU")
    session.commit()
    [found] = upcoming_sessions(session, TODAY)
    assert found.service.name == "Nieuw" and found.is_new and not found.starts_soon
    assert found.added_on == date(2026, 11, 9)


def test_session_added_later_is_dated_by_the_audit_trail(session):
    org = add_organization(session, "Welzijn Altena")
    service = add_service(session, org, "Yoga", course=True, created=LONG_AGO)
    first = add_session(session, service, date(2027, 5, 4), date(2027, 6, 1), byday="TU")
    second = add_session(session, service, date(2027, 9, 7), date(2027, 10, 5), byday="TU")
    session.add_all([
        ChangeRecord(service_id=service.id, at=LONG_AGO, source="import", actor="x.json",
                     action="create", after={"schedules": [{"id": first.id}]}),
        # A save that lost a conflict never published its sessions: it dates nothing.
        ChangeRecord(service_id=service.id, at=datetime(2026, 11, 1), source="provider",
                     actor="a@b.example", action="conflict",
                     after={"schedules": [{"id": first.id}, {"id": second.id}]}),
        ChangeRecord(service_id=service.id, at=datetime(2026, 11, 20, 14), source="provider",
                     actor="a@b.example", action="update",
                     before={"schedules": [{"id": first.id}]},
                     after={"schedules": [{"id": first.id}, {"id": second.id}]}),
    ])
    session.commit()
    [found] = upcoming_sessions(session, TODAY)
    assert found.schedule.id == second.id and found.added_on == date(2026, 11, 20)


def test_not_applied_actions_match_the_audit_trail():
    audit = pytest.importorskip("sociale_kaart.services.audit")
    from sociale_kaart.services import courses

    assert set(courses.NOT_APPLIED) == set(audit.NOT_APPLIED)


def test_location_and_places(session):
    org = add_organization(session, "Bibliotheek")
    service = add_service(session, org, "Digisterker", course=True, created=LONG_AGO)
    link = add_location(session, service, "Markt 3", "4251 CA", "Werkendam")
    schedule = add_session(session, service, date(2026, 12, 7), date(2026, 12, 28),
                           on_location=link, places=10, opens=time(9, 30))
    schedule.places_left = 3
    session.commit()
    [found] = upcoming_sessions(session, TODAY)
    assert found.address == "Markt 3, 4251 CA Werkendam"
    assert found.places_left == 3 and found.location.id == link.location_id


def test_sample_data(sample_instance):
    """In the sample data (reference date 22 November 2026) one course starts within six
    weeks: the one starting on 7 December."""
    from sociale_kaart.config import load_settings

    rows = [json.loads(line) for line in (SAMPLE / "services.jsonl").read_text().splitlines()]
    expected = sorted(r["id"] for r in rows if r["type"] == "cursus" and r["status"] == "active"
                      and REFERENCE_DATE.isoformat() <= r["course"]["dtstart"] <= "2027-01-03")
    database = Database(load_settings(sample_instance).database_url)
    try:
        with database.session() as session:
            found = upcoming_sessions(session, REFERENCE_DATE)
            assert sorted(c.service.id for c in found) == expected
            assert len(expected) >= 1
    finally:
        database.dispose()
