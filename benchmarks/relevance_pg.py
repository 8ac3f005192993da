"""The relevance benchmark's PostgreSQL run: the same data, queries and service, search backend
``postgres`` on a PostgreSQL database.

``benchmarks/relevance.py`` calls :func:`run_postgres` so it prints both backends. The database
is ``--pg-url`` (or ``SOCIALE_KAART_BENCH_PG_URL``), an empty PostgreSQL database the run may
fill; without one, a private throw-away cluster on loopback is started with the test kit
(``tests/kit_postgres.py``), and stopped afterwards. When PostgreSQL is not installed the run
says so and is skipped.

    python benchmarks/relevance_pg.py [--data DIR] [--pg-url URL]   # PostgreSQL only
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


@contextlib.contextmanager
def postgres_database(url: str | None = None) -> Iterator[str]:
    """A PostgreSQL URL: the given one, or a fresh database on a private loopback cluster."""
    url = url or os.environ.get("SOCIALE_KAART_BENCH_PG_URL")
    if url:
        yield url
        return
    from kit_postgres import start_cluster  # the test kit (tests/kit_postgres.py)

    cluster = start_cluster()
    try:
        cluster.create_database("bench")
        yield cluster.url("bench")
    finally:
        cluster.stop(remove=True)


def run_postgres(data: Path, today: str, rebuild: bool, run_engine: Callable,
                 queries: list[dict], url: str | None = None, *, hybrid: bool = False
                 ) -> dict[str, dict[str, list[str]]] | None:
    """Import ``data`` into PostgreSQL, search with the postgres backend, return the runs per
    mode (``lexical``, and ``hybrid`` when asked and the embedding model is available; each
    query id -> ranked service ids); None when no PostgreSQL is available."""
    from sociale_kaart.config import load_settings
    from sociale_kaart.db import Database
    from sociale_kaart.search import SearchService
    from sociale_kaart.services.imports import import_paths

    try:
        database = postgres_database(url)
        pg_url = database.__enter__()
    except Exception as error:  # no PostgreSQL on this machine
        print(f"\npostgres backend: skipped ({error})")
        return None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(Path(tmp) / "instance", today=date.fromisoformat(today),
                                     database_url=pg_url, search_backend="postgres",
                                     semantic="auto" if hybrid else "off")
            db = Database(settings.database_url)
            db.upgrade()
            service = SearchService(settings, db)
            from relevance import hsds_source  # noqa: PLC0415 (a sibling script)

            import_paths(db, [hsds_source(data)])
            if rebuild:
                service.rebuild()
            semantic = service.engine.semantic
            service.engine.semantic = None
            runs = {"lexical": run_engine(service, queries)}
            service.engine.semantic = semantic
            if semantic is not None:
                from relevance import VECTOR_CACHE, prepare_vectors  # noqa: PLC0415

                prepare_vectors(service, db, VECTOR_CACHE)  # the vectors, in PostgreSQL
                runs["hybrid"] = run_engine(service, queries)
            db.dispose()
            return runs
    finally:
        database.__exit__(None, None, None)


def main() -> None:
    import argparse

    sys.path.insert(0, str(REPO / "benchmarks"))
    from relevance import (
        DEFAULT_DATA,
        load_qrels,
        load_queries,
        print_table,
        run_engine,
        summarise,
    )

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--today", default="2026-11-22")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--hybrid", action="store_true", help="also lexical + semantic")
    args = parser.parse_args()
    queries = load_queries(args.data)
    qrels = load_qrels(args.data)
    counts: dict[str, int] = {}
    for query in queries:
        counts["all"] = counts.get("all", 0) + 1
        kind = query.get("kind", "?")
        counts[kind] = counts.get(kind, 0) + 1
    runs = run_postgres(args.data, args.today, args.rebuild, run_engine, queries, args.pg_url,
                        hybrid=args.hybrid)
    for mode, mode_runs in (runs or {}).items():
        print_table(f"Sociale Kaart engine, postgres backend, {mode}",
                    summarise(mode_runs, queries, qrels), counts)


if __name__ == "__main__":
    main()
