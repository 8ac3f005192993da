"""Indicators of the volunteer platform for the municipality, per period.

Why computed from the rows and not kept as counters: the figures must include offline work
(matches the coordinator entered from the desk or the phone) and must survive the erasure of a
person and the anonymisation of old hulpvragen. Responses and matches keep their timestamps,
kind, kern and themes without a link to the person, so counting them later gives the same
answer. :func:`period_figures` is also what the municipality dashboard (issue 10) calls.

Small counts: an export (CSV) shows counts from 1 to 4 as ``<5``
(:func:`suppress`), because in a small kern "2 help seekers asked for help with debts" can point
to a neighbour. 0 says nothing about anyone and is shown.

Periods are inclusive dates: ``start`` 00:00 to the end of ``end`` (naive UTC, like every
timestamp in the database).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..models import Match, Person, Response, VolunteerListing

#: The keys of :func:`period_figures`, in the order the page and the CSV show them.
FIGURE_KEYS = (
    "volunteers_active", "volunteers_new", "help_seekers", "organisations_with_vacancy",
    "responses", "matches", "matches_online", "matches_brokered", "matches_persoon_persoon",
    "matches_persoon_organisatie", "matches_organisatie_organisatie", "durable_matches",
)
#: Counts below this are suppressed in exports.
SUPPRESS_BELOW = 5


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    if end < start:
        raise ValueError(f"end {end} lies before start {start}")
    return datetime.combine(start, time.min), datetime.combine(end + timedelta(days=1), time.min)


def _within(column, low: datetime, high: datetime):
    return and_(column >= low, column < high)


def period_figures(session: Session, start: date, end: date) -> dict[str, int]:
    """The platform's figures for one period (inclusive dates).

    * ``volunteers_active``: volunteers who responded, were matched or used the site in it;
    * ``volunteers_new``: volunteers who signed up in it;
    * ``help_seekers``: residents (persons, not organisations) with a hulpvraag posted in it;
    * ``organisations_with_vacancy``: organisations with a vacature online during it;
    * ``responses``: responses ("connecties") made in it, online or entered by the coordinator;
    * ``matches`` and its split by made (online/brokered) and kind;
    * ``durable_matches``: matches confirmed as still running at the 3-month check in it.
    """
    low, high = _bounds(start, end)
    active: set[int] = set(session.scalars(select(Person.id).where(
        Person.is_volunteer.is_(True), _within(Person.last_active_at, low, high))))
    active |= set(session.scalars(select(Response.person_id).where(
        Response.person_id.is_not(None), _within(Response.interested_at, low, high))))
    active |= set(session.scalars(select(Match.volunteer_person_id).where(
        Match.volunteer_person_id.is_not(None), _within(Match.started_at, low, high))))
    new = session.scalars(select(Person.id).where(
        Person.is_volunteer.is_(True), Person.user_id.is_not(None),
        _within(Person.created_at, low, high))).all()
    seekers = set(session.scalars(select(VolunteerListing.owner_person_id).where(
        VolunteerListing.type == "hulpvraag", VolunteerListing.owner_person_id.is_not(None),
        VolunteerListing.organization_id.is_(None),
        _within(VolunteerListing.created_at, low, high))))
    anonymised = session.scalars(select(VolunteerListing.id).where(
        VolunteerListing.type == "hulpvraag", VolunteerListing.owner_person_id.is_(None),
        VolunteerListing.organization_id.is_(None),
        _within(VolunteerListing.created_at, low, high))).all()
    organisations = set(session.scalars(select(VolunteerListing.organization_id).where(
        VolunteerListing.type == "vacature", VolunteerListing.organization_id.is_not(None),
        VolunteerListing.published_at.is_not(None), VolunteerListing.published_at < high,
        or_(VolunteerListing.closed_at.is_(None), VolunteerListing.closed_at >= low))))
    responses = session.scalars(select(Response.id).where(
        _within(Response.interested_at, low, high))).all()
    matches = session.execute(select(Match.made, Match.kind).where(
        _within(Match.started_at, low, high))).all()
    durable = session.scalars(select(Match.id).where(
        Match.durable == "yes", _within(Match.durable_answered_at, low, high))).all()
    made = Counter(row.made for row in matches)
    kinds = Counter(row.kind for row in matches)
    return {
        "volunteers_active": len(active),
        "volunteers_new": len(new),
        # An anonymised hulpvraag lost its owner; it still was one help seeker.
        "help_seekers": len(seekers) + len(anonymised),
        "organisations_with_vacancy": len(organisations),
        "responses": len(responses),
        "matches": len(matches),
        "matches_online": made.get("online", 0),
        "matches_brokered": made.get("brokered", 0),
        "matches_persoon_persoon": kinds.get("persoon-persoon", 0),
        "matches_persoon_organisatie": kinds.get("persoon-organisatie", 0),
        "matches_organisatie_organisatie": kinds.get("organisatie-organisatie", 0),
        "durable_matches": len(durable),
    }


def breakdown(session: Session, start: date, end: date) -> dict[str, dict[str, dict[str, int]]]:
    """Responses and matches per kern and per theme in the period.

    Returns ``{"kern": {kern: {"responses": n, "matches": n}}, "theme": {...}}``; a listing
    or match with several themes counts once under each. Unknown kern: ``"onbekend"``.
    """
    low, high = _bounds(start, end)
    out: dict[str, dict[str, dict[str, int]]] = {"kern": {}, "theme": {}}

    def add(group: str, key: str, what: str) -> None:
        row = out[group].setdefault(key, {"responses": 0, "matches": 0})
        row[what] += 1

    rows = session.execute(select(VolunteerListing.kern, VolunteerListing.themes)
                           .join(Response, Response.listing_id == VolunteerListing.id)
                           .where(_within(Response.interested_at, low, high))).all()
    for kern, themes in rows:
        add("kern", kern or "onbekend", "responses")
        for theme in themes or ["overig"]:
            add("theme", theme, "responses")
    for kern, themes in session.execute(select(Match.kern, Match.themes).where(
            _within(Match.started_at, low, high))).all():
        add("kern", kern or "onbekend", "matches")
        for theme in themes or ["overig"]:
            add("theme", theme, "matches")
    for group in out.values():
        for key in sorted(group):
            group[key] = group.pop(key)
    return out


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def years_figures(session: Session, year: int) -> dict[int, dict[str, int]]:
    """The figures of ``year`` and the two years before it (oldest first)."""
    return {y: period_figures(session, *year_bounds(y)) for y in (year - 2, year - 1, year)}


def suppress(value: int) -> str:
    """A count for an export: 1 to 4 become ``<5``."""
    return f"<{SUPPRESS_BELOW}" if 0 < value < SUPPRESS_BELOW else str(value)


def figures_csv(session: Session, year: int) -> str:
    """CSV of the three years' figures and the year's breakdowns, small counts suppressed.

    Columns: ``section,key,<year-2>,<year-1>,<year>``; breakdown rows (``kern``, ``theme``)
    carry the year's responses and matches only.
    """
    figures = years_figures(session, year)
    years = sorted(figures)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["section", "key", *map(str, years)])
    for key in FIGURE_KEYS:
        writer.writerow(["totaal", key, *(suppress(figures[y][key]) for y in years)])
    detail = breakdown(session, *year_bounds(year))
    writer.writerow([])
    writer.writerow(["section", "key", f"responses {year}", f"matches {year}"])
    for group in ("kern", "theme"):
        for key, row in detail[group].items():
            writer.writerow([group, key, suppress(row["responses"]), suppress(row["matches"])])
    return buffer.getvalue()
