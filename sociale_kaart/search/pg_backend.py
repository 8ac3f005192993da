"""The PostgreSQL search backend: the same contract as the Whoosh engine, data in PostgreSQL.

Why this shape: a region or a national directory runs several web nodes on one PostgreSQL
database, so the index must live in the database, be shared by all nodes and follow every commit
transactionally. The work is split so that rankings stay those of the Whoosh backend:

* PostgreSQL does what it is good at: candidates through a GIN index over our analysed tokens
  (``search.document.tokens``), the rules (inactive, ended courses), every filter, distance with
  PostGIS (``ST_DWithin``), browse orderings with ``LIMIT``, facet counts with ``GROUP BY``, the
  typo vocabulary with ``pg_trgm``, and the BM25 statistics (``search.term``, ``search.stats``);
* the application scores the candidates with the same BM25F code path as the Whoosh engine
  (``WhooshEngine._score``), and re-ranks the best ones with the same rules (coverage, names,
  places, feedback, freshness), reusing the engine's methods.

At a million listings a common word matches most of them, so every statement of a search
touches a bounded number of rows: candidates come only through the query's strongest
alternatives (``CANDIDATE_BUDGET``, ``pg_scoring.essential_items``), PostgreSQL pre-ranks them
and sends the best ``PRERANK_LIMIT`` for exact scoring, totals are exact up to ``COUNT_LIMIT``
and estimated beyond (``_count``), and facets are exact up to ``FACET_SAMPLE`` listings and
scaled from a sample beyond. Small collections (the tests, the relevance set) never reach
these limits, so there both backends answer identically.

When our analysis finds nothing, PostgreSQL's own ``dutch`` + ``unaccent`` full text gets a
second chance (``websearch_to_tsquery``), so a word our lexicon does not split still finds its
listings.
"""

from __future__ import annotations

import copy
import gc
import json
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import numpy as np
import psycopg
from sqlalchemy import exc as sa_exc

from ..geo.gazetteer import Gazetteer, Place, fold_name
from .analysis import fold
from .doctable import build_columns
from .engine import (
    FACET_LIMIT,
    FACET_NAMES,
    PLACE_AREA_BONUS,
    PLACE_DECAY_KM,
    PLACE_FAR_FACTOR,
    PLACE_FAR_KM,
    PLACE_NEAR_BONUS,
    PLACE_TIER_KM,
    PLACE_TIER_SHARE,
    RELATED_MIN_STRENGTH,
    RELATED_SCORE,
    RERANK_WINDOW,
    Hit,
    SearchResult,
    WhooshEngine,
    bridge_by_meaning,
    dutch_phrasing,
    haversine_matrix,
)
from .fusion import FusionConfig, fuse
from .language import Detection, detect
from .params import ParamError, SearchParams
from .pg_documents import DocumentRow, quote_lexeme, to_row
from .pg_schema import (
    BUILD,
    DOCUMENT_COLUMNS,
    DUTCH_CONFIG,
    FIELD_CODES,
    FILTER_LEXEMES,
    IN_PLACE_UPGRADES,
    LIVE,
    PG_SCHEMA_VERSION,
    TEXT_FIELDS,
    dutch_config_statements,
    index_ddl,
    match_fill,
    setup_statements,
    table_ddl,
)
from .pg_scoring import (
    CandidateScorer,
    GenerationCache,
    IndexStats,
    PgVocabulary,
    TermCache,
    absorbed,
    any_alternative,
    candidates_in_order,
    essential_items,
    is_broad,
    parse_tsvector,
    prerank_items,
)
from .query import FIELD_BOOSTS, QueryPlan, QueryPlanner
from .vocabulary import CATEGORY_BITS

log = logging.getLogger(__name__)

PHRASE_WEIGHT = 1.0
PHRASE_SLOP = 3
BATCH = 2000
#: Text matches scored exactly in the application (BM25F, then the re-ranking) per query:
#: PostgreSQL orders all matches by the pre-rank and sends only this many (or the requested
#: page, if deeper). More costs time per query; fewer risks leaving out a listing that the
#: exact score would have put on the first page.
PRERANK_LIMIT = 400
#: With the semantic signal, every listing the filters allow is compared by meaning (as the
#: Whoosh backend does) while the index holds at most this many; beyond it only the text
#: candidates are, because comparing a million vectors per query is too slow.
SEMANTIC_ALL_LIMIT = 50_000
#: At most this many matches per query are pre-ranked (see ``pg_scoring.essential_items``).
CANDIDATE_BUDGET = 2000
#: When the strongest alternatives give too few candidates (filters or a place leave few of
#: their listings), the next round takes the strongest alternatives that together match at
#: most this many listings, before the last round takes any alternative: the common words
#: of low-boost fields (a description's "jong": 174,586 listings at a million) then only
#: fill up. Cheap since each alternative has its own bitmap (``any_alternative``).
MIDDLE_BUDGET = 20_000
#: What the pre-rank reads of a listing (``_prerank_sql``): its candidates statement selects
#: these, so the pre-rank needs no second visit to each row.
PRERANK_COLUMNS = "service_id, words, geog, has_point, areas"
#: The pre-rank is a sum of one CASE per alternative up to this many alternatives.
CASE_PRERANK_LIMIT = 500
#: Totals are exact up to this many listings, estimated beyond ("about"; ``_count``). Why not
#: more: a count reads every match up to the limit, and near a place the whole place when the
#: matches are fewer; 2,000 cost 10-20 ms at p95 of the 1M mix against 500, and past a few
#: hundred results no one needs the exact number (the estimate is a few per cent off).
COUNT_LIMIT = 500
#: Counts and facet samples that read rows first stop at this many matches and answer from
#: them when they are all, or when they show at least PROBE_MARGIN x the limit (``_count_now``).
PROBE_LIMIT = 500
PROBE_MARGIN = 4
#: Related needs that at least this share of the listings have are found in table order, not
#: through the GIN index of the categories: PostgreSQL builds the index's bitmap of every
#: listing that has them before it reads a row (75 ms for 285,000 at a million), whatever
#: the LIMIT (``_broad_categories``).
BROAD_CATEGORY_SHARE = 0.05
#: Filters that no index serves: every plan tests them row by row.
UNINDEXED_FILTERS = frozenset({"theme", "audience", "access", "cost", "age", "upcoming",
                               "lang", "open"})
#: Filters that choose a place: its listings (a few thousand to a hundred thousand) are read
#: through the place's index either way, and a common related need is tested on each of
#: them instead of building its bitmap of every listing that has it (a municipality at 1M:
#: 2,910 listings, the need's bitmap 134,170 entries in 56 ms).
PLACE_FILTERS = frozenset({"near", "municipality", "kern"})
#: The land area of the Netherlands in km² (CBS): with the number of listings, about how many
#: lie within a distance of a place (``_near_row_by_row``).
NL_LAND_KM2 = 33_700
#: A listing read and tested costs about as much as this many entries of the place index's
#: bitmap (3 us against 0.25-0.7 us at a million listings, ``_near_row_by_row``).
NEAR_ROW_COST = 8
#: Filters with which a common related need is still read without its index (``_search``):
#: those that no index serves (``pg_schema.index_ddl``) and the place filters.
IN_ORDER_FILTERS = UNINDEXED_FILTERS | PLACE_FILTERS
#: Filters beside which a text search's category filter of many listings (at least
#: ``BROAD_CATEGORY_SHARE``) is tested row by row (``_search``): the place filters, read
#: through their own index, and "gratis", which most listings pass.
BROAD_CATEGORY_COMPANIONS = PLACE_FILTERS | {"cost"}
#: Facet counts are exact for at most this many listings; over more they are estimated from
#: a sample of this size (see ``PostgresEngine._facets``), so a facet costs the same at 1M.
FACET_SAMPLE = 2000


#: Threads that run a search's statements beside it (``PostgresEngine._aside``): each waits
#: on the database server, not on Python, so a few serve every web thread of the process.
SIDE_THREADS = 4

T = TypeVar("T")
#: ``PostgresEngine._facet_sample``: counts, sampled, passing every filter, scale.
FacetSample = tuple[dict[str, dict[str, int]], int, int, float | None]
_side: ThreadPoolExecutor | None = None
_side_lock = threading.Lock()


def _side_executor() -> ThreadPoolExecutor:
    """The process's threads for statements beside a search, started on first use."""
    global _side
    with _side_lock:
        if _side is None:
            _side = ThreadPoolExecutor(SIDE_THREADS, thread_name_prefix="search-aside")
        return _side


class _Beside:
    """Work of a search that may run on another connection (``PostgresEngine._aside``).

    Whoever starts it first does it: a side thread once it holds a connection, or the
    search itself on its own connection when it wants the answer before that (all side
    threads busy, or the pool gave its last connection away after all). So a search never
    waits for a connection it does not need, and a busy pool cannot leave searches waiting
    on each other."""

    def __init__(self, work: Callable[[Any], Any], conn) -> None:
        self._work = work
        self._conn = conn
        self._lock = threading.Lock()
        self._owner: str | None = None
        self._done = threading.Event()
        self._answer: Any = None
        self._error: BaseException | None = None

    def _claim(self, who: str) -> bool:
        with self._lock:
            if self._owner is None:
                self._owner = who
            return self._owner == who

    def run(self, connect) -> None:
        """In a side thread: take a connection, and do the work unless the search took it."""
        try:
            with connect() as own:
                if not self._claim("side"):
                    return
                self._answer = self._work(own)
        except BaseException as error:
            # Raised through ``connect`` (a lost server becomes the error the app answers
            # with a 503), handed to the search by ``answer``. Without a connection the work
            # is still unclaimed: the search does it itself.
            with self._lock:
                if self._owner == "side" and self._error is None:
                    self._error = error
        finally:
            if self._owner == "side":
                self._done.set()

    def finished(self) -> bool:
        """Whether a side thread has the answer ready (asking for it will not wait)."""
        return self._done.is_set() and self._error is None

    def answer(self) -> Any:
        """The work's answer (asked again, the same): done here, now, if no side thread has
        started it."""
        if self._claim("search") and not self._done.is_set():
            try:
                self._answer = self._work(self._conn)
            except BaseException as error:
                self._error = error
            self._done.set()
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._answer

    __call__ = answer


def _spare_connection(pool) -> bool:
    """Whether a checkout from ``pool`` would neither wait nor open an overflow connection."""
    try:
        return pool.checkedin() > 0 or pool.checkedout() < pool.size()
    except AttributeError:  # a pool without a size (NullPool, StaticPool)
        return False


@contextmanager
def _switched(conn, setting: str, on: bool):
    """The planner setting ``setting`` switched on (or off) for the statements inside, and
    back afterwards to what the search runs with (``PostgresEngine._plan_settings``)."""
    conn.execute(f"SET LOCAL {setting} = {'on' if on else 'off'}")
    try:
        yield
    finally:
        conn.execute(f"SET LOCAL {setting} = {'off' if on else 'on'}")


#: Key of the session-level advisory lock held by a rebuild (one at a time uses
#: ``search_build``; a second waits).
REBUILD_LOCK = 0x5EA4C4
#: The new search tables, vacuumed before the swap (``_vacuum_build``), in this order.
BUILD_TABLES = ("document", "match", "term", "vocabulary", "stats")
#: VACUUM passes at most, while a table's visibility map is incomplete, and the pause between.
VACUUM_ROUNDS = 4
VACUUM_RETRY_SECONDS = 0.2


class PostgresSearchError(RuntimeError):
    """The PostgreSQL search backend cannot be used (e.g. a missing extension)."""


# -- SQL building blocks ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Folded:
    """A text search's type and category filters as lexemes of ``words``
    (``pg_schema.FILTER_LEXEMES``), for the statements that find listings by their words
    through the GIN index: ``within``, the filters' tsquery that each alternative is ANDed
    with (``any_alternative``); ``everything``, the rules and the other filters;
    ``near_unindexed``, the same with the "near" filter row by row (``_near_unindexed``);
    ``related``, the related needs' condition as lexemes within the filters (None when the
    related needs are read in table order); ``filtered``, ``everything`` with the filters
    as one GIN condition on their lexemes, for the statements that test the words on each
    listing the filters give (None when the category filter is tested row by row).

    Why ``filtered``: for "voorziening" in "opgroeien" the GIN index gives the 34,311
    listings of both in 10 ms, where the type's btree bitmap (385,986 entries) and the
    categories' bitmap, ANDed, took 39 ms."""

    within: str
    everything: str
    near_unindexed: str | None
    related: str | None
    filtered: str | None


@dataclass
class _TextAsk:
    """A text search as ``PostgresEngine.search`` worked it out, for ``_text_search``:
    ``everything``, the WHERE of the rules and filters; ``text``, the words' condition;
    ``related``, the related needs' condition (None: none); ``related_broad``: those are read
    in table order; ``place``: a place filter applies; ``single_type``: the only filter an
    index serves is one type; ``near_unindexed``: ``everything`` with the "near" filter
    tested row by row, if there is one (``_near_unindexed``, ``_near_row_by_row``);
    ``folded``: the type and category filters as lexemes, for the statements that go through
    the words' GIN index; ``in_order_share``: about the share of the listings read in order
    that pass the filters (``candidates_in_order``'s ``passing``)."""

    everything: str
    text: str
    related: str | None
    plan: QueryPlan
    params: SearchParams
    focus: Place | None
    stats: IndexStats
    stored: dict[str, dict]
    query_vector: np.ndarray | None = None
    detection: Detection | None = None
    related_broad: bool = False
    place: bool = False
    single_type: bool = False
    near_unindexed: str | None = None
    folded: _Folded | None = None
    in_order_share: float = 1.0


@dataclass
class _Candidates:
    """The listings a text search scores (``_details_sql`` rows) and, when only the best
    were fetched (``limited``), PostgreSQL's counts: of the words' matches, of those or the
    related needs, and whether the counts are estimates."""

    rows: list
    limited: bool
    matched_total: int = 0
    all_total: int = 0
    estimated: bool = False


#: A lexeme longer than this is not one of a listing's (PostgreSQL allows 2,047 bytes): such a
#: filter value is tested on its column instead (``_filter_words``).
FILTER_LEXEME_BYTES = 1000


def _filter_words(params: SearchParams) -> str | None:
    """The type and category filters of ``params`` as one tsquery of their lexemes (each
    filter an OR of its values, the filters ANDed), or None without such filters."""
    parts = []
    for name, values in (("type", params.type), ("category", params.category)):
        if not values:
            continue
        prefix = FILTER_LEXEMES[name]
        lexemes = sorted({prefix + value for value in values})
        if any(len(lexeme.encode()) > FILTER_LEXEME_BYTES for lexeme in lexemes):
            return None
        parts.append("(" + " | ".join(quote_lexeme(lexeme) for lexeme in lexemes) + ")")
    return " & ".join(parts) if parts else None


class _Sql:
    """A WHERE fragment with its parameters (named, so fragments combine freely)."""

    def __init__(self, generation: int | None = None) -> None:
        self.args: dict = {}
        self._n = 0
        #: The index generation the search started at (keys ``GenerationCache`` answers).
        self.generation = generation
        #: Whether counting reads rows rather than a GIN bitmap, so a short first pass pays
        #: (``PostgresEngine._count_now``, ``_facets_now``).
        self.probe = True
        #: Without filters a count reads the very rows the facets count: one statement
        #: answers both (``PostgresEngine._count_pass``); its answers by (where, limit).
        self.shared_passes: dict[tuple[str, int], tuple] | None = None
        #: With filters, a text search starts its facet sample beside its candidates, for
        #: the facets' WHERE it expects (``PostgresEngine._text_search``): that WHERE and
        #: how to wait for the sample.
        self.facets_beside: Callable[[str], None] | None = None
        self.facet_sample: tuple[str, Callable[[], FacetSample]] | None = None
        #: The one filter an index serves is one value of a btree column (a type), and the
        #: words are tested row by row: that index lists the rows in table order, so a
        #: statement with a LIMIT reads it up to the LIMIT instead of first building the
        #: bitmap of every listing of the type (67,700 at 1M, 15-20 ms) (``_in_index_order``).
        self.index_order = False

    def fork(self) -> _Sql:
        """A copy whose arguments no longer change: for a statement on another thread while
        this search goes on adding arguments (``PostgresEngine._aside``)."""
        twin = copy.copy(self)
        twin.args = dict(self.args)
        return twin

    def arg(self, value) -> str:
        self._n += 1
        name = f"p{self._n}"
        self.args[name] = value
        return f"%({name})s"


def _open_sql(sql: _Sql, when) -> str:
    """``engine._is_open`` in SQL over the slots in ``meta`` ([weekday, opens, closes])."""
    weekday = sql.arg(when.weekday)
    if when.at is None:
        return (f"EXISTS (SELECT 1 FROM jsonb_array_elements(slots) s "
                f"WHERE (s->>0)::int = {weekday})")
    minute = sql.arg(when.at.hour * 60 + when.at.minute)
    return ("EXISTS (SELECT 1 FROM jsonb_array_elements(slots) s WHERE "
            f"((s->>0)::int = {weekday} AND (s->>1)::int <= {minute} "
            f"AND {minute} < (s->>2)::int) OR "
            f"(((s->>0)::int + 1) % 7 = {weekday} AND (s->>2)::int > 1440 "
            f"AND {minute} < (s->>2)::int - 1440))")


def _point(sql: _Sql, place: Place) -> str:
    return (f"ST_SetSRID(ST_MakePoint({sql.arg(float(place.lon))}, "
            f"{sql.arg(float(place.lat))}), 4326)::geography")


def _place_sql(sql: _Sql, focus: Place) -> tuple[str, str, str]:
    """Kilometres to the nearest location, "comes to you", and the engine's place factor
    (``WhooshEngine._place_factor``) as SQL, so PostgreSQL can order by them and send only
    a page. PostGIS's sphere has the gazetteer's radius (the same kilometres); rounded to the
    millimetre, so listings at one address tie as they do in Whoosh and go by name."""
    km = f"(round(ST_Distance(geog, {_point(sql, focus)}, false)::numeric, 3)::float8 / 1000.0)"
    comes = f"(NOT has_point AND areas @> ARRAY[{sql.arg(focus.municipality or '')}]::text[])"
    factor = (f"(CASE WHEN {comes} THEN {1 + PLACE_AREA_BONUS} "
              f"WHEN geog IS NULL OR {km} > {PLACE_FAR_KM} THEN {PLACE_FAR_FACTOR} "
              f"ELSE 1 + {PLACE_NEAR_BONUS} * exp(-{km} / {PLACE_DECAY_KM}) END)")
    return km, comes, factor


class PostgresEngine(WhooshEngine):
    """The search backend on PostgreSQL (``SOCIALE_KAART_SEARCH_BACKEND=postgres``).

    Inherits the Whoosh engine's re-ranking rules (``_adjust``, ``_distances``, feedback,
    place factors) so both backends rank alike; everything that touches the data is here.
    """

    def __init__(self, db, gazetteer: Gazetteer, planner: QueryPlanner, today) -> None:
        self.db = db
        self.gazetteer = gazetteer
        self.planner = planner
        self.today = today
        self._lock = threading.Lock()
        self._local: tuple[int, frozenset[str]] = (-1, frozenset())
        self._shares: tuple[int | None, dict[str, float]] = (None, {})
        self.semantic = None
        self.fusion = FusionConfig()
        self._ready = False
        self._terms = TermCache()
        self._answers = GenerationCache()
        self._frozen = False

    # -- connections -----------------------------------------------------------------------
    @contextmanager
    def connection(self):
        """A pooled psycopg connection of the application's engine; rolled back unless the
        caller committed."""
        raw = self.db.engine.raw_connection()
        try:
            conn = raw.driver_connection
            try:
                yield conn
            except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                # The server went away (a restart, a failover): drop this connection from
                # the pool and raise what the app turns into a clean 503.
                raw.invalidate()
                raise sa_exc.OperationalError("search", None, error) from error
            except BaseException:
                conn.rollback()
                raise
            else:
                conn.rollback()
        finally:
            raw.close()

    # -- setup -----------------------------------------------------------------------------
    def setup(self, conn) -> None:
        """Extensions and the Dutch text search configuration; a clear error when missing."""
        for statement in setup_statements():
            try:
                conn.execute(statement)
            except Exception as error:
                conn.rollback()
                raise PostgresSearchError(
                    f"PostgreSQL search needs the extension in {statement!r}: {error}. "
                    "Install postgresql-contrib, or ask the database owner to create it."
                ) from error
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except Exception as error:
            conn.rollback()
            raise PostgresSearchError(
                "PostgreSQL search needs PostGIS for distances (Debian: postgresql-15-postgis-3)"
                f": {error}") from error
        exists = conn.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s",
                              (DUTCH_CONFIG.split(".")[-1],)).fetchone()
        if not exists:
            for statement in dutch_config_statements():
                conn.execute(statement)
        conn.commit()

    def _stats(self, conn) -> IndexStats | None:
        try:
            row = conn.execute(
                f"SELECT version, generation, docs, len_name, len_categories_text, "
                f"len_organization, len_description, len_details FROM {LIVE}.stats "
                "WHERE id = 1").fetchone()
        except Exception:  # the tables do not exist yet
            conn.rollback()
            return None
        return IndexStats(row) if row else None

    def needs_rebuild(self) -> bool:
        """Whether the search tables are missing or of an older schema; a version that
        ``IN_PLACE_UPGRADES`` can bring up to date is upgraded here instead (a rebuild of a
        million listings takes half an hour)."""
        with self.connection() as conn:
            stats = self._stats(conn)
            version = stats.version if stats is not None else None
            if version in IN_PLACE_UPGRADES:
                # Several web nodes may start at once: the first upgrades, the others wait
                # for it here and then find the current version.
                version = conn.execute(f"SELECT version FROM {LIVE}.stats WHERE id = 1 "
                                       "FOR UPDATE").fetchone()[0]
            upgraded_from = version
            while version in IN_PLACE_UPGRADES:
                for statement in IN_PLACE_UPGRADES[version]:
                    conn.execute(statement)
                version += 1
            if version != upgraded_from and version == PG_SCHEMA_VERSION:
                conn.execute(f"UPDATE {LIVE}.stats SET version = %s WHERE id = 1",
                             (PG_SCHEMA_VERSION,))
                conn.commit()
                log.info("search tables upgraded in place from schema version %s to %s",
                         upgraded_from, PG_SCHEMA_VERSION)
                return False
            conn.rollback()
        return version is None or version != PG_SCHEMA_VERSION

    def vocabulary(self) -> list[str]:
        with self.connection() as conn:
            try:
                return [r[0] for r in conn.execute(f"SELECT word FROM {LIVE}.vocabulary")]
            except Exception:
                return []

    def _ensure_tables(self) -> None:
        """Empty live tables when none exist, so updates and searches work before a rebuild."""
        if self._ready:
            return
        with self.connection() as conn:
            if self._stats(conn) is None:
                self.setup(conn)
                for statement in table_ddl(LIVE, True) + index_ddl(LIVE, True):
                    conn.execute(statement)
                conn.execute(f"INSERT INTO {LIVE}.stats VALUES (1, %s, 0, 0, 0, 0, 0, 0, 0) "
                             "ON CONFLICT (id) DO NOTHING", (PG_SCHEMA_VERSION,))
                conn.commit()
        self._ready = True

    # -- maintenance -----------------------------------------------------------------------
    def rebuild(self, documents: Iterable[tuple[str, dict | None]],
                vocabulary: Iterable[str] = ()) -> int:
        """Fill ``search_build`` with COPY, index and vacuum it, and swap it in for
        ``search`` in one short transaction: searches see the old tables until its commit.

        Why the new tables are vacuumed before the swap (``VACUUM (FREEZE, ANALYZE)``, which
        cannot run inside a transaction, hence three steps): a freshly loaded table has no
        visibility map and unset hint bits, so autovacuum rewrites every page of it soon
        after, and each first read sets hint bits; at a million listings that is 6 GB of
        writes competing with the first minutes of searches (the benchmark's goal p95 101 ms
        straight after a build against 88 ms once autovacuum had finished). A session-level
        advisory lock lets one rebuild at a time use ``search_build``."""
        from .compounds import load_default_splitter

        words = sorted(set(vocabulary))
        load_default_splitter().add_words(words)
        count = 0
        with self.connection() as conn:
            self.setup(conn)
            self._wait_for_other_rebuilds(conn)
            try:
                count = self._build(conn, documents, words)
                self._vacuum_build(conn)
                self._swap_in(conn)
            finally:
                try:
                    conn.rollback()
                    conn.execute("SELECT pg_advisory_unlock(%s)", (REBUILD_LOCK,))
                    conn.commit()
                except psycopg.Error:
                    pass  # a lost connection's advisory locks end with it
        self._ready = True
        return count

    @staticmethod
    def _wait_for_other_rebuilds(conn, poll_seconds: float = 0.5) -> None:
        """Take the rebuild lock, asking again until it is free. Why not wait inside
        ``pg_advisory_lock``: a waiting statement holds a snapshot, and the other rebuild's
        ``VACUUM`` could then mark none of its new rows visible to all."""
        while not conn.execute("SELECT pg_try_advisory_lock(%s)",
                               (REBUILD_LOCK,)).fetchone()[0]:
            conn.rollback()
            time.sleep(poll_seconds)
        conn.commit()

    def _build(self, conn, documents: Iterable[tuple[str, dict | None]],
               words: list[str]) -> int:
        """``search_build`` filled and indexed (committed, not yet live)."""
        count = 0
        df: Counter = Counter()
        totals = dict.fromkeys(TEXT_FIELDS, 0.0)
        conn.execute(f"DROP SCHEMA IF EXISTS {BUILD} CASCADE")
        for statement in table_ddl(BUILD, True):
            conn.execute(statement)
        columns = ", ".join(DOCUMENT_COLUMNS)
        with conn.cursor().copy(f"COPY {BUILD}.document ({columns}) FROM STDIN") as copy:
            for _service_id, document in documents:
                if document is None:
                    continue
                row = to_row(document)
                copy.write_row(self._copy_values(row))
                df.update(row.lexemes)
                for field in TEXT_FIELDS:
                    totals[field] += row.lengths[field]
                count += 1
        with conn.cursor().copy(f"COPY {BUILD}.term (term, df) FROM STDIN") as copy:
            for term, value in df.items():
                copy.write_row((term, value))
        with conn.cursor().copy(f"COPY {BUILD}.vocabulary (word) FROM STDIN") as copy:
            for word in words:
                copy.write_row((word,))
        # The generation is set at the swap (``_swap_in``).
        conn.execute(f"INSERT INTO {BUILD}.stats VALUES (1, %s, 0, %s, %s, %s, %s, %s, %s)",
                     (PG_SCHEMA_VERSION, count, *(totals[f] for f in TEXT_FIELDS)))
        conn.execute(match_fill(BUILD))
        for statement in index_ddl(BUILD, True):
            conn.execute(statement)
        # Flushed at once even where commits are asynchronous: VACUUM can mark rows visible
        # to all only once their transaction's commit is on disk.
        conn.execute("SET LOCAL synchronous_commit = on")
        conn.commit()
        return count

    @staticmethod
    def _vacuum_build(conn) -> None:
        """Visibility map, hint bits, frozen rows and statistics for the new tables, before
        searches read them (see ``rebuild``).

        A page is marked all-visible only when no transaction anywhere in the cluster could
        still be older than its rows; a snapshot held for a moment while VACUUM passes (an
        autovacuum worker's ANALYZE of another table, a short transaction of another
        process) leaves some pages unmarked, and autovacuum would rewrite them later. So the
        tables whose visibility map is not complete are vacuumed again, a few times at most
        (pages already marked are skipped, so a second round is cheap)."""
        conn.autocommit = True
        try:
            tables = ", ".join(f"{BUILD}.{name}" for name in BUILD_TABLES)
            conn.execute(f"VACUUM (FREEZE, ANALYZE) {tables}")
            for _ in range(VACUUM_ROUNDS - 1):
                lagging = [row[0] for row in conn.execute(
                    "SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace "
                    "AND relkind = 'r' AND relpages > 0 AND relallvisible < relpages "
                    "ORDER BY relname", (BUILD,))]
                if not lagging:
                    break
                time.sleep(VACUUM_RETRY_SECONDS)
                conn.execute("VACUUM (FREEZE) "
                             + ", ".join(f"{BUILD}.{name}" for name in lagging))
        finally:
            conn.autocommit = False

    @staticmethod
    def _swap_in(conn) -> None:
        """``search_build`` becomes ``search`` in one transaction. The generation goes on
        from the live one, so answers cached per generation (``TermCache``,
        ``GenerationCache``) in every process expire with the swap."""
        generation = 1
        if conn.execute("SELECT to_regclass(%s)", (f"{LIVE}.stats",)).fetchone()[0]:
            row = conn.execute(f"SELECT generation FROM {LIVE}.stats").fetchone()
            generation = int(row[0]) + 1 if row else 1
        conn.execute(f"UPDATE {BUILD}.stats SET generation = %s", (generation,))
        conn.execute(f"DROP SCHEMA IF EXISTS {LIVE} CASCADE")
        conn.execute(f"ALTER SCHEMA {BUILD} RENAME TO {LIVE}")
        conn.commit()

    @staticmethod
    def _copy_values(row: DocumentRow) -> tuple:
        values = list(row.values)
        values[DOCUMENT_COLUMNS.index("meta")] = json.dumps(values[DOCUMENT_COLUMNS.index("meta")])
        return tuple(values)

    def update(self, documents: Iterable[tuple[str, dict | None]]) -> int:
        """Replace or delete documents and keep the statistics exact, in one transaction."""
        items = list(documents)
        if not items:
            return 0
        self._ensure_tables()
        ids = sorted({service_id for service_id, _ in items})
        new_rows = {service_id: to_row(document) for service_id, document in items
                    if document is not None}
        delta: Counter = Counter()
        totals = dict.fromkeys(TEXT_FIELDS, 0.0)
        with self.connection() as conn:
            # One writer at a time per database: the stats row is the lock.
            conn.execute(f"SELECT 1 FROM {LIVE}.stats WHERE id = 1 FOR UPDATE")
            old = conn.execute(
                f"SELECT tsvector_to_array(tokens), spell, serves, len_name, "
                f"len_categories_text, len_organization, len_description, len_details "
                f"FROM {LIVE}.document WHERE service_id = ANY(%s)", (ids,)).fetchall()
            for lexemes, spell, serves, *lengths in old:
                delta.subtract(lexemes)
                delta.subtract(f"s:{w}" for w in spell)
                delta.subtract(f"m:{m}" for m in serves)
                for field, value in zip(TEXT_FIELDS, lengths, strict=True):
                    totals[field] -= value
            conn.execute(f"DELETE FROM {LIVE}.document WHERE service_id = ANY(%s)", (ids,))
            conn.execute(f"DELETE FROM {LIVE}.match WHERE service_id = ANY(%s)", (ids,))
            if new_rows:
                columns = ", ".join(DOCUMENT_COLUMNS)
                with conn.cursor().copy(
                        f"COPY {LIVE}.document ({columns}) FROM STDIN") as copy:
                    for row in new_rows.values():
                        copy.write_row(self._copy_values(row))
                conn.execute(match_fill(LIVE, "service_id = ANY(%s)"), (sorted(new_rows),))
                for row in new_rows.values():
                    delta.update(row.lexemes)
                    for field in TEXT_FIELDS:
                        totals[field] += row.lengths[field]
            changes = sorted((term, value) for term, value in delta.items() if value)
            if changes:
                with conn.cursor() as cursor:
                    cursor.executemany(
                        f"INSERT INTO {LIVE}.term (term, df) VALUES (%s, %s) "
                        f"ON CONFLICT (term) DO UPDATE SET df = {LIVE}.term.df + EXCLUDED.df",
                        changes)
                conn.execute(f"DELETE FROM {LIVE}.term WHERE term = ANY(%s) AND df <= 0",
                             ([term for term, _ in changes],))
            conn.execute(
                f"UPDATE {LIVE}.stats SET generation = generation + 1, docs = docs + %s, "
                + ", ".join(f"len_{f} = len_{f} + %s" for f in TEXT_FIELDS) + " WHERE id = 1",
                (len(new_rows) - len(old), *(totals[f] for f in TEXT_FIELDS)))
            conn.commit()
        return len(items)

    def count(self) -> int:
        self._ensure_tables()
        with self.connection() as conn:
            stats = self._stats(conn)
        return stats.docs if stats else 0

    def local_municipalities(self, conn=None, stats: IndexStats | None = None) -> frozenset[str]:
        """Municipalities this installation's listings serve (cached per index generation)."""
        if conn is None:
            self._ensure_tables()
            with self.connection() as own:
                return self.local_municipalities(own)
        stats = stats or self._stats(conn)
        generation = stats.generation if stats else 0
        with self._lock:
            if self._local[0] == generation:
                return self._local[1]
        names = frozenset(r[0] for r in conn.execute(
            f"SELECT substr(term, 3) FROM {LIVE}.term WHERE left(term, 2) = 'm:' AND df > 0"))
        with self._lock:
            self._local = (generation, names)
        return names

    # -- search ----------------------------------------------------------------------------
    def search(self, params: SearchParams) -> SearchResult:
        self._ensure_tables()
        # A new query's vector is on its way while this thread takes a connection, reads the
        # statistics and plans the query (as in the Whoosh engine; the model runs without the
        # GIL); ``_bridge`` waits for it, within the semantic time budget.
        pending = self._start_query_vector(params)
        with self.connection() as conn:
            result = self._search(conn, params, pending)
        if not self._frozen:
            self._frozen = True
            # The gazetteer, the thesaurus and the planner's dictionaries (loaded by now, the
            # first search included) live as long as the process: keep the garbage collector
            # from scanning their 190,000 objects in each full collection (50 ms, six times
            # in 200 searches, on whichever search was running; as the Whoosh engine does).
            gc.freeze()
        return result

    def _start_query_vector(self, params: SearchParams):
        if not params.q.strip() or not self._semantic_ready():
            return None
        return self.semantic.start_query(params.q)

    @staticmethod
    def _plan_settings(conn) -> None:
        """The planner settings of a search's statements (see ``_search``), for its
        transaction."""
        conn.execute("SELECT set_config('jit', 'off', true), "
                     "set_config('max_parallel_workers_per_gather', '0', true), "
                     "set_config('enable_seqscan', 'off', true), "
                     "set_config('synchronize_seqscans', 'off', true)")

    def _aside(self, conn, work: Callable[[Any], T]) -> _Beside:
        """Start ``work(connection)`` beside the search and return how to wait for its
        answer.

        Why: a text search with filters or a place runs its count (20-50 ms at a million
        listings) after its candidates (40-70 ms), each statement on one core of the
        database server. On a second pooled connection the count runs while the candidates
        are found and scored, so a search waits for the longer of the two, not their sum.
        Only while the requests' pool has a connection to spare (an idle one, or room below
        its size): under load every connection serves another request, and the work then
        runs here, in order, on ``conn`` as before; and when a side thread does not get a
        connection before the search wants the answer, the search does the work itself
        (``_Beside``). Each statement of a search sees its own snapshot (READ COMMITTED)
        either way."""
        beside = _Beside(work, conn)
        if _spare_connection(self.db.engine.pool):
            _side_executor().submit(beside.run, self._side_connection)
        return beside

    @contextmanager
    def _side_connection(self):
        """A connection for work beside a search, from the requests' pool. (A small pool of
        its own was measured a quarter slower per search at 1M, though every connection
        had been warmed: not adopted.)"""
        with self.connection() as own:
            self._plan_settings(own)
            yield own

    def _search(self, conn, params: SearchParams, pending=None) -> SearchResult:
        today = self.today()
        # Every statement of a search touches a bounded number of rows: compiling it (JIT)
        # or starting parallel workers costs more than it saves, and parallel scans would
        # break the table-order estimate of ``_count``. PostgreSQL guesses the share of
        # listings a text query matches badly (often 20 times too many), and with a LIMIT
        # then prefers reading the whole table to the GIN index: sequential scans only when
        # no index applies. Reverted when the search's transaction ends.
        # (One round trip; ``synchronize_seqscans``: every scan starts at the table's start.)
        self._plan_settings(conn)
        stats = self._stats(conn)
        local = self.local_municipalities(conn, stats)
        stored: dict[str, dict] = {}
        near = None
        if params.near:
            near = self.gazetteer.resolve(params.near, prefer=local)
            if near is None:
                raise ParamError("near", f"plaats of postcode {params.near[:50]!r} is onbekend")
        detection = detect(params.q) if params.q.strip() else Detection(None, 0.0)
        plan = self.planner.plan(params.q, local_municipalities=local,
                                 detect_places=params.detect_places,
                                 vocabulary=PgVocabulary(conn), language=detection.lang)
        sql = _Sql(stats.generation if stats is not None else None)
        base = self._rules_sql(sql, params, today)
        filters = self._filter_sql(sql, params, near, today)
        focus = near or plan.place
        text = None
        related = None
        related_broad = False  # a related need of many listings, not found through its index
        if not plan.is_empty:
            text = f"words @@ {sql.arg(self._tsquery(plan))}::tsquery"
            codes = set(params.category) | {code for code, strength in plan.categories.items()
                                            if strength >= RELATED_MIN_STRENGTH}
            codes &= set(CATEGORY_BITS)
            in_order = IN_ORDER_FILTERS
            if self._category_row_by_row(conn, sql.generation, params, filters):
                filters["category"] = f"coalesce({filters['category']}, false)"
                in_order = in_order | {"category"}
            if codes:
                # Not in table order with other indexed filters: combined with one, a related
                # need may have none of its listings (no private provider teaches Dutch),
                # and testing each of its 67,700 rows took 280 ms against the bitmaps' 30.
                # (A category filter's listings all have the need: its codes are among the
                # need's.)
                related = f"categories && {sql.arg(sorted(codes))}::text[]"
                related_broad = (set(filters) <= in_order
                                 and self._broad_categories(conn, sql.generation, codes))
                if related_broad:
                    related = f"coalesce({related}, false)"
        elif params.q.strip() and plan.place is None:
            text = "false"  # only unusable words: nothing matches
        everything = " AND ".join([base, *filters.values()])
        # Of the listings read in order, about this share passes the filters: those of a
        # category tested row by row (its statistics); 1.0 when an index gives the rows.
        in_order_share = 1.0
        if filters.get("category", "").startswith("coalesce(") and set(filters) <= \
                UNINDEXED_FILTERS | {"category"}:
            in_order_share = self._category_share(conn, sql.generation,
                                                  set(params.category)) or 1.0
        folded = None
        within = _filter_words(params) if text is not None else None
        if within is not None:
            category_row_by_row = filters.get("category", "").startswith("coalesce(")
            kept = {name: condition for name, condition in filters.items()
                    if name not in FILTER_LEXEMES}
            folded_related = None
            if related is not None and not related_broad:
                needs = " | ".join(quote_lexeme(FILTER_LEXEMES["category"] + code)
                                   for code in sorted(codes))
                folded_related = f"words @@ {sql.arg(f'({needs}) & ({within})')}::tsquery"
            rest = " AND ".join([base, *kept.values()])
            folded = _Folded(within, rest, self._near_unindexed(base, kept), folded_related,
                             None if category_row_by_row else
                             f"{rest} AND words @@ {sql.arg(within)}::tsquery")
        single_type = len(params.type) == 1 and set(filters) - UNINDEXED_FILTERS == {"type"}
        if not filters:
            sql.shared_passes = {}
        query_vector = self._bridge(pending, plan, detection) if text is not None else None
        if query_vector is not None and text != "false":
            text = f"words @@ {sql.arg(self._tsquery(plan))}::tsquery"  # with the bridges

        if filters:
            def facets_beside(text_where: str) -> None:
                where = f"{base} AND {text_where}"
                forked = sql.fork()
                sql.facet_sample = where, self._aside(
                    conn, lambda c: self._facet_sample(c, forked, where, filters))
            sql.facets_beside = facets_beside
        why_words: dict[str, list[str]] = {}
        if text is None:
            # Without words PostgreSQL's estimates of the filters are sound (column
            # statistics), and a filter most listings pass ("gratis", a common type) is read
            # fastest in table order up to the LIMIT, not through a bitmap of every listing.
            conn.execute("SET LOCAL enable_seqscan = on")
            total, total_estimated, ordered = self._browse(conn, sql, everything, params,
                                                           focus)
            facet_where = base
            scores_of = ordered
            adjusted: dict[str, float] = {}
            page_ids = [sid for sid, _ in ordered]
        else:
            ask = _TextAsk(everything, text, related, plan, params, focus, stats, stored,
                           query_vector, detection, related_broad,
                           bool(PLACE_FILTERS & set(filters)), single_type,
                           self._near_unindexed(base, filters), folded, in_order_share)
            (total, page_ids, scores_of, adjusted, text_where, why_words,
             total_estimated) = self._text_search(conn, sql, ask)
            facet_where = f"{base} AND {text_where}"  # text_where is one term
            if total == 0 and text != "false" and not filters and params.q.strip():
                total, page_ids, scores_of = self._dutch_fallback(conn, params, everything,
                                                                  sql)
        sample = None
        if sql.facet_sample is not None and sql.facet_sample[0] == facet_where:
            sample = sql.facet_sample[1]
        facets, estimated = self._facets(conn, sql, facet_where, filters, total, sample)
        stored.update(self._stored(conn, [sid for sid in page_ids if sid not in stored]))
        hits = self._hits(page_ids, stored, dict(scores_of), adjusted, focus)
        for hit in hits:
            hit.why = {"words": why_words.get(hit.id, []), "filters": sorted(filters)}
        extra = {"language": detection.lang, "semantic": query_vector is not None,
                 "total_estimated": total_estimated, "facets_estimated": estimated,
                 "dutch_phrasing": dutch_phrasing(plan) if detection.is_foreign else []}
        return SearchResult(params, total, hits, facets, plan.suggestion(), near, plan.place,
                            plan, extra)

    def with_semantic(self, semantic, fusion: FusionConfig) -> PostgresEngine:
        """Use the semantic signal (vectors stored in the database by ``semantic``) the way
        the Whoosh engine does: bridges to thesaurus phrases, then ``fusion.fuse``."""
        self.semantic, self.fusion = semantic, fusion
        return self

    def _bridge(self, pending, plan: QueryPlan, detection):
        """The query's vector (None without semantic search, or when it did not come within
        the budget), after adding the thesaurus phrases close in meaning to the plan, as the
        Whoosh engine does. ``pending``: from :meth:`_start_query_vector`."""
        if pending is None:
            return None
        query_vector = pending.result()
        bridge_by_meaning(self.semantic, self.planner, self.fusion, plan, query_vector,
                          detection)
        return query_vector

    @staticmethod
    def _tsquery(plan: QueryPlan) -> str:
        """The OR of the query's alternatives (``pg_scoring.prerank_items``)."""
        alternatives = absorbed(item for item, _, _ in prerank_items(plan, {}, 1))
        return " | ".join(alternatives) if alternatives else "''"

    @staticmethod
    def _lexemes(plan: QueryPlan) -> list[str]:
        stems = {stem for group in plan.groups for stem, _ in group}
        stems |= {s for e in plan.expansions for s in e.stems}
        return sorted(f"{code}:{stem}" for stem in stems for code in FIELD_CODES.values())

    # -- rules and filters -----------------------------------------------------------------
    @staticmethod
    def _rules_sql(sql: _Sql, params: SearchParams, today: date) -> str:
        """Never shown: inactive listings and courses whose last session has passed."""
        if params.include_inactive:
            return "true"
        return f"active AND NOT coalesce(course_end < {sql.arg(today)}::date, false)"

    def _broad_categories(self, conn, generation: int | None, codes: set[str]) -> bool:
        """Whether at least ``BROAD_CATEGORY_SHARE`` of the listings have one of ``codes``."""
        return self._category_share(conn, generation, codes) >= BROAD_CATEGORY_SHARE

    def _category_share(self, conn, generation: int | None, codes: set[str]) -> float:
        """About the share of the listings with one of ``codes`` (at most 1), by PostgreSQL's
        statistics of the column (the index build's ``ANALYZE``, then autovacuum); read once
        per index generation."""
        with self._lock:
            known, shares = self._shares
        if known != generation or generation is None:
            row = conn.execute(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
                "WHERE schemaname = %s AND tablename = 'match' AND attname = 'categories'",
                (LIVE,)).fetchone()
            shares = dict(zip(row[0] or [], row[1] or [], strict=False)) if row else {}
            with self._lock:
                self._shares = (generation, shares)
        return min(1.0, sum(shares.get(code, 0.0) for code in codes))

    def _category_row_by_row(self, conn, generation: int | None, params: SearchParams,
                             filters: dict[str, str]) -> bool:
        """Whether a text search tests its category filter on each row rather than through
        the categories' GIN index: when the category is one of many listings and the other
        filters are ``BROAD_CATEGORY_COMPANIONS``.

        Why: PostgreSQL builds the index's bitmap of every listing in the category before it
        reads a row (113,000 entries at a million listings: 20-90 ms), in each of a search's
        statements (candidates, related needs, count, facet sample), while the words' own
        bitmap or a LIMIT in table order reads only a few thousand rows, of which a tenth or
        more pass. With other indexed filters (a type) the index stays: their listings and
        the category's may have few in common."""
        if "category" not in filters or not set(filters) - {"category"} <= \
                BROAD_CATEGORY_COMPANIONS:
            return False
        codes = set(params.category) & set(CATEGORY_BITS)
        return bool(codes) and self._broad_categories(conn, generation, codes)

    def _filter_sql(self, sql: _Sql, params: SearchParams, near: Place | None,
                    today: date) -> dict[str, str]:
        filters: dict[str, str] = {}
        if params.category:
            filters["category"] = f"categories && {sql.arg(list(params.category))}::text[]"
        if params.theme:
            filters["theme"] = f"themes && {sql.arg(list(params.theme))}::text[]"
        if params.audience:
            filters["audience"] = f"audiences && {sql.arg(list(params.audience))}::text[]"
        if params.type:
            filters["type"] = f"type = ANY({sql.arg(list(params.type))}::text[])"
        if params.access:
            filters["access"] = f"access = ANY({sql.arg(list(params.access))}::text[])"
        if params.free:
            filters["cost"] = "cost = 'gratis'"
        if params.age is not None:
            age = sql.arg(float(params.age))
            filters["age"] = (f"(age_min IS NULL OR age_min <= {age}) AND "
                              f"(age_max IS NULL OR age_max >= {age})")
        if params.upcoming:
            filters["upcoming"] = f"coalesce(course_end >= {sql.arg(today)}::date, false)"
        if params.municipality:
            wanted = sorted({self.gazetteer.municipality_name(m) or m
                             for m in params.municipality})
            arg = sql.arg(wanted)
            filters["municipality"] = (f"(municipalities && {arg}::text[] OR "
                                       f"areas && {arg}::text[])")
        if params.kern:
            wanted = sorted({fold_name(k) for k in params.kern})
            filters["kern"] = f"kern_keys && {sql.arg(wanted)}::text[]"
        if params.lang:
            filters["lang"] = f"languages && {sql.arg(list(params.lang))}::text[]"
        if params.open is not None:
            filters["open"] = _open_sql(sql, params.open)
        if near is not None:
            km = params.km or 10.0
            filters["near"] = (
                f"(ST_DWithin(geog, {_point(sql, near)}, {sql.arg(km * 1000.0)}, false) OR "
                f"(NOT has_point AND areas @> ARRAY[{sql.arg(near.municipality or '')}]::text[]))")
        if params.only_ids is not None:
            filters["only_ids"] = f"service_id = ANY({sql.arg(sorted(params.only_ids))})"
        return filters

    # -- browsing (no text) ----------------------------------------------------------------
    def _browse(self, conn, sql: _Sql, where: str, params: SearchParams,
                focus: Place | None) -> tuple[int, bool, list[tuple[str, float]]]:
        """No words: alphabetical, or by closeness to the place (then alphabetical); only the
        requested page leaves the database. Returns the total, whether it is an estimate
        (``_count``), and the page."""
        limit = params.per_page
        offset = (params.page - 1) * params.per_page
        total, estimated = self._count(conn, sql, where)
        if not estimated and total <= offset:
            # Why ask: with filters that leave no listing ("privaat" and "ontmoeting"), the
            # page's statement read the whole name index in order to find none (2.3 s at a
            # million listings).
            return total, estimated, []
        if focus is None or params.sort == "name":
            order = "folded_name, service_id"
            if params.sort == "start_date":
                order = "course_start NULLS LAST, folded_name, service_id"
            # A few listings (an exact count): found through the filters' indexes and sorted,
            # not by reading the name index in order until the page is full.
            few = not estimated and total <= COUNT_LIMIT
            with _switched(conn, "enable_indexscan", on=False) if few else nullcontext():
                rows = conn.execute(
                    f"SELECT service_id FROM {LIVE}.match WHERE {where} ORDER BY {order} "
                    f"LIMIT {limit} OFFSET {offset}", sql.args).fetchall()
            return total, estimated, [(r[0], 0.0) for r in rows]
        point = _point(sql, focus)
        km, comes, factor = _place_sql(sql, focus)
        located = f"geog IS NOT NULL AND NOT {comes}"
        if params.sort == "distance":
            parts = [("near", located), ("name", comes), ("name", f"geog IS NULL AND NOT {comes}")]
        elif params.sort == "start_date":
            rows = conn.execute(
                f"SELECT service_id, {factor} FROM {LIVE}.match WHERE {where} "
                f"ORDER BY course_start NULLS LAST, {factor} DESC, folded_name, service_id "
                f"LIMIT {limit} OFFSET {offset}", sql.args).fetchall()
            return total, estimated, [(r[0], float(r[1])) for r in rows]
        else:
            # By the place factor: listings nearer than ``bonus_km`` outrank those that come
            # to you, which outrank the rest within PLACE_FAR_KM; beyond, all alike by name.
            bonus_km = PLACE_DECAY_KM * math.log(PLACE_NEAR_BONUS / PLACE_AREA_BONUS) \
                if PLACE_NEAR_BONUS > PLACE_AREA_BONUS else 0.0
            inner = f"ST_DWithin(geog, {point}, {sql.arg(bonus_km * 1000.0)}, false)"
            close = f"ST_DWithin(geog, {point}, {sql.arg(PLACE_FAR_KM * 1000.0)}, false)"
            parts = [("near", f"{located} AND {inner}"), ("name", comes),
                     ("near", f"{located} AND NOT {inner} AND {close}"),
                     ("name", f"NOT {comes} AND NOT coalesce({close}, false)")]
        return total, estimated, self._page_of_parts(conn, sql, where, point, km, factor,
                                                     parts, offset, limit)

    @staticmethod
    def _page_of_parts(conn, sql: _Sql, where: str, point: str, km: str, factor: str,
                       parts: list[tuple[str, str]], offset: int, limit: int
                       ) -> list[tuple[str, float]]:
        """A page of browsing near a place, ordered as the Whoosh backend orders it, from
        ``parts`` that follow each other: ("near", condition), nearest first and at one
        distance by name, or ("name", condition), by name.

        Why not one ``ORDER BY``: ordering every listing of a region by its distance costs
        a sort of tens of thousands of rows at a million listings, for a page of ten. The
        GiST index gives the nearest ones in order (``<->``, a nearest-neighbour scan that
        stops after the page); as listings at one address tie and go by name, the page is
        then taken, exactly ordered, from all listings within the distance of the last."""
        need = offset + limit
        ordered: list[tuple[str, float]] = []
        for kind, condition in parts:
            if len(ordered) >= need:
                break
            # ``ordered`` holds all of the earlier parts (they were fewer than ``need``).
            want = need - len(ordered)
            scope = f"{where} AND {condition}"
            if kind == "name":
                ordered += [(r[0], float(r[1])) for r in conn.execute(
                    f"SELECT service_id, {factor} FROM {LIVE}.match WHERE {scope} "
                    f"ORDER BY folded_name, service_id LIMIT {want}", sql.args)]
                continue
            # Bitmap scans (of the "near" filter, say) would read and sort the whole region.
            with _switched(conn, "enable_bitmapscan", on=False):
                far = conn.execute(
                    f"SELECT max(d) FROM (SELECT geog <-> {point} AS d FROM {LIVE}.match "
                    f"WHERE {scope} ORDER BY geog <-> {point} LIMIT {want}) s",
                    sql.args).fetchone()[0]
            if far is None:
                continue
            # A margin beyond the nearest-neighbour distance (``<->`` and ``ST_Distance`` on
            # the sphere may differ slightly); the exact order comes from ``km`` below.
            within = f"ST_DWithin(geog, {point}, {sql.arg(float(far) * 1.01 + 1.0)}, false)"
            ordered += [(r[0], float(r[1])) for r in conn.execute(
                f"SELECT service_id, {factor}, {km} AS k FROM {LIVE}.match "
                f"WHERE {scope} AND {within} ORDER BY k, folded_name, service_id "
                f"LIMIT {want}", sql.args)]
        return ordered[offset:offset + limit]

    @staticmethod
    def _in_table_order(conn, statement: str, args: dict) -> list:
        """Rows of a statement that tests no words, no place and no filter an index serves,
        with sequential scans allowed.

        Why: a related need a third of the listings have (at a million listings) is read
        fastest in table order up to the LIMIT: its GIN bitmap alone took 88 ms (the
        statement then took 148 ms, in table order 10). Bitmap scans read the table in the
        same order, so the rows are the same. Not with filters an index serves: such a filter
        and a related need may have no listing in common, and a LIMIT then reads the whole
        table where the filter's bitmap would have read only its own listings."""
        with _switched(conn, "enable_seqscan", on=True):
            return conn.execute(statement, args).fetchall()

    @staticmethod
    def _in_index_order(conn, statement: str, args: dict, ordered: bool) -> list:
        """Rows of a statement; with ``ordered`` (``_Sql.index_order``) through a plain index
        scan of the type's btree index, which lists one value's rows in table order (the
        order a bitmap scan reads too), instead of a bitmap of all of them first."""
        with _switched(conn, "enable_bitmapscan", on=False) if ordered else nullcontext():
            return conn.execute(statement, args).fetchall()

    # -- text ------------------------------------------------------------------------------
    def _text_search(self, conn, sql: _Sql, ask: _TextAsk):
        """Text matches: PostgreSQL counts them and sends the best PRERANK_LIMIT by the
        pre-rank (``pg_scoring.prerank_items``); the application scores those exactly
        (``_rank_candidates``). With the semantic signal on a small index every listing the
        filters allow is compared instead (``_every_candidate``)."""
        lexemes = self._lexemes(ask.plan)
        df = self._terms.df(conn, ask.stats.generation, lexemes)
        items = prerank_items(ask.plan, df, ask.stats.docs)
        broad = is_broad(items, ask.stats.docs, df)
        text = ask.text
        if broad:
            # Counting and the facet sample read the table in order and stop early, instead
            # of building the GIN bitmap of (nearly) every listing: the same test, written
            # so that the GIN index does not apply (other filters' indexes still do).
            text = f"coalesce({text}, false)"
            sql.index_order = ask.single_type
        elif text != "false":
            # The same listings, one GIN bitmap per alternative (``any_alternative``): the
            # count and the facet sample build it too.
            text = any_alternative(absorbed(item for item, _, _ in items), sql.arg)
        if not broad and not ask.related_broad:
            # The GIN bitmap is built whole: a short first pass would build it twice. (With a
            # related need read in table order, the words OR that need is read in order too.)
            sql.probe = False
        details = self._details_sql(sql, ask, lexemes)
        if ask.query_vector is None or ask.stats.docs > SEMANTIC_ALL_LIMIT:
            found = self._best_candidates(conn, sql, ask, text, items, df, broad, details)
        else:
            found = self._every_candidate(conn, sql, ask, items, details)
        return self._rank_candidates(conn, sql, ask, text, found, df)

    def _details_sql(self, sql: _Sql, ask: _TextAsk, lexemes: list[str]) -> str:
        """What the application scores a candidate with, for the listings in ``top``
        (service_id, pre): name, course start, field lengths, the query's lexemes with their
        frequencies, whether it is a related need, and for sorting by distance its points."""
        extra_cols = f", {ask.related}" if ask.related is not None else ", false"
        if ask.params.sort == "distance" and ask.focus is not None:
            municipality = sql.arg(ask.focus.municipality or "")
            extra_cols += (f", meta->'points', "
                          f"(NOT has_point AND areas @> ARRAY[{municipality}]::text[])")
        lex_arg = sql.arg(lexemes)
        return ("SELECT service_id, folded_name, course_start, "
                + ", ".join(f"len_{f}" for f in TEXT_FIELDS)
                + f", ts_filter(setweight(tokens, 'A', {lex_arg}::text[]), '{{a}}')::text"
                f"{extra_cols}, top.pre FROM top JOIN {LIVE}.document USING (service_id)")

    @staticmethod
    def _wanted(params: SearchParams) -> int:
        return max(PRERANK_LIMIT, params.page * params.per_page)

    def _every_candidate(self, conn, sql: _Sql, ask: _TextAsk, items,
                         details: str) -> _Candidates:
        """Meaning may bring in any listing the filters allow: compare them all (a small
        index with the semantic signal on)."""
        prerank = self._prerank_sql(sql, items, ask.focus, None)
        rows = conn.execute(
            f"WITH ids AS (SELECT {PRERANK_COLUMNS} FROM {LIVE}.match WHERE {ask.everything}), "
            f"top AS ({prerank}) {details}", sql.args).fetchall()
        return _Candidates(rows, limited=False)

    def _best_candidates(self, conn, sql: _Sql, ask: _TextAsk, text: str, items, df,
                         broad: bool, details: str) -> _Candidates:
        """The best listings by the pre-rank, found in rounds of candidates (at most
        CANDIDATE_BUDGET each), with the count (and the related needs' best listings)
        beside them on other connections."""
        folded, related, everything = ask.folded, ask.related, ask.everything
        wanted = self._wanted(ask.params)
        prerank = self._prerank_sql(sql, items, ask.focus, wanted)
        related_ranked = None
        if related is not None:
            # The best listings of the related needs by the same pre-rank: the same for
            # every round of candidates below, found once, beside them.
            related_where = f"{everything} AND {related}"
            if folded is not None and folded.related is not None:
                related_where = f"{folded.everything} AND {folded.related}"
            statement = (f"WITH ids AS MATERIALIZED (SELECT {PRERANK_COLUMNS} "
                         f"FROM {LIVE}.match WHERE {related_where} "
                         f"LIMIT {wanted}), "
                         f"top AS ({prerank}) SELECT service_id, pre FROM top")
            forked = sql.fork()
            if ask.related_broad and not ask.place:  # (in a place: through the place's index)
                related_ranked = self._aside(
                    conn, lambda c: self._in_table_order(c, statement, forked.args))
            else:
                related_ranked = self._aside(
                    conn, lambda c: c.execute(statement, forked.args).fetchall())
        counted = self._count_beside(conn, sql, ask, text, items, broad)
        if sql.facets_beside is not None:  # the facets of the expected matches
            sql.facets_beside(text if related is None else f"({text} OR {related})")
        rows = text_rows = self._candidate_rounds(conn, sql, ask, text, items, df, broad,
                                                  prerank, details, counted,
                                                  collect_only=related_ranked is not None)
        if related_ranked is not None:
            # Asked for only now: the related needs' statement runs beside the rounds
            # (it took 50-60 ms at a million listings with a common type), not before
            # the second round on this connection.
            best = _best_rows(text_rows, related_ranked(), wanted)
            chosen_ids = sql.arg([row[0] for row in best])
            chosen_pre = sql.arg([row[1] for row in best])
            rows = conn.execute(
                f"WITH top AS (SELECT * FROM unnest({chosen_ids}::text[], "
                f"{chosen_pre}::float8[]) t(service_id, pre)) {details}",
                sql.args).fetchall()
        if related is None:
            matched_total, estimated = counted()
            return _Candidates(rows, True, matched_total, matched_total, estimated)
        all_total, estimated, matched_total = counted()
        return _Candidates(rows, True, matched_total, all_total, estimated)

    def _count_beside(self, conn, sql: _Sql, ask: _TextAsk, text: str, items, broad: bool):
        """The count of the matches (and with related needs, of both): it does not depend on
        the candidates, so it runs beside them; returns how to wait for it."""
        folded, related = ask.folded, ask.related
        count_where, count_text, count_related = ask.everything, text, related
        if folded is not None and not broad and (related is None
                                                 or folded.related is not None):
            count_where, count_related = folded.everything, folded.related
            count_text = any_alternative(absorbed(item for item, _, _ in items), sql.arg,
                                         folded.within)
        elif folded is not None and broad and folded.filtered is not None \
                and not sql.index_order:
            count_where = folded.filtered
        counting = sql.fork()
        if related is None:
            return self._aside(conn, lambda c: self._count(
                c, counting, f"{count_where} AND {count_text}"))
        return self._aside(conn, lambda c: self._count(  # both counts in one scan
            c, counting, f"{count_where} AND ({count_text} OR {count_related})",
            part=count_text))

    def _candidate_rounds(self, conn, sql: _Sql, ask: _TextAsk, text: str, items, df,
                          broad: bool, prerank: str, details: str, counted,
                          collect_only: bool) -> list:
        """Candidates: the listings with the strongest alternatives (at most
        CANDIDATE_BUDGET); when those are too few (narrow filters), any alternative. Returns
        the best ``wanted`` rows by the pre-rank: with their details, or only (service_id,
        pre) when ``collect_only`` (the related needs' best are merged in afterwards)."""
        folded, stats, params = ask.folded, ask.stats, ask.params
        wanted = self._wanted(params)
        essential = essential_items(items, CANDIDATE_BUDGET)
        # What no listing has finds nothing: no further round for it alone.
        matchable = [item for item in items if item[2] > 0] or essential
        middle = essential_items(items, MIDDLE_BUDGET)
        rounds = [essential, matchable]
        if len(essential) < len(middle) < len(matchable):
            rounds.insert(1, middle)
        else:
            middle = None
        text_rows: list = []
        for chosen in rounds:
            found = any_alternative(absorbed(i for i, _, _ in chosen), sql.arg,
                                    folded.within if folded is not None else None)
            where, unindexed = ask.everything, ask.near_unindexed
            if folded is not None:
                where, unindexed = folded.everything, folded.near_unindexed
            if chosen is matchable and broad and candidates_in_order(
                    matchable, stats.docs, df, CANDIDATE_BUDGET, ask.in_order_share):
                # Words so common that reading listings in order (or those the filters'
                # indexes pick) finds the candidates sooner than a GIN bitmap of them all.
                found, where = text, ask.everything
                if folded is not None and folded.filtered is not None \
                        and not sql.index_order:
                    where = folded.filtered
            if (found is not text and unindexed is not None
                    and self._near_row_by_row(params, stats.docs, chosen)):
                where = unindexed
            if text_rows:  # the earlier rounds' candidates: kept, not fetched again
                where += (f" AND service_id <> ALL("
                          f"{sql.arg([row[0] for row in text_rows])}::text[])")
            budget = CANDIDATE_BUDGET
            if chosen is matchable and (middle is not None or found is text):
                # After the middle round only weak alternatives are left (common words in
                # low-boost fields): their listings just fill up the pre-rank, the first
                # ones met. (Taking the best of 2,000 cost 70 ms near a place and no
                # agreement with the exhaustive ranking: 0.74 either way.) So do listings
                # read in order: the first ones met of words so common that reading in
                # order pays (within 25 km of a place: 80 -> 20 ms; the same agreement,
                # 0.59 and 0.52 on two mixes at a million listings).
                budget = wanted - len(text_rows)
            ids = (f"SELECT {PRERANK_COLUMNS} FROM {LIVE}.match WHERE {where} AND "
                   f"{found} LIMIT {budget}")
            in_index_order = found is text and sql.index_order
            selected = "SELECT service_id, pre FROM top" if collect_only else details
            more = self._in_index_order(
                conn, f"WITH ids AS MATERIALIZED ({ids}), top AS ({prerank}) {selected}",
                sql.args, in_index_order)
            text_rows = _best_rows(text_rows, more, wanted)
            # Only the words' candidates count: the related needs' first listings (in
            # table order) do not stand for the text matches another round would find,
            # which outrank every listing without a word.
            if len(text_rows) >= wanted or len(chosen) >= len(matchable):
                break
            if counted.finished() and self._all_found(counted(), ask.related, text_rows):
                break
        return text_rows

    def _rank_candidates(self, conn, sql: _Sql, ask: _TextAsk, text: str,
                         found: _Candidates, df):
        """Score the candidates exactly (BM25F as the Whoosh index), add the related needs
        and the semantic signal, re-rank the best, sort and cut the page."""
        plan, params, focus, related = ask.plan, ask.params, ask.focus, ask.related
        rows = found.rows
        # The Whoosh index numbers documents by service id (a rebuild adds them in that order);
        # equal scores keep that order here too.
        rows.sort(key=lambda r: r[0])
        n = len(rows)
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for i, row in enumerate(rows):
            for lexeme, tf in parse_tsvector(row[8]):
                ids, tfs = postings.setdefault(lexeme, ([], []))
                ids.append(i)
                tfs.append(tf)
        lengths = {field: np.array([r[3 + k] for r in rows], dtype=np.float32)
                   for k, field in enumerate(TEXT_FIELDS)}
        scorer = CandidateScorer(postings, lengths, ask.stats, df)
        scores = np.zeros(n, dtype=np.float32)
        coverage = self._score(scorer, plan, scores)
        if plan.language is not None:
            coverage = None  # foreign words say little about how well a listing matches
        text_mask = scores > 0
        any_text = bool(text_mask.any())
        if related is not None:
            # Related needs follow the text matches (only when the words matched anything).
            if not any_text and not found.limited:
                any_text = conn.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {LIVE}.match WHERE {text})",
                    sql.args).fetchone()[0]
            any_text = any_text or found.matched_total > 0
            if any_text:
                floor = float(scores[text_mask].min()) * RELATED_SCORE if text_mask.any() \
                    else 0.0
                extra = np.array([bool(r[9]) for r in rows], dtype=bool) & ~text_mask
                scores[extra] = floor
                text_mask = text_mask | extra
        text_where = text if related is None or not any_text else f"({text} OR {related})"
        if ask.query_vector is not None and n:
            fused = fuse(scores, text_mask, self.semantic.similarities(
                [r[0] for r in rows], object(), ask.query_vector), np.ones(n, dtype=bool),
                trusted=ask.detection.lang is not None, foreign=ask.detection.is_foreign,
                config=self.fusion)
            scores, text_mask = fused.scores, fused.mask
            entered = [rows[i][0] for i in np.nonzero(fused.semantic_only)[0]]
            if entered:
                text_where = f"({text_where} OR service_id = ANY({sql.arg(entered)}))"
        candidates = np.nonzero(text_mask)[0]
        ids = [rows[i][0] for i in range(n)]
        order = candidates[np.argsort(-scores[candidates], kind="stable")]
        adjusted: dict[str, float] = {}
        if len(order):
            order, adjusted = self._rerank(conn, rows, order, scores, scorer, plan, params,
                                           focus, coverage, ask.stored)
        if params.sort == "name":
            order = sorted(order, key=lambda i: rows[i][1])
        elif params.sort == "distance" and focus is not None:
            nearest = {i: _nearest_km(rows[i][10], focus) for i in order}
            order = sorted(order, key=lambda i: 1e8 if rows[i][11] else
                           (nearest[i] if nearest[i] is not None else math.inf))
        elif params.sort == "start_date":
            order = sorted(order, key=lambda i: rows[i][2] or date.max)
        start = (params.page - 1) * params.per_page
        page = [ids[i] for i in list(order)[start:start + params.per_page]]
        scores_of = {ids[i]: float(scores[i]) for i in candidates}
        why_words: dict[str, list[str]] = {}
        if coverage is not None:
            groups, _ = coverage
            for i in list(order)[start:start + params.per_page]:
                why_words[ids[i]] = [word for word, (_, docs) in
                                     zip(plan.group_words, groups, strict=False) if docs[i]]
        total = len(candidates)
        if found.limited:  # only the best were fetched: the count comes from PostgreSQL
            total = found.all_total if related is not None and any_text \
                else found.matched_total
        return total, page, scores_of, adjusted, text_where, why_words, found.estimated

    @staticmethod
    def _all_found(counted: tuple, related: str | None, text_rows: list) -> bool:
        """Whether the count (``_count``, which ran beside the rounds of candidates) says that
        every listing the words match is a candidate already: then a further round finds
        nothing. Why: when the filters leave no listing at all (no private provider for
        young people), the count knows it before the first round ends, and the other rounds
        built their bitmaps for nothing (40 ms at a million listings)."""
        if counted[1]:  # estimated: more than COUNT_LIMIT
            return False
        return (counted[0] if related is None else counted[2]) <= len(text_rows)

    @staticmethod
    def _near_unindexed(base: str, filters: dict[str, str]) -> str | None:
        """The WHERE of the rules and filters with the "near" filter as ``(...) IS TRUE``: the
        same rows, but the place's index does not apply; None without that filter."""
        if "near" not in filters:
            return None
        return " AND ".join([base, *(f"({condition}) IS TRUE" if name == "near" else condition
                                     for name, condition in filters.items())])

    @staticmethod
    def _near_row_by_row(params: SearchParams, docs: int,
                         chosen: list[tuple[str, float, int]]) -> bool:
        """Whether the candidates' words pick the rows and each is tested for the distance,
        rather than PostgreSQL combining the words' bitmap with the place index's bitmap:
        when the listings within the distance (estimated from the land area) outnumber
        NEAR_ROW_COST times those the words match (their document frequencies).

        Why: the essential words of a query match at most CANDIDATE_BUDGET listings, but
        PostgreSQL guesses them 20 times too many and builds the bitmap of every listing
        within 25 km as well: 87,820 entries around a town at a million listings, 19-65 ms,
        where testing the words' 1,990 listings took 9 ms."""
        km = params.km or 10.0
        within = docs * min(1.0, math.pi * km * km / NL_LAND_KM2)
        return within >= NEAR_ROW_COST * sum(freq for _, _, freq in chosen)

    @staticmethod
    def _prerank_sql(sql: _Sql, items: list[tuple[str, float, int]], focus: Place | None,
                     wanted: int | None) -> str:
        """The best ``wanted`` of the listings in ``ids`` by the pre-rank: the sum of the
        weights of the alternatives each contains (times the place factor with a place).
        ``words`` (``search.match``) is small and stored uncompressed, so the many ``@@``
        read it in place. One ``CASE`` per alternative, summed in their order (the same sum
        as adding the weights present one by one): a quarter less time per listing than a
        subquery that unnests the alternatives for every row. Beyond CASE_PRERANK_LIMIT
        alternatives (a long query with many thesaurus phrases) that subquery after all: a
        sum of thousands of terms nests too deep for PostgreSQL ("stack depth limit
        exceeded" at 10,000)."""
        if len(items) > CASE_PRERANK_LIMIT:
            score = (f"(SELECT coalesce(sum(q.w), 0) FROM unnest("
                     f"{sql.arg([i for i, _, _ in items])}::tsquery[], "
                     f"{sql.arg([w for _, w, _ in items])}::float8[]) q(t, w) "
                     "WHERE d.words @@ q.t)")
        elif items:
            score = "(" + " + ".join(
                f"(CASE WHEN d.words @@ {sql.arg(item)}::tsquery "
                f"THEN {float(weight)!r}::float8 ELSE 0::float8 END)"
                for item, weight, _ in items) + ")"
        else:
            score = "0::float8"
        if focus is not None:  # the re-ranking's place factor, so near listings make the cut
            score = f"{score} * {_place_sql(sql, focus)[2]}"
        return (f"SELECT d.service_id, {score} AS pre FROM ids d "
                "ORDER BY pre DESC, d.service_id"
                + ("" if wanted is None else f" LIMIT {wanted}"))

    def _count(self, conn, sql: _Sql, where: str, part: str | None = None):
        """``_count_now``, answered from the per-generation cache when asked before."""
        return self._cached(sql, ("count", where, part, COUNT_LIMIT, PROBE_LIMIT),
                            lambda: self._count_now(conn, sql, where, part))

    def _cached(self, sql: _Sql, what: tuple, compute):
        """``compute()``, or its answer from an earlier search at the same index generation
        (``GenerationCache``; the key holds the statement's SQL and all arguments)."""
        if sql.generation is None:
            return compute()
        key = GenerationCache.key(*what, sql.args)
        found = self._answers.get(sql.generation, key)
        if found is None:
            found = compute()
            self._answers.put(sql.generation, key, found)
        return copy.deepcopy(found)

    def _count_now(self, conn, sql: _Sql, where: str, part: str | None = None):
        """How many listings match: exact up to COUNT_LIMIT, else estimated ("about"), as
        ``(count, estimated)``; with ``part``, also how many of them match ``part``, as
        ``(count, estimated, part_count)``.

        The estimate: PostgreSQL reads the table in physical order (sequential and bitmap
        scans; parallel and synchronised scans are switched off for the search), so when the
        k-th match lies in block b of p, about k * p / b listings match. Table order has
        nothing to do with the words or the filters.

        When the statement reads rows rather than an index (``sql.probe``: browsing, broad
        words), a first pass stops at PROBE_LIMIT matches: all of them (exact), or so early
        in the table that the total is at least PROBE_MARGIN times COUNT_LIMIT (the odds of
        that happening for a total under COUNT_LIMIT are nil), and then that estimate is
        the answer; only in between does the full pass up to COUNT_LIMIT run."""
        if sql.probe and PROBE_LIMIT < COUNT_LIMIT:
            found, block, in_part, last = self._count_pass(conn, sql, where, part, PROBE_LIMIT)
            if found <= PROBE_LIMIT:
                return (found, False) if part is None else (found, False, in_part)
            scale = self._pages(conn) / block
            if found * scale >= PROBE_MARGIN * COUNT_LIMIT:
                count = round(found * scale)
                return (count, True) if part is None else (count, True, round(in_part * scale))
            if sql.shared_passes is None:
                # The full pass goes on where the first stopped: the first PROBE_LIMIT + 1
                # matches are not read and tested twice (a broad count within 25 km of a
                # place at 1M: 244 -> 165 ms).
                more, later_block, more_in_part, _ = self._count_pass(
                    conn, sql, where, part, COUNT_LIMIT - found, after=last)
                found, in_part = found + more, in_part + more_in_part
                block = later_block if more else block
                return self._counted(conn, found, block, in_part, part)
        limit = COUNT_LIMIT
        if sql.shared_passes is not None and not sql.probe:
            # Without filters the facet sample reads the first FACET_SAMPLE matches through
            # the same bitmap anyway, and one statement answers both: counting only to
            # COUNT_LIMIT would build that bitmap a second time. So the count is exact that
            # far here, for free.
            limit = max(COUNT_LIMIT, FACET_SAMPLE)
        found, block, in_part, _ = self._count_pass(conn, sql, where, part, limit)
        return self._counted(conn, found, block, in_part, part, limit)

    def _counted(self, conn, found: int, block: int, in_part: int, part: str | None,
                 limit: int = COUNT_LIMIT):
        """``_count_now``'s answer from the first ``found`` matches in table order, the last
        in ``block``, counted up to ``limit`` + 1."""
        scale = max(self._pages(conn), block) / block if found > limit else 1.0
        count = max(int(found), round(found * scale))
        if part is None:
            return count, found > limit
        return count, found > limit, round(in_part * scale)

    def _count_pass(self, conn, sql: _Sql, where: str, part: str | None, limit: int,
                    after: str | None = None) -> tuple[int, int, int, str | None]:
        """The first ``limit`` + 1 matches in table order (after the row ``after``, a ctid):
        how many, the block of the last (counted from 1), how many of them match ``part``,
        and the last one's ctid. Without filters the facets count the same rows: then the
        facet statement runs here and keeps its answer."""
        if sql.shared_passes is not None:
            _, found, _, block, in_part = self._facet_pass(conn, sql, where, {}, limit, part)
            return found, block, in_part, None
        args = sql.args
        if after is not None:  # a name of its own: ``_Sql`` numbers its arguments p1, p2, ...
            where = f"ctid > %(count_after)s::tid AND {where}"
            args = {**sql.args, "count_after": after}
        # Physical order: bitmap or sequential scans only; or the one type's btree index,
        # which lists its rows in physical order (``_Sql.index_order``).
        with _switched(conn, "enable_bitmapscan" if sql.index_order else "enable_indexscan",
                       on=False):
            found, last, in_part = conn.execute(
                f"SELECT count(*), max(ctid)::text, count(*) FILTER (WHERE p) FROM (SELECT ctid, "
                f"{part or 'true'} AS p FROM {LIVE}.match WHERE {where} "
                f"LIMIT {limit + 1}) s", args).fetchone()
        block = int(str(last).strip("()").split(",")[0]) + 1 if last is not None else 1
        return int(found), block, int(in_part), last

    @staticmethod
    def _pages(conn) -> int:
        return max(1, conn.execute(f"SELECT pg_relation_size('{LIVE}.match') / "
                                   "current_setting('block_size')::int").fetchone()[0])

    def _rerank(self, conn, rows, order: np.ndarray, scores: np.ndarray,
                scorer: CandidateScorer, plan: QueryPlan, params: SearchParams,
                focus: Place | None, coverage, stored: dict[str, dict]
                ) -> tuple[list[int], dict[str, float]]:
        """The engine's re-ranking of the best RERANK_WINDOW candidates, over their stored
        fields (``WhooshEngine._adjust`` and friends, in the window's numbering)."""
        window_idx = order[:RERANK_WINDOW]
        window_ids = [rows[i][0] for i in window_idx]
        stored.update(self._stored(conn, window_ids))
        columns = build_columns([stored[sid] for sid in window_ids])
        local = np.arange(len(window_idx), dtype=np.int64)
        distances = self._distances(columns, local, focus) if focus is not None else {}
        window = [(int(k), float(scores[i])) for k, i in enumerate(window_idx)]
        feedback = self._feedback_categories(columns, window)
        phrases = self._phrase_scores(columns, plan, scorer, window_idx)
        local_coverage = None
        if coverage is not None:
            groups, total = coverage
            local_coverage = ([(weight, docs[window_idx]) for weight, docs in groups], total)
        window = [(k, self._adjust(columns, k, s + phrases.get(k, 0.0), plan, distances,
                                   focus, local_coverage, feedback)) for k, s in window]
        best = max((score for _, score in window), default=0.0)
        wanted_names = {fold(plan.text).strip(), " ".join(plan.content_surfaces)}

        def tier(item: tuple[int, float]) -> tuple[int, int]:
            exact = 0 if columns.folded_names[item[0]] in wanted_names else 1
            if plan.place is None or params.near is not None:
                return exact, 0
            distance = distances.get(item[0], (None, False))[0]
            close = distance is not None and distance <= PLACE_TIER_KM
            return exact, 0 if close and item[1] >= PLACE_TIER_SHARE * best else 1

        window.sort(key=lambda item: (tier(item), -item[1]))
        adjusted = {window_ids[k]: score for k, score in window}
        final = [int(window_idx[k]) for k, _ in window] + [int(i) for i in
                                                           order[RERANK_WINDOW:]]
        return final, adjusted

    @staticmethod
    def _phrase_scores(columns, plan: QueryPlan, scorer: CandidateScorer,
                       window_idx: np.ndarray) -> dict[int, float]:
        """The query's words near each other, in order (at most PHRASE_SLOP apart), in the
        name or organization: the Whoosh backend's phrase bonus, checked on the stored text."""
        stems = [group[0][0] for group in plan.groups]
        if len(stems) < 2:
            return {}
        from .pg_documents import _schema

        schema = _schema()
        bonus: dict[int, float] = {}
        for field in ("name", "organization"):
            texts = columns.names if field == "name" else columns.organizations
            term_scores = []
            for stem in stems:
                ids, values = scorer.term(field, stem, FIELD_BOOSTS[field] * PHRASE_WEIGHT)
                term_scores.append(dict(zip(ids.tolist(), values.tolist(), strict=True)))
            for k, text in enumerate(texts):
                candidate = int(window_idx[k])
                if not all(candidate in s for s in term_scores):
                    continue
                positions: dict[str, list[int]] = {}
                for token in schema[field].analyzer(text, positions=True):
                    positions.setdefault(token.text, []).append(token.pos)
                if _phrase_in(positions, stems):
                    bonus[k] = bonus.get(k, 0.0) + sum(s[candidate] for s in term_scores)
        return bonus

    def _dutch_fallback(self, conn, params: SearchParams, everything: str, sql: _Sql):
        """Nothing found by our analysis: PostgreSQL's Dutch stemmer with unaccent."""
        query = sql.arg(params.q)
        rows = conn.execute(
            f"SELECT d.service_id, ts_rank(d.dutch, q) FROM {LIVE}.document d, "
            f"websearch_to_tsquery('{DUTCH_CONFIG}', {query}) q WHERE d.dutch @@ q AND "
            f"EXISTS (SELECT 1 FROM {LIVE}.match WHERE match.service_id = d.service_id AND "
            f"{everything}) ORDER BY 2 DESC, d.service_id LIMIT 1000",
            sql.args).fetchall()
        start = (params.page - 1) * params.per_page
        page = [r[0] for r in rows[start:start + params.per_page]]
        return len(rows), page, {r[0]: float(r[1]) for r in rows}

    # -- facets ----------------------------------------------------------------------------
    def _facets(self, conn, sql: _Sql, where: str, filters: dict[str, str],
                total: int, sample: Callable[[], FacetSample] | None = None
                ) -> tuple[dict[str, dict[str, int]], bool]:
        """Counts per facet value; a facet's own filter is left out of its counts
        (disjunctive facets), as in the Whoosh backend. ``sample``: the answer of a
        ``_facet_sample`` started earlier for the same ``where`` (``_aside``).

        Exact while the listings to count are at most FACET_SAMPLE; beyond that, counted over
        the first FACET_SAMPLE + 1 of them (table order, which has nothing to do with the
        facets) and scaled to the whole set, whose size follows from ``total`` (the listings
        that pass every filter) and the share of the sample that passes every filter.
        Returns the counts and whether they are estimates."""
        found = sample() if sample is not None else self._facet_sample(conn, sql, where, filters)
        result, sampled, passing, scale = found
        estimated = scale is not None
        if estimated and not scale:
            if passing:
                size = total * sampled / passing
            else:  # the filters are narrow: count (or estimate) the whole set
                size = self._count(conn, sql, where)[0]
            scale = max(1.0, size / sampled)
        if estimated:
            result = {name: {value: max(1, round(count * scale))
                             for value, count in counts.items()}
                      for name, counts in result.items()}
        for name in ("municipality", "kern", "lang"):
            counts = result[name]
            if len(counts) > FACET_LIMIT:
                top = sorted(counts.items(), key=lambda item: -item[1])[:FACET_LIMIT]
                counts = dict(top)
            result[name] = dict(sorted(counts.items()))
        return result, estimated

    def _facet_sample(self, conn, sql: _Sql, where: str, filters: dict[str, str]
                      ) -> FacetSample:
        """``_facet_sample_now``, answered from the per-generation cache when asked before."""
        return self._cached(sql, ("facets", where, tuple(filters.items()), FACET_SAMPLE,
                                  COUNT_LIMIT, PROBE_LIMIT, PROBE_MARGIN),
                            lambda: self._facet_sample_now(conn, sql, where, filters))

    def _facet_sample_now(self, conn, sql: _Sql, where: str, filters: dict[str, str]
                          ) -> FacetSample:
        """The facet counts of ``where`` as far as they do not depend on the total:
        ``(counts, how many listings were sampled, how many of those pass every filter,
        scale)``; scale is None for exact counts, the factor to the whole set when the
        sample's table position tells it, and 0.0 when ``_facets`` must scale by the total.

        When the statement reads rows (``sql.probe``), a first pass over PROBE_LIMIT + 1
        listings answers when they are all, or when they lie so early in the table that the
        set is at least PROBE_MARGIN x FACET_SAMPLE (scaled by table position, as
        ``_count_now``)."""
        if sql.probe and PROBE_LIMIT < FACET_SAMPLE:
            result, sampled, passing, block, _ = self._facet_pass(conn, sql, where, filters,
                                                               PROBE_LIMIT)
            if sampled <= PROBE_LIMIT:
                return result, sampled, passing, None
            size = sampled * self._pages(conn) / block
            if size >= PROBE_MARGIN * FACET_SAMPLE:
                return result, sampled, passing, size / sampled
        result, sampled, passing, _, _ = self._facet_pass(conn, sql, where, filters,
                                                       FACET_SAMPLE)
        return result, sampled, passing, (0.0 if sampled > FACET_SAMPLE else None)

    @staticmethod
    def _facet_pass(conn, sql: _Sql, where: str, filters: dict[str, str], limit: int,
                    part: str | None = None):
        """Facet counts over the first ``limit`` + 1 listings of ``where`` in table order, as
        ``(counts, how many listings, how many pass every filter, block of the last, how
        many match part)``; kept for the search when a count may ask the same."""
        shared = sql.shared_passes if not filters else None
        kept = shared.get((where, limit)) if shared is not None else None
        if kept is not None and (part is None or kept[5] == part):
            counts, *rest = kept[:5]
            return ({name: dict(values) for name, values in counts.items()}, *rest)
        flags = [f"({condition}) AS f_{name}" for name, condition in filters.items()]
        every = " AND ".join(f"f_{key}" for key in filters) or "true"
        values = {
            "category": "unnest(categories)", "theme": "unnest(themes)",
            "audience": "unnest(audiences)", "type": "type", "access": "access",
            "cost": "cost", "municipality": "unnest(serves)", "kern": "unnest(kernen)",
            "lang": "unnest(languages)",
        }
        needed = {"categories", "themes", "audiences", "type", "access", "cost", "serves",
                  "kernen", "languages", "ctid"}
        parts = [f"SELECT '' AS facet, max(ctid)::text AS v, count(*), "
                 f"count(*) FILTER (WHERE {every}), count(*) FILTER (WHERE p_part) FROM m"]
        for name in FACET_NAMES:
            others = [f"f_{key}" for key in filters if key != name]
            condition = " AND ".join(others) if others else "true"
            parts.append(f"SELECT '{name}', v, count(*), 0, 0 FROM "
                         f"(SELECT {values[name]} AS v FROM m WHERE {condition}) x "
                         "WHERE v IS NOT NULL GROUP BY v")
        statement = (f"WITH m AS MATERIALIZED (SELECT {', '.join(sorted(needed))}"
                     f", {part or 'true'} AS p_part{', ' if flags else ''}{', '.join(flags)} "
                     f"FROM {LIVE}.match WHERE {where} LIMIT {limit + 1}) "
                     + " UNION ALL ".join(parts))
        result: dict[str, dict[str, int]] = {name: {} for name in FACET_NAMES}
        sampled = passing = in_part = 0
        block = 1
        # Physical order: bitmap or sequential scans only.
        with _switched(conn, "enable_indexscan", on=False):
            for facet, value, count, count_all, count_part in conn.execute(statement,
                                                                           sql.args):
                if facet:
                    result[facet][value] = int(count)
                else:
                    sampled, passing, in_part = int(count), int(count_all), int(count_part)
                    if value:
                        block = int(value.strip("()").split(",")[0]) + 1
        if shared is not None:
            shared[(where, limit)] = ({name: dict(values) for name, values in result.items()},
                                      sampled, passing, block, in_part, part)
        return result, sampled, passing, block, in_part

    # -- results ---------------------------------------------------------------------------
    @staticmethod
    def _stored(conn, ids: list[str]) -> dict[str, dict]:
        if not ids:
            return {}
        rows = conn.execute(
            f"SELECT service_id, name, organization, organization_id, summary, meta "
            f"FROM {LIVE}.document WHERE service_id = ANY(%s)", (list(ids),)).fetchall()
        return {r[0]: {"id": r[0], "name": r[1], "organization": r[2], "organization_id": r[3],
                       "summary": r[4], "meta": r[5]} for r in rows}

    def _hits(self, page_ids: list[str], stored: dict[str, dict], scores: dict[str, float],
              adjusted: dict[str, float], focus: Place | None) -> list[Hit]:
        present = [sid for sid in page_ids if sid in stored]
        columns = build_columns([stored[sid] for sid in present])
        distances = self._distances(columns, np.arange(len(present), dtype=np.int64), focus) \
            if focus is not None else {}
        hits = []
        for k, sid in enumerate(present):
            doc = stored[sid]
            distance, area = distances.get(k, (None, False))
            score = adjusted.get(sid, scores.get(sid, 0.0))
            hits.append(Hit(sid, doc["name"], doc["organization_id"] or "",
                            doc["organization"], doc["summary"], doc["meta"],
                            round(float(score), 4),
                            None if distance is None else round(float(distance), 1), area))
        return hits


def _best_rows(rows: list, more: list, wanted: int) -> list:
    """The best ``wanted`` of two lists of (service id, pre-rank), as one statement over
    both id sets would order them: by pre-rank, then id."""
    unique = {row[0]: row for row in (*rows, *more)}
    return sorted(unique.values(), key=lambda row: (-row[-1], row[0]))[:wanted]


def _nearest_km(points, focus: Place) -> float | None:
    """Distance to the nearest of a listing's points, as the Whoosh backend computes it
    (haversine on the gazetteer's earth radius), so both backends order alike."""
    if not points:
        return None
    lats = np.array([[float(p[0]) for p in points]])
    lons = np.array([[float(p[1]) for p in points]])
    return float(haversine_matrix(focus.lat, focus.lon, lats, lons).min())


def _phrase_in(positions: dict[str, list[int]], stems: list[str]) -> bool:
    """All stems in order, each at most PHRASE_SLOP positions after the previous one."""
    starts = positions.get(stems[0])
    if not starts:
        return False
    for start in starts:
        current = start
        for stem in stems[1:]:
            following = [p for p in positions.get(stem, ()) if current < p <= current +
                         PHRASE_SLOP]
            if not following:
                break
            current = following[0]
        else:
            return True
    return False


class PostgresStore:
    """What ``SearchService`` asks of an index store, for the PostgreSQL tables."""

    def __init__(self, engine: PostgresEngine) -> None:
        self.engine = engine

    def exists(self) -> bool:
        return not self.engine.needs_rebuild()

    def needs_rebuild(self) -> bool:
        return self.engine.needs_rebuild()

    def vocabulary(self) -> list[str]:
        return self.engine.vocabulary()


def postgres_backend(db, gazetteer: Gazetteer, planner: QueryPlanner,
                     today) -> tuple[PostgresStore, PostgresEngine]:
    """The backend for ``search_backend = postgres``; only with a PostgreSQL database."""
    if db.engine.dialect.name != "postgresql":
        raise ValueError("SOCIALE_KAART_SEARCH_BACKEND=postgres needs a PostgreSQL database "
                         "(SOCIALE_KAART_DATABASE_URL=postgresql+psycopg://...); this "
                         f"installation uses {db.engine.dialect.name}: choose whoosh")
    engine = PostgresEngine(db, gazetteer, planner, today)
    return PostgresStore(engine), engine
