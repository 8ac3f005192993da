"""Speed of the PostgreSQL path: COPY import, index build and query latency at scale.

For each size N (default 100000) the deterministic synthetic corpus of ``speed.py``
(``benchmarks/synthetic.py``) goes into a fresh PostgreSQL database through the bulk import
(``services/bulk_import.py``: the ORM writer's rows, written with COPY) in one transaction, as
``sociale-kaart import --bulk`` imports a file (``--chunk K``: K listings a transaction, the
first an initial load, the others into a filled database), then this prints:

* import throughput (listings/s) of the COPY path: the initial load (indexes, keys and
  foreign keys built afterwards) and, at the end, ``--more`` further new listings imported
  into the filled database (indexes and foreign keys kept up row by row);
* index build time of the postgres search backend (``SearchService.rebuild``);
* query latency p50/p95/p99 overall and per class for the same query mix as ``speed.py``
  (text, natural sentences, filters, near + km, sort=distance, empty query with filters, typos,
  a place in the text), after the search tables were read into memory as ``serve`` has
  it done after each start of PostgreSQL (``search/pg_warm.py``; ``--cold``: not) and a
  short warm-up of queries; and the goal figure: the classes with filters
  and distance ("filter", "near", "distance", "empty+filter");
* incremental update latency (rename a listing, commit, until a search finds it);
* how close the bounded work per query comes to the exhaustive ranking (``--agreement N``,
  the first N text queries of the mix): each query is also answered with every match a
  candidate and every candidate scored exactly, and the figures say how often that
  ranking's best listing is in the bounded first page, and what share of its first page's
  listings are (copies of ``--replicate`` count as their original). Why: a faster query
  that ranks worse is no gain, and the bounded design trades exactness for time.

``--replicate K`` measures queries at a size whose index build would take hours here (our
Python analysis runs at 120-340 listings/s, so 1M listings take over two hours): it imports
and indexes N/K listings as usual, then copies every ``search.document`` and ``search.match``
row K-1 times in SQL under new ids (``<id>~<k>``), multiplies the document frequencies in
``search.term`` and the totals in ``search.stats`` by K, and rebuilds the search indexes
(``replicate_search_rows``).
The text, filter and place distributions are those of the N/K corpus at K times the density;
the output says so. The import and index build figures are then those of N/K listings.

The database is ``--pg-url`` (an empty database) or a private loopback cluster started with
the test kit (``tests/kit_postgres.py``) with ``--pg-memory`` of shared buffers. Figures only.

    python benchmarks/speed_pg.py [--sizes 100000,1000000] [--queries 200] [--more 10000]
    python benchmarks/speed_pg.py --sizes 1000000 --replicate 10   # 100k indexed, copied 10x
    python benchmarks/speed_pg.py --queries-only --pg-url URL       # the mix on a kept index
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests"))

from speed import TODAY, percentile, query_mix, run_query  # noqa: E402
from sqlalchemy import select  # noqa: E402
from synthetic import Corpus  # noqa: E402

from sociale_kaart.config import load_settings  # noqa: E402
from sociale_kaart.db import Database  # noqa: E402
from sociale_kaart.geo.geocode import Geocoder  # noqa: E402
from sociale_kaart.models import Service  # noqa: E402
from sociale_kaart.search import SearchService  # noqa: E402
from sociale_kaart.search.pg_schema import (  # noqa: E402
    DOCUMENT_COLUMNS,
    LIVE,
    MATCH_COLUMNS,
    TEXT_FIELDS,
    index_ddl,
)
from sociale_kaart.services.bulk_import import bulk_write_records  # noqa: E402

GOAL_CLASSES = ("filter", "near", "distance", "empty+filter")


def say(text: str = "") -> None:
    print(text, flush=True)


@contextlib.contextmanager
def database(url: str | None, name: str, memory: str):
    if url:
        yield url
        return
    from kit_postgres import start_cluster

    cluster = start_cluster(settings={"shared_buffers": memory, "work_mem": "64MB",
                                      "maintenance_work_mem": "512MB",
                                      "effective_cache_size": f"{cache_megabytes()}MB",
                                      "max_wal_size": "4GB", "synchronous_commit": "off",
                                      "checkpoint_timeout": "30min"})
    try:
        cluster.create_database(name)
        yield cluster.url(name)
    finally:
        cluster.stop(remove=True)


def cache_megabytes() -> int:
    """``effective_cache_size`` for the private cluster: three quarters of the machine's
    memory, the usual advice for a database server (PostgreSQL's default says 4 GB)."""
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        total_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return total_kb * 3 // 4 // 1024


def warm(search: SearchService, options: argparse.Namespace) -> None:
    """Read the search tables into memory as ``serve`` has the job queue do once after each
    start of PostgreSQL (``search/pg_warm.py``), unless ``--cold``; print what it read."""
    from sociale_kaart.search.pg_warm import warm_database

    if options.cold:
        say("search tables not warmed (--cold): the first pass reads from the disk")
        return
    say(f"warm-up (as `serve` queues it): {warm_database(search.db).summary()}")


def stats_line(values: list[float]) -> str:
    return (f"n={len(values):>4}  p50 {percentile(values, 50):7.1f}  "
            f"p95 {percentile(values, 95):7.1f}  p99 {percentile(values, 99):7.1f}  "
            f"max {max(values):7.1f} ms")


def replicate_search_rows(search: SearchService, copies: int) -> int:
    """Copy every search row ``copies - 1`` times under new ids (``<id>~<k>``) and scale the
    statistics by ``copies``: a large index without hours of analysis (see the docstring).
    Returns the number of search documents afterwards."""
    with search.engine.connection() as conn:
        conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        conn.execute("SET LOCAL synchronous_commit = off")
        for table, names in (("document", DOCUMENT_COLUMNS), ("match", tuple(MATCH_COLUMNS))):
            indexes = [row[0] for row in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = %s "
                "AND indexname <> %s", (LIVE, table, f"{table}_pkey"))]
            for name in indexes:  # rebuilt below: much faster than row by row
                conn.execute(f"DROP INDEX {LIVE}.{name}")
            columns = ", ".join(names)
            conn.execute(f"CREATE TEMPORARY TABLE originals ON COMMIT DROP AS "
                         f"SELECT {columns} FROM {LIVE}.{table}")
            for k in range(1, copies):
                values = ", ".join(f"service_id || '~{k}'" if name == "service_id" else name
                                   for name in names)
                conn.execute(f"INSERT INTO {LIVE}.{table} ({columns}) "
                             f"SELECT {values} FROM originals")
                say(f"  replicated {table} copy {k}/{copies - 1}")
            conn.execute("DROP TABLE originals")
        conn.execute(f"UPDATE {LIVE}.term SET df = df * %s", (copies,))
        conn.execute(f"UPDATE {LIVE}.stats SET generation = generation + 1, docs = docs * %s, "
                     + ", ".join(f"len_{f} = len_{f} * %s" for f in TEXT_FIELDS),
                     (copies,) * (1 + len(TEXT_FIELDS)))
        for statement in index_ddl(LIVE, True):
            conn.execute(statement)
        conn.commit()
        conn.autocommit = True
        try:
            conn.execute(f"VACUUM ANALYZE {LIVE}.document")
            conn.execute(f"VACUUM ANALYZE {LIVE}.match")
            conn.execute(f"ANALYZE {LIVE}.term")
        finally:
            conn.autocommit = False
        return conn.execute(f"SELECT count(*) FROM {LIVE}.document").fetchone()[0]


def query_figures(search: SearchService, corpus: Corpus, options: argparse.Namespace) -> dict:
    """Latency of the query mix per class (after the warm-up), printed; the p95 figures."""
    mix = query_mix(corpus, options.queries, options.seed)
    for _, args in mix[:options.warmup]:
        run_query(search, args)
    per_class: dict[str, list[float]] = defaultdict(list)
    for name, args in mix:
        t = time.perf_counter()
        run_query(search, args)
        per_class[name].append((time.perf_counter() - t) * 1000)
    everything = [v for values in per_class.values() for v in values]
    say(f"queries (after {options.warmup} warm-up; load average "
        f"{os.getloadavg()[0]:.1f}; totals above 2,000 and facets over more than 2,000 "
        "listings are estimates, see docs/search-postgres.md):")
    say(f"  {'all':<13}{stats_line(everything)}")
    for name in sorted(per_class):
        say(f"  {name:<13}{stats_line(per_class[name])}")
    goal = [v for name in GOAL_CLASSES for v in per_class.get(name, [])]
    say(f"  {'filters+dist':<13}{stats_line(goal)}  (goal: p95 <= 100 ms at 1M)")
    return {"p95_all": percentile(everything, 95), "p95_goal": percentile(goal, 95)}


def agreement(search: SearchService, corpus: Corpus, options: argparse.Namespace) -> dict:
    """The bounded first page against the exhaustive one (see the module docstring)."""
    from sociale_kaart.search import pg_backend

    if not options.agreement:
        return {}
    mix = [(name, args) for name, args in query_mix(corpus, options.queries, options.seed)
           if args.get("q")][:options.agreement]

    def first_pages() -> list[list[str]]:
        return [[hit.id.split("~")[0] for hit in run_query(search, args).hits[:10]]
                for _, args in mix]

    bounded = first_pages()
    limits = pg_backend.CANDIDATE_BUDGET, pg_backend.PRERANK_LIMIT
    try:
        pg_backend.CANDIDATE_BUDGET, pg_backend.PRERANK_LIMIT = 10**9, 5000
        exhaustive = first_pages()
    finally:
        pg_backend.CANDIDATE_BUDGET, pg_backend.PRERANK_LIMIT = limits
    best: dict[str, list[bool]] = defaultdict(list)
    share: dict[str, list[float]] = defaultdict(list)
    for (name, _), page, full in zip(mix, bounded, exhaustive, strict=True):
        if not full:
            continue
        wanted = list(dict.fromkeys(full))
        for key in (name, "all"):
            best[key].append(wanted[0] in page)
            share[key].append(sum(i in page for i in wanted) / len(wanted))
    say(f"agreement with the exhaustive ranking ({len(best['all'])} text queries with "
        "results; every match a candidate, every candidate scored exactly):")
    for key in ["all", *sorted(k for k in best if k != "all")]:
        say(f"  {key:<13}n={len(best[key]):>4}  its best in the first page "
            f"{statistics.mean(best[key]):.2f}  share of its first page "
            f"{statistics.mean(share[key]):.2f}")
    return {"best_in_page": statistics.mean(best["all"]) if best["all"] else None}


def queries_only(options: argparse.Namespace) -> None:
    """The query mix on a database an earlier run filled (``--pg-url``, kept): why: at 1M the
    build takes many minutes, and query changes are compared on the same data."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path(tmp) / "instance", today=TODAY,
                                 database_url=options.pg_url, search_backend="postgres",
                                 semantic="off")
        db = Database(options.pg_url)
        search = SearchService(settings, db, follow_commits=False)
        if search.engine.needs_rebuild():
            raise SystemExit("--queries-only: the database has no current search index")
        say(f"\n== postgres backend, queries only: {search.engine.count()} documents ==")
        warm(search, options)
        query_figures(search, Corpus(seed=options.seed), options)
        agreement(search, Corpus(seed=options.seed), options)
        db.dispose()


def run_size(n: int, options: argparse.Namespace) -> dict:
    result: dict = {"n": n}
    with tempfile.TemporaryDirectory() as tmp, \
            database(options.pg_url, f"speed{n}", options.pg_memory) as url:
        settings = load_settings(Path(tmp) / "instance", today=TODAY, database_url=url,
                                 search_backend="postgres", semantic="off")
        db = Database(url)
        db.upgrade()
        search = SearchService(settings, db, follow_commits=False)
        corpus = Corpus(seed=options.seed)

        copies = max(1, options.replicate)
        full_n, n = n, n // copies
        if copies > 1:
            say(f"replicated corpus: {n} listings imported and indexed, then their search "
                f"rows copied {copies - 1} times in SQL to {full_n} (see --replicate)")

        # -- import by COPY ----------------------------------------------------------------
        records = corpus.iter_records(n)
        geocoder = Geocoder()
        imported = 0
        import_s = 0.0
        while imported < n:
            t = time.perf_counter()
            chunk = [next(records) for _ in range(min(options.chunk or n, n - imported))]
            generate = time.perf_counter() - t
            report = bulk_write_records(db, chunk, [], geocoder=geocoder)
            import_s += report.seconds
            imported += len(chunk)
            kind = ("initial load: indexes and foreign keys built afterwards"
                    if report.initial_load else "into a filled database: indexes and foreign "
                    "keys kept up row by row")
            say(f"  bulk import: {imported}/{n} ({imported / import_s:.0f} listings/s; this "
                f"chunk {len(chunk) / report.seconds:.0f}/s, {kind}; generating it took "
                f"{generate:.1f}s, not counted)")
        result["import_rate"] = n / import_s
        result["import_s"] = import_s
        say(f"import (COPY): {n} listings in {import_s:.1f}s = {n / import_s:.0f} listings/s "
            f"(load average {os.getloadavg()[0]:.1f})")

        # -- index build -------------------------------------------------------------------
        t = time.perf_counter()
        indexed = search.rebuild()
        result["rebuild_s"] = time.perf_counter() - t
        say(f"index build (postgres backend): {indexed} documents in {result['rebuild_s']:.1f}s "
            f"({indexed / result['rebuild_s']:.0f} docs/s)")
        say(f"import + search documents: {n / (import_s + result['rebuild_s']):.0f} listings/s")
        if copies > 1:
            t = time.perf_counter()
            indexed = replicate_search_rows(search, copies)
            say(f"replicated search rows: {indexed} documents ({copies} copies of each of "
                f"{n} indexed listings; statistics x{copies}) in "
                f"{time.perf_counter() - t:.0f}s")
        with search.engine.connection() as conn:
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
            tables = conn.execute(
                "SELECT pg_total_relation_size('search.document') + "
                "pg_total_relation_size('search.match') + "
                "pg_total_relation_size('search.term')").fetchone()[0]
        say(f"database size {size / 2**20:.0f} MB, of which search tables {tables / 2**20:.0f} MB")
        if options.import_only:
            more_listings(db, geocoder, options)
            db.dispose()
            return result

        # -- queries -----------------------------------------------------------------------
        warm(search, options)
        result.update(query_figures(search, corpus, options))
        result.update(agreement(search, corpus, options))

        # -- incremental update ------------------------------------------------------------
        follower = SearchService(settings, db)
        latencies = []
        with db.session() as session:
            ids = list(session.scalars(select(Service.id).order_by(Service.id).limit(
                options.updates)))
        for i, service_id in enumerate(ids):
            word = f"qzxupdate{i}"
            t = time.perf_counter()
            with db.session() as session:
                session.get(Service, service_id).name = f"Vernieuwd {word}"
                session.commit()
            found = run_query(follower, {"q": word})
            latencies.append((time.perf_counter() - t) * 1000)
            if not found.hits or found.hits[0].id != service_id:
                say(f"  update {i}: not found")
        say(f"incremental update (commit -> found): median {statistics.median(latencies):.0f} "
            f"ms, max {max(latencies):.0f} ms over {len(latencies)} updates")
        more_listings(db, geocoder, options)
        db.dispose()
    return result


def more_listings(db: Database, geocoder: Geocoder, options: argparse.Namespace) -> None:
    """``--more`` new listings (another seed, so other ids) imported into the filled database
    in one transaction: the rate of a later import, with every index and foreign key kept
    up row by row. Last, so that the query figures are those of the size asked for."""
    if options.more <= 0:
        return
    records = list(Corpus(seed=options.seed + 1).iter_records(options.more, "synthetic-more"))
    report = bulk_write_records(db, records, [], geocoder=geocoder)
    say(f"import (COPY) of {len(records)} more listings into the filled database: "
        f"{report.seconds:.1f}s = {len(records) / report.seconds:.0f} listings/s "
        f"({len(report.created)} created; indexes and foreign keys kept up row by row)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunk", type=int, default=0,
                        help="listings per import transaction (default: all at once, as "
                             "`import --bulk` imports a file)")
    parser.add_argument("--more", type=int, default=10000,
                        help="then import this many further listings into the filled "
                             "database and print that rate (0: not)")
    parser.add_argument("--updates", type=int, default=10)
    parser.add_argument("--agreement", type=int, default=40, metavar="N",
                        help="compare the first N text queries with the exhaustive ranking "
                             "(0: not)")
    parser.add_argument("--replicate", type=int, default=1, metavar="K",
                        help="index size/K listings and copy their search rows K times "
                             "(a large index without hours of analysis)")
    parser.add_argument("--import-only", action="store_true",
                        help="import and build the index, then stop (no queries)")
    parser.add_argument("--pg-url", default=None,
                        help="an empty PostgreSQL database (with --queries-only: one an "
                             "earlier run filled)")
    parser.add_argument("--pg-memory", default="1GB", help="shared_buffers of the private cluster")
    parser.add_argument("--cold", action="store_true",
                        help="do not warm the search tables before the queries (as "
                             "SOCIALE_KAART_SEARCH_WARM=off)")
    parser.add_argument("--queries-only", action="store_true",
                        help="only the query mix, on the search index already in --pg-url "
                             "(e.g. of an earlier run with --pg-url; --sizes is not used)")
    options = parser.parse_args()
    if options.chunk < 0:
        parser.error("--chunk: 0 (all at once) or a number of listings per transaction")
    if options.agreement < 0:
        parser.error("--agreement: 0 (not) or a number of text queries")
    if options.queries_only:
        if not options.pg_url:
            parser.error("--queries-only needs --pg-url")
        queries_only(options)
        return
    for size in (int(s) for s in options.sizes.split(",") if s):
        say(f"\n== postgres backend, {size} listings ==")
        run_size(size, options)


if __name__ == "__main__":
    main()
