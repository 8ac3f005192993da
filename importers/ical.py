"""Activity and course agendas as iCalendar (``.ics``) → HSDS services with schedules.

Why a calendar is read per *series*, not per occurrence: a weekly activity published as a
recurring event (``RRULE:FREQ=WEEKLY;BYDAY=TU``) is one opening-hours schedule, and a course
published as N dated events with the same title is one service of soort ``cursus`` with N
sessions. So events are grouped by summary (and location); a group becomes

* a recurring schedule when its event has an RRULE that HSDS can hold (WEEKLY/MONTHLY, BYDAY
  with ordinals, INTERVAL, UNTIL/COUNT): copied, not expanded, so nothing is lost;
* course sessions otherwise: each occurrence (single events, RDATEs, and rules HSDS cannot
  hold such as DAILY, expanded with python-dateutil up to :data:`MAX_OCCURRENCES`) becomes a
  one-session schedule (``freq=WEEKLY``, ``count=1``, ``dtstart`` = its date), the GUIDE's
  convention; cancelled occurrences (EXDATE, ``STATUS:CANCELLED``) are left out.

Times are converted to Europe/Amsterdam wall-clock time. ``ORGANIZER``/``CONTACT`` give the
organisation, ``LOCATION`` the address (parsed like a spreadsheet address cell), ``URL`` the
website.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .base import ImportedRecord, Importer, ReadResult, RecordError, UnusableInput
from .normalize.phones import parse_phones
from .normalize.places import normalize_postcode, resolve_kern, split_address
from .normalize.web import normalize_email, normalize_website
from .validation import NAMESPACE, Origin, clean_service

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MAX_OCCURRENCES = 200
_HSDS_FREQS = ("WEEKLY", "MONTHLY")
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass
class _Event:
    uid: str
    summary: str
    start: datetime | date
    end: datetime | date | None
    line: int | None
    description: str | None = None
    location: str | None = None
    url: str | None = None
    organizer: str | None = None
    organizer_email: str | None = None
    rrule: dict[str, list[Any]] | None = None
    rdates: list[datetime | date] = field(default_factory=list)
    exdates: set[date] = field(default_factory=set)
    cancelled: bool = False
    recurrence_id: date | None = None


class IcalImporter(Importer):
    name = "ical"
    description = "iCalendar agenda (.ics): recurring activities and course sessions"

    def __init__(self, feed: str | None = None, today: date | None = None) -> None:
        self.feed = feed
        self.today = today or date.today()

    @classmethod
    def sniff(cls, path: Path) -> bool:
        if not path.is_file():
            return False
        if path.suffix.lower() in (".ics", ".ical", ".ifb"):
            return True
        with path.open("rb") as handle:
            return handle.read(64).lstrip(b"\xef\xbb\xbf \r\n").startswith(b"BEGIN:VCALENDAR")

    def read(self, path: Path) -> Iterator[ReadResult]:
        import icalendar

        source = str(path)
        data = path.read_bytes() if path.is_file() else b""
        if not data.strip():
            raise UnusableInput(source, "empty file")
        try:
            calendar = icalendar.Calendar.from_ical(data)
        except Exception as exc:  # icalendar raises ValueError and others for broken input
            raise UnusableInput(source, f"not a readable iCalendar file ({exc})") from None
        events, problems = _events(calendar, data)
        if not events and not problems:
            raise UnusableInput(source, "no events (VEVENT) in the calendar")
        feed = self.feed or path.stem
        yield from (RecordError(source, reason, uid, line) for uid, line, reason in problems)
        groups: dict[tuple[str, str], list[_Event]] = {}
        for event in events:
            key = (" ".join(event.summary.lower().split()), (event.location or "").lower())
            groups.setdefault(key, []).append(event)
        for members in groups.values():
            yield _service(source, feed, members)


def _line_of(data: bytes, uid: str) -> int | None:
    index = data.find(f"UID:{uid}".encode())
    return data.count(b"\n", 0, index) + 1 if index >= 0 else None


def _events(calendar: Any, data: bytes) -> tuple[list[_Event], list[tuple[str, int | None, str]]]:
    events: list[_Event] = []
    problems: list[tuple[str, int | None, str]] = []
    overrides: dict[str, list[_Event]] = {}
    for component in calendar.walk("VEVENT"):
        uid = str(component.get("UID") or uuid.uuid4())
        line = _line_of(data, uid)
        summary = " ".join(str(component.get("SUMMARY") or "").split())
        start = component.get("DTSTART")
        if not summary or start is None:
            problems.append((uid, line, "event without SUMMARY or DTSTART"))
            continue
        event = _Event(uid, summary, _local(start.dt), _local(component["DTEND"].dt)
                       if component.get("DTEND") else None, line)
        if event.end is None and component.get("DURATION") is not None:
            event.end = event.start + component["DURATION"].dt
        event.description = str(component.get("DESCRIPTION") or "") or None
        event.location = str(component.get("LOCATION") or "") or None
        event.url = str(component.get("URL") or "") or None
        organizer = component.get("ORGANIZER")
        if organizer is not None:
            event.organizer = str(organizer.params.get("CN") or "") or None
            event.organizer_email = str(organizer).lower().removeprefix("mailto:")
        event.cancelled = str(component.get("STATUS") or "").upper() == "CANCELLED"
        if component.get("RRULE") is not None:
            event.rrule = {k.upper(): list(v) for k, v in component["RRULE"].items()}
        for prop, target in (("RDATE", event.rdates), ("EXDATE", None)):
            values = component.get(prop)
            for value in values if isinstance(values, list) else [values] if values else []:
                for item in value.dts:
                    moment = _local(item.dt)
                    if target is None:
                        event.exdates.add(moment.date() if isinstance(moment, datetime)
                                          else moment)
                    else:
                        target.append(moment)
        if component.get("RECURRENCE-ID") is not None:
            rid = _local(component["RECURRENCE-ID"].dt)
            event.recurrence_id = rid.date() if isinstance(rid, datetime) else rid
            overrides.setdefault(uid, []).append(event)
            continue
        events.append(event)
    for event in events:  # a moved or cancelled occurrence replaces the rule's one
        for override in overrides.get(event.uid, []):
            event.exdates.add(override.recurrence_id)
            if not override.cancelled:
                event.rdates.append(override.start)
    return events, problems


def _local(value: datetime | date) -> datetime | date:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(AMSTERDAM).replace(tzinfo=None)
    return value


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _hhmm(value: datetime | date | None) -> str | None:
    return f"{value:%H:%M}:00" if isinstance(value, datetime) else None


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def _rule_schedule(event: _Event) -> dict[str, Any] | None:
    """The event's RRULE as one HSDS schedule, when HSDS can hold it exactly."""
    rule = event.rrule or {}
    freq = (rule.get("FREQ") or [""])[0]
    if freq not in _HSDS_FREQS or event.rdates or set(rule) - {
            "FREQ", "INTERVAL", "BYDAY", "UNTIL", "COUNT", "WKST", "BYMONTHDAY"}:
        return None
    byday = [str(d) for d in rule.get("BYDAY", [])] or [_DAYS[_day(event.start).weekday()]]
    if freq == "WEEKLY" and any(re.match(r"[+-]?\d", d) for d in byday):
        return None
    out: dict[str, Any] = {"freq": freq, "byday": ",".join(d.lstrip("+") for d in byday),
                           "interval": int((rule.get("INTERVAL") or [1])[0]),
                           "dtstart": _day(event.start).isoformat()}
    if rule.get("BYMONTHDAY"):
        out["bymonthday"] = ",".join(str(d) for d in rule["BYMONTHDAY"])
        if not rule.get("BYDAY"):
            out.pop("byday")
    if rule.get("UNTIL"):
        out["until"] = _day(_local(rule["UNTIL"][0])).isoformat()
    elif rule.get("COUNT"):
        out["count"] = int(rule["COUNT"][0])
    if event.exdates:
        out["notes"] = "niet op " + ", ".join(f"{d.day}-{d.month}-{d.year}"
                                              for d in sorted(event.exdates))
    return out


def _occurrences(event: _Event) -> list[datetime | date]:
    """Every occurrence of an event (rule expanded with dateutil), minus the cancelled ones."""
    from dateutil.rrule import rrulestr

    if event.cancelled:
        return []
    found: list[datetime | date] = [] if event.rrule else [event.start]
    if event.rrule:
        start = event.start if isinstance(event.start, datetime) else \
            datetime.combine(event.start, time())
        parts = []
        for key, values in event.rrule.items():
            rendered = []
            for value in values:
                if isinstance(value, datetime):
                    value = _local(value)
                    rendered.append(value.strftime("%Y%m%dT%H%M%S"))
                elif isinstance(value, date):
                    rendered.append(value.strftime("%Y%m%d"))
                else:
                    rendered.append(str(value))
            parts.append(f"{key}={','.join(rendered)}")
        rule = rrulestr(";".join(parts), dtstart=start)
        for index, moment in enumerate(rule):
            if index >= MAX_OCCURRENCES:
                break
            found.append(moment if isinstance(event.start, datetime) else moment.date())
    found += event.rdates
    return sorted({m for m in found if _day(m) not in event.exdates}, key=_day)


def _service(source: str, feed: str, events: list[_Event]) -> ReadResult:
    first = events[0]
    service_id = _uuid(feed, "ical", first.summary.lower(), (first.location or "").lower())
    schedules: list[dict[str, Any]] = []
    is_course = False
    for event in events:
        rule = _rule_schedule(event) if event.rrule and not event.cancelled else None
        if rule is not None:
            rule.update({k: v for k, v in (("opens_at", _hhmm(event.start)),
                                           ("closes_at", _hhmm(event.end))) if v})
            rule["id"] = _uuid(service_id, "rule", event.uid)
            schedules.append(rule)
            continue
        for moment in _occurrences(event):
            is_course = True
            duration = (event.end - event.start) if event.end and isinstance(
                event.start, datetime) else None
            day = _day(moment)
            session = {"id": _uuid(service_id, "session", day.isoformat(), str(moment)),
                       "freq": "WEEKLY", "count": 1, "byday": _DAYS[day.weekday()],
                       "dtstart": day.isoformat(), "until": day.isoformat(),
                       "opens_at": _hhmm(moment),
                       "closes_at": _hhmm(moment + duration) if duration and isinstance(
                           moment, datetime) else None}
            schedules.append({k: v for k, v in session.items() if v is not None})
    sessions = sorted((s for s in schedules if s.get("count") == 1), key=lambda s: s["dtstart"])
    for number, session in enumerate(sessions, start=1):
        session["description"] = f"bijeenkomst {number} van {len(sessions)}"
    raw = _base(source, service_id, first, events)
    raw["schedules"] = schedules
    if is_course:
        raw["attributes"] = [_soort(service_id, "cursus")]
    result = clean_service(raw, Origin(source, first.line), feed, text_values=True)
    if isinstance(result, ImportedRecord):  # an agenda never has an organisation description
        result.warnings = [w for w in result.warnings
                           if "organization" not in w or "description" not in w]
        result.source_id = first.uid or None  # provenance: the agenda's own id
    return result


def _soort(service_id: str, code: str) -> dict[str, Any]:
    from sociale_kaart.services.taxonomy import terms_by_facet

    term = terms_by_facet()["soort"][code]
    return {"id": _uuid(service_id, "soort", code), "link_type": "soort", "value": code,
            "taxonomy_term": {"id": term.id, "code": term.code, "name": term.name,
                              "description": term.description or term.name}}


def _base(source: str, service_id: str, first: _Event, events: list[_Event]) -> dict[str, Any]:
    organizer = next((e.organizer for e in events if e.organizer), None)
    email, _ok = normalize_email(next((e.organizer_email for e in events if e.organizer_email),
                                      None))
    org_name = organizer or Path(source).stem
    url, _ok = normalize_website(next((e.url for e in events if e.url), None))
    text = next((e.description for e in events if e.description), None)
    raw: dict[str, Any] = {
        "id": service_id, "name": first.summary, "description": text, "status": "active",
        "email": email, "url": url,
        "organization": {"id": _uuid("ical", "organization", org_name.lower()), "name": org_name},
        "phones": [{"id": _uuid(service_id, "phone", p), "number": p}
                   for p in parse_phones(text).numbers] if text else [],
    }
    location = _location(service_id, first.location)
    raw["service_at_locations"] = [location] if location else []
    return {k: v for k, v in raw.items() if v not in (None, "")}


def _location(service_id: str, text: str | None) -> dict[str, Any] | None:
    """``Dorpshuis De Linde, Kerkstraat 14, 4271 EK Dussen`` → a location with an address."""
    if not text:
        return None
    address = split_address(text)
    if address.no_address or not address.street:
        return None
    postcode = address.postcode or normalize_postcode(text).value
    kern_text = None
    if address.location_name and postcode:
        kern_text = address.location_name.split(",")[-1]
    tail = re.search(r"\d{4}\s?[A-Za-z]{2}\s+(.+)$", text)
    if tail:
        kern_text = tail.group(1)
    kern = resolve_kern(kern_text, postcode)
    if not kern.kern:
        return None
    location_id = _uuid("ical", "location", address.street.lower(), kern.kern.lower())
    name = address.location_name
    if name and kern_text and name.endswith(kern_text):
        name = name[: -len(kern_text)].strip(" ,") or None
    return {"id": _uuid(service_id, "sal", location_id), "location": {
        "id": location_id, "location_type": "physical", "name": name or address.street,
        "addresses": [{k: v for k, v in {
            "id": _uuid(location_id, "address"), "address_1": address.street,
            "city": kern.kern, "region": kern.municipality, "state_province": kern.province,
            "postal_code": postcode, "country": "NL", "address_type": "physical"}.items() if v}],
    }}
