"""The offline gazetteer: four-digit postcodes (PC4), places (kernen) and municipalities.

The data ship in ``data/geo/`` (GeoNames and CBS via PDOK, CC BY 4.0; see ``data/geo/SOURCE.md``),
so a laptop without network can turn "4251 AB", "Werkendam" or "Altena" into a point. Names are
matched after folding (case, diacritics, hyphens, the many spellings of ``'s-``), because
residents type "den bosch", "s-hertogenbosch" and "Sint-Oedenrode" alike.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..config import DATA_DIR

GEO_DIR = DATA_DIR / "geo"
PC4_RE = re.compile(r"^\s*([1-9][0-9]{3})\s*(?:[a-zA-Z]{2})?\s*$")
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Place:
    """A point with a name: a PC4 area, a kern or a municipality."""

    name: str
    kind: str  # "pc4", "place" or "municipality"
    municipality: str
    province: str
    lat: float
    lon: float
    population: int | None = None
    postcode: str | None = None


def fold_name(text: str) -> str:
    """Fold a place name for matching: lower case, no diacritics, no punctuation, ``'s`` kept."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("’", "'").replace("`", "'")
    text = re.sub(r"^'?s[\s'-]+", "s ", text)  # 's-Hertogenbosch, s-hertogenbosch, 's Gravenmoer
    text = re.sub(r"\bst\.?\s", "sint ", text)
    text = re.sub(r"[^a-z0-9' ]+", " ", text).replace("'", " ")
    return " ".join(text.split())


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (the same formula as geopy's ``great_circle``, inlined because
    the search computes it for thousands of candidates per query)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


class Gazetteer:
    """Look-ups by PC4, place name and municipality name, all offline."""

    # Common aliases residents use for official names.
    ALIASES = {"den bosch": "s hertogenbosch", "den haag": "s gravenhage"}

    def __init__(self, geo_dir: Path = GEO_DIR) -> None:
        self.pc4: dict[str, Place] = {}
        self.places: dict[str, list[Place]] = defaultdict(list)
        self.municipalities: dict[str, Place] = {}
        self._place_keys: frozenset[str] | None = None
        self._load(geo_dir)

    def _load(self, geo_dir: Path) -> None:
        with open(geo_dir / "nl_pc4.csv", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                self.pc4[row["postcode4"]] = Place(
                    row["place"], "pc4", row["municipality"], row["province"],
                    float(row["lat"]), float(row["lon"]), postcode=row["postcode4"],
                )
        with open(geo_dir / "nl_places.csv", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                population = int(row["population"]) if row["population"] else None
                place = Place(row["place"], "place", row["municipality"], row["province"],
                              float(row["lat"]), float(row["lon"]), population)
                self.places[fold_name(row["place"])].append(place)
        # A municipality's point: the population-weighted centre of its places (PC4 centres when
        # no place has a population), which lands in its main town rather than in a polder.
        members: dict[str, list[Place]] = defaultdict(list)
        for places in self.places.values():
            for place in places:
                members[place.municipality].append(place)
        for pc in self.pc4.values():
            members.setdefault(pc.municipality, [])
        for name, places in members.items():
            weighted = [(p, p.population) for p in places if p.population]
            if not weighted:
                pcs = [p for p in self.pc4.values() if p.municipality == name]
                weighted = [(p, 1) for p in (pcs or places)]
            if not weighted:
                continue
            total = sum(w for _, w in weighted)
            lat = sum(p.lat * w for p, w in weighted) / total
            lon = sum(p.lon * w for p, w in weighted) / total
            province = weighted[0][0].province
            self.municipalities[fold_name(name)] = Place(name, "municipality", name, province,
                                                         lat, lon)

    # -- look-ups -------------------------------------------------------------------------
    def by_postcode(self, postcode: str) -> Place | None:
        """A PC4 area from ``4251``, ``4251AB`` or ``4251 ab``."""
        match = PC4_RE.match(postcode or "")
        return self.pc4.get(match.group(1)) if match else None

    def by_place(self, name: str, municipality: str | None = None) -> Place | None:
        """A kern by name; with several of the same name, the one in ``municipality`` or the
        most populous."""
        key = fold_name(name)
        key = self.ALIASES.get(key, key)
        candidates = self.places.get(key, [])
        if not candidates:
            return None
        if municipality:
            muni = self.municipality_name(municipality)
            local = [p for p in candidates if p.municipality == muni]
            if local:
                candidates = local
        return max(candidates, key=lambda p: p.population or 0)

    def by_municipality(self, name: str) -> Place | None:
        key = fold_name(name)
        key = self.ALIASES.get(key, key)
        key = re.sub(r"^gemeente ", "", key)
        return self.municipalities.get(key)

    def municipality_name(self, name: str | None) -> str | None:
        """The official CBS name of a municipality, or None if ``name`` is not one."""
        if not name:
            return None
        place = self.by_municipality(name)
        return place.name if place else None

    def resolve(self, text: str, prefer: frozenset[str] | set[str] = frozenset()) -> Place | None:
        """Turn what a resident typed as a place (PC4, postcode, kern or municipality) into a
        point.

        A kern wins over a municipality of the same name only when it lies in that municipality
        (Best in Best), so "Altena" is the municipality, not the hamlet in Drenthe. Among kernen
        of the same name, those in the ``prefer`` municipalities (where this installation has
        listings) come first.
        """
        text = (text or "").strip()
        if not text:
            return None
        postcode = self.by_postcode(text)
        if postcode:
            return postcode
        municipality = self.by_municipality(text)
        key = self.ALIASES.get(fold_name(text), fold_name(text))
        candidates = self.places.get(key, [])
        if municipality:
            same = [p for p in candidates if p.municipality == municipality.name]
            return max(same, key=lambda p: p.population or 0) if same else municipality
        if not candidates:
            return None
        preferred = [p for p in candidates if p.municipality in prefer]
        return max(preferred or candidates, key=lambda p: p.population or 0)

    def kernen(self, municipality: str) -> list[Place]:
        muni = self.municipality_name(municipality)
        return sorted((p for places in self.places.values() for p in places
                       if p.municipality == muni), key=lambda p: p.name)

    def place_keys(self) -> frozenset[str]:
        """Every folded place and municipality name (for finding places inside query text)."""
        if self._place_keys is None:
            self._place_keys = frozenset(self.places) | frozenset(self.municipalities) | \
                frozenset(self.ALIASES)
        return self._place_keys


@cache
def default_gazetteer() -> Gazetteer:
    """The shipped gazetteer, loaded once per process."""
    return Gazetteer()
