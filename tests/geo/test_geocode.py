"""Locations get kern, municipality and coordinates offline."""

from __future__ import annotations

import pytest

from sociale_kaart.geo.gazetteer import default_gazetteer, haversine_km
from sociale_kaart.geo.geocode import Geocoder
from sociale_kaart.models import Address, Location


def location(postcode: str | None, city: str | None, region: str | None = None,
             lat: float | None = None, lon: float | None = None) -> Location:
    loc = Location(id="loc", latitude=lat, longitude=lon)
    if postcode or city:
        loc.addresses = [Address(id="a", address_1="Dorpsstraat 1", city=city or "",
                                 region=region, state_province="Noord-Brabant",
                                 postal_code=postcode or "", country="NL",
                                 address_type="physical")]
    return loc


@pytest.mark.parametrize(("postcode", "city", "kern", "municipality", "source"), [
    ("4251 AB", "Werkendam", "Werkendam", "Altena", "pc4"),
    ("5481", "Schijndel", "Schijndel", "Meierijstad", "pc4"),
    ("", "Sleeuwijk", "Sleeuwijk", "Altena", "place"),
    ("5468 XX", "Veghel", "Veghel", "Meierijstad", "place"),  # PC4 missing from GeoNames
])
def test_missing_coordinates_come_from_postcode_or_place(postcode, city, kern, municipality,
                                                         source):
    loc = location(postcode, city)
    Geocoder().enrich(loc)
    assert (loc.kern, loc.municipality, loc.geocode_source) == (kern, municipality, source)
    place = default_gazetteer().by_place(kern, municipality)
    assert haversine_km(loc.latitude, loc.longitude, place.lat, place.lon) < 10


def test_source_coordinates_are_kept():
    loc = location("4251 AB", "Werkendam", "Altena", 51.8, 4.9)
    Geocoder().enrich(loc)
    assert (loc.latitude, loc.longitude, loc.geocode_source) == (51.8, 4.9, "source")


def test_unknown_place_gets_no_point_and_does_not_fail():
    loc = location("", "Nergenshuizen")
    Geocoder().enrich(loc)
    assert loc.latitude is None and loc.geocode_source is None
    assert loc.kern == "Nergenshuizen"


@pytest.mark.parametrize(("text", "name", "kind"), [
    ("4251", "Werkendam", "pc4"),
    ("4251ab", "Werkendam", "pc4"),
    ("Altena", "Altena", "municipality"),
    ("Sint-Oedenrode", "Sint-Oedenrode", "place"),
    ("st oedenrode", "Sint-Oedenrode", "place"),
    ("den bosch", "'s-Hertogenbosch", "place"),
])
def test_gazetteer_resolves_what_people_type(text, name, kind):
    place = default_gazetteer().resolve(text)
    assert (place.name, place.kind) == (name, kind)
