"""Upcoming course starts, for consultants' "Aankomende cursussen" page and the feeds.

The municipality's triage team wants to hear about a course in time to refer people to it. So
a course session is announced when it starts within :data:`ANNOUNCE_WEEKS` weeks, or when it
was added in the last :data:`NEW_DAYS` days (however far away its start is): a new course is
news even if it starts in half a year. Cancelled sessions, sessions that already started, and
sessions of listings that are not active are never announced.

A course session is a ``Schedule`` with a ``dtstart`` and an ``until`` on a listing whose
soort is ``cursus`` (see :mod:`sociale_kaart.models.schedule`). Schedules have no creation
date, so "added" is the first audit record (``change_record``) whose new state names the
session; listings from an import have none, so their ``created_at`` stands in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session

from ..models import (
    Address,
    Attribute,
    ChangeRecord,
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
)
from .taxonomy import terms_by_facet

#: A session starting within this many weeks is announced.
ANNOUNCE_WEEKS = 6
#: A session added this many days ago or less is announced, whenever it starts.
NEW_DAYS = 14
#: Audit actions whose ``after`` never reached the published listing (a save that lost a
#: conflict, a rejected proposal): they do not date a session. Same as
#: ``services.audit.NOT_APPLIED``, spelled out so this module does not depend on the portal.
NOT_APPLIED = ("conflict", "reject")


@dataclass
class CourseSession:
    """One announced session, with only public data (it feeds public feeds)."""

    schedule: Schedule
    service: Service
    location: Location | None
    added_on: date
    is_new: bool
    starts_soon: bool
    #: "Straat 1, 1234 AB Plaats", read while the database session is open.
    address: str

    @property
    def start(self) -> date:
        return self.schedule.dtstart  # type: ignore[return-value]

    @property
    def until(self) -> date:
        return self.schedule.until  # type: ignore[return-value]

    @property
    def places_left(self) -> int | None:
        if self.schedule.places_left is not None:
            return self.schedule.places_left
        return self.schedule.places


def _course_service_ids(session: Session, service_ids: set[str]) -> set[str]:
    cursus = terms_by_facet()["soort"].get("cursus")
    if cursus is None or not service_ids:
        return set()
    return set(session.scalars(select(Attribute.link_id).where(
        Attribute.link_entity == "service", Attribute.taxonomy_term_id == cursus.id,
        Attribute.link_id.in_(service_ids))))


def _added_on(session: Session, schedule: Schedule, service: Service) -> date:
    """The first audit record that shows the session, else when the listing was added."""
    records = session.execute(
        select(ChangeRecord.at, ChangeRecord.after)
        .where(ChangeRecord.service_id == service.id, ChangeRecord.action.not_in(NOT_APPLIED))
        .order_by(ChangeRecord.at, ChangeRecord.id))
    for at, after in records:
        if after and schedule.id in json.dumps(after):
            return at.date()
    return service.created_at.date()


def _address(location: Location | None) -> str:
    """The physical address (else the first one), else the location's name."""
    if location is None:
        return ""
    addresses: list[Address] = sorted(location.addresses,
                                      key=lambda a: a.address_type != "physical")
    if addresses:
        a = addresses[0]
        place = " ".join(p for p in (a.postal_code, a.city) if p)
        return ", ".join(p for p in (a.address_1, place) if p)
    return location.name or ""


def _location_of(schedule: Schedule, sal: ServiceAtLocation | None,
                 service: Service) -> Location | None:
    if sal is not None:
        return sal.location
    if schedule.location_id is not None:
        session = inspect(schedule).session
        if session is not None:
            return session.get(Location, schedule.location_id)
    locations = service.locations
    return locations[0] if locations else None


def upcoming_sessions(session: Session, today: date, *, weeks: int = ANNOUNCE_WEEKS,
                      new_days: int = NEW_DAYS) -> list[CourseSession]:
    """The sessions to announce on ``today``, by start date, then listing name."""
    horizon = today + timedelta(weeks=weeks)
    rows = session.execute(
        select(Schedule, ServiceAtLocation)
        .outerjoin(ServiceAtLocation, Schedule.service_at_location_id == ServiceAtLocation.id)
        .where(Schedule.dtstart.is_not(None), Schedule.until.is_not(None),
               Schedule.dtstart >= today, Schedule.cancelled.is_not(True),
               or_(Schedule.service_id.is_not(None), ServiceAtLocation.id.is_not(None)))
    ).all()
    service_ids = {schedule.service_id or sal.service_id for schedule, sal in rows}
    courses = _course_service_ids(session, service_ids)
    services = {s.id: s for s in session.scalars(select(Service).where(
        Service.id.in_(courses), Service.status == "active"))}
    result = []
    for schedule, sal in rows:
        service = services.get(schedule.service_id or sal.service_id)
        if service is None:
            continue
        added_on = _added_on(session, schedule, service)
        is_new = today - timedelta(days=new_days) <= added_on <= today
        starts_soon = schedule.dtstart <= horizon
        if not (is_new or starts_soon):
            continue
        location = _location_of(schedule, sal, service)
        result.append(CourseSession(schedule, service, location, added_on, is_new,
                                    starts_soon, _address(location)))
    result.sort(key=lambda c: (c.start, c.service.name.lower(), c.schedule.id))
    return result


# -- participants (issue 10: indicators per opgave) --------------------------------------------

#: More participants than this in one session is a typing error.
MAX_PARTICIPANTS = 10_000


def participants_for(session: Session, service_id: str) -> dict[str, int]:
    """schedule id → the number of participants the provider entered for that session."""
    from ..models import CourseParticipation

    return dict(session.execute(select(CourseParticipation.schedule_id,
                                       CourseParticipation.participants)
                                .where(CourseParticipation.service_id == service_id)).all())


def record_participants(session: Session, service_id: str, schedule_id: str, text: str,
                        today: date):
    """Store how many people took part in a session that has started; returns a Dutch error
    message (nothing stored) or None. Only a count: no names, nothing about the people."""
    from flask_babel import lazy_gettext as _l

    from ..models import CourseParticipation, utcnow

    schedule = session.get(Schedule, schedule_id)
    if schedule is None or schedule.service_id != service_id or not schedule.is_course_session:
        return _l("Deze cursusdatum bestaat niet (meer).")
    if schedule.dtstart > today:
        return _l("U kunt het aantal deelnemers invullen als de cursus begonnen is.")
    text = (text or "").strip()
    if not text.isdigit() or int(text) > MAX_PARTICIPANTS:
        return _l("Vul een heel getal in van 0 tot en met %(max)s.", max=MAX_PARTICIPANTS)
    row = session.get(CourseParticipation, schedule_id)
    if row is None:
        row = CourseParticipation(schedule_id=schedule_id, service_id=service_id,
                                  participants=int(text))
        session.add(row)
    row.participants = int(text)
    row.entered_at = utcnow()
    return None
