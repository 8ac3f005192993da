"""Reading the PostgreSQL search tables into memory after the server starts (``pg_prewarm``).

Why: a search at a million listings reads a few hundred pages of ``search.match`` and its
GIN index, and the ``document`` rows of its candidates, scattered over several gigabytes.
Straight after PostgreSQL (or its machine) starts, or after a build that left other data in
the cache, each of those pages is a disk read: the benchmark's query mix that answers within
about 80 ms (p95) from memory took about 130 ms on its first pass. Warming reads the search
relations once, in the order searches need them:

1. into the operating system's page cache (``pg_prewarm(rel, 'read')``), as much as
   ``effective_cache_size`` (the administrator's statement of how much the server caches)
   allows, less what PostgreSQL's own buffers hold;
2. the most used of them (``match``, its word index, ``term``) also into PostgreSQL's shared
   buffers (``'buffer'``), at most half of ``shared_buffers``, so the buffers keep room for
   the rest of the application.

Relations the budget leaves out are named in the report. ``pg_prewarm`` is in
``postgresql-contrib``; creating it needs a superuser (it is not a trusted extension), so a
database owner without that right gets a report saying so, and searches work as before, only
slower on their first reads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .pg_schema import LIVE

log = logging.getLogger(__name__)

#: The search relations in the order searches need them: every search reads ``match``
#: through its word index and looks words up in ``term``; the candidates' ``document`` rows
#: (and their token vectors, often out of line in TOAST) follow; the index on PostgreSQL's
#: own Dutch stems serves only the fallback for words our analysis does not know.
#: Relations not named here (a later version's) come after these, largest last.
ORDER = (
    "stats", "stats_pkey", "term", "term_pkey", "term_spell", "match_words", "match",
    "match_pkey", "match_categories", "match_type", "match_municipalities", "match_areas",
    "match_kern_keys", "match_serves", "match_geog", "match_course_end", "match_name",
    "document", "document_pkey", "document:toast", "document:toast_index", "vocabulary",
    "vocabulary_pkey", "document_dutch",
)
#: Relations worth a place in PostgreSQL's own buffers (read by nearly every search).
HOT = frozenset({"stats", "stats_pkey", "term", "term_pkey", "match_words", "match",
                 "match_pkey"})
#: Share of ``shared_buffers`` that warming may fill.
BUFFER_SHARE = 0.5


@dataclass
class Relation:
    name: str
    oid: int
    size: int


@dataclass
class WarmReport:
    """What a warm-up read: relations, bytes, seconds; or why it could not."""

    read: list[str] = field(default_factory=list)
    buffered: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    read_bytes: int = 0
    buffered_bytes: int = 0
    seconds: float = 0.0
    unavailable: str | None = None

    def summary(self) -> str:
        """One Dutch line for the command line and the log."""
        if self.unavailable:
            return f"Zoektabellen niet opgewarmd: {self.unavailable}"
        if not self.read and not self.skipped:
            return ("Zoektabellen niet opgewarmd: er zijn nog geen (importeer eerst, of "
                    "sociale-kaart index rebuild).")
        text = (f"Zoektabellen opgewarmd in {self.seconds:.1f} s: {len(self.read)} relaties, "
                f"{self.read_bytes / 2**20:,.0f} MB gelezen, waarvan "
                f"{self.buffered_bytes / 2**20:,.0f} MB in de buffers van PostgreSQL")
        if self.skipped:
            text += (f"; overgeslagen (past niet in effective_cache_size): "
                     f"{', '.join(self.skipped)}")
        return text + "."


def search_relations(conn) -> list[Relation]:
    """Every table, index and TOAST relation of the live search schema, in ``ORDER``."""
    rows = conn.execute(
        "SELECT c.relname, c.oid, pg_relation_size(c.oid), t.oid, pg_relation_size(t.oid), "
        "  ti.oid, pg_relation_size(ti.oid) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_class t ON t.oid = c.reltoastrelid "
        "LEFT JOIN pg_index x ON x.indrelid = t.oid "
        "LEFT JOIN pg_class ti ON ti.oid = x.indexrelid "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'i')", (LIVE,)).fetchall()
    found: dict[str, Relation] = {}
    for name, oid, size, toast, toast_size, toast_index, toast_index_size in rows:
        found[name] = Relation(name, oid, size)
        if toast is not None and toast_size:
            found[f"{name}:toast"] = Relation(f"{name}:toast", toast, toast_size)
            if toast_index is not None:
                found[f"{name}:toast_index"] = Relation(f"{name}:toast_index", toast_index,
                                                        toast_index_size)
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(found.values(),
                  key=lambda r: (rank.get(r.name, len(ORDER)), r.size, r.name))


def _setting_bytes(conn, name: str) -> int:
    """A memory setting in bytes (``pg_settings`` gives it in its unit, often 8 kB pages)."""
    value, unit = conn.execute(
        "SELECT setting::bigint, unit FROM pg_settings WHERE name = %s", (name,)).fetchone()
    units = {"8kB": 8192, "kB": 1024, "MB": 2**20, "B": 1, None: 1}
    return int(value) * units.get(unit, 1)


def budgets(conn) -> tuple[int, int]:
    """(bytes to read into the page cache, bytes to place in shared buffers)."""
    shared = _setting_bytes(conn, "shared_buffers")
    cache = _setting_bytes(conn, "effective_cache_size")
    return max(cache - shared, 0), int(shared * BUFFER_SHARE)


def _ensure_extension(conn) -> str | None:
    """Create ``pg_prewarm`` if needed; the reason when that is not possible."""
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_prewarm'").fetchone():
        return None
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        conn.commit()
    except Exception as error:  # not installed, or not a superuser
        conn.rollback()
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        return (f"de uitbreiding pg_prewarm ontbreekt ({reason}); maak haar als superuser "
                "aan: CREATE EXTENSION pg_prewarm (Debian: postgresql-contrib)")
    return None


def warm_search_tables(conn, read_budget: int | None = None,
                       buffer_budget: int | None = None) -> WarmReport:
    """Read the live search relations into memory (see the module docstring).

    ``read_budget`` and ``buffer_budget`` (bytes) default to the server's settings
    (:func:`budgets`). Reads only; safe beside searches and writes.
    """
    started = time.monotonic()
    report = WarmReport()
    missing = _ensure_extension(conn)
    if missing:
        report.unavailable = missing
        return report
    default_read, default_buffer = budgets(conn)
    read_left = default_read if read_budget is None else read_budget
    buffer_left = default_buffer if buffer_budget is None else buffer_budget
    for relation in search_relations(conn):
        if relation.size == 0:
            continue
        if relation.size > read_left:
            report.skipped.append(relation.name)
            continue
        read_left -= relation.size
        # A relation too big for the buffers' share is still worth the page cache.
        mode = "buffer" if relation.name in HOT and relation.size <= buffer_left else "read"
        try:
            conn.execute("SELECT pg_prewarm(%s::oid::regclass, %s)", (relation.oid, mode))
            conn.commit()
        except Exception as error:  # dropped by a rebuild that swapped the schema meanwhile
            conn.rollback()
            log.info("warming %s skipped: %s", relation.name, error)
            report.skipped.append(relation.name)
            continue
        report.read.append(relation.name)
        report.read_bytes += relation.size
        if mode == "buffer":
            buffer_left -= relation.size
            report.buffered.append(relation.name)
            report.buffered_bytes += relation.size
    report.seconds = time.monotonic() - started
    return report


@contextmanager
def _connection(db) -> Iterator:
    """A psycopg connection of the application's pool, rolled back and returned after use
    (the job worker and the command have no search service to ask)."""
    raw = db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        try:
            yield conn
        finally:
            conn.rollback()
    finally:
        raw.close()


def postgres_started(db) -> datetime:
    """When the PostgreSQL server started (UTC, naive, as the job table stores times)."""
    with _connection(db) as conn:
        started = conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0]
    return started.astimezone(UTC).replace(tzinfo=None)


def warm_database(db, read_budget: int | None = None,
                  buffer_budget: int | None = None) -> WarmReport:
    """:func:`warm_search_tables` on a connection of the application's database."""
    with _connection(db) as conn:
        return warm_search_tables(conn, read_budget, buffer_budget)


def server_start_key(db) -> str:
    """The job key of "warm the search tables once for this start of the server"."""
    return f"search-warm:{postgres_started(db).isoformat()}"
