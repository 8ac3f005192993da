"""The search engine behind the seam: plan the query, score, filter, rank, count facets.

``SearchEngine`` is what the web app, the CLI and the benchmarks talk to. The Whoosh index
holds the text; :mod:`scoring` computes BM25 over its posting lists in numpy, and everything
else (rules, filters, distance, facets) runs on the in-memory columns of :mod:`doctable`.
The backend interface (:class:`SearchBackend`) keeps the door open for a PostgreSQL
full-text backend with the same contract.
"""

from __future__ import annotations

import gc
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

from ..geo.gazetteer import EARTH_RADIUS_KM, Gazetteer, Place, fold_name
from .analysis import fold
from .doctable import CODES, Columns, SegmentCache
from .fusion import FusionConfig, fuse
from .index import IndexStore
from .language import Detection, detect
from .params import OpenAt, ParamError, SearchParams
from .query import FIELD_BOOSTS, PHRASE_FIELDS, QueryPlan, QueryPlanner, phrase_query
from .scoring import PostingCache, Scorer
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
RERANK_WINDOW = 150
RELATED_SCORE = 0.2          # related-need listings score this share of the weakest match
RELATED_MIN_STRENGTH = 1.0   # only levensgebieden named directly by thesaurus synonyms
PLACE_TIER_KM = 2.5          # "in Woudrichem": listings this close to the named place ...
PLACE_TIER_SHARE = 0.25      # ... that match at least this share of the best score go first
FEEDBACK_DOCS = 8            # top listings whose levensgebieden hint at what the query is about
FEEDBACK_BONUS = 0.3         # boost for listings sharing those levensgebieden
FACET_LIMIT = 100             # at most this many municipalities, kernen or languages
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
    #: Why it matched (for staff): lexical words, semantic similarity, filters.
    why: dict | None = None


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
        # The first two letters are rarely the mistyped ones; fixing them keeps this fast
        # at a vocabulary of a few hundred thousand words.
        for candidate in self.reader.terms_within("spell", word, maxdist, prefix=2):
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


def bridge_by_meaning(semantic, planner: QueryPlanner, config: FusionConfig, plan: QueryPlan,
                      query_vector: np.ndarray | None, detection: Detection) -> None:
    """Add the thesaurus phrases closest in meaning to the query to the plan (any language in,
    Dutch out); a query of unknown language is not bridged. Both backends call this."""
    if query_vector is None or detection.lang is None:
        return
    phrases = semantic.nearest_phrases(query_vector, floor=config.bridge_floor,
                                       margin=config.bridge_margin, limit=config.bridge_limit)
    weight = config.bridge_weight_foreign if detection.is_foreign else config.bridge_weight
    if weight > 0:
        planner.bridge(plan, phrases, weight)


class WhooshEngine:
    """The embedded default backend."""

    #: Embed a new query while the lexical part runs (True), or embed it once the query is
    #: planned and wait for it before scoring (False: the order of earlier versions). The
    #: rankings are the same (tests/search/test_semantic_overlap.py); benchmarks/speed.py
    #: compares the latency of both.
    overlap_query_embedding = True

    def __init__(self, store: IndexStore, gazetteer: Gazetteer, planner: QueryPlanner,
                 today: callable, semantic=None,
                 fusion: FusionConfig | None = None) -> None:
        """:param semantic: a ``semantic.SemanticIndex`` (or None: lexical only)."""
        self.store = store
        self.semantic = semantic
        self.fusion = fusion or FusionConfig()
        self.gazetteer = gazetteer
        self.planner = planner
        self.today = today
        self._segments = SegmentCache()
        self._postings = PostingCache()
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
            searcher = index.searcher()
            try:
                columns = self._segments.columns_for(searcher.reader())
            except BaseException:
                searcher.close()
                raise
            # Swap searcher and columns together, so a search never sees one without the
            # other.
            self._searcher, self._searcher_index, self._columns = searcher, index, columns
            self._name_rank = None  # computed on first need (sorting by name)
            served = np.unique(self._columns.serves_codes)
            self._local = frozenset(CODES.name(int(c)) for c in served if c >= 0)
            # The columns are long-lived: keep the garbage collector from scanning their
            # million small objects on every collection (it halved search time at 100k).
            gc.freeze()
            if old is not None:
                old.close()

    def _current(self):
        self._refresh()
        with self._lock:
            return self._searcher, self._columns

    def name_rank(self) -> np.ndarray:
        """Each document's position in alphabetical order (for sorting by name)."""
        with self._lock:
            if self._name_rank is None:
                names = np.array(self._columns.folded_names, dtype=str)
                order = np.argsort(names, kind="stable")
                rank = np.empty(len(order), dtype=np.int64)
                rank[order] = np.arange(len(order))
                self._name_rank = rank
            return self._name_rank

    def local_municipalities(self) -> frozenset[str]:
        self._refresh()
        return self._local

    # -- search --------------------------------------------------------------------------
    def search(self, params: SearchParams) -> SearchResult:
        # A new query's vector takes the model 10-20 ms. It is embedded in the background (the
        # C engine runs without the GIL) while this thread plans the query, builds the masks and
        # scores the words; only the thesaurus phrases bridged by meaning need the vector, and
        # their BM25 is added to the scores afterwards (see docs/semantic-search.md).
        overlap = self.overlap_query_embedding
        pending = self._start_query_vector(params.q) if overlap else None
        searcher, columns = self._current()
        today = self.today()
        near = None
        if params.near:
            near = self.gazetteer.resolve(params.near, prefer=self._local)
            if near is None:
                raise ParamError("near", f"plaats of postcode {params.near[:50]!r} is onbekend")
        reader = searcher.reader()
        detection = detect(params.q) if params.q.strip() else Detection(None, 0.0)
        plan = self.planner.plan(params.q, local_municipalities=self._local,
                                 detect_places=params.detect_places,
                                 vocabulary=_Vocabulary(reader), language=detection.lang)
        query_vector = None
        if not overlap:  # the old order: embed the query now, wait, bridge, then score
            pending = self._start_query_vector(params.q)
            query_vector = pending.result() if pending is not None else None
            self._bridge(plan, query_vector, detection)
        n = len(columns)
        base = self._rule_mask(columns, today, params)
        filters = self._filter_masks(columns, params, near)
        everything = base.copy()
        for mask in filters.values():
            everything &= mask

        scores = np.zeros(n, dtype=np.float32)
        scorer = Scorer(reader, columns.lengths, self._postings) if params.q.strip() else None
        coverage = self._score(scorer, plan, scores) if scorer is not None else None
        if overlap and pending is not None:
            query_vector = pending.result()
            known = len(plan.expansions)
            self._bridge(plan, query_vector, detection)
            # Bridged phrases come after every other expansion, as when they were planned
            # first: the float sums, and so the ranking, are the same to the last bit.
            self._score_expansions(scorer, plan.expansions[known:], scores)
        text_mask: np.ndarray | None = None
        if not plan.is_empty:
            if plan.language is not None:
                coverage = None  # foreign words say little about how well a listing matches
            text_mask = scores > 0
            if text_mask.any():
                # Related needs: listings in the levensgebied the person chose, or that the
                # query's words clearly point at, follow the text matches with a small
                # score, so a short or unusual phrasing still shows what exists.
                related = self._related_mask(columns, params, plan)
                if related is not None:
                    floor = float(scores[text_mask].min()) * RELATED_SCORE
                    extra = related & everything & ~text_mask
                    scores[extra] = floor
                    text_mask = text_mask | related
        elif params.q.strip() and plan.place is None:
            text_mask = np.zeros(n, dtype=bool)  # only unusable words: nothing matches

        similarity = None
        fused = None
        if text_mask is not None and query_vector is not None:
            similarity = self.semantic.similarities(columns.ids, columns, query_vector,
                                                    within=everything)
            fused = fuse(scores, text_mask, similarity, everything,
                         trusted=detection.lang is not None,
                         foreign=detection.is_foreign, config=self.fusion)
            scores, text_mask = fused.scores, fused.mask

        final = everything if text_mask is None else (everything & text_mask)
        candidates = np.nonzero(final)[0]
        focus = near or plan.place
        order, final_scores, distances = self._rank(
            columns, candidates, scores, plan, params, focus, coverage, searcher,
            text_mask is not None)

        facets = self._facets(columns, base if text_mask is None else base & text_mask,
                              filters)
        start = (params.page - 1) * params.per_page
        page = order[start:start + params.per_page].tolist()
        if focus is not None:
            distances.update(self._distances(columns, np.array(page, dtype=np.int64), focus))
        hits = []
        for docnum in page:
            distance, area = distances.get(docnum, (None, False))
            hits.append(Hit(columns.ids[docnum], columns.names[docnum],
                            columns.organization_ids[docnum], columns.organizations[docnum],
                            columns.summaries[docnum], columns.metas[docnum],
                            round(float(final_scores.get(docnum, scores[docnum])), 4),
                            None if distance is None else round(float(distance), 1), area,
                            _why(docnum, plan, coverage, similarity, fused, filters)))
        suggestion = plan.suggestion()
        extra = {"language": detection.lang, "semantic": fused is not None,
                 "dutch_phrasing": dutch_phrasing(plan) if detection.is_foreign else []}
        return SearchResult(params, len(order), hits, facets, suggestion, near, plan.place, plan,
                            extra)

    def _semantic_ready(self) -> bool:
        """Semantic search is on and at least one listing has its vector."""
        return self.semantic is not None and len(self.semantic) > 0

    def _start_query_vector(self, text: str):
        """The query's vector on its way (``semantic.PendingQuery``), or None when there is
        nothing to embed or no semantic signal."""
        if not text.strip() or not self._semantic_ready():
            return None
        return self.semantic.start_query(text)

    def _bridge(self, plan: QueryPlan, query_vector: np.ndarray | None,
                detection: Detection) -> None:
        bridge_by_meaning(self.semantic, self.planner, self.fusion, plan, query_vector,
                          detection)

    # -- text scoring ----------------------------------------------------------------------
    @staticmethod
    def _score(scorer: Scorer, plan: QueryPlan, scores: np.ndarray):
        """Add every word's and expansion's BM25 to ``scores``; return, per word group, its
        weight and the documents it matched (for the coverage rule)."""
        groups = []
        for group, group_weight in zip(plan.groups, plan.group_weights, strict=True):
            matched = np.zeros(len(scores), dtype=bool)
            for stem_text, weight in group:
                for name, boost in FIELD_BOOSTS.items():
                    ids, values = scorer.term(name, stem_text, boost * weight)
                    if len(ids):
                        scores[ids] += values
                        matched[ids] = True
            idf = max((scorer.idf("description", stem_text) for stem_text, _ in group),
                      default=1.0)
            groups.append((group_weight * idf, matched))
        WhooshEngine._score_expansions(scorer, plan.expansions, scores)
        total_weight = sum(weight for weight, _ in groups)
        return (groups, total_weight) if groups and total_weight > 0 else None

    @staticmethod
    def _score_expansions(scorer: Scorer, expansions: list, scores: np.ndarray) -> None:
        """Add the BM25 of thesaurus expansions (single words and phrases) to ``scores``."""
        for expansion in expansions:
            if len(expansion.stems) == 1:
                for name, boost in FIELD_BOOSTS.items():
                    ids, values = scorer.term(name, expansion.stems[0],
                                              boost * expansion.weight)
                    if len(ids):
                        scores[ids] += values
                continue
            # A phrase from the thesaurus: all its words in the same field.
            for name in PHRASE_FIELDS:
                common = None
                total = None
                for stem_text in expansion.stems:
                    ids, values = scorer.term(name, stem_text,
                                              FIELD_BOOSTS[name] * expansion.weight)
                    part = np.zeros(len(scores), dtype=np.float32)
                    part[ids] = values
                    present = part > 0
                    common = present if common is None else common & present
                    total = part if total is None else total + part
                if common is not None and common.any():
                    scores[common] += total[common]

    def _phrase_bonus(self, searcher, plan: QueryPlan, window: list[int]) -> dict[int, float]:
        """The query's words standing together (a phrase, a few words apart at most) in the
        name or description: checked with positions, only for the best candidates."""
        query = phrase_query(plan, fields=("name", "organization"))
        if query is None or not window:
            return {}
        try:
            results = searcher.search(query, filter=set(window), limit=None)
        except Exception:  # a phrase check must never break a search
            log.exception("phrase bonus failed")
            return {}
        return {docnum: score for score, docnum in results.top_n}

    # -- rules and filters -----------------------------------------------------------------
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

        def any_code(matrix: np.ndarray, names) -> np.ndarray:
            codes = [c for c in (CODES.lookup(name) for name in names) if c is not None]
            if not codes:
                return np.zeros(n, dtype=bool)
            return np.isin(matrix, codes).any(axis=1)

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
            masks["municipality"] = any_code(columns.municipality_codes, wanted) | \
                any_code(columns.area_codes, wanted)
        if params.kern:
            wanted = {fold_name(k) for k in params.kern}
            names = [CODES.name(c) for c in range(len(CODES)) if fold_name(CODES.name(c))
                     in wanted]
            masks["kern"] = any_code(columns.kern_codes, names)
        if params.lang:
            masks["lang"] = any_code(columns.language_codes, params.lang)
        if params.open is not None:
            masks["open"] = np.fromiter((_is_open(m.get("slots", []), params.open)
                                         for m in columns.metas), dtype=bool, count=n)
        if near is not None:
            masks["near"] = self._near_mask(columns, near, params.km or 10.0)
        if params.only_ids is not None:
            wanted_ids = params.only_ids
            masks["only_ids"] = np.fromiter((i in wanted_ids for i in columns.ids), dtype=bool,
                                            count=n)
        return masks

    @staticmethod
    def _near_mask(columns: Columns, near: Place, km: float) -> np.ndarray:
        """Within ``km`` of the point, or (without any location) serving its municipality."""
        located = np.zeros(len(columns), dtype=bool)
        rows = _in_box(columns, near, km)
        if len(rows):
            distances = haversine_matrix(near.lat, near.lon, columns.lats[rows],
                                         columns.lons[rows])
            located[rows] = (np.nan_to_num(distances, nan=np.inf) <= km).any(axis=1)
        code = CODES.lookup(near.municipality)
        comes = np.zeros(len(columns), dtype=bool) if code is None else \
            (columns.area_codes == code).any(axis=1)
        return located | (~columns.has_point & comes)

    @staticmethod
    def _nearest(columns: Columns, docnums: np.ndarray,
                 focus: Place) -> tuple[np.ndarray, np.ndarray]:
        """Distance to the nearest location (inf without one), and whether a listing without
        location serves the focus's municipality, for each docnum."""
        if not len(docnums):
            return np.empty(0), np.empty(0, dtype=bool)
        distances = haversine_matrix(focus.lat, focus.lon, columns.lats[docnums],
                                     columns.lons[docnums])
        nearest = np.where(np.isnan(distances), np.inf, distances).min(axis=1)
        code = CODES.lookup(focus.municipality)
        comes = np.zeros(len(docnums), dtype=bool) if code is None else \
            (columns.area_codes[docnums] == code).any(axis=1) & ~columns.has_point[docnums]
        return nearest, comes

    def _distances(self, columns: Columns, docnums: np.ndarray,
                   focus: Place) -> dict[int, tuple[float | None, bool]]:
        nearest, comes = self._nearest(columns, docnums, focus)
        result: dict[int, tuple[float | None, bool]] = {}
        for i, docnum in enumerate(docnums.tolist()):
            if np.isfinite(nearest[i]):
                result[docnum] = (float(nearest[i]), False)
            elif comes[i]:
                result[docnum] = (None, True)
        return result

    # -- ranking ---------------------------------------------------------------------------
    def _rank(self, columns: Columns, candidates: np.ndarray, scores: np.ndarray,
              plan: QueryPlan, params: SearchParams, focus: Place | None, coverage, searcher,
              has_text: bool) -> tuple[np.ndarray, dict[int, float], dict]:
        """The final order of all candidates, the re-ranked scores of the best ones, and the
        distances computed on the way. Only the best RERANK_WINDOW are looked at one by one;
        everything else stays in numpy."""
        distances: dict[int, tuple[float | None, bool]] = {}
        adjusted: dict[int, float] = {}
        if not len(candidates):
            return candidates, adjusted, distances
        if has_text:
            order = candidates[np.argsort(-scores[candidates], kind="stable")]
            window_ids = order[:RERANK_WINDOW]
            if focus is not None:
                distances = self._distances(columns, window_ids, focus)
            window = [(int(d), float(scores[d])) for d in window_ids]
            feedback = self._feedback_categories(columns, window)
            phrases = self._phrase_bonus(searcher, plan, [d for d, _ in window])
            window = [(d, self._adjust(columns, d, s + phrases.get(d, 0.0), plan, distances,
                                       focus, coverage, feedback)) for d, s in window]
            best = max((score for _, score in window), default=0.0)
            wanted_names = {fold(plan.text).strip(), " ".join(plan.content_surfaces)}

            def tier(item: tuple[int, float]) -> tuple[int, int]:
                """Exact-name matches first; with a place in the query, then the listings at
                that place that match reasonably well; then the rest, by score."""
                exact = 0 if columns.folded_names[item[0]] in wanted_names else 1
                if plan.place is None or params.near is not None:
                    return exact, 0
                distance = distances.get(item[0], (None, False))[0]
                close = distance is not None and distance <= PLACE_TIER_KM
                return exact, 0 if close and item[1] >= PLACE_TIER_SHARE * best else 1

            window.sort(key=lambda item: (tier(item), -item[1]))
            adjusted = dict(window)
            order = np.concatenate([np.array([d for d, _ in window], dtype=np.int64),
                                    order[RERANK_WINDOW:]])
        elif focus is not None:
            nearest, comes = self._nearest(columns, candidates, focus)
            factor = np.where(comes, 1 + PLACE_AREA_BONUS,
                              np.where(nearest > PLACE_FAR_KM, PLACE_FAR_FACTOR,
                                       1 + PLACE_NEAR_BONUS * np.exp(
                                           -np.minimum(nearest, 1e6) / PLACE_DECAY_KM)))
            order = candidates[np.lexsort((self.name_rank()[candidates], -factor))]
            adjusted = {int(d): float(f) for d, f in zip(candidates, factor, strict=True)}
        else:
            order = candidates[np.argsort(self.name_rank()[candidates], kind="stable")]
        if params.sort == "name":
            order = order[np.argsort(self.name_rank()[order], kind="stable")]
        elif params.sort == "distance" and focus is not None:
            nearest, comes = self._nearest(columns, order, focus)
            order = order[np.argsort(np.where(comes, 1e8, nearest), kind="stable")]
        elif params.sort == "start_date":
            starts = columns.course_start[order].astype(np.int64)
            order = order[np.argsort(np.where(starts > 0, starts, 10**8), kind="stable")]
        return order, adjusted, distances

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
            matched = sum(weight for weight, docs in groups if docs[docnum])
            score *= COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * matched / total
        if feedback:
            share = max((feedback.get(c, 0.0) for c in meta.get("categories", [])), default=0.0)
            score *= 1 + FEEDBACK_BONUS * share
        if is_stale(meta, self.today()):
            score *= STALE_FACTOR
        name = columns.folded_names[docnum]
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
    @staticmethod
    def _facets(columns: Columns, base: np.ndarray,
                filters: dict[str, np.ndarray]) -> dict[str, dict[str, int]]:
        """Counts per facet value. A facet's own filter is left out of its counts, so a person
        sees how many they would get by choosing another value too (disjunctive facets)."""

        def without(name: str) -> np.ndarray:
            others = [value for key, value in filters.items() if key != name]
            if not others:
                return base
            mask = base.copy()
            for value in others:
                mask &= value
            return mask

        pairs = facet_pairs(columns)
        result: dict[str, dict[str, int]] = {}
        for name in FACET_NAMES:
            docs, codes, labels = pairs[name]
            counts = np.bincount(codes[without(name)[docs]], minlength=len(labels)) \
                if len(codes) else np.zeros(0, dtype=np.int64)
            present = np.nonzero(counts)[0]
            if name in ("municipality", "kern", "lang"):
                # A region has thousands of kernen: keep the biggest, then list them by name.
                if len(present) > FACET_LIMIT:
                    top = np.argpartition(-counts[present], FACET_LIMIT)[:FACET_LIMIT]
                    present = present[top]
                result[name] = dict(sorted((CODES.name(int(i)), int(counts[i]))
                                           for i in present))
            else:
                result[name] = {labels[int(i)]: int(counts[i]) for i in present}
        return result


#: At most this many Dutch phrasings are offered for a query in another language.
PHRASINGS = 3


def dutch_phrasing(plan: QueryPlan) -> list[str]:
    """Dutch phrasings for a query in another language ("domestic violence" -> "huiselijk
    geweld"): the thesaurus phrases it was bridged to by meaning, then the strongest thesaurus
    expansions of its words."""
    ranked = sorted(plan.expansions, key=lambda e: (-len(e.source.split()), -e.weight))
    candidates = list(plan.bridged) + [e.phrase for e in ranked]
    phrasings: list[str] = []
    for phrase in candidates:
        if phrase and phrase not in phrasings and detect(phrase).lang in ("nl", None):
            phrasings.append(phrase)
        if len(phrasings) == PHRASINGS:
            break
    return phrasings


def _why(docnum: int, plan: QueryPlan, coverage, similarity: np.ndarray | None, fused,
         filters: dict[str, np.ndarray]) -> dict:
    """What made a listing match, for staff: never shown to residents, never in the API."""
    words: list[str] = []
    if coverage is not None:
        groups, _ = coverage
        words = [word for word, (_, docs) in zip(plan.group_words, groups, strict=False)
                 if docs[docnum]]
    why: dict = {"words": words, "filters": sorted(filters)}
    if similarity is not None and not np.isnan(similarity[docnum]):
        why["similarity"] = round(float(similarity[docnum]), 3)
    if fused is not None:
        why["semantic_only"] = bool(fused.semantic_only[docnum])
    return why


def facet_pairs(columns: Columns) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
    """Per facet, every (document, value) pair as two arrays, computed once per index
    version: counting a facet is then one gather and one bincount."""
    cached = getattr(columns, "_facet_pairs", None)
    if cached is not None:
        return cached

    def from_bits(values: np.ndarray, table: dict[str, int]):
        docs, codes = [], []
        labels = [""] * (max(table.values()) + 1 if table else 0)
        for code, bit in table.items():
            labels[bit] = code
            hit = np.nonzero((values >> bit) & 1)[0]
            docs.append(hit)
            codes.append(np.full(len(hit), bit, dtype=np.int64))
        return np.concatenate(docs), np.concatenate(codes), labels

    def from_index(values: np.ndarray, labels: list[str]):
        docs = np.nonzero(values >= 0)[0]
        return docs, values[docs].astype(np.int64), list(labels)

    def from_matrix(matrix: np.ndarray):
        rows, cols = np.nonzero(matrix >= 0)
        return rows, matrix[rows, cols].astype(np.int64), []

    pairs = {
        "category": from_bits(columns.categories, CATEGORY_BITS),
        "theme": from_bits(columns.themes, THEME_BITS),
        "audience": from_bits(columns.audiences, AUDIENCE_BITS),
        "type": from_index(columns.type, TYPE_CODES),
        "access": from_index(columns.access, ACCESS_CODES),
        "cost": from_index(columns.cost, COST_CODES),
        "municipality": from_matrix(columns.serves_codes),
        "kern": from_matrix(columns.kern_codes),
        "lang": from_matrix(columns.language_codes),
    }
    columns._facet_pairs = pairs
    return pairs


def _in_box(columns: Columns, near: Place, km: float) -> np.ndarray:
    """Rows with a location inside the bounding box of the circle: a cheap first cut on the
    first location of each listing, plus every listing with more than one location."""
    dlat = km / 110.0
    dlon = km / (111.3 * max(0.1, math.cos(math.radians(near.lat))))
    first_lat = columns.lats[:, 0]
    first_lon = columns.lons[:, 0]
    inside = (np.abs(first_lat - near.lat) <= dlat) & (np.abs(first_lon - near.lon) <= dlon)
    return np.nonzero(inside | columns.multi_point)[0]


def haversine_matrix(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle distances in km from one point to arrays of points (nan stays nan)."""
    phi1 = math.radians(lat)
    phi2 = np.radians(lats)
    dphi = phi2 - phi1
    dlmb = np.radians(lons - lon)
    a = np.sin(dphi / 2) ** 2 + math.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


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
