"""Giving locations a kern, a municipality and coordinates, offline by default.

Order of preference for the point: the source's own coordinates, then (only when the setting
``geocoder = nominatim`` is on) geopy's Nominatim for the street address, then the centre of the
PC4 area, then the centre of the kern. The kern and municipality come from the address when it
names a known place, else from the gazetteer.
"""

from __future__ import annotations

import logging

from ..models import Location
from .gazetteer import Gazetteer, default_gazetteer

log = logging.getLogger(__name__)


class Geocoder:
    def __init__(self, gazetteer: Gazetteer | None = None, online: bool = False,
                 user_agent: str = "sociale-kaart", timeout: float = 5.0) -> None:
        self.gazetteer = gazetteer or default_gazetteer()
        self.online = online
        self._nominatim = None
        if online:
            from geopy.geocoders import Nominatim  # optional, only when switched on

            self._nominatim = Nominatim(user_agent=user_agent, timeout=timeout)

    def enrich(self, location: Location) -> None:
        """Fill in ``kern``, ``municipality``, coordinates and ``geocode_source``."""
        address = location.physical_address
        postcode = self.gazetteer.by_postcode(address.postal_code) if address else None
        city = address.city if address else None
        region = address.region if address else None
        municipality = self.gazetteer.municipality_name(region) if region else None
        if municipality is None and postcode is not None:
            municipality = postcode.municipality
        place = self.gazetteer.by_place(city, municipality) if city else None
        if municipality is None and place is not None:
            municipality = place.municipality
        location.kern = place.name if place else (city or (postcode.name if postcode else None))
        location.municipality = municipality

        if location.has_point:
            location.geocode_source = "source"
            return
        if self._nominatim is not None and address is not None:
            point = self._online(address.address_1, address.postal_code, city)
            if point:
                location.latitude, location.longitude = point
                location.geocode_source = "nominatim"
                return
        best = postcode or place
        if best is not None:
            location.latitude, location.longitude = best.lat, best.lon
            location.geocode_source = "pc4" if best is postcode else "place"
        else:
            location.geocode_source = None

    def _online(self, street: str, postcode: str, city: str | None) -> tuple[float, float] | None:
        query = ", ".join(part for part in (street, postcode, city, "Nederland") if part)
        try:
            found = self._nominatim.geocode(query)
        except Exception as error:  # network trouble must never break an import
            log.warning("Nominatim failed for %r: %s; using the offline gazetteer", query, error)
            return None
        return (found.latitude, found.longitude) if found else None
