"""The course feeds against strict validators, not lenient readers.

iCalendar: parsed by both ``ical`` (allenporter's strict, pydantic-based parser) and
``icalendar``; every TZID a DTSTART/DTEND refers to must have its VTIMEZONE (RFC 5545 3.2.19).
Atom: parsed by lxml without recovery and validated against RFC 4287's appendix B schema in
RELAX NG (``data/atom.rng``), plus the appendix's Schematron rules as XPath checks.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path

import pytest
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar
from kit_accounts import add_location, add_organization, add_service, add_session, db_of, make_app
from lxml import etree

TODAY = date(2026, 11, 22)
NS = {"atom": "http://www.w3.org/2005/Atom"}
SCHEMA = Path(__file__).parent / "data" / "atom.rng"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")


@pytest.fixture
def app(instance, monkeypatch):
    """The listings of ``test_feeds.courses``, plus a whole-day course announced early."""
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    app = make_app(instance, TODAY)
    with db_of(app).session() as session:
        org = add_organization(session, "Bibliotheek Altena")
        soon = add_service(session, org, "Digisterker", course=True,
                           description="Leer werken met de computer. Voor beginners.")
        link = add_location(session, soon, "Markt 3", "4251 CA", "Werkendam")
        add_session(session, soon, date(2026, 12, 7), date(2026, 12, 28), byday="MO",
                    on_location=link, places=8)
        later = add_service(session, org, "Klik en Tik", course=True,
                            created=datetime(2026, 1, 5))
        add_session(session, later, date(2027, 3, 2), date(2027, 3, 23), byday="TU",
                    opens=time(10, 0), closes=time(12, 0))
        cancelled = add_service(session, org, "Geannuleerde cursus", course=True)
        add_session(session, cancelled, date(2026, 12, 8), date(2026, 12, 15), cancelled=True)
        activity = add_service(session, org, "Leesclub")  # not a course
        add_session(session, activity, date(2026, 12, 9), date(2026, 12, 30), byday="WE")
        welzijn = add_organization(session, "Welzijn Altena")
        fresh = add_service(session, welzijn, "Mindfulness", course=True,
                            created=datetime(2026, 11, 15, 10, 0))
        add_session(session, fresh, date(2027, 4, 5), date(2027, 5, 10), byday="MO",
                    opens=None, closes=None)
    return app


@pytest.fixture
def empty_app(instance, monkeypatch):
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    return make_app(instance, TODAY)


EXPECTED_SESSIONS = 2  # Digisterker (timed) and Mindfulness (whole days)


def _check_ics(text: str, sessions: int) -> None:
    strict = IcsCalendarStream.calendar_from_ics(text)
    assert len(strict.events) == sessions
    calendar = Calendar.from_ical(text)
    events = calendar.walk("VEVENT")
    assert len(events) == sessions
    defined = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    used = {str(event[prop].params["TZID"]) for event in events
            for prop in ("DTSTART", "DTEND") if prop in event and "TZID" in event[prop].params}
    assert used <= defined, f"TZIDs without VTIMEZONE: {used - defined}"
    # Also on the raw text, independent of how icalendar maps parameters.
    raw_used = set(re.findall(r"^DT(?:START|END);[^:\r\n]*TZID=([^;:\r\n]+)", text, re.M))
    assert raw_used <= defined
    for tz in calendar.walk("VTIMEZONE"):
        assert tz.walk("STANDARD") or tz.walk("DAYLIGHT"), tz["TZID"]
    for event in strict.events:
        assert event.dtstart is not None and event.uid and event.dtstamp is not None
        if isinstance(event.dtstart, datetime):
            assert event.dtstart.tzinfo is not None


def test_ics_passes_ical_and_icalendar(app):
    response = app.test_client().get("/feeds/cursussen.ics")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "TZID=Europe/Amsterdam" in text
    _check_ics(text, EXPECTED_SESSIONS)
    strict = IcsCalendarStream.calendar_from_ics(text)
    timed = next(e for e in strict.events if e.summary == "Digisterker")
    assert timed.dtstart.isoformat() == "2026-12-07T19:30:00+01:00"
    assert timed.dtend.isoformat() == "2026-12-07T21:30:00+01:00"
    whole_day = next(e for e in strict.events if e.summary == "Mindfulness")
    assert whole_day.dtstart == date(2027, 4, 5)


def test_empty_ics_passes_ical_and_icalendar(empty_app):
    _check_ics(empty_app.test_client().get("/feeds/cursussen.ics").get_data(as_text=True), 0)


def _check_atom(data: bytes, sessions: int) -> None:
    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)
    root = etree.fromstring(data, parser)
    schema = etree.RelaxNG(etree.parse(str(SCHEMA)))
    assert schema.validate(root), str(schema.error_log)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    entries = root.findall("atom:entry", NS)
    assert len(entries) == sessions
    # Appendix B's Schematron rules.
    if not root.findall("atom:author", NS):
        assert all(e.findall("atom:author", NS) or e.findall("atom:source/atom:author", NS)
                   for e in entries), "feed without author has entries without one"
    for element in [root, *entries]:
        alternates = [(link.get("type"), link.get("hreflang"))
                      for link in element.findall("atom:link", NS)
                      if link.get("rel", "alternate") == "alternate"]
        assert len(alternates) == len(set(alternates)), "duplicate alternate links"
    for entry in entries:
        assert (entry.find("atom:content", NS) is not None
                or entry.xpath("atom:link[not(@rel) or @rel='alternate']", namespaces=NS))
        if entry.find("atom:content[@src]", NS) is not None:
            assert entry.find("atom:summary", NS) is not None
        for single in ("id", "title", "updated"):
            assert len(entry.findall(f"atom:{single}", NS)) == 1
    # Every date is an RFC 3339 date-time with a time zone.
    dates = root.xpath("//atom:updated | //atom:published", namespaces=NS)
    assert len(dates) >= 1 + sessions
    for element in dates:
        value = element.text.strip()
        assert RFC3339.match(value), value
        assert datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def test_atom_is_valid_rfc4287(app):
    response = app.test_client().get("/feeds/cursussen.atom")
    assert response.status_code == 200
    _check_atom(response.data, EXPECTED_SESSIONS)


def test_empty_atom_is_valid_rfc4287(empty_app):
    _check_atom(empty_app.test_client().get("/feeds/cursussen.atom").data, 0)


def test_schema_rejects_invalid_atom():
    """The schema is strict: it refuses an entry without updated and a date without zone."""
    schema = etree.RelaxNG(etree.parse(str(SCHEMA)))
    good = (b'<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id><title>t</title>'
            b"<updated>2026-11-22T10:00:00Z</updated><author><name>a</name></author>"
            b"<entry><id>urn:y</id><title>e</title><updated>2026-11-22T10:00:00+01:00</updated>"
            b'<link href="http://x/"/></entry></feed>')
    assert schema.validate(etree.fromstring(good)), str(schema.error_log)
    no_updated = good.replace(b"<updated>2026-11-22T10:00:00+01:00</updated>", b"")
    assert not schema.validate(etree.fromstring(no_updated))
    no_zone = good.replace(b"2026-11-22T10:00:00Z", b"2026-11-22T10:00:00")
    assert not schema.validate(etree.fromstring(no_zone))
    no_id = good.replace(b"<id>urn:x</id>", b"")
    assert not schema.validate(etree.fromstring(no_id))
