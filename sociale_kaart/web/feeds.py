"""Public feeds of upcoming course starts: Atom for feed readers, iCalendar for agendas.

The triage team follows these instead of visiting a page. Course data is public (residents
see the same on the detail page), so the feeds need no login, which feed readers and calendar
apps cannot do anyway. They carry public fields only (name, organisation, summary, dates,
times, address, places left, the public page's URL), never contact persons, notes, the
assurer's address or reports.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, request, url_for
from flask_babel import gettext
from icalendar import Calendar, Event

from ..models import utcnow
from ..search.documents import summary_of
from ..services.courses import ANNOUNCE_WEEKS, CourseSession, upcoming_sessions
from ..services.listings import describe_schedule, format_date
from . import get_db, get_settings

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

TIMEZONE = ZoneInfo("Europe/Amsterdam")
#: Feed readers and calendar apps poll; an hour of caching spares the database.
MAX_AGE = 3600
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY")


def _sessions() -> list[CourseSession]:
    db_session = get_db().Session()
    try:
        return upcoming_sessions(db_session, get_settings().today_or_now())
    finally:
        db_session.close()


def _detail_url(c: CourseSession) -> str:
    return url_for("public.service_detail", service_id=c.service.id, _external=True)


def _text(c: CourseSession) -> str:
    """A short public description of the session, in sentences."""
    parts = [gettext("Start: %(date)s.", date=format_date(c.start))]
    if c.until != c.start:
        parts.append(gettext("Tot en met %(date)s.", date=format_date(c.until)))
    when = describe_schedule(c.schedule)
    if when:
        parts.append(when[:1].upper() + when[1:] + ".")
    if c.address:
        parts.append(gettext("Waar: %(address)s.", address=c.address))
    if c.places_left is not None:
        parts.append(gettext("Plaatsen vrij: %(count)s.", count=c.places_left))
    summary = summary_of(c.service.description)
    if summary:
        parts.append(summary)
    parts.append(gettext("Aanbieder: %(name)s.", name=c.service.organization.name))
    return " ".join(parts)


def _response(body: bytes, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


@bp.get("/cursussen.atom")
def courses_atom():
    """Atom 1.0: one entry per announced course session."""
    settings = get_settings()
    sessions = _sessions()
    feed = FeedGenerator()
    self_url = url_for("feeds.courses_atom", _external=True)
    feed.id(self_url)
    feed.title(gettext("Aankomende cursussen – %(site)s", site=settings.site_name))
    feed.subtitle(gettext("Cursussen die de komende %(weeks)s weken beginnen, en nieuwe "
                          "cursussen.", weeks=ANNOUNCE_WEEKS))
    feed.author({"name": settings.operator})
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=url_for("public.home", _external=True), rel="alternate", type="text/html")
    feed.language("nl")
    updated = [c.service.updated_at for c in sessions if c.service.updated_at]
    feed.updated((max(updated) if updated else utcnow()).replace(tzinfo=UTC))
    for c in sessions:
        entry = feed.add_entry(order="append")
        url = _detail_url(c)
        entry.id(f"{url}#cursus-{c.schedule.id}")
        entry.title(gettext("%(name)s – start %(date)s", name=c.service.name,
                            date=format_date(c.start)))
        entry.link(href=url, rel="alternate", type="text/html")
        entry.updated((c.service.updated_at or utcnow()).replace(tzinfo=UTC))
        entry.published(datetime.combine(c.added_on, time.min, tzinfo=UTC))
        entry.summary(_text(c))
    return _response(feed.atom_str(pretty=True), "application/atom+xml")


def _event(c: CourseSession, host: str, stamp: datetime) -> Event:
    """A VEVENT for the whole course: the first meeting, repeated until the last one."""
    schedule = c.schedule
    event = Event()
    event.add("uid", f"cursus-{schedule.id}@{host}")
    event.add("dtstamp", stamp)
    event.add("summary", c.service.name)
    freq = (schedule.freq or "WEEKLY").upper()
    freq = freq if freq in FREQUENCIES else "WEEKLY"
    if schedule.opens_at is not None:
        event.add("dtstart", datetime.combine(c.start, schedule.opens_at, tzinfo=TIMEZONE))
        if schedule.closes_at is not None and schedule.closes_at > schedule.opens_at:
            event.add("dtend", datetime.combine(c.start, schedule.closes_at, tzinfo=TIMEZONE))
        # With a start time, RFC 5545 wants UNTIL in UTC; the end of the last day includes
        # the last meeting whatever its time.
        until: date | datetime = datetime.combine(c.until, time(23, 59, 59),
                                                  tzinfo=TIMEZONE).astimezone(UTC)
    else:
        event.add("dtstart", c.start)
        event.add("dtend", c.start + timedelta(days=1))
        until = c.until
    rule: dict = {"freq": freq, "until": until}
    if schedule.interval and schedule.interval > 1:
        rule["interval"] = schedule.interval
    days = ([p.strip().upper() for p in (schedule.byday or "").split(",") if p.strip()]
            if freq == "MONTHLY" else schedule.weekdays)
    if days:
        rule["byday"] = days
    event.add("rrule", rule)
    if c.address:
        event.add("location", c.address)
    event.add("url", _detail_url(c))
    event.add("description", _text(c))
    return event


@bp.get("/cursussen.ics")
def courses_ics():
    """iCalendar: one VEVENT per announced session, in Europe/Amsterdam time."""
    settings = get_settings()
    sessions = _sessions()
    calendar = Calendar()
    calendar.add("prodid", "-//Sociale Kaart//Aankomende cursussen//NL")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", gettext("Aankomende cursussen – %(site)s",
                                         site=settings.site_name))
    calendar.add("x-wr-timezone", TIMEZONE.key)
    host = urlsplit(request.host_url).hostname or "sociale-kaart"
    stamp = utcnow().replace(tzinfo=UTC)
    for c in sessions:
        calendar.add_component(_event(c, host, stamp))
    if sessions:
        calendar.add_missing_timezones(
            first_date=min(c.start for c in sessions) - timedelta(days=366),
            last_date=max(c.until for c in sessions) + timedelta(days=366))
    return _response(calendar.to_ical(), "text/calendar")
