"""The facts about every listing that coverage, indicators and data quality read, loaded in a
handful of queries (not one per listing), so the insight pages stay fast at 100k listings.

A plain dataclass per listing keeps the calculations free of SQLAlchemy, which makes them easy
to test with hand-made listings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..geo.gazetteer import default_gazetteer
from ..models import (
    Attribute,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
)
from ..search.documents import facets_of


@dataclass
class Point:
    lat: float
    lon: float
    kern: str | None
    municipality: str | None


@dataclass
class ListingFacts:
    id: str
    name: str
    organization_id: str
    organization: str
    status: str
    created_at: datetime
    assured_date: date | None
    last_modified: datetime | None
    categories: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    #: Municipalities of the service areas: the listing works at home, by phone or online there.
    areas: list[str] = field(default_factory=list)
    has_contact: bool = False
    has_hours: bool = False
    has_location: bool = False

    @property
    def active(self) -> bool:
        return self.status == "active"

    def terms(self) -> set[str]:
        """Every ``facet:code`` of the listing (what the opgaven table maps)."""
        return ({f"levensgebied:{c}" for c in self.categories}
                | {f"thema:{c}" for c in self.themes}
                | {f"soort:{c}" for c in self.types}
                | {f"doelgroep:{c}" for c in self.audiences})


def load_listings(session: Session, *, batch_size: int = 1000) -> list[ListingFacts]:
    """Every listing (any status) with the facts above."""
    gazetteer = default_gazetteer()
    ids = list(session.scalars(select(Service.id).order_by(Service.id)))
    result: list[ListingFacts] = []
    for start in range(0, len(ids), batch_size):
        batch = ids[start:start + batch_size]
        services = session.scalars(select(Service).where(Service.id.in_(batch)).options(
            selectinload(Service.phones), selectinload(Service.schedules),
            selectinload(Service.service_areas),
            selectinload(Service.organization).selectinload(Organization.phones),
            selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.phones),
            selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.schedules),
            selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
            .selectinload(Location.phones),
            selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
            .selectinload(Location.schedules)))
        attributes: dict[str, list[Attribute]] = {}
        for attribute in session.scalars(select(Attribute).where(
                Attribute.link_entity == "service", Attribute.link_id.in_(batch))):
            attributes.setdefault(attribute.link_id, []).append(attribute)
        for service in services:
            result.append(_facts(service, attributes.get(service.id, []), gazetteer))
        session.expunge_all()
    return result


def _facts(service: Service, attributes: list[Attribute], gazetteer) -> ListingFacts:
    facets = facets_of(attributes)
    org = service.organization
    sals = [sal for sal in service.service_at_locations if sal.location is not None]
    locations = [sal.location for sal in sals]
    points = [Point(loc.latitude, loc.longitude, loc.kern, loc.municipality)
              for loc in locations if loc.has_point and loc.location_type != "virtual"]
    areas = []
    for area in service.service_areas:
        name = area.municipality or gazetteer.municipality_name(area.name)
        if name and name not in areas:
            areas.append(name)
    phones = list(service.phones) + (list(org.phones) if org else [])
    phones += [p for sal in sals for p in sal.phones]
    phones += [p for loc in locations for p in loc.phones]
    emails = [service.email, org.email if org else None]
    schedules = list(service.schedules) + [s for sal in sals for s in sal.schedules]
    schedules += [s for loc in locations for s in loc.schedules]
    return ListingFacts(
        id=service.id, name=service.name, organization_id=service.organization_id,
        organization=org.name if org else "", status=service.status,
        created_at=service.created_at, assured_date=service.assured_date,
        last_modified=service.last_modified,
        categories=list(facets.categories), themes=list(facets.themes),
        types=list(facets.types), audiences=list(facets.audiences),
        points=points, areas=areas,
        has_contact=bool(phones) or any(emails),
        has_hours=bool(schedules),
        has_location=bool(locations) or bool(areas))
