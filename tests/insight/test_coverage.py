"""Coverage per kern in a test municipality of three kernen with hand-placed listings,
including a home-visit service that covers every kern of its service area."""

from __future__ import annotations

import math
import uuid
from datetime import datetime

import pytest

from sociale_kaart.geo.gazetteer import Place
from sociale_kaart.insight.coverage import coverage, white_spots
from sociale_kaart.insight.listings import load_listings
from sociale_kaart.insight.opgaven import matches_terms
from sociale_kaart.models import (
    Attribute,
    Location,
    Organization,
    Service,
    ServiceArea,
    ServiceAtLocation,
)
from sociale_kaart.services.taxonomy import ensure_taxonomies, terms_by_facet

MUNI = "Testgemeente"
#: Kern A and B lie 0.07 degrees of longitude apart (about 4.8 km at this latitude); C lies
#: 0.1 degrees of latitude (about 11.1 km) north of A.
KERNEN = [Place("Aadorp", "place", MUNI, "Noord-Brabant", 51.80, 4.90, 1200),
          Place("Beekdorp", "place", MUNI, "Noord-Brabant", 51.80, 4.97, 800),
          Place("Cestrum", "place", MUNI, "Noord-Brabant", 51.90, 4.90, None)]
#: name, levensgebied, (lat, lon, kern) or None, service area, status
LISTINGS = [
    ("Mantelzorgpunt Aadorp", "mantelzorg", (51.80, 4.90, "Aadorp"), None, "active"),
    ("Buurtkamer Beekdorp", "ontmoeting", (51.80, 4.98, "Beekdorp"), None, "active"),
    ("Mantelzorg aan huis", "mantelzorg", None, MUNI, "active"),
    ("Dorpshuis Cestrum (gesloten)", "ontmoeting", (51.90, 4.90, "Cestrum"), None, "inactive"),
]
DISTANCE = 5.0


def km(lat1, lon1, lat2, lon2) -> float:
    """An independent great-circle distance (spherical law of cosines)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    cosine = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6371.0088 * math.acos(min(1.0, cosine))


@pytest.fixture
def listings(db):
    with db.session() as session:
        ensure_taxonomies(session)
        org = Organization(id=str(uuid.uuid4()), name="Welzijn Test", description="")
        session.add(org)
        for name, code, point, area, status in LISTINGS:
            service = Service(id=str(uuid.uuid4()), organization_id=org.id, name=name,
                              status=status, created_at=datetime(2025, 1, 1))
            session.add(service)
            session.flush()
            session.add(Attribute(id=str(uuid.uuid4()), link_id=service.id,
                                  link_entity="service", link_type="levensgebied",
                                  taxonomy_term_id=terms_by_facet()["levensgebied"][code].id))
            if point:
                location = Location(id=str(uuid.uuid4()), latitude=point[0], longitude=point[1],
                                    kern=point[2], municipality=MUNI)
                session.add(location)
                session.add(ServiceAtLocation(id=str(uuid.uuid4()), service_id=service.id,
                                              location_id=location.id))
            if area:
                session.add(ServiceArea(id=str(uuid.uuid4()), service_id=service.id,
                                        name=area, municipality=area))
    with db.session() as session:
        return load_listings(session)


def expected(code: str | None):
    """(in kern, within, at home, nearest km, white spot) per kern, computed from LISTINGS."""
    result = {}
    for kern in KERNEN:
        in_kern = within = at_home = 0
        nearest = None
        for _name, lg, point, area, status in LISTINGS:
            if status != "active" or (code and lg != code):
                continue
            reachable = False
            if point:
                d = km(kern.lat, kern.lon, point[0], point[1])
                nearest = d if nearest is None else min(nearest, d)
                reachable = d <= DISTANCE
                in_kern += point[2] == kern.name
            if area == MUNI:
                at_home += 1
                reachable = True
            within += reachable
        result[kern.name] = (in_kern, within, at_home,
                             None if nearest is None else round(nearest, 1), within == 0)
    return result


@pytest.mark.parametrize("code", [None, "mantelzorg", "ontmoeting"])
def test_counts_distances_and_white_spots(listings, code):
    chosen = matches_terms([f"levensgebied:{code}"]) if code else (lambda _listing: True)
    rows = coverage(listings, KERNEN, DISTANCE, chosen)
    got = {r.kern: (r.in_kern, r.within, r.at_home, r.nearest_km, r.within == 0) for r in rows}
    assert got == expected(code)


def test_hand_computed_values(listings):
    """The same figures spelled out, so a reader can check them on a map."""
    rows = {r.kern: r for r in coverage(listings, KERNEN, DISTANCE)}
    assert (rows["Aadorp"].in_kern, rows["Aadorp"].within, rows["Aadorp"].at_home) == (1, 2, 1)
    assert rows["Aadorp"].nearest_km == 0.0
    assert (rows["Beekdorp"].in_kern, rows["Beekdorp"].within) == (1, 3)  # Aadorp is 4.8 km
    assert rows["Beekdorp"].nearest_km == 0.7
    # Cestrum: only the home-visit service (the closed dorpshuis does not count).
    assert (rows["Cestrum"].in_kern, rows["Cestrum"].within, rows["Cestrum"].at_home) == \
        (0, 1, 1)
    assert rows["Cestrum"].nearest_km == 11.1
    assert rows["Cestrum"].population is None and rows["Aadorp"].population == 1200
    meeting = coverage(listings, KERNEN, DISTANCE, matches_terms(["levensgebied:ontmoeting"]))
    assert [r.kern for r in white_spots(meeting)] == ["Aadorp", "Cestrum"]
    assert {r.kern: r.level for r in meeting} == {"Aadorp": "geen", "Beekdorp": "weinig",
                                                 "Cestrum": "geen"}


def test_home_visit_service_covers_every_kern(listings):
    at_home = matches_terms(["levensgebied:mantelzorg"])
    rows = coverage([x for x in listings if not x.points], KERNEN, DISTANCE, at_home)
    assert [(r.kern, r.within, r.at_home, r.nearest_km) for r in rows] == [
        ("Aadorp", 1, 1, None), ("Beekdorp", 1, 1, None), ("Cestrum", 1, 1, None)]
    assert white_spots(rows) == []


def test_a_larger_distance_fills_white_spots(listings):
    meeting = matches_terms(["levensgebied:ontmoeting"])
    assert white_spots(coverage(listings, KERNEN, 15.0, meeting)) == []
