"""Indicators per opgave for the yearly accountability (verantwoording): each figure for the
chosen period beside the same figure for the two previous years, as the municipality asks.

Where the numbers come from:

* *active listings*: listings whose status was ``active`` on the last day of the period. The
  status on a past day is read back from the audit trail (``change_record``): the ``before``
  state of the first change after that day, else the current status;
* *new listings*: added (``created_at``) in the period; *ended listings*: an audited change in
  the period took them from ``active`` to another status;
* *courses and sessions held*: course sessions (schedules with a start and an end) that
  started in the period, not cancelled, not in the future; *places offered*: their places;
  *participants*: what providers entered for those sessions in the portal;
* *listings per kern*: active listings with a location in each kern;
* *searches and clicks*: searches about the opgave's levensgebieden, clicks on its listings;
* volunteer-platform figures from ``sociale_kaart.volunteer.indicators`` when that exists.
"""

from __future__ import annotations

import importlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ChangeRecord, CourseParticipation, Schedule, ServiceAtLocation
from ..models.insight import Opgave
from . import searches
from .listings import ListingFacts
from .opgaven import categories_of_terms, matches_terms

log = logging.getLogger(__name__)

#: Audit actions whose ``after`` never reached the published listing.
NOT_APPLIED = ("conflict", "reject")
#: The figures per opgave, in table order, with their Dutch labels.
FIGURES = (
    ("active", _l("Actief aanbod")),
    ("new", _l("Nieuw aanbod")),
    ("ended", _l("Beëindigd aanbod")),
    ("courses", _l("Cursussen gegeven")),
    ("sessions", _l("Cursusdata gegeven")),
    ("places", _l("Plaatsen aangeboden")),
    ("participants", _l("Deelnemers")),
    ("searches", _l("Zoekopdrachten")),
    ("clicks", _l("Kliks op aanbod")),
)
VOLUNTEER_FIGURES = (
    ("volunteers_active", _l("Actieve vrijwilligers")),
    ("volunteers_new", _l("Nieuwe vrijwilligers")),
    ("help_seekers", _l("Hulpvragers")),
    ("organisations_with_vacancy", _l("Organisaties met een vacature")),
    ("matches", _l("Matches")),
    ("matches_online", _l("Matches online")),
    ("matches_brokered", _l("Matches via bemiddeling")),
    ("durable_matches", _l("Duurzame matches")),
    ("responses", _l("Reacties")),
)


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def years_back(self, years: int) -> Period:
        return Period(_shift(self.start, years), _shift(self.end, years))

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def _shift(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def periods(period: Period) -> list[Period]:
    """The period and the same period one and two years earlier."""
    return [period, period.years_back(1), period.years_back(2)]


@dataclass
class OpgaveIndicators:
    opgave: str
    terms: list[str]
    #: figure key → [this period, a year earlier, two years earlier]
    figures: dict[str, list[int | None]] = field(default_factory=dict)
    #: kern → [three periods] of active listings with a location there
    per_kern: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Indicators:
    periods: list[Period]
    opgaven: list[OpgaveIndicators]
    volunteer: dict[str, list[int]] | None


class StatusHistory:
    """A listing's status on any past day, from the audit trail."""

    def __init__(self, session: Session) -> None:
        self.changes: dict[str, list[tuple[datetime, str | None, str | None]]] = \
            defaultdict(list)
        for service_id, at, before, after in session.execute(
                select(ChangeRecord.service_id, ChangeRecord.at, ChangeRecord.before,
                       ChangeRecord.after)
                .where(ChangeRecord.action.not_in(NOT_APPLIED))
                .order_by(ChangeRecord.at, ChangeRecord.id)):
            self.changes[service_id].append((at, _status(before), _status(after)))

    def status_on(self, listing: ListingFacts, day: date) -> str | None:
        if listing.created_at.date() > day:
            return None
        for at, before, _after in self.changes.get(listing.id, []):
            if at.date() > day:
                return before
        return listing.status

    def ended_between(self, listing: ListingFacts, start: date, end: date) -> bool:
        return any(start <= at.date() <= end and before == "active" and after != "active"
                   for at, before, after in self.changes.get(listing.id, []))


def _status(state: dict | None) -> str | None:
    if not state:
        return None
    return state.get("status") or "active"


@dataclass
class SessionFacts:
    schedule_id: str
    service_id: str
    start: date
    places: int | None
    cancelled: bool


def load_sessions(session: Session) -> list[SessionFacts]:
    rows = session.execute(
        select(Schedule.id, Schedule.service_id, ServiceAtLocation.service_id, Schedule.dtstart,
               Schedule.places, Schedule.cancelled)
        .outerjoin(ServiceAtLocation, Schedule.service_at_location_id == ServiceAtLocation.id)
        .where(Schedule.dtstart.is_not(None), Schedule.until.is_not(None)))
    return [SessionFacts(sid, svc or sal_svc, start, places, bool(cancelled))
            for sid, svc, sal_svc, start, places, cancelled in rows if (svc or sal_svc)]


def participants_by_schedule(session: Session) -> dict[str, int]:
    return dict(session.execute(select(CourseParticipation.schedule_id,
                                       CourseParticipation.participants)).all())


def listing_figures(listings: list[ListingFacts], history: StatusHistory,
                    sessions: list[SessionFacts], participants: dict[str, int],
                    period: Period, today: date) -> dict[str, int]:
    """The listing-based figures of one period for these listings."""
    ids = {listing.id for listing in listings}
    held = [s for s in sessions if s.service_id in ids and not s.cancelled
            and period.start <= s.start <= min(period.end, today)]
    return {
        "active": sum(1 for x in listings if history.status_on(x, period.end) == "active"),
        "new": sum(1 for x in listings if period.start <= x.created_at.date() <= period.end),
        "ended": sum(1 for x in listings if history.ended_between(x, period.start, period.end)),
        "courses": len({s.service_id for s in held}),
        "sessions": len(held),
        "places": sum(s.places or 0 for s in held),
        "participants": sum(participants.get(s.schedule_id, 0) for s in held),
    }


def volunteer_figures(session: Session, spans: list[Period]) -> dict[str, list[int]] | None:
    """The volunteer platform's figures per period, or None when the platform is absent."""
    try:
        module = importlib.import_module("sociale_kaart.volunteer.indicators")
    except ImportError:
        return None
    function = getattr(module, "period_figures", None)
    if function is None:
        return None
    try:
        per_period = [function(session, p.start, p.end) for p in spans]
    except Exception:  # noqa: BLE001 - show the rest of the page
        log.exception("volunteer figures could not be computed")
        return None
    keys = [key for key, _label in VOLUNTEER_FIGURES]
    keys += sorted({k for figures in per_period for k in figures} - set(keys))
    return {key: [int(figures.get(key, 0)) for figures in per_period] for key in keys}


def indicators(session: Session, listings: list[ListingFacts], opgaven: list[Opgave],
               period: Period, today: date, kernen: list[str]) -> Indicators:
    """Every figure of every opgave for the period and the two years before it."""
    spans = periods(period)
    history = StatusHistory(session)
    sessions = load_sessions(session)
    participants = participants_by_schedule(session)
    result = []
    for opgave in opgaven:
        terms = list(opgave.terms or [])
        chosen = [x for x in listings if matches_terms(terms)(x)]
        ids = {x.id for x in chosen}
        codes = categories_of_terms(terms)
        row = OpgaveIndicators(opgave.name, terms)
        per_period = [listing_figures(chosen, history, sessions, participants, span, today)
                      for span in spans]
        for span, figures in zip(spans, per_period, strict=True):
            figures["searches"] = searches.searches_for_categories(
                session, span.start, span.end, codes)
            figures["clicks"] = searches.clicks_on(session, span.start, span.end, ids)
        row.figures = {key: [figures[key] for figures in per_period] for key, _ in FIGURES}
        for kern in kernen:
            row.per_kern[kern] = [
                sum(1 for x in chosen if history.status_on(x, span.end) == "active"
                    and any(p.kern == kern for p in x.points))
                for span in spans]
        result.append(row)
    return Indicators(spans, result, volunteer_figures(session, spans))
