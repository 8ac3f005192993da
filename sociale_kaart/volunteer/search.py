"""Finding volunteer listings with the same Dutch analysis as the kaart.

Why not the kaart's Whoosh index: volunteer listings change by the minute (responses fill
them, ``list_until`` expires them), there are hundreds rather than tens of thousands, and
hulpvragen must never reach an index that anonymous searches read. So the active listings
are analysed once into a small in-process index (public-safe facts and stems only, rebuilt when
a one-query change stamp moves; see :class:`_Index`) and scored in memory with the kaart's own
pieces:
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
import itertools
import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from sqlalchemy import event, func, or_, select
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


def _document(listing: VolunteerListing, org: str) -> _Doc:
    fields = {"title": _stems(listing.title),
              "themes": _stems(" ".join(THEME_WORDS.get(t, t) for t in listing.themes or [])),
              "organization": _stems(org),
              "description": _stems(listing.description)}
    text = fold(f"{listing.title} {listing.description}")
    return _Doc(fields, frozenset().union(*fields.values()),
                frozenset(w for w in text.split() if len(w) > 3 and w.isalpha()))


@dataclass(frozen=True)
class _Record:
    """What the search needs of a listing besides its text: public-safe facts only (no
    contact, owner or consent), so the in-process cache never holds personal data."""

    id: int
    type: str
    organization_id: str | None
    status: str
    list_until: date | None
    themes: frozenset[str]
    schedule_kind: str
    dagdelen: frozenset[str]
    mode: str
    suitable_for: frozenset[str]
    lat: float | None
    lon: float | None
    urgency: str
    newest: float


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


@dataclass
class _Selection:
    """The listings that pass the filters on one day, with their vocabulary (cached per
    filter combination, since the vocabulary is the costly part of a warm search)."""

    indices: list[int]
    members: frozenset[int]
    vocabulary: _Vocabulary


class _Index:
    """Every active listing, analysed once, plus postings (stem → listing positions).

    Why in-process and keyed on a change stamp: re-reading and re-analysing 1,000 listings
    took most of a second per search; the stamp is one tiny query, so any write (here or in
    another process) rebuilds the index on the next search. Date rules (``list_until``) and
    organisation approval are applied per search, so a listing still leaves the results on
    the day it expires without anything being written.
    """

    def __init__(self, stamp: tuple, records: list[_Record], docs: list[_Doc]) -> None:
        self.stamp = stamp
        self.records = records
        self.docs = docs
        self.postings: dict[str, set[int]] = {}
        for position, doc in enumerate(docs):
            for stem_text in doc.stems:
                self.postings.setdefault(stem_text, set()).add(position)
        self._selections: dict[tuple, _Selection] = {}

    def select(self, query: VolunteerQuery, today: date, approved: frozenset[str]) -> _Selection:
        key = (today, approved, query.types, query.themes, query.when, query.dagdelen,
               query.from_home, query.suitable)
        found = self._selections.get(key)
        if found is None:
            indices = [i for i, rec in enumerate(self.records)
                       if is_live(rec, today)  # type: ignore[arg-type]
                       and (rec.organization_id is None or rec.organization_id in approved)
                       and _passes_filters(rec, query)]
            found = _Selection(indices, frozenset(indices),
                               _Vocabulary([self.docs[i] for i in indices]))
            if len(self._selections) > 256:
                self._selections.clear()
            self._selections[key] = found
        return found


_index_lock = threading.Lock()
_indexes: dict[str, _Index] = {}
#: Bumped after every flush that touched a listing or an organisation in this process, so a
#: write is seen even when it leaves the stamp unchanged (same second, same count).
_writes = itertools.count()
_write_stamp = 0


@event.listens_for(Session, "after_flush")
def _note_writes(session: Session, _context) -> None:
    global _write_stamp
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, VolunteerListing | Organization):
            _write_stamp = next(_writes) + 1
            return


def _stamp(session: Session) -> tuple:
    """One small query: active listings (count, last change, id sum) and organisation names
    (count, last change); any write in another process moves at least one of them."""
    active = VolunteerListing.status == "active"
    row = session.execute(select(
        select(func.count(VolunteerListing.id)).where(active).scalar_subquery(),
        select(func.max(VolunteerListing.updated_at)).where(active).scalar_subquery(),
        select(func.sum(VolunteerListing.id)).where(active).scalar_subquery(),
        select(func.count(Organization.id)).scalar_subquery(),
        select(func.max(Organization.updated_at)).scalar_subquery())).one()
    return (_write_stamp, *row)


def _index(session: Session) -> _Index:
    stamp = _stamp(session)
    slot = str(session.get_bind().url)
    with _index_lock:
        index = _indexes.get(slot)
    if index is not None and index.stamp == stamp:
        return index
    rows = list(session.scalars(select(VolunteerListing).options(
        lazyload(VolunteerListing.organization), lazyload(VolunteerListing.owner),
        defer(VolunteerListing.taxonomy_term_ids), defer(VolunteerListing.privacy_warnings),
        defer(VolunteerListing.consent_text)).where(
        VolunteerListing.status == "active", VolunteerListing.not_for_volunteers.is_(False))
        .order_by(VolunteerListing.id)))
    names = _organisation_names(session, rows)
    records = [_Record(
        id=row.id, type=row.type, organization_id=row.organization_id, status=row.status,
        list_until=row.list_until, themes=frozenset(row.themes or ()),
        schedule_kind=row.schedule_kind, dagdelen=frozenset(row.dagdelen or ()), mode=row.mode,
        suitable_for=frozenset(row.suitable_for or ()), lat=row.lat, lon=row.lon,
        urgency=row.urgency, newest=(row.published_at or row.created_at).timestamp())
        for row in rows]
    index = _Index(stamp, records,
                   [_document(row, names.get(row.organization_id, "")) for row in rows])
    with _index_lock:
        _indexes[slot] = index
    return index


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


def _plan_stems(plan: QueryPlan) -> set[str]:
    stems = {s for group in plan.groups for s, _w in group}
    for expansion in plan.expansions:
        stems.update(expansion.stems)
    return stems


def _passes_filters(listing: VolunteerListing | _Record, query: VolunteerQuery) -> bool:
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
    """Live listings of these types; vacatures only of approved organisations."""
    approved = approved_organisation_ids(session)
    rows = session.scalars(select(VolunteerListing).where(
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
    index = _index(session)
    selection = index.select(query, today, frozenset(approved_organisation_ids(session)))
    plan = _planner().plan(query.q, local_municipalities=LOCAL_MUNICIPALITIES,
                           detect_places=result.place is None,
                           vocabulary=selection.vocabulary)
    result.suggestion = plan.suggestion()
    if result.place is None and plan.place is not None:
        result.place, result.place_from_query = plan.place, True
    km = query.km or default_km
    n = len(selection.indices) or 1
    if plan.is_empty:
        positions = selection.indices
        df: dict[str, int] = {}
    else:
        # Only listings holding one of the query's stems can score above zero.
        stems = _plan_stems(plan)
        df = {s: len(index.postings.get(s, set()) & selection.members) for s in stems}
        touched: set[int] = set()
        for s in stems:
            touched |= index.postings.get(s, set())
        positions = sorted(touched & selection.members)

    idfs = {s: math.log(1 + (n - d + 0.5) / (d + 0.5)) for s, d in df.items()}
    unseen = math.log(1 + (n + 0.5) / 0.5)

    def idf(stem_text: str) -> float:
        return idfs.get(stem_text, unseen)

    scored: list[tuple[_Record, float, float | None]] = []
    for position in positions:
        rec = index.records[position]
        distance = None
        if result.place is not None:
            if rec.lat is not None and rec.lon is not None:
                distance = haversine_km(result.place.lat, result.place.lon, rec.lat, rec.lon)
            if rec.mode != "online" and (distance is None or distance > km):
                continue
        if plan.is_empty:
            score = 1.0
        else:
            score = _score(plan, index.docs[position].fields, idf)
            if score <= 0:
                continue
        score += URGENCY_BONUS.get(rec.urgency, 0.0)
        scored.append((rec, round(score, 4), None if distance is None else round(distance, 1)))
    scored.sort(key=lambda h: (-h[1], h[2] if h[2] is not None else 1e9, -h[0].newest, h[0].id))
    result.total = len(scored)
    start = (query.page - 1) * query.per_page
    page = scored[start:start + query.per_page]
    loaded = {row.id: row for row in session.scalars(
        select(VolunteerListing).where(VolunteerListing.id.in_([r.id for r, _s, _d in page])))}
    result.hits = [Hit(loaded[rec.id], score, distance) for rec, score, distance in page
                   if rec.id in loaded]
    return result


__all__ = ["SCHEDULE_KINDS", "SUITABLE_FOR", "VOLUNTEER_THEMES", "Hit", "UnknownPlace",
           "VolunteerQuery", "VolunteerResult", "candidates", "search_listings"]
