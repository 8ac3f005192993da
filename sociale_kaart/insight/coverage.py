"""Coverage per kern: is there something of this theme in, or near, every village?

For every kern (from the offline gazetteer, with its population where the gazetteer has one)
and a chosen selection of listings (a levensgebied, a thema, an opgave or everything):

* ``in_kern``: active listings with a location in the kern;
* ``within``: active listings reachable within the distance setting (default 5 km) from the
  kern's centre, *plus* the listings that work at home, by phone or online in the kern's
  municipality (their service area): those count for every kern of that area, and are also
  counted separately as ``at_home`` so the table can mark them;
* ``nearest_km``: the distance to the nearest location (None when there is none at all).

A kern with ``within == 0`` is a *witte vlek* (white spot).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..geo.gazetteer import Place, default_gazetteer, fold_name, haversine_km
from .listings import ListingFacts

#: Colour classes of the map and table: none, few, enough (by ``within``).
FEW = 2


@dataclass
class KernCoverage:
    kern: str
    municipality: str
    population: int | None
    lat: float
    lon: float
    in_kern: int = 0
    within: int = 0
    at_home: int = 0
    nearest_km: float | None = None
    listing_ids: set[str] = field(default_factory=set)

    @property
    def level(self) -> str:
        """``geen`` (white spot), ``weinig`` (1-2) or ``goed`` (3 or more)."""
        if self.within == 0:
            return "geen"
        return "weinig" if self.within <= FEW else "goed"


def kernen_of(municipalities: Iterable[str]) -> list[Place]:
    """The gazetteer's kernen of these municipalities, by municipality then name."""
    gazetteer = default_gazetteer()
    places: list[Place] = []
    for name in municipalities:
        places += gazetteer.kernen(name)
    return places


def municipalities_of(listings: Iterable[ListingFacts]) -> list[str]:
    """The municipalities where active listings have a location, most listings first."""
    counts: dict[str, int] = {}
    for listing in listings:
        if not listing.active:
            continue
        for muni in {p.municipality for p in listing.points if p.municipality}:
            counts[muni] = counts.get(muni, 0) + 1
    return sorted(counts, key=lambda m: (-counts[m], m))


def coverage(listings: Iterable[ListingFacts], kernen: Iterable[Place], distance_km: float,
             selected: Callable[[ListingFacts], bool] = lambda _listing: True
             ) -> list[KernCoverage]:
    """Coverage of each kern by the active listings that ``selected`` accepts."""
    chosen = [listing for listing in listings if listing.active and selected(listing)]
    result = []
    for kern in kernen:
        row = KernCoverage(kern.name, kern.municipality, kern.population or None,  # 0: unknown
                           kern.lat, kern.lon)
        key = fold_name(kern.name)
        for listing in chosen:
            near = False
            for point in listing.points:
                distance = haversine_km(kern.lat, kern.lon, point.lat, point.lon)
                if row.nearest_km is None or distance < row.nearest_km:
                    row.nearest_km = distance
                near = near or distance <= distance_km
            in_kern = any(p.kern and fold_name(p.kern) == key and
                          (p.municipality in (None, kern.municipality))
                          for p in listing.points)
            at_home = kern.municipality in listing.areas
            if in_kern:
                row.in_kern += 1
            if at_home:
                row.at_home += 1
            if near or at_home or in_kern:
                row.within += 1
                row.listing_ids.add(listing.id)
        if row.nearest_km is not None:
            row.nearest_km = round(row.nearest_km, 1)
        result.append(row)
    return result


def white_spots(rows: Iterable[KernCoverage]) -> list[KernCoverage]:
    return [row for row in rows if row.within == 0]
