"""Finding volunteer listings with the same Dutch analysis as the kaart.

Why not the kaart's Whoosh index: volunteer listings change by the minute (responses fill
them, ``list_until`` expires them), there are hundreds rather than tens of thousands, and
hulpvragen must never reach an index that anonymous searches read. So the live, visible
listings are loaded from the database and scored in memory with the kaart's own pieces:
:class:`~sociale_kaart.search.query.QueryPlanner` (places typed in the query such as
"Woudrichem", typo correction, thesaurus synonyms and related needs) and the index analyzer
(stems, compound parts), so "chauffeur Woudrichem" finds a "Vrijwillige chauffeur" vacancy in
Woudrichem exactly as the kaart would find a service.

Scoring is a small BM25-like sum: per query word the best of its alternatives (the word,
its compound parts, a typo correction) in the title, themes, organisation and description,
weighted by field boost and rarity; thesaurus expansions add with their weight. The weights
are the constants below, so tuning is a reviewable diff.
"""

from __future__ import annotations

import difflib
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, defer, lazyload

from ..geo.gazetteer import Place, default_gazetteer, haversine_km
from ..models import Organization, VolunteerListing
from ..models.volunteer import SCHEDULE_KINDS, SUITABLE_FOR, VOLUNTEER_THEMES
from ..search.analysis import build_analyzer, fold
from ..search.query import QueryPlan, QueryPlanner, default_thesaurus
from .listings import PUBLIC_TYPES, approved_organisation_ids, is_live

#: Field boosts, as in the kaart's FIELD_BOOSTS.
FIELD_BOOSTS = {"title": 3.0, "themes": 1.2, "organization": 1.0, "description": 1.0}
#: BM25 term-frequency saturation.
K1 = 1.2
#: Urgent listings rank a little higher among equally good matches.
URGENCY_BONUS = {"spoed": 0.3, "hoog": 0.15, "normaal": 0.0}
#: Theme labels as words, so "vervoer" or "boodschappen" finds listings with that theme.
THEME_WORDS = {
    "vervoer": "vervoer rijden chauffeur", "boodschappen": "boodschappen winkelen",
    "klussen": "klussen klus", "gezelschap": "gezelschap maatje bezoek",
    "administratie": "administratie papieren", "computerhulp": "computer computerhulp digitaal",
    "tuin": "tuin tuinieren", "koken": "koken maaltijd", "taal": "taal taalmaatje",
    "bestuur": "bestuur bestuurslid", "evenement": "evenement activiteit",
    "zorg": "zorg", "sport": "sport", "jeugd": "jeugd kinderen", "dieren": "dieren",
    "natuur": "natuur", "cultuur": "cultuur", "overig": "",
}
#: The kaart's Altena and Meierijstad kernen are preferred when a name exists twice.
LOCAL_MUNICIPALITIES = frozenset({"Altena", "Meierijstad"})


@dataclass
class VolunteerQuery:
    """Validated search parameters (see :func:`sociale_kaart.volunteer.api.parse_query`)."""

    q: str = ""
    types: tuple[str, ...] = PUBLIC_TYPES
    themes: tuple[str, ...] = ()
    near: str | None = None
    km: float | None = None
    when: tuple[str, ...] = ()
    dagdelen: tuple[str, ...] = ()
    from_home: bool = False
    suitable: tuple[str, ...] = ()
    page: int = 1
    per_page: int = 20


@dataclass
class Hit:
    listing: VolunteerListing
    score: float
    distance_km: float | None


@dataclass
class VolunteerResult:
    query: VolunteerQuery
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    place: Place | None = None
    place_from_query: bool = False
    suggestion: str | None = None


class UnknownPlace(ValueError):
    def __init__(self, near: str) -> None:
        super().__init__(near)
        self.near = near


@cache
def _planner() -> QueryPlanner:
    return QueryPlanner(default_gazetteer(), default_thesaurus())


@cache
def _analyzer():
    return build_analyzer()


def _stems(text: str | None) -> Counter:
    if not text:
        return Counter()
    return Counter(token.text for token in _analyzer()(text))


@dataclass
class _Doc:
    """A listing's analysed fields, all its stems, and its plain words (for typo correction)."""

    fields: dict[str, Counter]
    stems: frozenset[str]
    words: frozenset[str]


_doc_cache: dict[tuple, _Doc] = {}


def _document(listing: VolunteerListing, org: str) -> _Doc:
    """Analysed fields of a listing, cached by id and last change (listings are few and change
    rarely, so a warm search only scores)."""
    key = (listing.id, listing.updated_at, org)
    doc = _doc_cache.get(key)
    if doc is None:
        if len(_doc_cache) > 20000:
            _doc_cache.clear()
        fields = {"title": _stems(listing.title),
                  "themes": _stems(" ".join(THEME_WORDS.get(t, t)
                                            for t in listing.themes or [])),
                  "organization": _stems(org),
                  "description": _stems(listing.description)}
        text = fold(f"{listing.title} {listing.description}")
        doc = _Doc(fields, frozenset().union(*fields.values()),
                   frozenset(w for w in text.split() if len(w) > 3 and w.isalpha()))
        _doc_cache[key] = doc
    return doc


class _Vocabulary:
    """What the planner needs for typo correction, over the candidate listings' words."""

    def __init__(self, docs: list[_Doc]) -> None:
        self.stems = frozenset().union(*(d.stems for d in docs))
        self.words = sorted(frozenset().union(*(d.words for d in docs)))

    def known(self, stem_text: str) -> bool:
        return stem_text in self.stems

    def correct(self, word: str) -> str | None:
        found = difflib.get_close_matches(fold(word), self.words, n=1, cutoff=0.8)
        return found[0] if found else None


def _field_score(doc: dict[str, Counter], stem_text: str, idf: float) -> float:
    total = 0.0
    for name, boost in FIELD_BOOSTS.items():
        tf = doc[name].get(stem_text, 0)
        if tf:
            total += boost * tf / (tf + K1)
    return total * idf


def _score(plan: QueryPlan, doc: dict[str, Counter], idf) -> float:
    score = 0.0
    for group in plan.groups:
        score += max((w * _field_score(doc, s, idf(s)) for s, w in group), default=0.0)
    for expansion in plan.expansions:
        parts = [_field_score(doc, s, idf(s)) for s in expansion.stems]
        if parts and min(parts) > 0:
            score += expansion.weight * min(parts)
    return score


def _passes_filters(listing: VolunteerListing, query: VolunteerQuery) -> bool:
    if listing.type not in query.types:
        return False
    if query.themes and not set(query.themes) & set(listing.themes or []):
        return False
    if query.when and listing.schedule_kind not in query.when:
        return False
    if query.dagdelen and listing.dagdelen and not set(query.dagdelen) & set(listing.dagdelen):
        return False
    if query.from_home and listing.mode != "online":
        return False
    return not (query.suitable and not set(query.suitable) <= set(listing.suitable_for or []))


def candidates(session: Session, types: tuple[str, ...], today: date) -> list[VolunteerListing]:
    """Live listings of these types; vacatures only of approved organisations.

    The organisation and owner are not joined here and unused JSON columns are deferred
    (loading rows is most of a search's time); a result page loads them for its few hits,
    and the search reads organisation names in one query.
    """
    approved = approved_organisation_ids(session)
    rows = session.scalars(select(VolunteerListing).options(
        lazyload(VolunteerListing.organization), lazyload(VolunteerListing.owner),
        defer(VolunteerListing.taxonomy_term_ids), defer(VolunteerListing.privacy_warnings),
        defer(VolunteerListing.consent_text)).where(
        VolunteerListing.status == "active", VolunteerListing.type.in_(types),
        VolunteerListing.not_for_volunteers.is_(False),
        or_(VolunteerListing.list_until.is_(None), VolunteerListing.list_until >= today)))
    return [row for row in rows if is_live(row, today)
            and (row.organization_id is None or row.organization_id in approved)]


def _organisation_names(session: Session, rows: list[VolunteerListing]) -> dict[str, str]:
    ids = {row.organization_id for row in rows if row.organization_id}
    if not ids:
        return {}
    return dict(session.execute(select(Organization.id, Organization.name)
                                .where(Organization.id.in_(ids))).all())


def search_listings(session: Session, query: VolunteerQuery, *, today: date,
                    default_km: float = 10.0) -> VolunteerResult:
    """Search live listings; the caller decides which ``types`` the visitor may see.

    :raises UnknownPlace: when ``near`` names no known place or postcode.
    """
    result = VolunteerResult(query=query)
    gazetteer = default_gazetteer()
    if query.near:
        result.place = gazetteer.resolve(query.near, prefer=LOCAL_MUNICIPALITIES)
        if result.place is None:
            raise UnknownPlace(query.near)
    rows = [row for row in candidates(session, query.types, today)
            if _passes_filters(row, query)]
    names = _organisation_names(session, rows)
    docs = [_document(row, names.get(row.organization_id, "")) for row in rows]
    plan = _planner().plan(query.q, local_municipalities=LOCAL_MUNICIPALITIES,
                           detect_places=result.place is None, vocabulary=_Vocabulary(docs))
    result.suggestion = plan.suggestion()
    if result.place is None and plan.place is not None:
        result.place, result.place_from_query = plan.place, True
    km = query.km or default_km
    n = len(rows) or 1
    df: Counter = Counter()
    if not plan.is_empty:
        for doc in docs:
            df.update(doc.stems)

    def idf(stem_text: str) -> float:
        d = df.get(stem_text, 0)
        return math.log(1 + (n - d + 0.5) / (d + 0.5))

    hits: list[Hit] = []
    for row, doc in zip(rows, docs, strict=True):
        distance = None
        if result.place is not None:
            if row.lat is not None and row.lon is not None:
                distance = haversine_km(result.place.lat, result.place.lon, row.lat, row.lon)
            if row.mode != "online" and (distance is None or distance > km):
                continue
        if plan.is_empty:
            score = 1.0
        else:
            score = _score(plan, doc.fields, idf)
            if score <= 0:
                continue
        score += URGENCY_BONUS.get(row.urgency, 0.0)
        hits.append(Hit(row, round(score, 4), None if distance is None else round(distance, 1)))
    newest = {id(h): (h.listing.published_at or h.listing.created_at).timestamp() for h in hits}
    hits.sort(key=lambda h: (-h.score, h.distance_km if h.distance_km is not None else 1e9,
                             -newest[id(h)], h.listing.id))
    result.total = len(hits)
    start = (query.page - 1) * query.per_page
    result.hits = hits[start:start + query.per_page]
    return result


__all__ = ["SCHEDULE_KINDS", "SUITABLE_FOR", "VOLUNTEER_THEMES", "Hit", "UnknownPlace",
           "VolunteerQuery", "VolunteerResult", "candidates", "search_listings"]
