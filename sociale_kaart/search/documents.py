"""A service as the search index sees it: the one place that turns a listing into a document.

Text goes into weighted fields (name, categories, organization, description, details); facets,
dates, ages and points go into a compact ``meta`` record that the engine keeps in memory per
index segment for fast filters, facets and distances. Results are served from stored fields, so
a search never touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import Attribute, Location, Service, ServiceAtLocation
from ..services.taxonomy import term_by_id, terms_by_facet

SUMMARY_CHARS = 160
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass
class ServiceFacets:
    categories: list[str]
    themes: list[str]
    types: list[str]
    access: list[str]
    costs: list[str]
    audiences: list[str]
    other_terms: list[str]  # names of imported terms that are not ours


def summary_of(text: str | None) -> str:
    """The first sentence, cut at a word boundary; providers often start with the gist."""
    text = " ".join((text or "").split())
    if not text:
        return ""
    first = SENTENCE_END.split(text, maxsplit=1)[0]
    if len(first) <= SUMMARY_CHARS:
        return first
    cut = first[:SUMMARY_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + " …"


def facets_of(attributes: Iterable[Attribute]) -> ServiceFacets:
    ours = term_by_id()
    found: dict[str, list[str]] = {"levensgebied": [], "thema": [], "soort": [], "toegang": [],
                                   "kosten": [], "doelgroep": []}
    other: list[str] = []
    for attribute in attributes:
        term = ours.get(attribute.taxonomy_term_id)
        if term is not None:
            if term.code not in found[term.facet]:
                found[term.facet].append(term.code)
        elif attribute.taxonomy_term is not None:
            other.append(attribute.taxonomy_term.name)
    # A levensgebied implies its thema (opgave), so theme filters work without extra tagging.
    for code in found["levensgebied"]:
        theme = terms_by_facet()["levensgebied"][code].theme
        if theme and theme not in found["thema"]:
            found["thema"].append(theme)
    return ServiceFacets(found["levensgebied"], found["thema"], found["soort"], found["toegang"],
                         found["kosten"], found["doelgroep"], other)


def _weekly_slots(service: Service, is_course: bool) -> list[list]:
    """Opening slots as ``[weekday, open_minute, close_minute]`` (close may pass midnight)."""
    slots = []
    schedules = list(service.schedules)
    for sal in service.service_at_locations:
        schedules.extend(sal.schedules)
        schedules.extend(sal.location.schedules)
    for schedule in schedules:
        if is_course and schedule.is_course_session:
            continue  # course dates are not opening hours
        opens = schedule.opens_at
        closes = schedule.closes_at
        open_minute = opens.hour * 60 + opens.minute if opens else 0
        close_minute = closes.hour * 60 + closes.minute if closes else 24 * 60
        if closes is not None and close_minute <= open_minute:
            close_minute += 24 * 60  # runs past midnight
        days = schedule.weekdays or (["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
                                     if schedule.freq == "WEEKLY" and not schedule.byday else [])
        for day in days:
            slots.append(["MO TU WE TH FR SA SU".split().index(day), open_minute, close_minute])
    return slots


def _course_dates(service: Service) -> tuple[date | None, date | None, int | None]:
    """(next start, last end, places) over the service's course sessions that are not
    cancelled; None when it has no dated sessions."""
    sessions = [s for s in service.schedules if s.is_course_session and not s.cancelled]
    if not sessions:
        return None, None, None
    start = min(s.dtstart for s in sessions)
    end = max(s.until for s in sessions)
    places = [s.places_left if s.places_left is not None else s.places for s in sessions]
    known = [p for p in places if p is not None]
    return start, end, (sum(known) if known else None)


def build_document(service: Service, attributes: list[Attribute]) -> dict:
    """The index document of one service."""
    facets = facets_of(attributes)
    is_course = "cursus" in facets.types
    our = terms_by_facet()
    locations: list[Location] = [sal.location for sal in service.service_at_locations]
    points = [[round(loc.latitude, 5), round(loc.longitude, 5)] for loc in locations
              if loc.has_point]
    municipalities = sorted({loc.municipality for loc in locations if loc.municipality})
    kernen = sorted({loc.kern for loc in locations if loc.kern})
    areas = sorted({a.municipality for a in service.service_areas if a.municipality})
    languages = sorted({(lang.code or "").lower() for lang in service.languages if lang.code})
    start, end, places = _course_dates(service) if is_course else (None, None, None)

    category_text = []
    for code in facets.categories:
        term = our["levensgebied"][code]
        category_text += [term.name, term.description]
    for code in facets.types:
        category_text.append(our["soort"][code].name)
    for code in facets.audiences:
        category_text.append(our["doelgroep"][code].name)
    category_text += facets.other_terms

    details = [service.alternate_name, service.application_process,
               service.eligibility_description, service.fees_description]
    details += [s.description for s in service.schedules]
    details += [sal.description for sal in service.service_at_locations]
    details += [loc.name for loc in locations]
    details += [a.description for loc in locations for a in loc.accessibility]

    summary = summary_of(service.description)
    meta = {
        # Temporarily closed listings stay findable, with their alert as a banner.
        "active": service.status in ("active", "temporarily closed"),
        "status": service.status,
        "categories": facets.categories,
        "themes": facets.themes,
        "types": facets.types,
        "access": facets.access,
        "costs": facets.costs,
        "audiences": facets.audiences,
        "municipalities": municipalities,
        "kernen": kernen,
        "areas": areas,
        "languages": languages,
        "points": points,
        "age": [service.minimum_age, service.maximum_age],
        "course": [start.isoformat() if start else None, end.isoformat() if end else None,
                   places] if is_course else None,
        "slots": _weekly_slots(service, is_course),
        "assured": service.assured_date.isoformat() if service.assured_date else None,
        "modified": service.last_modified.isoformat() if service.last_modified else None,
    }
    return {
        "id": service.id,
        "name": service.name,
        "categories_text": " ".join(t for t in category_text if t),
        "organization": service.organization.name if service.organization else "",
        "description": service.description or "",
        "details": " ".join(t for t in details if t),
        "places_text": " ".join(kernen + municipalities + areas),
        "organization_id": service.organization_id,
        "summary": summary,
        # Whoosh pickles stored fields anyway; a dict saves a JSON decode per listing on open.
        "meta": meta,
    }


VOCABULARY_MIN_LISTINGS = 2
VOCABULARY_MIN_LENGTH = 6
WORD_RE = re.compile(r"[^\W\d_]+")


def listing_vocabulary(session: Session) -> list[str]:
    """Words of the listings' names and descriptions that the shipped lexicon lacks and that
    occur in at least two listings: local compounds and names ("repaircafe", "schuldhulp")
    become usable as compound parts. Saved with the index at each rebuild."""
    from .analysis import fold
    from .compounds import load_default_splitter

    splitter = load_default_splitter()
    listings: dict[str, int] = {}
    for name, description in session.execute(select(Service.name, Service.description)):
        words = {fold(w) for w in WORD_RE.findall(f"{name} {description or ''}")
                 if len(w) >= VOCABULARY_MIN_LENGTH}
        for word in words:
            listings[word] = listings.get(word, 0) + 1
    return sorted(w for w, n in listings.items()
                  if n >= VOCABULARY_MIN_LISTINGS and not splitter.is_shipped(w))


def _load_options():
    return (
        selectinload(Service.organization),
        selectinload(Service.schedules),
        selectinload(Service.service_areas),
        selectinload(Service.languages),
        selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.schedules),
        selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
        .selectinload(Location.schedules),
        selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
        .selectinload(Location.accessibility),
        selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
        .selectinload(Location.addresses),
    )


def documents_for(session: Session, service_ids: Iterable[str] | None = None,
                  batch_size: int = 500) -> Iterator[tuple[str, dict | None]]:
    """Yield ``(id, document)`` per service; ``None`` as document when the service is gone.

    With ``service_ids=None`` every service is yielded (an index rebuild), in batches so the
    memory stays flat at 100k listings.
    """
    if service_ids is None:
        ids = list(session.scalars(select(Service.id).order_by(Service.id)))
    else:
        ids = sorted(set(service_ids))
    for start in range(0, len(ids), batch_size):
        batch = ids[start:start + batch_size]
        services = {s.id: s for s in session.scalars(
            select(Service).where(Service.id.in_(batch)).options(*_load_options()))}
        attributes: dict[str, list[Attribute]] = {}
        for attribute in session.scalars(select(Attribute).where(
                Attribute.link_entity == "service", Attribute.link_id.in_(batch))
                .options(selectinload(Attribute.taxonomy_term))):
            attributes.setdefault(attribute.link_id, []).append(attribute)
        for service_id in batch:
            service = services.get(service_id)
            yield service_id, (build_document(service, attributes.get(service_id, []))
                               if service else None)
        session.expunge_all()


