"""Speed benchmark: import and index throughput, query latency, update latency, memory.

For each size N (default 1000, 10000 and 100000) a deterministic synthetic corpus
(``benchmarks/synthetic.py``) goes into a fresh temporary instance, then this prints:

* DB import throughput (services/s) through ``write_records``, with a SearchService that does
  NOT follow commits; when the projected time passes ``--import-budget`` seconds the rest is
  loaded by the "fresh" path (the same ``_Writer`` of ``services/imports.py``, in chunks, but
  without the look-ups that can only miss in an empty database); the output says which;
* index build throughput (docs/s) of ``SearchService.rebuild()``, and how much of it is
  building the documents from the database (``documents_for``);
* the first search (decoding the in-memory columns) and a fixed, deterministic query mix
  (text of 1-6 words and natural sentences, filters, near + km, sort=distance, empty query with
  filters, typos, a place inside the text): p50/p95/p99 overall and per class;
* incremental update latency: rename a listing in a DB session (the after-commit hook of a
  SearchService that follows commits reindexes it) and time until a search finds the new name;
* peak memory (``ru_maxrss``) and the allocation peak of one search (tracemalloc);
* optionally (``--profile``) the top functions of the query phase under cProfile;
* semantic search (issue 11, when the model loads): derived vectors are written straight into
  the embedding cache (the topic texts are embedded by the real model, each listing gets its
  topic's vector plus noise), so no hours of embedding; then the added query latency of the
  semantic signal (p50/p95, the same mix run lexical-only and hybrid, query vectors cached,
  then each query searched for the first time: old and overlapped order, query embedding on
  one and two threads), the time to embed a query, and the embedding throughput of real texts
  (listings/s); with ``--import-compare`` also a bulk import with semantic search on and off.

Each size runs in its own process (so ``ru_maxrss`` is per size) unless ``--in-process``.
Figures only, no assertions.

    python benchmarks/speed.py [--sizes 1000,10000] [--queries 200] [--profile]
    python benchmarks/speed.py --backend postgres --sizes 100000,1000000   # = speed_pg.py
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

from werkzeug.datastructures import MultiDict

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from synthetic import SAMPLE, Corpus  # noqa: E402

from sociale_kaart.config import load_settings  # noqa: E402
from sociale_kaart.db import Database  # noqa: E402
from sociale_kaart.geo.geocode import Geocoder  # noqa: E402
from sociale_kaart.models import Organization, Service  # noqa: E402
from sociale_kaart.search import SearchService  # noqa: E402
from sociale_kaart.search.documents import documents_for  # noqa: E402
from sociale_kaart.search.engine import WhooshEngine  # noqa: E402
from sociale_kaart.search.params import SearchParams, parse_params  # noqa: E402
from sociale_kaart.search.vocabulary import CATEGORIES, TYPES  # noqa: E402
from sociale_kaart.services.imports import _Writer, write_records  # noqa: E402
from sociale_kaart.services.taxonomy import ensure_taxonomies  # noqa: E402

try:  # the audit trail write_records keeps (newer versions); the fresh path does the same
    from sociale_kaart.services.audit import record_import_change  # noqa: E402
except ImportError:  # pragma: no cover - older checkouts
    record_import_change = None

TODAY = date(2026, 11, 22)
#: A fixed "now" for parse_params, so ``open=now`` style parameters are reproducible.
NOW = datetime(2026, 11, 22, 10, 30)
CLASS_SHARES = (("text", 0.18), ("natural", 0.10), ("filter", 0.15), ("near", 0.15),
                ("distance", 0.10), ("empty+filter", 0.10), ("typo", 0.10), ("place-in-q", 0.12))


# -- small helpers ---------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def folder_mb(path: Path) -> float:
    total = 0
    for root, _dirs, files in os.walk(path, followlinks=True):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).stat().st_size
    return total / 2**20


def say(text: str = "") -> None:
    print(text, flush=True)


# -- loading -----------------------------------------------------------------------------------

class _FreshSession:
    """A session stand-in for loading into a database that holds none of these ids yet.

    ``_Writer.upsert`` asks the session for every object by primary key before creating it and
    queries existing attributes/metadata; in an empty database those look-ups can only miss
    unless this run wrote the object before. This answers them from what was written, so the
    rows are the same as ``write_records`` writes, without ~25 SELECTs and a flush per service.
    """

    def __init__(self, session, written: set) -> None:
        self._session = session
        self._written = written
        self._objects: dict = {}

    def get(self, cls, ident):
        key = (cls, ident)
        obj = self._objects.get(key)
        if obj is None and key in self._written:
            obj = self._session.get(cls, ident)
            self._objects[key] = obj
        return obj

    def add(self, obj) -> None:
        key = (type(obj), obj.id)
        self._objects[key] = obj
        self._written.add(key)
        self._session.add(obj)

    def scalars(self, _statement):
        return iter(())

    def __getattr__(self, name):
        return getattr(self._session, name)


def load_fresh(db: Database, records: list, chunk: int, written: set) -> None:
    writer = _Writer(Geocoder())
    for start in range(0, len(records), chunk):
        session = db.Session()
        try:
            ensure_taxonomies(session)
            fresh = _FreshSession(session, written)
            with session.no_autoflush:
                for record in records[start:start + chunk]:
                    outcome, _touched = writer.upsert(fresh, record)
                    if record_import_change is not None and outcome != "unchanged":
                        # write_records keeps an audit trail of every created listing too
                        record_import_change(session, record.id, record.source, outcome,
                                             record.service)
            session.commit()
        finally:
            session.close()


def load(db: Database, records: list, chunk: int, budget_s: float, loader: str) -> dict:
    """Import through write_records in chunks (one transaction each); switch to the fresh path
    when the projected total time passes the budget."""
    n = len(records)
    done = 0
    t0 = time.perf_counter()
    wr_time = 0.0
    wr_count = 0
    fresh_time = 0.0
    written: set = set()
    while done < n and loader == "write_records":
        batch = records[done:done + chunk]
        t = time.perf_counter()
        report = write_records(db, batch, [])
        wr_time += time.perf_counter() - t
        wr_count += len(batch)
        done += len(batch)
        if len(report.created) != len(batch):
            say(f"  warning: {report.summary()}")
        rate = wr_count / wr_time
        say(f"  write_records: {done}/{n} ({rate:.0f}/s)")
        projected = wr_time + (n - done) / rate
        if done < n and projected > budget_s:
            say(f"  projected write_records time {projected:.0f}s > budget {budget_s:.0f}s: "
                "loading the rest by the fresh path")
            loader = "fresh"
            with db.session() as session:
                written.update((Service, sid) for sid in session.scalars(select(Service.id)))
            # Organizations already written may be shared with later services.
            with db.session() as session:
                written.update((Organization, oid)
                               for oid in session.scalars(select(Organization.id)))
    if done < n:
        t = time.perf_counter()
        step = max(chunk, 1000)
        for start in range(done, n, step):
            load_fresh(db, records[start:start + step], step, written)
            say(f"  fresh path: {start + len(records[start:start + step])}/{n} "
                f"({(start + step - done) / (time.perf_counter() - t):.0f}/s)")
        fresh_time = time.perf_counter() - t
    total = time.perf_counter() - t0
    with db.session() as session:
        count = session.scalar(select(func.count()).select_from(Service))
    return {
        "import_total_s": total,
        "import_write_records_n": wr_count,
        "import_write_records_s": wr_time,
        "import_write_records_rate": wr_count / wr_time if wr_time else None,
        "import_fresh_n": n - wr_count,
        "import_fresh_s": fresh_time,
        "import_fresh_rate": (n - wr_count) / fresh_time if fresh_time else None,
        "import_path": "write_records" if wr_count == n else
        ("fresh" if wr_count == 0 else f"write_records ({wr_count}) + fresh ({n - wr_count})"),
        "db_services": count,
    }


# -- the query mix -----------------------------------------------------------------------------

def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "swap", "double", "replace"))
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeiou") + word[i + 1:]


def query_mix(corpus: Corpus, total: int, seed: int) -> list[tuple[str, dict]]:
    """A fixed list of (class, query-string arguments); the same for every size."""
    rng = random.Random(f"queries:{seed}")
    sample = [json.loads(line) for line in open(SAMPLE / "queries.jsonl", encoding="utf-8")
              if line.strip()]
    natural = sorted(q["q"] for q in sample if q.get("kind") in ("natural", "professional"))
    keywords = sorted(q["q"] for q in sample
                      if q.get("kind") in ("keyword", "synonym", "compound", "english"))
    words = [w for w in corpus.vocabulary if 5 <= len(w) <= 14]
    categories = sorted(CATEGORIES)
    types = sorted(TYPES)
    municipalities = corpus.municipalities
    kernen = [k for k in corpus.kernen if k.population >= 1000] or corpus.kernen

    def short_q() -> str:
        if rng.random() < 0.4:
            return rng.choice(keywords)
        return " ".join(rng.choice(words) for _ in range(rng.randint(1, 2)))

    def near() -> dict:
        kern = rng.choice(kernen)
        where = kern.pc4 if rng.random() < 0.5 else kern.name
        return {"near": where, "km": str(rng.choice((3, 5, 10, 25)))}

    def one_filter() -> dict:
        kind = rng.choice(("category", "type", "municipality", "free"))
        if kind == "category":
            return {"category": rng.choice(categories)}
        if kind == "type":
            return {"type": rng.choice(types)}
        if kind == "municipality":
            return {"municipality": rng.choice(municipalities)}
        return {"free": "1"}

    makers = {
        "text": lambda: {"q": " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
                         if rng.random() < 0.6 else rng.choice(keywords)},
        "natural": lambda: {"q": rng.choice(natural) if rng.random() < 0.5
                            else corpus.sentence(rng, 5, 12).rstrip(".").lower()},
        "filter": lambda: {"q": short_q(), **one_filter(),
                           **(one_filter() if rng.random() < 0.4 else {})},
        "near": lambda: {"q": short_q(), **near()},
        "distance": lambda: {"q": short_q() if rng.random() < 0.7 else "", **near(),
                             "sort": "distance"},
        "empty+filter": lambda: {"q": "", **one_filter(),
                                 **(one_filter() if rng.random() < 0.5 else {})},
        "typo": lambda: {"q": _typo(rng, rng.choice([w for w in words if len(w) >= 6]))},
        "place-in-q": lambda: {"q": f"{short_q()} {rng.choice(kernen).name}"},
    }
    mix: list[tuple[str, dict]] = []
    for name, share in CLASS_SHARES:
        for _ in range(max(1, round(total * share))):
            mix.append((name, makers[name]()))
    rng.shuffle(mix)
    return mix[:max(total, len(CLASS_SHARES))]


def run_query(service: SearchService, args: dict):
    return service.search(parse_params(MultiDict(args), now=NOW))


# -- one size --------------------------------------------------------------------------------

def build_instance(n: int, corpus: Corpus, db: Database, search: SearchService, settings,
                   options: argparse.Namespace, result: dict) -> None:
    """Generate N services, import them, time documents_for, rebuild the index."""
    t = time.perf_counter()
    records = corpus.records(n)
    result["generate_s"] = time.perf_counter() - t
    say(f"corpus: {n} services generated in {result['generate_s']:.1f}s "
        f"({len(corpus.kernen)} kernen in {len(corpus.municipalities)} municipalities)")

    # -- import -------------------------------------------------------------------------
    result.update(load(db, records, options.chunk, options.import_budget, options.loader))
    del records
    say(f"import: {result['db_services']} services in {result['import_total_s']:.1f}s "
        f"via {result['import_path']}")
    if result["import_write_records_rate"]:
        say(f"  write_records: {result['import_write_records_rate']:.0f} services/s "
            f"({result['import_write_records_n']} services)")
    if result["import_fresh_rate"]:
        say(f"  fresh path:    {result['import_fresh_rate']:.0f} services/s "
            f"({result['import_fresh_n']} services)")
    result["db_mb"] = settings.database_path.stat().st_size / 2**20 \
        if settings.database_path.exists() else None

    # -- index build ----------------------------------------------------------------------
    if not options.skip_doc_timing:
        session = db.Session()
        t = time.perf_counter()
        docs = sum(1 for _ in documents_for(session))
        result["documents_s"] = time.perf_counter() - t
        session.close()
        say(f"documents_for alone: {docs} documents in {result['documents_s']:.1f}s "
            f"({docs / result['documents_s']:.0f} docs/s)")
    t = time.perf_counter()
    indexed = search.rebuild()
    result["rebuild_s"] = time.perf_counter() - t
    result["rebuild_rate"] = indexed / result["rebuild_s"]
    result["index_mb"] = folder_mb(settings.resolved_index_path)
    say(f"index rebuild: {indexed} docs in {result['rebuild_s']:.1f}s "
        f"({result['rebuild_rate']:.0f} docs/s), index {result['index_mb']:.1f} MB")


def run_size(n: int | None, options: argparse.Namespace) -> dict:
    """One size in a fresh temporary instance, or (``n=None``) the existing ``--instance``."""
    corpus = Corpus(seed=options.seed)
    with contextlib.ExitStack() as stack:
        if n is None:
            instance = options.instance.resolve()
        else:
            instance = Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="sk-speed-"))) / "instance"
        settings = load_settings(instance, today=TODAY, database_url="")
        db = Database(settings.database_url)
        db.upgrade()
        search = SearchService(settings, db, follow_commits=False)
        result: dict = {"n": n, "import_write_records_rate": None, "import_fresh_rate": None,
                        "import_fresh_n": 0, "import_write_records_n": 0,
                        "import_total_s": None, "rebuild_s": None, "rebuild_rate": None}
        if n is None:
            with db.session() as session:
                n = result["n"] = session.scalar(select(func.count()).select_from(Service))
            result["import_path"] = "reused"
            result["index_mb"] = folder_mb(settings.resolved_index_path)
            say(f"\n=== existing instance {instance}: N = {n} (no import, no rebuild) ===")
        else:
            say(f"\n=== N = {n} ===")
            build_instance(n, corpus, db, search, settings, options, result)
        measure(n, corpus, db, search, settings, options, result)
        if not options.skip_semantic and search.semantic is not None:
            from speed_semantic import measure_semantic

            measure_semantic(n, corpus, db, search, options, result, say, run_query)
        db.dispose()
        if options.import_compare and result.get("import_path") != "reused":
            from speed_semantic import compare_import

            compare_import(n, corpus, options, result, say)
    result["maxrss_mb"] = maxrss_mb()
    say(f"peak RSS (ru_maxrss) of this process: {result['maxrss_mb']:.0f} MB")
    return result


def measure(n: int, corpus: Corpus, db: Database, search: SearchService, settings,
            options: argparse.Namespace, result: dict) -> None:
    """Queries, allocation peak, profile and incremental updates on a loaded instance."""
    # -- queries ----------------------------------------------------------------------
    mix = query_mix(corpus, options.queries, options.seed)
    t = time.perf_counter()
    run_query(search, {"q": "hulp"})
    result["first_search_ms"] = (time.perf_counter() - t) * 1000
    say(f"first search (opens the index, decodes the columns): "
        f"{result['first_search_ms']:.0f} ms")
    errors = 0
    for _kind, args in mix:  # warm-up: every query once
        try:
            run_query(search, args)
        except Exception as error:  # a figure, not a test: count it and go on
            errors += 1
            say(f"  query error {args}: {error}")
    timings: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    zero: dict[str, int] = defaultdict(int)
    totals: dict[str, list[int]] = defaultdict(list)
    for kind, args in mix:
        t = time.perf_counter()
        c = time.process_time()
        try:
            found = run_query(search, args)
        except Exception:
            continue
        elapsed = (time.perf_counter() - t) * 1000
        used = (time.process_time() - c) * 1000
        for key in (kind, "all"):
            timings[key].append(elapsed)
            cpu[key].append(used)
            totals[key].append(found.total)
            zero[key] += found.total == 0
    result["query_errors"] = errors
    result["latency"] = {
        kind: {"n": len(values), "p50": percentile(values, 50),
               "p95": percentile(values, 95), "p99": percentile(values, 99),
               "max": max(values), "mean": statistics.fmean(values),
               "cpu_p50": percentile(cpu[kind], 50), "cpu_p95": percentile(cpu[kind], 95),
               "zero": zero[kind], "median_total": statistics.median(totals[kind])}
        for kind, values in timings.items()}
    say(f"query latency (ms, in-process, {len(mix)} queries, after one warm-up run each):")
    say("  (cpu = process CPU time, less sensitive to other load on the machine)")
    say(f"  {'class':<14}{'n':>4}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}"
        f"{'cpu p50':>9}{'cpu p95':>9}{'zero':>6}{'med.hits':>10}")
    for kind in ["all"] + [k for k, _ in CLASS_SHARES if k in timings]:
        row = result["latency"][kind]
        say(f"  {kind:<14}{row['n']:>4}{row['p50']:>9.1f}{row['p95']:>9.1f}"
            f"{row['p99']:>9.1f}{row['max']:>9.1f}{row['cpu_p50']:>9.1f}"
            f"{row['cpu_p95']:>9.1f}{row['zero']:>6}"
            f"{row['median_total']:>10.0f}")
    slowest = sorted(((max(v), k) for k, v in timings.items() if k != "all"),
                     reverse=True)[:1]
    if slowest:
        say(f"  slowest class by max: {slowest[0][1]}")

    # -- allocation peak of the search phase ---------------------------------------------
    if not options.skip_tracemalloc:
        peaks = []
        tracemalloc.start()
        for _kind, args in mix[:options.tracemalloc_queries]:
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            with contextlib.suppress(Exception):
                run_query(search, args)
            peaks.append((tracemalloc.get_traced_memory()[1] - base) / 2**20)
        tracemalloc.stop()
        result["search_alloc_peak_mb_max"] = max(peaks)
        result["search_alloc_peak_mb_p50"] = percentile(peaks, 50)
        say(f"tracemalloc, allocation peak per search over {len(peaks)} queries: "
            f"p50 {result['search_alloc_peak_mb_p50']:.1f} MB, "
            f"max {result['search_alloc_peak_mb_max']:.1f} MB")

    # -- profile of the query phase -----------------------------------------------------
    if options.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _kind, args in mix:
            with contextlib.suppress(Exception):
                run_query(search, args)
        profiler.disable()
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.strip_dirs().sort_stats(order).print_stats(options.profile_top)
            text = "\n".join(line for line in out.getvalue().splitlines()
                             if line.strip())
            result[f"profile_{order}"] = text
            say(f"cProfile of the query phase ({len(mix)} queries), by {order}:")
            say(text)

    # -- incremental updates -------------------------------------------------------------
    follower = SearchService(settings, db)  # follows commits: the web app's set-up
    run_query(follower, {"q": "hulp"})  # opens its searcher and columns first
    rng = random.Random(f"updates:{options.seed}:{n}")
    # Listings a search may show (active, not an ended course): a rename must become
    # findable. Taken from the engine's own rules so the benchmark agrees with it.
    columns = follower.engine._columns
    visible = WhooshEngine._rule_mask(columns, TODAY, SearchParams())
    candidates = sorted(columns.ids[i] for i in np.nonzero(visible)[0])
    picks = rng.sample(candidates, min(options.updates, len(candidates)))
    commit_ms, visible_ms, other_ms, misses = [], [], [], 0
    for i, service_id in enumerate(picks):
        token = "zq" + "".join(rng.choice("bcdfghjklmnprstvw") for _ in range(7))
        session = db.Session()
        try:
            listing = session.get(Service, service_id)
            listing.name = f"{token} {listing.name}"
            t = time.perf_counter()
            session.commit()  # the after-commit hook reindexes this listing
            committed = time.perf_counter()
        finally:
            session.close()
        found = False
        deadline = committed + options.update_timeout
        while time.perf_counter() < deadline:
            hits = run_query(follower, {"q": token}).hits
            if any(h.id == service_id for h in hits):
                found = True
                break
            time.sleep(0.001)
        done = time.perf_counter()
        if not found:
            misses += 1
            say(f"  update {i}: {token} not found within {options.update_timeout}s")
            continue
        commit_ms.append((committed - t) * 1000)
        visible_ms.append((done - t) * 1000)
        # Another SearchService of this process (a second worker) that does not follow
        # commits: it sees the new index generation on its next search.
        t2 = time.perf_counter()
        seen = any(h.id == service_id for h in run_query(search, {"q": token}).hits)
        other_ms.append((time.perf_counter() - t2) * 1000 if seen else float("nan"))
    result["update"] = {
        "n": len(visible_ms), "misses": misses,
        "commit_p50": percentile(commit_ms, 50),
        "visible_p50": percentile(visible_ms, 50),
        "visible_p95": percentile(visible_ms, 95),
        "visible_max": max(visible_ms) if visible_ms else float("nan"),
        "other_p50": percentile(other_ms, 50),
        "other_max": max(other_ms) if other_ms else float("nan"),
        "segments": len(follower.engine._searcher.reader().leaf_readers())
        if hasattr(follower.engine._searcher.reader(), "leaf_readers") else 1,
    }
    u = result["update"]
    say(f"update latency over {u['n']} renames (commit incl. reindex hook -> found by "
        f"search): p50 {u['visible_p50']:.0f} ms, p95 {u['visible_p95']:.0f} ms, "
        f"max {u['visible_max']:.0f} ms; commit+hook alone p50 {u['commit_p50']:.0f} ms; "
        f"a second SearchService's first search after it: p50 {u['other_p50']:.0f} ms, "
        f"max {u['other_max']:.0f} ms; index segments afterwards: {u['segments']}")


# -- the summary -----------------------------------------------------------------------------

def fmt(value, spec: str = ".0f") -> str:
    if value is None or value != value:
        return "-"
    return format(value, spec)


def print_summary(results: list[dict]) -> None:
    say("\n=== summary ===")
    say(f"{'N':>7} {'import/s':>9} {'path':<14} {'import s':>9} {'docs/s':>7} {'index s':>8} "
        f"{'idx MB':>7} {'1st ms':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'cpu p50':>8} "
        f"{'upd p50':>8} {'upd p95':>8} {'upd max':>8} {'RSS MB':>7}")
    for r in results:
        lat = r["latency"]["all"]
        upd = r["update"]
        rate = r.get("import_write_records_rate") or r.get("import_fresh_rate")
        if r.get("import_path") == "reused":
            path = "reused"
        elif not r.get("import_fresh_n"):
            path = "write_records"
        else:
            path = "fresh" if not r.get("import_write_records_n") else "mixed"

        say(f"{r['n']:>7} {fmt(rate):>9} {path:<14} {fmt(r['import_total_s']):>9} "
            f"{fmt(r['rebuild_rate']):>7} {fmt(r['rebuild_s'], '.1f'):>8} "
            f"{fmt(r['index_mb'], '.1f'):>7} {fmt(r['first_search_ms']):>7} "
            f"{fmt(lat['p50'], '.1f'):>7} {fmt(lat['p95'], '.1f'):>7} {fmt(lat['p99'], '.1f'):>7} "
            f"{fmt(lat.get('cpu_p50'), '.1f'):>8} "
            f"{fmt(upd['visible_p50']):>8} {fmt(upd['visible_p95']):>8} "
            f"{fmt(upd['visible_max']):>8} {fmt(r['maxrss_mb']):>7}")
    say("(latencies in ms; import/s is write_records' rate where it ran, else the fresh path's)")
    say("\nquery p50 / p95 per class (ms):")
    kinds = [k for k, _ in CLASS_SHARES]
    say(f"{'N':>7} " + " ".join(f"{k:>15}" for k in kinds))
    for r in results:
        cells = []
        for k in kinds:
            row = r["latency"].get(k)
            cells.append(f"{fmt(row['p50'], '.1f')}/{fmt(row['p95'], '.1f')}" if row else "-")
        say(f"{r['n']:>7} " + " ".join(f"{c:>15}" for c in cells))


def main() -> None:
    chooser = argparse.ArgumentParser(add_help=False)
    chooser.add_argument("--backend", choices=("whoosh", "postgres"), default="whoosh")
    chosen, rest = chooser.parse_known_args()
    if chosen.backend == "postgres":
        # issue 12: the PostgreSQL backend's figures (COPY import, 100k and 1M listings) have
        # their own options (--pg-url, --replicate, --cold, ...): see speed_pg.py.
        import speed_pg

        sys.argv = [str(Path(__file__).with_name("speed_pg.py")), *rest]
        speed_pg.main()
        return
    sys.argv = [sys.argv[0], *rest]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("whoosh",), default="whoosh",
                        help="whoosh (this script) or postgres (benchmarks/speed_pg.py, "
                             "with its options)")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunk", type=int, default=2000,
                        help="services per write_records call (one transaction each)")
    parser.add_argument("--import-budget", type=float, default=600.0,
                        help="seconds; beyond the projected write_records time the rest is "
                             "loaded by the fresh path")
    parser.add_argument("--loader", choices=("write_records", "fresh"),
                        default="write_records")
    parser.add_argument("--updates", type=int, default=20)
    parser.add_argument("--update-timeout", type=float, default=30.0)
    parser.add_argument("--profile", action="store_true",
                        help="profile the query phase with cProfile")
    parser.add_argument("--profile-top", type=int, default=10)
    parser.add_argument("--tracemalloc-queries", type=int, default=50)
    parser.add_argument("--skip-tracemalloc", action="store_true")
    parser.add_argument("--skip-doc-timing", action="store_true",
                        help="do not time documents_for separately")
    parser.add_argument("--in-process", action="store_true",
                        help="run every size in this process (ru_maxrss then accumulates)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--skip-semantic", action="store_true",
                        help="do not measure the semantic signal")
    parser.add_argument("--embed-sample", type=int, default=40,
                        help="listings embedded by the real model for the throughput figure")
    parser.add_argument("--import-compare", action="store_true",
                        help="also import N listings with a commit-following search, semantic "
                             "search on and off, and print both times")
    parser.add_argument("--instance", type=Path,
                        help="measure an existing instance folder (database + index) instead "
                             "of generating one; no import, no rebuild; the update test "
                             "renames 20 listings in it, so use a copy")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",") if s.strip()]

    started = time.perf_counter()
    results = []
    if options.instance:
        results.append(run_size(None, options))
    elif options.in_process or len(sizes) == 1:
        for n in sizes:
            results.append(run_size(n, options))
    else:
        passthrough = list(sys.argv[1:])
        cleaned: list[str] = []
        skip = False
        for arg in passthrough:  # drop --sizes and --json; each child gets its own
            if skip:
                skip = False
                continue
            if arg in ("--sizes", "--json"):
                skip = True
                continue
            if arg.startswith(("--sizes=", "--json=")):
                continue
            cleaned.append(arg)
        with tempfile.TemporaryDirectory(prefix="sk-speed-json-") as tmp:
            for n in sizes:
                out = Path(tmp) / f"{n}.json"
                subprocess.run([sys.executable, __file__, "--sizes", str(n), "--json", str(out),
                                *cleaned], check=True)
                results.extend(json.loads(out.read_text()))
    if options.json:
        options.json.write_text(json.dumps(results, indent=1, default=str))
    if len(results) > 1 or not options.json:
        print_summary(results)
        say(f"\ntotal wall time: {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
