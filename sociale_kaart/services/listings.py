"""Reading one listing for display: the service with everything a resident needs, in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Attribute, Schedule, Service
from ..search.documents import facets_of
from .taxonomy import terms_by_facet

DAY_NAMES = {"MO": "maandag", "TU": "dinsdag", "WE": "woensdag", "TH": "donderdag",
             "FR": "vrijdag", "SA": "zaterdag", "SU": "zondag"}
DAY_PLURAL = {"MO": "maandag", "TU": "dinsdag", "WE": "woensdag", "TH": "donderdag",
              "FR": "vrijdag", "SA": "zaterdag", "SU": "zondag"}
ORDINALS = {"1": "eerste", "2": "tweede", "3": "derde", "4": "vierde", "-1": "laatste"}
MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december"]


def format_time(value: time | None) -> str:
    return f"{value.hour}.{value.minute:02d}" if value else ""


def format_date(value: date | None) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}" if value else ""


def describe_schedule(schedule: Schedule) -> str:
    """Opening hours as people say them: "elke woensdag 9.30–11.30 uur",
    "elke derde dinsdag van de maand 14.00–16.00 uur"."""
    times = ""
    if schedule.opens_at and schedule.closes_at:
        times = f" {format_time(schedule.opens_at)}–{format_time(schedule.closes_at)} uur"
    elif schedule.opens_at:
        times = f" vanaf {format_time(schedule.opens_at)} uur"
    parts = [p.strip().upper() for p in (schedule.byday or "").split(",") if p.strip()]
    if schedule.freq == "MONTHLY" and parts:
        phrases = []
        for part in parts:
            ordinal, day = part[:-2], part[-2:]
            phrases.append(f"{ORDINALS.get(ordinal, ordinal)} {DAY_NAMES.get(day, day)}")
        return f"elke {' en '.join(phrases)} van de maand{times}"
    days = [DAY_NAMES.get(p[-2:], p) for p in parts]
    if days == ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag"]:
        text = "maandag tot en met vrijdag"
    elif len(days) == 7:
        text = "elke dag"
    elif days:
        text = "elke " + (" en ".join([", ".join(days[:-1]), days[-1]]) if len(days) > 1
                          else days[0])
    else:
        text = schedule.description or ""
        return (text + times).strip()
    if schedule.interval and schedule.interval > 1 and schedule.freq == "WEEKLY":
        text = text.replace("elke ", f"om de {schedule.interval} weken op ", 1)
    return (text + times).strip()


@dataclass
class ListingView:
    service: Service
    categories: list[tuple[str, str]]
    type: tuple[str, str] | None
    access: tuple[str, str] | None
    cost: tuple[str, str] | None
    audiences: list[tuple[str, str]]
    opening_hours: list[str]
    courses: list[Schedule]


def load_listing(session: Session, service_id: str) -> ListingView | None:
    service = session.get(Service, service_id)
    if service is None:
        return None
    attributes = list(session.scalars(select(Attribute).where(
        Attribute.link_entity == "service", Attribute.link_id == service_id)))
    facets = facets_of(attributes)
    terms = terms_by_facet()

    def label(facet: str, codes: list[str]) -> list[tuple[str, str]]:
        return [(code, terms[facet][code].name) for code in codes if code in terms[facet]]

    is_course = "cursus" in facets.types
    schedules = list(service.schedules)
    for sal in service.service_at_locations:
        schedules += list(sal.schedules)
    courses = sorted((s for s in schedules if is_course and s.is_course_session),
                     key=lambda s: s.dtstart)
    hours = [describe_schedule(s) for s in schedules if s not in courses]
    first = lambda items: items[0] if items else None  # noqa: E731
    return ListingView(
        service=service,
        categories=label("levensgebied", facets.categories),
        type=first(label("soort", facets.types)),
        access=first(label("toegang", facets.access)),
        cost=first(label("kosten", facets.costs)),
        audiences=label("doelgroep", facets.audiences),
        opening_hours=[h for h in hours if h],
        courses=courses,
    )
