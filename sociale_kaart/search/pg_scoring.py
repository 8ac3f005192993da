"""Scoring for the PostgreSQL backend: collection statistics, BM25 over fetched candidates, the
cheap pre-rank that PostgreSQL computes for every match, and the planner's vocabulary questions,
all answered from the ``search`` tables.

Why separate: these are the pieces that must agree with the Whoosh backend number for number
(``scoring.Scorer`` and ``engine.PgVocabulary``); keeping them together makes that comparison a
short read.

Why a pre-rank: at a million listings a common word matches a large share of them, and fetching
every match's tokens to score it in Python costs seconds. PostgreSQL therefore orders the matches
by a cheap score (:func:`prerank_items`: per query alternative, its idf times its field boost
times its weight, summed over the alternatives a listing contains) and sends only the best
``PRERANK_LIMIT`` to the exact BM25F and re-ranking. The pre-rank is BM25 with every term
frequency 1 and every field of average length, so the listings it leaves out are those that
match only the query's weak (common, low-boost) alternatives.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from itertools import combinations

import numpy as np

from .engine import _edit_distance
from .pg_documents import quote_lexeme
from .pg_schema import FIELD_CODES, LIVE, TEXT_FIELDS
from .query import FIELD_BOOSTS, PHRASE_FIELDS, QueryPlan
from .scoring import K1, B

TRIGRAM_THRESHOLD = 0.3
_QUOTED = re.compile(r"'((?:[^']|'')*)'")
_TSV_ITEM = re.compile(r"'((?:[^']|'')*)'(?::([0-9A-D,]+))?")


class IndexStats:
    def __init__(self, row) -> None:
        self.version, self.generation, self.docs = int(row[0]), int(row[1]), int(row[2])
        totals = row[3:8]
        self.avg = {field: (float(total) / self.docs if self.docs and total else 1.0)
                    for field, total in zip(TEXT_FIELDS, totals, strict=True)}


def bm25_idf(df: int, docs: int) -> float:
    """BM25's idf, as ``scoring.Scorer`` computes it."""
    return math.log(1 + (max(1, docs) - df + 0.5) / (df + 0.5))


class TermCache:
    """Document frequencies of lexemes, kept in the process per index generation.

    Why: every query asks for the df of all its lexemes (five fields per stem); the answers
    only change when the index does (the generation counter in ``search.stats``), so a web
    process asks PostgreSQL once per lexeme and generation. Bounded: cleared when it grows
    past ``limit`` entries.
    """

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._generation = -1
        self._df: dict[str, int] = {}

    def df(self, conn, generation: int, lexemes: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(lexemes))
        with self._lock:
            if generation != self._generation or len(self._df) > self.limit:
                self._generation, self._df = generation, {}
            missing = [lexeme for lexeme in wanted if lexeme not in self._df]
        found: dict[str, int] = {}
        if missing:
            found = dict.fromkeys(missing, 0)
            found.update(conn.execute(f"SELECT term, df FROM {LIVE}.term WHERE term = ANY(%s)",
                                      (missing,)).fetchall())
            with self._lock:
                if generation == self._generation:
                    self._df.update(found)
        with self._lock:
            cached = {lexeme: self._df[lexeme] for lexeme in wanted if lexeme in self._df}
        cached.update(found)
        return {lexeme: value for lexeme, value in cached.items() if value > 0}


class GenerationCache:
    """Answers of bounded statements (counts, facet counts) kept per index generation.

    Why: browsing (no words, only filters or a place) and paging through a result ask
    PostgreSQL the same counting questions again and again, and at a million listings each
    costs a scan of thousands of rows. The answers change only when the index does, and every
    change bumps the generation in ``search.stats`` (a rebuild too), which every search reads
    first; so an answer is reused only while the generation is the one it was computed at,
    on every web node alike. The key is the statement and all its arguments (the date
    included, so ended courses drop out the next day). Bounded: least recently used first out.
    """

    def __init__(self, limit: int = 2000) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._generation = -1
        self._entries: OrderedDict = OrderedDict()

    @staticmethod
    def key(*parts) -> tuple:
        """A hashable key from statements and argument dicts (lists become tuples)."""

        def frozen(value):
            if isinstance(value, dict):
                return tuple(sorted((k, frozen(v)) for k, v in value.items()))
            if isinstance(value, (list, tuple, set, frozenset)):
                return tuple(frozen(v) for v in value)
            return value

        return tuple(frozen(part) for part in parts)

    def get(self, generation: int, key: tuple):
        with self._lock:
            if generation != self._generation:
                return None
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, generation: int, key: tuple, value) -> None:
        with self._lock:
            if generation < self._generation:
                return  # computed before a newer generation was seen: not worth keeping
            if generation != self._generation:
                self._generation, self._entries = generation, OrderedDict()
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.limit:
                self._entries.popitem(last=False)


def essential_items(items: list[tuple[str, float, int]], budget: int
                    ) -> list[tuple[str, float, int]]:
    """The alternatives that find the candidates: the strongest first, as long as together
    they match at most ``budget`` listings (by document frequency), and at least one.

    Why: a listing that contains only weak alternatives (common words in low-boost fields)
    rarely reaches the first page, while those common words match most of the collection.
    This is the "essential lists" idea of MaxScore: all alternatives still score the
    candidates; only the strong ones decide which listings are candidates.

    An alternative no listing has (document frequency 0: a thesaurus phrase or compound
    nobody wrote) weighs the most, by its idf, and finds nothing: it is left out, or the
    candidates of a query whose strongest alternatives are all such would be none at all
    (at a million listings most queries of the benchmark's mix were)."""
    strongest_first = sorted(items, key=lambda it: (-it[1], it[2], it[0]))
    chosen: list[tuple[str, float, int]] = []
    total = 0
    for item in strongest_first:
        if item[2] == 0:
            continue
        if chosen and total + item[2] > budget:
            break
        chosen.append(item)
        total += item[2]
    return chosen or strongest_first[:1]  # nothing any listing has: the strongest anyway


#: A text query is "broad" when (sum of its lexemes' document frequencies) x (the share of
#: listings it matches) exceeds this: then building its GIN bitmap (cost ~ the sum, one
#: bitmap per alternative: ``GIN_POSTING_US`` an entry) costs more than reading the table in
#: order until the count's first 500 matches (cost ~ 500 / the share, ``ROW_TEST_US`` a
#: ``search.match`` row tested): 4.0 x 500 / 0.1. (5,000 while the count's bitmap came from
#: one tsquery of every alternative, about 3 us an entry.)
BROAD_SWITCH = 20_000


def _postings_and_share(items: list[tuple[str, float, int]], docs: int,
                        df: dict[str, int] | None) -> tuple[int, float]:
    """The postings a GIN index reads for ``items`` (those of every lexeme, inside phrases
    too: their document frequencies from ``df``) and the share of listings that match one
    of them (assuming the words occur independently)."""
    postings = 0
    missing = 1.0
    for item, _, freq in items:
        if item.startswith("("):  # a phrase: its listings are among its words' listings,
            # but the index still reads the postings of each of its words
            postings += sum((df or {}).get(lexeme.replace("''", "'"), freq)
                            for lexeme in _QUOTED.findall(item))
            continue
        postings += freq
        missing *= max(0.0, 1.0 - freq / docs)
    return postings, 1.0 - missing


def is_broad(items: list[tuple[str, float, int]], docs: int,
             df: dict[str, int] | None = None) -> bool:
    """Whether the query matches so many listings that counting them is cheaper by reading
    the table than through the GIN index (see ``BROAD_SWITCH``)."""
    if docs <= 0:
        return False
    postings, share = _postings_and_share(items, docs, df)
    return postings * share > BROAD_SWITCH


#: What finding candidates costs, in microseconds at a million listings: a posting of a
#: GIN bitmap built from separate alternatives (``any_alternative``: 0.1, 111,000 postings in
#: 11 ms) and a listing read in table order or through another filter's index and tested
#: against every alternative (4-5: 52,811 listings in 250 ms).
GIN_POSTING_US = 0.1
ROW_TEST_US = 4.0


def candidates_in_order(items: list[tuple[str, float, int]], docs: int,
                        df: dict[str, int] | None, budget: int, passing: float = 1.0) -> bool:
    """Whether ``budget`` listings that match one of ``items`` are found faster by testing
    listings one by one (in table order, or those another filter's index picks) than
    through the GIN bitmap of every alternative: when they are so common that few listings
    are read before ``budget`` match.

    ``passing``: the share of the listings read that pass the search's filters (those tested
    row by row; as with the words, assumed independent of them). Why: a category of few
    listings makes reading in order slower by that factor: "eenzaamheid" (30 % of the
    listings) in category "werk" (5 %) read the whole table in order (750 ms) where the
    bitmaps took 10 ms."""
    if docs <= 0:
        return False
    postings, share = _postings_and_share(items, docs, df)
    if share <= 0.0 or passing <= 0.0:
        return False
    return ROW_TEST_US * min(docs, budget / (share * passing)) < GIN_POSTING_US * postings


#: ``any_alternative`` writes at most this many alternatives as separate conditions; more
#: (a long query full of thesaurus phrases) as one tsquery, which plans faster.
SEPARATE_ALTERNATIVES = 100


def any_alternative(alternatives: list[str], arg, within: str | None = None) -> str:
    """SQL: ``words`` matches one of the tsqueries ``alternatives`` (``arg`` makes each a
    parameter), one ``@@`` per alternative, ORed; with ``within`` (a tsquery of filters'
    lexemes, ``pg_schema.FILTER_LEXEMES``) each alternative ANDed with it, so the GIN index
    finds the listings that pass those filters in the same scan.

    Why not one tsquery ``a | b | ...``: the GIN index tests the whole tsquery for every
    listing in any of its lexemes' postings, so its bitmap costs their number times the
    query's size (56 alternatives of "domestic violence", 64,737 listings: 124 ms).
    Separately PostgreSQL builds one small bitmap per alternative and ORs them
    (``BitmapOr``: 18 ms), and ANDs the result with another filter's bitmap."""
    if not alternatives:
        return "false"
    if len(alternatives) > SEPARATE_ALTERNATIVES:
        alternatives = [" | ".join(alternatives)]
    if within is not None:
        alternatives = [f"({item}) & ({within})" for item in alternatives]
    if len(alternatives) == 1:
        return f"words @@ {arg(alternatives[0])}::tsquery"
    return "(" + " OR ".join(f"words @@ {arg(item)}::tsquery" for item in alternatives) + ")"


#: ``absorbed`` looks up the smaller phrases within a phrase of at most this many words;
#: longer ones it compares with every phrase.
ABSORB_SUBSETS_UP_TO = 8


def absorbed(alternatives: Iterable[str]) -> list[str]:
    """The alternatives (``prerank_items``' tsqueries) that no other one implies, in their
    order: their OR matches the same listings (A | (A & B) = A).

    Why: PostgreSQL tests every alternative of an OR on each listing that does not match, a
    binary search of its words per alternative, and a count or a facet sample near a place
    tests thousands of listings. The thesaurus makes many phrases that contain another
    ("huiselijk geweld", "meldpunt huiselijk geweld", ...), each in three fields: of the 68
    alternatives of "domestic violence", 12 are implied by others, and the test took a
    quarter less time a listing (7 -> 5.6 us)."""
    items = list(dict.fromkeys(alternatives))
    lexemes = [frozenset(_QUOTED.findall(item)) for item in items]
    singles = {next(iter(found)) for found in lexemes if len(found) == 1}
    phrases = {found for found in lexemes if len(found) > 1}

    def implied(found: frozenset[str]) -> bool:
        if not singles.isdisjoint(found):
            return True
        if len(found) <= ABSORB_SUBSETS_UP_TO:  # its few smaller phrases, looked up
            return any(frozenset(part) in phrases for size in range(2, len(found))
                       for part in combinations(found, size))
        return any(other < found for other in phrases)

    return [item for item, found in zip(items, lexemes, strict=True)
            if len(found) < 2 or not implied(found)]


def prerank_items(plan: QueryPlan, df: dict[str, int], docs: int
                  ) -> list[tuple[str, float, int]]:
    """The query's alternatives as ``(tsquery, weight, df)``: every field of every word and
    single-word expansion, and a multi-word expansion only when all its words are in the same
    field (as the engine's phrase rule wants). Their OR is the text match; the sum of the
    weights a listing matches is its pre-rank (see the module docstring)."""
    weights: dict[str, float] = {}
    freqs: dict[str, int] = {}

    def add(item: str, weight: float, freq: int) -> None:
        weights[item] = weights.get(item, 0.0) + weight
        freqs[item] = freq

    stems = [(stem, weight) for group in plan.groups for stem, weight in group]
    stems += [(e.stems[0], e.weight) for e in plan.expansions if len(e.stems) == 1]
    for stem, weight in stems:
        for field, code in FIELD_CODES.items():
            lexeme = f"{code}:{stem}"
            add(quote_lexeme(lexeme),
                bm25_idf(df.get(lexeme, 0), docs) * FIELD_BOOSTS[field] * weight,
                df.get(lexeme, 0))
    for expansion in plan.expansions:
        if len(expansion.stems) > 1:
            for field in PHRASE_FIELDS:
                code = FIELD_CODES[field]
                lexemes = [f"{code}:{s}" for s in expansion.stems]
                add("(" + " & ".join(quote_lexeme(lexeme) for lexeme in lexemes) + ")",
                    sum(bm25_idf(df.get(lexeme, 0), docs) for lexeme in lexemes)
                    * FIELD_BOOSTS[field] * expansion.weight,
                    min(df.get(lexeme, 0) for lexeme in lexemes))
    return [(item, weight, freqs[item]) for item, weight in weights.items()]


class CandidateScorer:
    """BM25 over the candidates fetched from PostgreSQL, with the collection's statistics:
    the same formula and inputs as ``scoring.Scorer`` (term frequency, quantised field length,
    average length, document frequency), in the candidates' own numbering."""

    def __init__(self, postings: dict[str, tuple[list[int], list[int]]],
                 lengths: dict[str, np.ndarray], stats: IndexStats, df: dict[str, int]) -> None:
        self.postings_by_lexeme = postings
        self.lengths = lengths
        self.stats = stats
        self.df = df
        self.doc_count = max(1, stats.docs)

    def _idf(self, lexeme: str) -> float:
        df = self.df.get(lexeme, 0)
        return math.log(1 + (self.doc_count - df + 0.5) / (df + 0.5))

    def term(self, field: str, text: str, boost: float) -> tuple[np.ndarray, np.ndarray]:
        lexeme = f"{FIELD_CODES[field]}:{text}"
        found = self.postings_by_lexeme.get(lexeme)
        if not found:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        ids = np.asarray(found[0], dtype=np.int64)
        tf = np.asarray(found[1], dtype=np.float32)
        lengths = self.lengths[field][ids]
        norm = K1 * (1 - B + B * lengths / self.stats.avg[field])
        scores = self._idf(lexeme) * tf * (K1 + 1) / (tf + norm)
        return ids, (scores * boost).astype(np.float32)

    def idf(self, field: str, text: str) -> float:
        return self._idf(f"{FIELD_CODES[field]}:{text}")


class PgVocabulary:
    """The planner's questions (is this stem indexed? the nearest known spelling?) answered by
    ``search.term``; the same rules as the Whoosh backend's vocabulary."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def known(self, stem_text: str) -> bool:
        lexemes = [f"{code}:{stem_text}" for code in FIELD_CODES.values()]
        row = self.conn.execute(f"SELECT 1 FROM {LIVE}.term WHERE term = ANY(%s) AND df > 0 "
                                "LIMIT 1", (lexemes,)).fetchone()
        return row is not None

    def correct(self, word: str) -> str | None:
        if len(word) < 4 or not word.isalpha():
            return None
        if self.conn.execute(f"SELECT 1 FROM {LIVE}.term WHERE term = %s AND df > 0",
                             (f"s:{word}",)).fetchone():
            return None
        maxdist = 1 if len(word) <= 5 else 2
        self.conn.execute(f"SET LOCAL pg_trgm.similarity_threshold = {TRIGRAM_THRESHOLD}")
        rows = self.conn.execute(
            f"SELECT substr(term, 3), df FROM {LIVE}.term "
            "WHERE left(term, 2) = 's:' AND substr(term, 3) %% %s AND df > 0 "
            "AND substr(term, 3, 2) = %s AND length(term) - 2 BETWEEN %s AND %s",
            (word, word[:2], len(word) - maxdist, len(word) + maxdist)).fetchall()
        best: tuple[float, str] | None = None
        for candidate, freq in sorted(rows):
            distance = _edit_distance(word, candidate)
            if distance > maxdist:
                continue
            rank = freq / (1 + 4 * distance)
            if best is None or rank > best[0]:
                best = (rank, candidate)
        return best[1] if best else None



def parse_tsvector(text: str) -> Iterator[tuple[str, int]]:
    for match in _TSV_ITEM.finditer(text):
        positions = match.group(2)
        yield match.group(1).replace("''", "'"), (positions.count(",") + 1 if positions else 1)
