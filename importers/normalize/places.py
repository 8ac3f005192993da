"""Postcodes, kernen (places), municipalities and street addresses as lists write them.

* Postcodes: ``4251XR``, ``4251 xr``, ``4251`` → ``4251 XR`` / ``4251``.
* Kernen: matched against the offline gazetteer after folding (``St. Oedenrode``,
  ``'s-Hertogenbosch``), abbreviations (``W. en Aalburg``), small misspellings (``Almkrek``), and
  checked against the postcode: the postcode's own kern wins when the typed name is a variant of it
  (``Aalburg`` at 4261 is Wijk en Aalburg) or unknown (a local nickname like ``Rooi``); a typed kern
  that is a different known kern of the same municipality is kept (a village inside a PC4 named
  after the main town). Names that are a municipality (``gemeente Altena``, ``hele gemeente``) give
  no kern but a service area.
* Addresses: ``Kantine v.v. Hank, Sportpark 1`` → location name + street; ``aan huis``,
  ``telefonisch`` → no address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from rapidfuzz import fuzz, process

from sociale_kaart.geo.gazetteer import Gazetteer, Place, default_gazetteer, fold_name

_POSTCODE = re.compile(r"^\s*([1-9]\d{3})\s*(?:-\s*)?([a-zA-Z]{2})?\s*$")
_POSTCODE_IN_TEXT = re.compile(r"\b([1-9]\d{3})\s?([A-Za-z]{2})\b")
#: A street with a house number (and addition): "Kerkstraat 23", "Heilig Hartplein 10a-2".
_STREET = re.compile(r"^\D.*?\s\d+\s*[a-zA-Z]?(?:\s*[-/]\s*\w+)?$")
_NO_ADDRESS = re.compile(
    r"\b(?:aan huis|bij u thuis|thuis|telefonisch|online|digitaal|n\.?v\.?t\.?|diverse locaties|"
    r"wisselende locaties?|op locatie)\b", re.I)
_WHOLE_AREA = re.compile(r"^(?:hele|gehele|heel|in de|in)?\s*(?:gemeente|regio)\b", re.I)
_FUZZY_MIN = 85


@dataclass(frozen=True)
class PostcodeResult:
    value: str | None  # "1234 AB" or "1234"
    readable: bool


def normalize_postcode(text: object) -> PostcodeResult:
    """``4251xr`` → ``4251 XR``; ``4251`` → ``4251``; anything else is unreadable."""
    if text is None or str(text).strip() == "":
        return PostcodeResult(None, True)
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    match = _POSTCODE.match(str(text))
    if not match:
        found = _POSTCODE_IN_TEXT.search(str(text))
        if not found:
            return PostcodeResult(None, False)
        return PostcodeResult(f"{found.group(1)} {found.group(2).upper()}", True)
    digits, letters = match.groups()
    return PostcodeResult(f"{digits} {letters.upper()}" if letters else digits, True)


@dataclass(frozen=True)
class KernResult:
    """The kern for a row, with how it was found."""

    kern: str | None
    municipality: str | None
    province: str | None
    #: "exact", "variant", "fuzzy", "postcode", "municipality", "unknown", "empty"
    how: str
    place: Place | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def readable(self) -> bool:
        return self.how != "unknown"


@cache
def _kernen_by_municipality(gazetteer: Gazetteer) -> dict[str, dict[str, Place]]:
    out: dict[str, dict[str, Place]] = {}
    for key, places in gazetteer.places.items():
        for place in places:
            out.setdefault(place.municipality, {})[key] = place
    return out


def _abbreviation_match(typed: str, name: str) -> bool:
    """``w en aalburg`` ~ ``wijk en aalburg``: every typed word is the full word or a prefix of at
    least one letter that was written with a dot."""
    typed_words, words = typed.split(), name.split()
    if len(typed_words) != len(words) or typed_words == words:
        return False
    return all(w.startswith(t) for t, w in zip(typed_words, words, strict=True))


def _similar(typed: str, name: str) -> bool:
    """A typed kern that is a variant of ``name``: abbreviation, misspelling or a part of it."""
    if typed == name or _abbreviation_match(typed, name):
        return True
    if fuzz.ratio(typed, name) >= _FUZZY_MIN:
        return True
    typed_words, name_words = set(typed.split()), set(name.split())
    return bool(typed_words) and typed_words < name_words  # "aalburg" in "wijk en aalburg"


def _fold(text: str) -> str:
    text = re.sub(r"\s*\.\s*", ". ", text)  # "W.en Aalburg" → "W. en Aalburg"
    return fold_name(text)


def _find_place(typed: str, gazetteer: Gazetteer,
                prefer: frozenset[str]) -> tuple[Place, str] | None:
    key = gazetteer.ALIASES.get(typed, typed)
    candidates = gazetteer.places.get(key)
    if candidates:
        preferred = [p for p in candidates if p.municipality in prefer]
        return max(preferred or candidates, key=lambda p: p.population or 0), "exact"
    pools = [_kernen_by_municipality(gazetteer).get(m, {}) for m in sorted(prefer)]
    for pool in pools:
        for name, place in pool.items():
            if _abbreviation_match(typed, name):
                return place, "variant"
    for pool in pools:
        best = process.extractOne(typed, list(pool), scorer=fuzz.ratio, score_cutoff=_FUZZY_MIN)
        if best:
            return pool[best[0]], "fuzzy"
    return None


def resolve_kern(text: object, postcode: str | None = None,
                 prefer: frozenset[str] | set[str] = frozenset(),
                 gazetteer: Gazetteer | None = None) -> KernResult:
    """The kern a row means, from its place cell and its postcode (see the module docstring).

    ``prefer``: municipalities this list is about (from the other rows' postcodes), used to
    choose among kernen of the same name and as the pool for misspellings.
    """
    gaz = gazetteer or default_gazetteer()
    typed_text = "" if text is None else " ".join(str(text).split())
    pc_place = gaz.by_postcode(postcode) if postcode else None
    prefer = frozenset(prefer) | ({pc_place.municipality} if pc_place else frozenset())
    typed = _fold(typed_text) if typed_text else ""
    if not typed:
        if pc_place:
            return KernResult(pc_place.name, pc_place.municipality, pc_place.province,
                              "postcode", pc_place, ("plaats_uit_postcode",))
        return KernResult(None, None, None, "empty")
    area = _municipality_named(typed_text, gaz, prefer)
    if area is not None:
        return area
    if pc_place:
        pc_name = fold_name(pc_place.name)
        pc_base = re.sub(r"\s+(?:nb|zh|gld|ov|lb|dr|fr|gr|ut|nh|zl|fl)$", "", pc_name)
        if _similar(typed, pc_name) or _similar(typed, pc_base):
            how = "exact" if typed in (pc_name, pc_base) else "variant"
            return KernResult(pc_place.name, pc_place.municipality, pc_place.province, how,
                              pc_place)
        local = _kernen_by_municipality(gaz).get(pc_place.municipality, {}).get(typed)
        if local is not None:
            return KernResult(local.name, local.municipality, local.province, "exact", local)
        found = _find_place(typed, gaz, prefer)
        if found is None or found[0].municipality != pc_place.municipality:
            return KernResult(pc_place.name, pc_place.municipality, pc_place.province,
                              "postcode", pc_place, ("kern_uit_postcode",))
        return KernResult(found[0].name, found[0].municipality, found[0].province, found[1],
                          found[0])
    found = _find_place(typed, gaz, prefer)
    if found is None:
        return KernResult(typed_text, None, None, "unknown")
    place, how = found
    return KernResult(place.name, place.municipality, place.province, how, place)


def _municipality_named(text: str, gaz: Gazetteer, prefer: frozenset[str]) -> KernResult | None:
    """``gemeente Altena``, ``hele gemeente``, ``Meierijstad``: the whole municipality, no kern.

    A name that is both a municipality and a kern is the kern only when that kern lies in the
    municipality (Best in Best), as in :meth:`Gazetteer.resolve`.
    """
    whole = _WHOLE_AREA.match(text)
    rest = _WHOLE_AREA.sub("", text).strip() if whole else text
    municipality = gaz.by_municipality(rest) if rest else None
    if municipality is None and not whole:
        return None
    if municipality is not None and not whole:
        same = [p for p in gaz.places.get(fold_name(rest), [])
                if p.municipality == municipality.name]
        if same:
            return None
    if municipality is None and len(prefer) == 1:
        municipality = gaz.by_municipality(next(iter(prefer)))
    if municipality is None:
        return KernResult(None, None, None, "municipality")
    return KernResult(None, municipality.name, municipality.province, "municipality",
                      municipality)


@dataclass(frozen=True)
class AddressResult:
    street: str | None
    location_name: str | None
    #: True when the text says there is no address (home visits, by phone).
    no_address: bool = False
    postcode: str | None = None


def split_address(text: object) -> AddressResult:
    """``Verenigingsgebouw De Hoeksteen\\nKerkstraat 21`` → name + street."""
    if text is None or not str(text).strip():
        return AddressResult(None, None)
    raw = str(text).strip()
    if _NO_ADDRESS.search(raw) and not any(_STREET.match(p.strip())
                                           for p in re.split(r"[,\n]", raw)):
        return AddressResult(None, None, no_address=True)
    postcode = None
    found = _POSTCODE_IN_TEXT.search(raw)
    if found:
        postcode = f"{found.group(1)} {found.group(2).upper()}"
        raw = (raw[:found.start()] + raw[found.end():]).strip(" ,")
    parts = [" ".join(p.split()) for p in re.split(r"\s*[\n,]\s*", raw) if p.strip()]
    streets = [p for p in parts if _STREET.match(p)]
    if not streets:
        return AddressResult(" ".join(parts) or None, None, postcode=postcode)
    street = streets[-1]
    others = [p for p in parts if p != street]
    return AddressResult(street, ", ".join(others) or None, postcode=postcode)
