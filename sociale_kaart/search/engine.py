"""The search engine behind the seam: plan the query, score, filter, rank, count facets.

``SearchEngine`` is what the web app, the CLI and the benchmarks talk to. The Whoosh index
scores text; everything else (rules, filters, distance, facets) runs on the in-memory columns
of :mod:`doctable`. The backend interface (:class:`SearchBackend`) keeps the door open for a
PostgreSQL full-text backend with the same contract.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import numpy as np

from ..geo.gazetteer import Gazetteer, Place, fold_name, haversine_km
from .analysis import fold
from .doctable import Columns, SegmentCache
from .index import IndexStore
from .params import OpenAt, ParamError, SearchParams
from .query import QueryPlan, QueryPlanner, whoosh_query
from .vocabulary import (
    ACCESS_CODES,
    AUDIENCE_BITS,
    CATEGORY_BITS,
    COST_CODES,
    THEME_BITS,
    TYPE_CODES,
)

log = logging.getLogger(__name__)

#: Ranking constants (multipliers on the text score); see docs/search.md.
CATEGORY_BONUS = 0.6         # the listing is in a levensgebied the query's words point at
COVERAGE_FLOOR = 0.45        # share of the score kept by a listing matching few query words
EXACT_NAME_BONUS = 1.5       # the query is the listing's name
NAME_HAS_ALL_BONUS = 0.4     # every query word is in the name
PLACE_NEAR_BONUS = 1.5       # at the named place (decays with distance)
PLACE_DECAY_KM = 2.0
PLACE_AREA_BONUS = 0.3       # comes to you: works in the named place's municipality
PLACE_FAR_FACTOR = 0.5       # more than PLACE_FAR_KM away from the named place
PLACE_FAR_KM = 10.0
STALE_FACTOR = 0.85          # not confirmed (or changed by its publisher) for STALE_DAYS
STALE_DAYS = 365
RERANK_WINDOW = 300
RELATED_SCORE = 0.2          # related-need listings score this share of the weakest match
RELATED_MIN_STRENGTH = 1.0   # only levensgebieden named directly by thesaurus synonyms
PLACE_TIER_KM = 2.5          # "in Woudrichem": listings this close to the named place ...
PLACE_TIER_SHARE = 0.25      # ... that match at least this share of the best score go first
FEEDBACK_DOCS = 8            # top listings whose levensgebieden hint at what the query is about
FEEDBACK_BONUS = 0.3         # boost for listings sharing those levensgebieden
FACET_NAMES = ("category", "type", "municipality", "kern", "cost", "access", "audience",
               "theme", "lang")


@dataclass
class Hit:
    id: str
    name: str
    organization_id: str
    organization: str
    summary: str
    meta: dict
    score: float
    distance_km: float | None = None
    comes_to_you: bool = False


@dataclass
class SearchResult:
    params: SearchParams
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    suggestion: str | None = None
    near: Place | None = None
    detected_place: Place | None = None
    plan: QueryPlan | None = None
    extra: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.params.per_page))


class SearchBackend(Protocol):
    """What any search backend offers (Whoosh today; PostgreSQL later)."""

    def update(self, documents: Iterable[tuple[str, dict | None]]) -> int: ...
    def rebuild(self, documents: Iterable[tuple[str, dict | None]],
                vocabulary: Iterable[str] = ()) -> int: ...
    def search(self, params: SearchParams) -> SearchResult: ...
    def count(self) -> int: ...


class _Vocabulary:
    """Which stems the index knows, and the nearest known spelling of an unknown word."""

    def __init__(self, reader) -> None:
        self.reader = reader
        self._fields = ("name", "categories_text", "organization", "description", "details")

    def known(self, stem_text: str) -> bool:
        return any(self.reader.doc_frequency(f, stem_text) for f in self._fields)

    def correct(self, word: str) -> str | None:
        if len(word) < 4 or not word.isalpha():
            return None
        if self.reader.doc_frequency("spell", word):
            return None
        maxdist = 1 if len(word) <= 5 else 2
        best: tuple[float, str] | None = None
        for candidate in self.reader.terms_within("spell", word, maxdist, prefix=1):
            freq = self.reader.doc_frequency("spell", candidate)
            distance = _edit_distance(word, candidate)
            rank = freq / (1 + 4 * distance)
            if best is None or rank > best[0]:
                best = (rank, candidate)
        return best[1] if best else None


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class WhooshEngine:
    """The embedded default backend."""

    def __init__(self, store: IndexStore, gazetteer: Gazetteer, planner: QueryPlanner,
                 today: callable) -> None:
        self.store = store
        self.gazetteer = gazetteer
        self.planner = planner
        self.today = today
        self._segments = SegmentCache()
        self._lock = threading.Lock()
        self._searcher = None
        self._columns: Columns | None = None

    # -- index maintenance ---------------------------------------------------------------
    def update(self, documents: Iterable[tuple[str, dict | None]]) -> int:
        written = self.store.update(documents)
        self._refresh(force=True)
        return written

    def rebuild(self, documents: Iterable[tuple[str, dict | None]],
                vocabulary: Iterable[str] = ()) -> int:
        count = self.store.rebuild(documents, vocabulary)
        self._refresh(force=True)
        return count

    def count(self) -> int:
        searcher, _ = self._current()
        return searcher.doc_count()

    # -- searcher lifecycle --------------------------------------------------------------
    def _refresh(self, force: bool = False) -> None:
        with self._lock:
            index = self.store.open()
            if self._searcher is not None and not force:
                try:
                    if self._searcher.up_to_date() and index is self._searcher_index:
                        return
                except Exception:  # the files of an old generation were removed
                    pass
            old = self._searcher
            self._searcher = index.searcher()
            self._searcher_index = index
            self._columns = self._segments.columns_for(self._searcher.reader())
            self._local = frozenset(m for meta in self._columns.metas
                                    for m in meta.get("municipalities", []) +
                                    meta.get("areas", []))
            if old is not None:
                old.close()

    def _current(self):
        self._refresh()
        with self._lock:
            return self._searcher, self._columns

    def local_municipalities(self) -> frozenset[str]:
        self._refresh()
        return self._local

    # -- search --------------------------------------------------------------------------
    def search(self, params: SearchParams) -> SearchResult:
        searcher, columns = self._current()
        today = self.today()
        near = None
        if params.near:
            near = self.gazetteer.resolve(params.near, prefer=self._local)
            if near is None:
                raise ParamError("near", f"plaats of postcode {params.near[:50]!r} is onbekend")
        plan = self.planner.plan(params.q, local_municipalities=self._local,
                                 detect_places=params.detect_places,
                                 vocabulary=_Vocabulary(searcher.reader()))
        base = self._rule_mask(columns, today, params)
        filters = self._filter_masks(columns, params, near)
        everything = base.copy()
        for mask in filters.values():
            everything &= mask

        # Text scores for every match (an empty query scores everything alike).
        scores: dict[int, float] = {}
        query = whoosh_query(plan)
        text_mask = None
        if query is not None:
            results = searcher.search(query, limit=None, scored=True, sortedby=None)
            text_mask = np.zeros(len(columns), dtype=bool)
            for hit_score, docnum in results.top_n:
                scores[docnum] = hit_score
                text_mask[docnum] = True
        elif not plan.is_empty or (params.q.strip() and plan.place is None):
            text_mask = np.zeros(len(columns), dtype=bool)

        if text_mask is not None and scores:
            # Related needs: listings in the levensgebied the person chose, or that the
            # query's words clearly point at, come after the text matches with a small score,
            # so a short or unusual phrasing still shows what exists.
            related = self._related_mask(columns, params, plan)
            if related is not None:
                floor = min(scores.values()) * RELATED_SCORE
                for docnum in np.nonzero(related & everything & ~text_mask)[0]:
                    scores[int(docnum)] = floor
                text_mask = text_mask | related
        final = everything if text_mask is None else (everything & text_mask)
        candidates = np.nonzero(final)[0]
        focus = near or plan.place
        distances = self._distances(columns, candidates, focus) if focus else {}
        coverage = self._coverage(searcher, plan) if scores else None
        ranked = self._rank(columns, candidates, scores, plan, params, distances, focus,
                            coverage)

        facets = self._facets(columns, base if text_mask is None else base & text_mask,
                              filters, params)
        start = (params.page - 1) * params.per_page
        page = ranked[start:start + params.per_page]
        hits = []
        for docnum, score in page:
            distance, area = distances.get(int(docnum), (None, False))
            hits.append(Hit(columns.ids[docnum], columns.names[docnum],
                            columns.organization_ids[docnum], columns.organizations[docnum],
                            columns.summaries[docnum], columns.metas[docnum], round(score, 4),
                            None if distance is None else round(distance, 1), area))
        suggestion = plan.suggestion()
        return SearchResult(params, len(ranked), hits, facets, suggestion, near, plan.place, plan)

    @staticmethod
    def _related_mask(columns: Columns, params: SearchParams,
                      plan: QueryPlan) -> np.ndarray | None:
        codes = set(params.category) | {code for code, strength in plan.categories.items()
                                        if strength >= RELATED_MIN_STRENGTH}
        codes &= set(CATEGORY_BITS)
        if not codes:
            return None
        bits = sum(1 << CATEGORY_BITS[c] for c in codes)
        return (columns.categories & bits) != 0

    # -- rules and filters ---------------------------------------------------------------
    @staticmethod
    def _rule_mask(columns: Columns, today: date, params: SearchParams) -> np.ndarray:
        """Never shown: deleted, inactive, and courses whose last session has passed."""
        mask = columns.alive.copy()
        if not params.include_inactive:
            mask &= columns.active
            ended = (columns.course_end > 0) & (columns.course_end < today.toordinal())
            mask &= ~ended
        return mask

    def _filter_masks(self, columns: Columns, params: SearchParams,
                      near: Place | None) -> dict[str, np.ndarray]:
        n = len(columns)
        masks: dict[str, np.ndarray] = {}

        def bits(codes: tuple[str, ...], table: dict[str, int]) -> int:
            return sum(1 << table[c] for c in codes)

        if params.category:
            masks["category"] = (columns.categories & bits(params.category, CATEGORY_BITS)) != 0
        if params.theme:
            masks["theme"] = (columns.themes & bits(params.theme, THEME_BITS)) != 0
        if params.audience:
            masks["audience"] = (columns.audiences & bits(params.audience, AUDIENCE_BITS)) != 0
        if params.type:
            masks["type"] = np.isin(columns.type, [TYPE_CODES.index(t) for t in params.type])
        if params.access:
            masks["access"] = np.isin(columns.access,
                                      [ACCESS_CODES.index(a) for a in params.access])
        if params.free:
            masks["cost"] = columns.cost == COST_CODES.index("gratis")
        if params.age is not None:
            age = float(params.age)
            masks["age"] = ~(columns.age_min > age) & ~(columns.age_max < age)
        if params.upcoming:
            masks["upcoming"] = columns.course_end >= self.today().toordinal()
        if params.municipality:
            wanted = {self.gazetteer.municipality_name(m) or m for m in params.municipality}
            masks["municipality"] = np.fromiter(
                (bool(wanted.intersection(m.get("municipalities", [])) or
                      wanted.intersection(m.get("areas", []))) for m in columns.metas),
                dtype=bool, count=n)
        if params.kern:
            wanted = {fold_name(k) for k in params.kern}
            masks["kern"] = np.fromiter(
                (any(fold_name(k) in wanted for k in m.get("kernen", []))
                 for m in columns.metas),
                dtype=bool, count=n)
        if params.lang:
            wanted = set(params.lang)
            masks["lang"] = np.fromiter(
                (bool(wanted.intersection(m.get("languages", []))) for m in columns.metas),
                dtype=bool, count=n)
        if params.open is not None:
            masks["open"] = np.fromiter((_is_open(m.get("slots", []), params.open)
                                         for m in columns.metas), dtype=bool, count=n)
        if near is not None:
            masks["near"] = self._near_mask(columns, near, params.km or 10.0)
        return masks

    @staticmethod
    def _near_mask(columns: Columns, near: Place, km: float) -> np.ndarray:
        """Within ``km`` of the point, or (without any location) serving its municipality."""
        n = len(columns)
        mask = np.zeros(n, dtype=bool)
        # A cheap box first: 1 degree latitude is 111 km; longitude shrinks with cos(lat).
        dlat = km / 110.0
        dlon = km / (111.3 * math.cos(math.radians(near.lat)))
        for docnum in np.nonzero(columns.has_point | columns.has_area)[0]:
            meta = columns.metas[docnum]
            points = meta.get("points") or []
            if points:
                for lat, lon in points:
                    if abs(lat - near.lat) <= dlat and abs(lon - near.lon) <= dlon and \
                            haversine_km(near.lat, near.lon, lat, lon) <= km:
                        mask[docnum] = True
                        break
            elif near.municipality in (meta.get("areas") or []):
                mask[docnum] = True
        return mask

    @staticmethod
    def _distances(columns: Columns, candidates: np.ndarray,
                   focus: Place) -> dict[int, tuple[float | None, bool]]:
        result: dict[int, tuple[float | None, bool]] = {}
        for docnum in candidates:
            meta = columns.metas[docnum]
            points = meta.get("points") or []
            if points:
                result[int(docnum)] = (min(haversine_km(focus.lat, focus.lon, lat, lon)
                                           for lat, lon in points), False)
            elif focus.municipality in (meta.get("areas") or []):
                result[int(docnum)] = (None, True)
        return result

    # -- ranking ---------------------------------------------------------------------------
    @staticmethod
    def _coverage(searcher, plan: QueryPlan):
        """Per query word group, its weight (idf) and the documents it matches, so a listing
        that matches the rare, meaningful words of a long question outranks one that matches
        many of its common words."""
        from .query import group_query

        groups = []
        for group, group_weight in list(zip(plan.groups, plan.group_weights, strict=True))[:12]:
            weight = group_weight * max((searcher.idf("description", stem_text)
                                         for stem_text, _ in group), default=1.0)
            docs = set(searcher.docs_for_query(group_query(group)))
            groups.append((weight, docs))
        total = sum(weight for weight, _ in groups)
        return (groups, total) if groups and total > 0 else None

    def _rank(self, columns: Columns, candidates: np.ndarray, scores: dict[int, float],
              plan: QueryPlan, params: SearchParams, distances: dict, focus: Place | None,
              coverage=None) -> list[tuple[int, float]]:
        scored = [(int(d), scores.get(int(d), 0.0)) for d in candidates]
        if scores:
            scored.sort(key=lambda item: -item[1])
            window, rest = scored[:RERANK_WINDOW], scored[RERANK_WINDOW:]
            feedback = self._feedback_categories(columns, window)
            window = [(d, self._adjust(columns, d, s, plan, distances, focus, coverage,
                                       feedback)) for d, s in window]
            best = max((score for _, score in window), default=0.0)
            wanted_names = {fold(plan.text).strip(), " ".join(plan.content_surfaces)}

            def tier(item: tuple[int, float]) -> tuple[int, int]:
                """Exact-name matches first; with a place in the query, then the listings at
                that place that match reasonably well; then the rest, by score."""
                exact = 0 if fold(columns.names[item[0]]).strip() in wanted_names else 1
                if plan.place is None or params.near is not None:
                    return exact, 0
                distance = distances.get(item[0], (None, False))[0]
                close = distance is not None and distance <= PLACE_TIER_KM
                return exact, 0 if close and item[1] >= PLACE_TIER_SHARE * best else 1

            window.sort(key=lambda item: (tier(item), -item[1]))
            scored = window + rest
        elif focus is not None:
            scored = [(d, self._place_factor(d, distances, focus)) for d, _ in scored]
            scored.sort(key=lambda item: (-item[1], columns.names[item[0]].lower()))
        else:
            scored.sort(key=lambda item: columns.names[item[0]].lower())
        if params.sort == "name":
            scored.sort(key=lambda item: fold(columns.names[item[0]]))
        elif params.sort == "distance":
            scored.sort(key=lambda item: (distances.get(item[0], (None, False))[0]
                                          if distances.get(item[0], (None, False))[0]
                                          is not None else 1e9))
        elif params.sort == "start_date":
            scored.sort(key=lambda item: (columns.course_start[item[0]] or 10**8))
        return scored

    @staticmethod
    def _feedback_categories(columns: Columns, window: list[tuple[int, float]]
                             ) -> dict[str, float]:
        """Levensgebieden of the best text matches, weighted by score (pseudo-relevance
        feedback): listings about the same need rank up even when they share few words."""
        weights: Counter[str] = Counter()
        total = 0.0
        for docnum, score in window[:FEEDBACK_DOCS]:
            for code in columns.metas[docnum].get("categories", []):
                weights[code] += score
            total += score
        return {code: value / total for code, value in weights.items()} if total else {}

    def _adjust(self, columns: Columns, docnum: int, score: float, plan: QueryPlan,
                distances: dict, focus: Place | None, coverage=None,
                feedback: dict[str, float] | None = None) -> float:
        meta = columns.metas[docnum]
        if coverage is not None:
            groups, total = coverage
            matched = sum(weight for weight, docs in groups if docnum in docs)
            score *= COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * matched / total
        if feedback:
            share = max((feedback.get(c, 0.0) for c in meta.get("categories", [])), default=0.0)
            score *= 1 + FEEDBACK_BONUS * share
        if is_stale(meta, self.today()):
            score *= STALE_FACTOR
        name = fold(columns.names[docnum])
        name_words = set(re.findall(r"\w+", name))
        surfaces = plan.content_surfaces
        if plan.categories:
            strength = max((plan.categories.get(c, 0.0) for c in meta.get("categories", [])),
                           default=0.0)
            score *= 1 + CATEGORY_BONUS * strength
        if surfaces:
            joined = " ".join(surfaces)
            if name == joined or name == fold(plan.text):
                score *= 1 + EXACT_NAME_BONUS
            elif len(surfaces) > 1 and all(w in name_words or w in name for w in surfaces):
                score *= 1 + NAME_HAS_ALL_BONUS
        if focus is not None:
            score *= self._place_factor(docnum, distances, focus)
        return score

    @staticmethod
    def _place_factor(docnum: int, distances: dict, focus: Place) -> float:
        distance, comes_to_you = distances.get(docnum, (None, False))
        if comes_to_you:
            return 1 + PLACE_AREA_BONUS
        if distance is None:
            return PLACE_FAR_FACTOR
        if distance > PLACE_FAR_KM:
            return PLACE_FAR_FACTOR
        return 1 + PLACE_NEAR_BONUS * math.exp(-distance / PLACE_DECAY_KM)

    # -- facets ----------------------------------------------------------------------------
    def _facets(self, columns: Columns, base: np.ndarray, filters: dict[str, np.ndarray],
                params: SearchParams) -> dict[str, dict[str, int]]:
        """Counts per facet value. A facet's own filter is left out of its counts, so a person
        sees how many they would get by choosing another value too (disjunctive facets)."""

        def without(name: str) -> np.ndarray:
            mask = base.copy()
            for key, value in filters.items():
                if key != name and not (name == "cost" and key == "cost"):
                    mask &= value
            return mask

        facets: dict[str, dict[str, int]] = {}
        mask = without("category")
        facets["category"] = {code: int(np.count_nonzero(mask & ((columns.categories >> bit) & 1
                                                                 == 1)))
                              for code, bit in CATEGORY_BITS.items()}
        mask = without("theme")
        facets["theme"] = {code: int(np.count_nonzero(mask & ((columns.themes >> bit) & 1 == 1)))
                           for code, bit in THEME_BITS.items()}
        mask = without("audience")
        facets["audience"] = {code: int(np.count_nonzero(mask & ((columns.audiences >> bit) & 1
                                                                 == 1)))
                              for code, bit in AUDIENCE_BITS.items()}
        for name, column, codes in (("type", columns.type, TYPE_CODES),
                                    ("access", columns.access, ACCESS_CODES),
                                    ("cost", columns.cost, COST_CODES)):
            values = column[without(name)]
            counts = np.bincount(values[values >= 0].astype(np.int64), minlength=len(codes))
            facets[name] = {code: int(counts[i]) for i, code in enumerate(codes)}
        for name, key in (("municipality", "municipalities"), ("kern", "kernen"),
                          ("lang", "languages")):
            counter: Counter[str] = Counter()
            for docnum in np.nonzero(without(name))[0]:
                meta = columns.metas[docnum]
                values = set(meta.get(key, []))
                if name == "municipality":
                    values |= set(meta.get("areas", []))
                counter.update(values)
            facets[name] = dict(sorted(counter.items()))
        return {name: {k: v for k, v in facets[name].items() if v} for name in FACET_NAMES}


def is_stale(meta: dict, today: date) -> bool:
    """Possibly out of date: nobody confirmed it (nor did its publisher change it) for a year.
    The confirmation date counts; the publisher's last change stands in when there is none."""
    known = meta.get("assured") or meta.get("modified")
    if not known:
        return False
    return (today - date.fromisoformat(known[:10])).days > STALE_DAYS


def _is_open(slots: list[list[int]], when: OpenAt) -> bool:
    """Open at that weekday (and time). Slots are [weekday, open_min, close_min], where a
    close past 1440 runs into the next day (a night shelter 22:00-08:00, a 24-hour line)."""
    for weekday, opens, closes in slots:
        if when.at is None:
            if weekday == when.weekday:
                return True
            continue
        minute = when.at.hour * 60 + when.at.minute
        if weekday == when.weekday and opens <= minute < closes:
            return True
        # The part of yesterday's slot that runs past midnight.
        if (weekday + 1) % 7 == when.weekday and closes > 1440 and minute < closes - 1440:
            return True
    return False
