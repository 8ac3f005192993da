"""The public course feeds (Atom and iCalendar) and the consultants' course page."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from kit_accounts import (
    add_location,
    add_organization,
    add_service,
    add_session,
    add_user,
    db_of,
    login,
    make_app,
)

from sociale_kaart.models import Contact, Report

TODAY = date(2026, 11, 22)
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def courses(instance, monkeypatch):
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    app = make_app(instance, TODAY)
    with db_of(app).session() as session:
        org = add_organization(session, "Bibliotheek Altena")
        soon = add_service(session, org, "Digisterker", course=True,
                           assurer_email="controle@bieb.example",
                           description="Leer werken met de computer. Voor beginners.")
        link = add_location(session, soon, "Markt 3", "4251 CA", "Werkendam")
        add_session(session, soon, date(2026, 12, 7), date(2026, 12, 28), byday="MO",
                    on_location=link, places=8)
        session.add(Contact(id="c1", service_id=soon.id, name="Petra Privé",
                            email="petra@bieb.example"))
        session.add(Report(service_id=soon.id, reason="anders", comment="Interne opmerking"))
        later = add_service(session, org, "Klik en Tik", course=True,
                            created=datetime(2026, 1, 5))
        add_session(session, later, date(2027, 3, 2), date(2027, 3, 23), byday="TU",
                    opens=time(10, 0), closes=time(12, 0))
        cancelled = add_service(session, org, "Geannuleerde cursus", course=True)
        add_session(session, cancelled, date(2026, 12, 8), date(2026, 12, 15), cancelled=True)
        activity = add_service(session, org, "Leesclub")  # not a course
        add_session(session, activity, date(2026, 12, 9), date(2026, 12, 30), byday="WE")
        ids = {"soon": soon.id, "later": later.id}
    return app, ids


def test_atom_lists_upcoming_sessions_only(courses):
    app, ids = courses
    response = app.test_client().get("/feeds/cursussen.atom")  # no login needed
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.findtext(f"{ATOM}title").startswith("Digisterker")
    assert "7 december 2026" in entry.findtext(f"{ATOM}title")
    link = entry.find(f"{ATOM}link").get("href")
    assert link == f"http://localhost/aanbod/{ids['soon']}"
    summary = entry.findtext(f"{ATOM}summary")
    assert "Markt 3, 4251 CA Werkendam" in summary and "Bibliotheek Altena" in summary
    assert root.find(f"{ATOM}updated") is not None and root.findtext(f"{ATOM}id")


def test_feeds_carry_no_professional_only_data(courses):
    app, _ids = courses
    client = app.test_client()
    for path in ("/feeds/cursussen.atom", "/feeds/cursussen.ics"):
        body = client.get(path).get_data(as_text=True)
        for secret in ("controle@bieb.example", "Petra", "petra@bieb.example",
                       "Interne opmerking", "Leesclub", "Geannuleerde cursus"):
            assert secret not in body, (path, secret)


def test_ics_has_one_event_per_session_in_amsterdam_time(courses):
    app, ids = courses
    response = app.test_client().get("/feeds/cursussen.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    text = response.get_data(as_text=True)
    assert "DTSTART;TZID=Europe/Amsterdam:20261207T193000" in text
    calendar = Calendar.from_ical(response.data)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Digisterker"
    start = event.decoded("DTSTART")
    assert start == datetime(2026, 12, 7, 19, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert event.decoded("DTEND").time() == time(21, 30)
    rule = event["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"] and rule["BYDAY"] == ["MO"]
    until = rule["UNTIL"][0]
    assert until.astimezone(ZoneInfo("Europe/Amsterdam")).date() == date(2026, 12, 28)
    assert str(event["LOCATION"]) == "Markt 3, 4251 CA Werkendam"
    assert str(event["URL"]) == f"http://localhost/aanbod/{ids['soon']}"
    assert str(event["UID"]).startswith("cursus-")


def test_new_course_far_ahead_is_announced(courses):
    app, ids = courses
    with db_of(app).session() as session:
        org = add_organization(session, "Welzijn Altena")
        fresh = add_service(session, org, "Mindfulness", course=True,
                            created=datetime(2026, 11, 15, 10, 0))
        add_session(session, fresh, date(2027, 4, 5), date(2027, 5, 10), byday="MO",
                    opens=None, closes=None)
    response = app.test_client().get("/feeds/cursussen.ics")
    events = {str(e["SUMMARY"]): e for e in Calendar.from_ical(response.data).walk("VEVENT")}
    assert set(events) == {"Digisterker", "Mindfulness"}  # Klik en Tik: old and far ahead
    whole_day = events["Mindfulness"]
    assert whole_day.decoded("DTSTART") == date(2027, 4, 5)
    assert whole_day["RRULE"]["UNTIL"] == [date(2027, 5, 10)]
    atom = ET.fromstring(app.test_client().get("/feeds/cursussen.atom").data)
    titles = [e.findtext(f"{ATOM}title") for e in atom.findall(f"{ATOM}entry")]
    assert titles[0].startswith("Digisterker") and titles[1].startswith("Mindfulness")
    assert ids["later"] not in response.get_data(as_text=True)


def test_empty_feeds_are_valid(instance, monkeypatch):
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    app = make_app(instance, TODAY)
    client = app.test_client()
    root = ET.fromstring(client.get("/feeds/cursussen.atom").data)
    assert root.findall(f"{ATOM}entry") == []
    assert Calendar.from_ical(client.get("/feeds/cursussen.ics").data).walk("VEVENT") == []


def test_course_page_is_for_consultants(courses):
    app, _ids = courses
    add_user(app, "consulent@gemeente.example", "consultant")
    add_user(app, "aanbieder@bieb.example", "provider",
             [next(iter(_org_ids(app)))])
    anonymous = app.test_client().get("/professional/cursussen")
    assert anonymous.status_code == 302 and "/account/inloggen" in anonymous.headers["Location"]
    provider = app.test_client()
    login(provider, "aanbieder@bieb.example")
    assert provider.get("/professional/cursussen").status_code == 403
    client = app.test_client()
    login(client, "consulent@gemeente.example")
    page = client.get("/professional/cursussen")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Digisterker" in html and "7 december 2026" in html and "Markt 3" in html
    assert "Nog 8 plekken" in html
    assert "Klik en Tik" not in html and "Leesclub" not in html
    assert "/feeds/cursussen.atom" in html and "/feeds/cursussen.ics" in html
    assert "<script" not in html.split("<main", 1)[1] and "style=" not in html


def _org_ids(app) -> list[str]:
    from sociale_kaart.models import Organization

    with db_of(app).session() as session:
        return [o.id for o in session.query(Organization).all()]
