"""Reading one listing for display: the service with everything a resident needs, in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from flask_babel import gettext, lazy_gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import term_name
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

# The same words, translatable (lazy: they are read in the language of the request).
_DAY_TEXT = {"MO": lazy_gettext("maandag"), "TU": lazy_gettext("dinsdag"),
             "WE": lazy_gettext("woensdag"), "TH": lazy_gettext("donderdag"),
             "FR": lazy_gettext("vrijdag"), "SA": lazy_gettext("zaterdag"),
             "SU": lazy_gettext("zondag")}
_ORDINAL_TEXT = {"1": lazy_gettext("eerste"), "2": lazy_gettext("tweede"),
                 "3": lazy_gettext("derde"), "4": lazy_gettext("vierde"),
                 "-1": lazy_gettext("laatste")}
_MONTH_TEXT = [lazy_gettext("januari"), lazy_gettext("februari"), lazy_gettext("maart"),
               lazy_gettext("april"), lazy_gettext("mei"), lazy_gettext("juni"),
               lazy_gettext("juli"), lazy_gettext("augustus"), lazy_gettext("september"),
               lazy_gettext("oktober"), lazy_gettext("november"), lazy_gettext("december")]
WORKDAYS = ["MO", "TU", "WE", "TH", "FR"]


def month_name(month: int) -> str:
    """The month's name (1 = January) in the current language."""
    return str(_MONTH_TEXT[month - 1])


def day_name(code: str) -> str:
    """'WE' → 'woensdag' (or 'Wednesday'); an unknown code as it is."""
    text = _DAY_TEXT.get(code)
    return str(text) if text is not None else code


def join_and(items: list[str]) -> str:
    """'a', 'a en b', 'a, b en c' (or with 'and')."""
    if len(items) <= 1:
        return "".join(items)
    return gettext("%(list)s en %(last)s", list=", ".join(items[:-1]), last=items[-1])


def format_time(value: time | None) -> str:
    return f"{value.hour}.{value.minute:02d}" if value else ""


def format_date(value: date | None) -> str:
    if not value:
        return ""
    return gettext("%(day)s %(month)s %(year)s", day=value.day, month=month_name(value.month),
                   year=value.year)


def describe_schedule(schedule: Schedule) -> str:
    """Opening hours as people say them: "elke woensdag 9.30–11.30 uur",
    "elke derde dinsdag van de maand 14.00–16.00 uur" (in English "every Wednesday
    9.30–11.30", "every third Tuesday of the month 14.00–16.00")."""
    times = ""
    if schedule.opens_at and schedule.closes_at:
        # Translators: opening times, e.g. "9.30–11.30 uur" (English: "9.30–11.30").
        times = " " + gettext("%(opens)s–%(closes)s uur", opens=format_time(schedule.opens_at),
                              closes=format_time(schedule.closes_at))
    elif schedule.opens_at:
        times = " " + gettext("vanaf %(opens)s uur", opens=format_time(schedule.opens_at))
    parts = [p.strip().upper() for p in (schedule.byday or "").split(",") if p.strip()]
    if schedule.freq == "MONTHLY" and parts:
        phrases = []
        for part in parts:
            ordinal, day = part[:-2], part[-2:]
            ordinal_text = _ORDINAL_TEXT.get(ordinal)
            # Translators: "derde dinsdag" (the third Tuesday of the month).
            phrases.append(gettext("%(ordinal)s %(day)s",
                                   ordinal=str(ordinal_text) if ordinal_text else ordinal,
                                   day=day_name(day)))
        # Translators: "elke derde dinsdag van de maand" (every third Tuesday of the month).
        return gettext("elke %(days)s van de maand", days=join_and(phrases)) + times
    codes = [p[-2:] for p in parts]
    days = [day_name(p[-2:]) if p[-2:] in _DAY_TEXT else p for p in parts]
    if codes == WORKDAYS:
        text = gettext("maandag tot en met vrijdag")
    elif len(days) == 7:
        text = gettext("elke dag")
    elif days:
        if schedule.interval and schedule.interval > 1 and schedule.freq == "WEEKLY":
            # Translators: "om de 2 weken op woensdag" (every 2 weeks on Wednesday).
            text = gettext("om de %(weeks)s weken op %(days)s", weeks=schedule.interval,
                           days=join_and(days))
        else:
            # Translators: "elke woensdag", "elke maandag en donderdag".
            text = gettext("elke %(days)s", days=join_and(days))
    else:
        text = schedule.description or ""
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
        return [(code, term_name(terms[facet][code])) for code in codes if code in terms[facet]]

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
