"""iCalendar agendas: recurring activities become schedules, dated events course sessions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from importers.base import ImportedRecord, RecordError, UnusableInput
from importers.ical import IcalImporter
from importers.registry import detect

CALENDAR = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//NL
BEGIN:VEVENT
UID:taalcafe
SUMMARY:Taalcafé Dussen
DTSTART;TZID=Europe/Amsterdam:20260907T193000
DTEND;TZID=Europe/Amsterdam:20260907T210000
RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270628T000000Z
EXDATE;TZID=Europe/Amsterdam:20261228T193000
LOCATION:Dorpshuis De Linde, Kerkstraat 14, 4271 EK Dussen
ORGANIZER;CN=Bibliotheek Dijkenland:mailto:info@bieb.example
END:VEVENT
BEGIN:VEVENT
UID:repair
SUMMARY:Repair Café
DTSTART:20260905T100000
DTEND:20260905T130000
RRULE:FREQ=MONTHLY;BYDAY=1SA
END:VEVENT
BEGIN:VEVENT
UID:cursus
SUMMARY:Cursus Grip op je geld
DTSTART:20270209T183000Z
DTEND:20270209T203000Z
RRULE:FREQ=DAILY;INTERVAL=7;COUNT=4
LOCATION:Kerkstraat 40, 4254 ZC Sleeuwijk
END:VEVENT
BEGIN:VEVENT
UID:aed-1
SUMMARY:AED-cursus
DTSTART:20261207T193000
DTEND:20261207T220000
END:VEVENT
BEGIN:VEVENT
UID:aed-2
SUMMARY:AED-cursus
DTSTART:20261214T193000
DTEND:20261214T220000
END:VEVENT
BEGIN:VEVENT
UID:kapot
DTSTART:20261214T193000
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def agenda(tmp_path: Path) -> Path:
    path = tmp_path / "agenda.ics"
    path.write_text(CALENDAR.replace("\n", "\r\n"), encoding="utf-8")
    return path


def _by_name(path: Path) -> dict[str, ImportedRecord]:
    return {r.service["name"]: r for r in IcalImporter(today=date(2026, 12, 1)).read(path)
            if isinstance(r, ImportedRecord)}


def test_detected(agenda: Path):
    assert detect(agenda, load_plugins=False) is IcalImporter


def test_recurring_event_is_one_schedule(agenda: Path):
    record = _by_name(agenda)["Taalcafé Dussen"]
    [schedule] = record.service["schedules"]
    assert {k: schedule[k] for k in ("freq", "byday", "opens_at", "closes_at", "until")} == {
        "freq": "WEEKLY", "byday": "MO", "opens_at": "19:30:00", "closes_at": "21:00:00",
        "until": "2027-06-28"}
    assert "28-12-2026" in schedule["notes"]
    address = record.service["service_at_locations"][0]["location"]["addresses"][0]
    assert (address["address_1"], address["city"]) == ("Kerkstraat 14", "Dussen")
    assert record.service["email"] == "info@bieb.example"


def test_monthly_ordinal_kept(agenda: Path):
    [schedule] = _by_name(agenda)["Repair Café"].service["schedules"]
    assert (schedule["freq"], schedule["byday"]) == ("MONTHLY", "1SA")


def test_rule_hsds_cannot_hold_is_expanded_into_sessions(agenda: Path):
    record = _by_name(agenda)["Cursus Grip op je geld"]
    sessions = sorted(record.service["schedules"], key=lambda s: s["dtstart"])
    assert [s["dtstart"] for s in sessions] == ["2027-02-09", "2027-02-16", "2027-02-23",
                                                "2027-03-02"]
    assert all(s["count"] == 1 and s["opens_at"] == "19:30:00" for s in sessions)
    assert ("soort", "cursus") in {(a["link_type"], a["value"])
                                   for a in record.service["attributes"]}


def test_dated_events_with_one_title_are_one_course(agenda: Path):
    record = _by_name(agenda)["AED-cursus"]
    assert sorted(s["dtstart"] for s in record.service["schedules"]) == ["2026-12-07",
                                                                         "2026-12-14"]


def test_event_without_summary_is_rejected(agenda: Path):
    errors = [r for r in IcalImporter().read(agenda) if isinstance(r, RecordError)]
    assert [e.record_id for e in errors] == ["kapot"]


@pytest.mark.parametrize("content", ["", "BEGIN:VCALENDAR\r\nnot ical",
                                     "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"])
def test_bad_or_empty_calendar_is_unusable(tmp_path: Path, content: str):
    path = tmp_path / "leeg.ics"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UnusableInput):
        list(IcalImporter().read(path))
