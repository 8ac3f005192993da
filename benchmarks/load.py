"""Load and soak benchmark: many simulated residents against several real web processes.

Starts (or reuses, ``--database-url``) a PostgreSQL database with the sample listings (plus
``--listings N`` synthetic ones), starts ``--processes`` ``sociale-kaart serve`` processes
(waitress) on loopback ports with one shared instance folder (``tests/kit_cluster_app.py``),
and lets ``--users`` simulated users browse for ``--duration`` seconds. Each user is a thread
with its own loopback source address (127.0.0.10, 127.0.0.11, ...): the rate limiter counts
per address, so 200 users from one address would be one very busy user. Requests go
round-robin over the processes, the way a simple load balancer spreads them; every request uses
a fresh connection. Between two requests a user reads for an exponentially distributed think
time (mean ``--think`` seconds), so "200 users" means 200 people reading and clicking, not 200
requests always in flight.

The mix (``MIX``) is what residents and machines do: the home page, /zoeken with words and with
filters, detail pages, the map, browse pages, the search API and the HSDS API.

It prints the request count, the errors (any status >= 400 or a failed connection), p50, p95
and p99 latency and the throughput, overall and per kind of request.

``--soak SECONDS`` runs moderate load (default 50 users) for that long and samples the
resident memory (RSS) of every web process every ``--sample-every`` seconds; it prints the
growth from the end of the warm-up (``--warmup``, default a quarter of the run, at most 5
minutes) to the end of the run. Goal: at most 10 % growth.

    python benchmarks/load.py                        # 200 users, 2 processes, 60 s
    python benchmarks/load.py --soak 1200            # 20-minute soak
    python benchmarks/load.py --database-url postgresql+psycopg://u@127.0.0.1:5432/kaart

Only loopback addresses are used. Figures are printed, never asserted; the fault tests
(``tests/fault/``) reuse :func:`run_load` with small sizes.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from kit_cluster_app import (  # noqa: E402
    SERVE_COMMAND,
    AppCluster,
    WebProcess,
    fetch,
    loopback_source,
)

SAMPLE_JSON = REPO.parent / "shared" / "sample-data" / "hsds" / "services.json"
TODAY = "2026-11-22"

#: What residents type: single words, phrases, misspellings, place names.
QUERIES = (
    "taalcursus", "schuldhulp", "eenzaam", "mantelzorg", "dementie", "koffie",
    "zwemmen", "geldzaken", "hulp bij formulieren", "buurthuis", "opvoeding", "vrijwilliger",
    "ouderen", "jongeren", "computerles", "voedselbank", "huiselijk geweld", "sporten",
    "Werkendam", "Veghel", "maatschapelijk werk", "alzheimer cafe", "rouw", "fietsles",
)
#: Places for ``near`` (kernen and PC4s of the sample data).
PLACES = ("Werkendam", "Veghel", "Woudrichem", "Sint-Oedenrode", "Schijndel", "4251", "5461")

#: Kind of request -> weight. Pages first (residents), then machines.
MIX: dict[str, int] = {
    "home": 8,
    "search": 18,
    "search_filtered": 12,
    "detail": 22,
    "map": 5,
    "browse": 10,
    "api_search": 15,
    "hsds_services": 10,
}


@dataclass
class Catalogue:
    """What the workload picks from: discovered once from the running site."""

    service_ids: list[str]
    categories: list[str]
    themes: list[str]
    kernen: list[str]

    @classmethod
    def discover(cls, base_url: str) -> Catalogue:
        """Read service ids and facet codes through the public search API."""
        import json

        ids: list[str] = []
        facets: dict = {}
        for page in (1, 2):
            response = fetch(f"{base_url}/api/v1/search?per_page=100&page={page}")
            if response.status != 200:
                raise RuntimeError(f"discovery failed: {response.status} {response.text[:200]}")
            data = json.loads(response.body)
            ids += [r["id"] for r in data["results"]]
            facets = facets or data.get("facets", {})
        if not ids:
            raise RuntimeError("the site has no listings to browse")
        return cls(ids, sorted(facets.get("category", {})) or ["ontmoeting"],
                   sorted(facets.get("theme", {})), sorted(facets.get("kern", {})))


def make_request(kind: str, rng: random.Random, cat: Catalogue) -> str:
    """The path (with query) of one request of ``kind``."""
    if kind == "home":
        return "/"
    if kind == "search":
        return "/zoeken?" + urlencode({"q": rng.choice(QUERIES)})
    if kind == "search_filtered":
        params: list[tuple[str, str]] = [("q", rng.choice(QUERIES + ("",)))]
        choice = rng.randrange(4)
        if choice == 0:
            params.append(("category", rng.choice(cat.categories)))
        elif choice == 1:
            params += [("near", rng.choice(PLACES)), ("km", str(rng.choice((5, 10, 25))))]
        elif choice == 2:
            params += [("type", rng.choice(("cursus", "activiteit", "voorziening"))),
                       ("free", "1")]
        else:
            params += [("near", rng.choice(PLACES)), ("sort", "distance"),
                       ("category", rng.choice(cat.categories))]
        return "/zoeken?" + urlencode(params)
    if kind == "detail":
        return "/aanbod/" + rng.choice(cat.service_ids)
    if kind == "map":
        return "/kaart?" + urlencode({"q": rng.choice(QUERIES)})
    if kind == "browse":
        options = ["/plaatsen", "/onderwerp/" + rng.choice(cat.categories)]
        if cat.themes:
            options.append("/thema/" + rng.choice(cat.themes))
        if cat.kernen:
            options.append("/plaats/" + quote(rng.choice(cat.kernen)))
        return rng.choice(options)
    if kind == "api_search":
        params = {"q": rng.choice(QUERIES)}
        if rng.random() < 0.5:
            params.update(near=rng.choice(PLACES), km="15")
        return "/api/v1/search?" + urlencode(params)
    if kind == "hsds_services":
        if rng.random() < 0.5:
            return f"/hsds/services?page={rng.randint(1, 3)}&per_page=25"
        return "/hsds/services/" + rng.choice(cat.service_ids)
    raise ValueError(kind)


@dataclass
class Sample:
    kind: str
    status: int  # 0: the connection failed
    seconds: float
    started: float


@dataclass
class LoadResult:
    samples: list[Sample] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    elapsed: float = 0.0
    rss: dict[int, list[tuple[float, int]]] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def run_load(urls: list[str], *, users: int, duration: float, think: float,
             catalogue: Catalogue, seed: int = 42, timeout: float = 30.0,
             nodes: list[WebProcess] | None = None, sample_every: float = 10.0,
             ramp: float | None = None, on_tick: Callable[[float], None] | None = None,
             ) -> LoadResult:
    """Let ``users`` simulated users browse ``urls`` round-robin for ``duration`` seconds.

    User ``i`` binds to :func:`loopback_source` ``(i)``. Starts are spread over ``ramp``
    seconds (default: a tenth of the run, at most 10 s) so the run does not begin with a
    thundering herd. With ``nodes`` the RSS of each process is sampled every ``sample_every``
    seconds into ``LoadResult.rss`` (pid -> [(seconds since start, KiB)]).
    """
    result = LoadResult()
    lock = threading.Lock()
    kinds = list(MIX)
    weights = [MIX[k] for k in kinds]
    ramp = min(10.0, duration / 10) if ramp is None else ramp
    started = time.monotonic()
    stop_at = started + duration

    def user(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        source = loopback_source(number)
        turn = number
        time.sleep(ramp * number / max(users, 1))
        while time.monotonic() < stop_at:
            kind = rng.choices(kinds, weights)[0]
            url = urls[turn % len(urls)] + make_request(kind, rng, catalogue)
            turn += 1
            begun = time.monotonic()
            try:
                response = fetch(url, source=source, timeout=timeout)
                status, seconds = response.status, response.seconds
            except OSError as error:
                status, seconds = 0, time.monotonic() - begun
                reason = type(error).__name__
            else:
                reason = f"HTTP {status}"
            with lock:
                result.samples.append(Sample(kind, status, seconds, begun - started))
                if status == 0 or status >= 400:
                    result.errors[f"{kind}: {reason}"] += 1
            pause = min(rng.expovariate(1 / think), think * 4) if think > 0 else 0
            time.sleep(max(0.0, min(pause, stop_at - time.monotonic())))

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for thread in threads:
        thread.start()
    next_sample = started
    while any(t.is_alive() for t in threads):
        now = time.monotonic()
        if nodes and now >= next_sample and now < stop_at:
            for node in nodes:
                rss = node.rss_kib()
                if rss is not None:
                    result.rss.setdefault(node.pid, []).append((now - started, rss))
            next_sample += sample_every
        if on_tick:
            on_tick(now - started)
        time.sleep(0.2)
    for thread in threads:
        thread.join(timeout + 5)
    result.elapsed = time.monotonic() - started
    return result


def rss_growth(samples: list[tuple[float, int]], warmup: float,
               window: float = 60.0) -> tuple[float, float, float]:
    """(RSS after warm-up, RSS at the end, growth in %): medians over ``window`` seconds just
    after the warm-up and at the end of the run, so one sample's noise does not decide."""
    after = [kib for t, kib in samples if warmup <= t < warmup + window] or \
        [kib for t, kib in samples if t >= warmup][:1]
    end_time = samples[-1][0]
    last = [kib for t, kib in samples if t > end_time - window]
    if not after or not last:
        return float("nan"), float("nan"), float("nan")
    base, final = statistics.median(after), statistics.median(last)
    return base / 1024, final / 1024, (final - base) / base * 100


def report(result: LoadResult, *, users: int, processes: int, think: float) -> str:
    """The figures as printable text."""
    lines = []
    times = [s.seconds * 1000 for s in result.samples]
    ok = len(result.samples) - result.error_count
    lines.append(f"users {users} (distinct loopback addresses), processes {processes}, "
                 f"think time mean {think:g} s, run {result.elapsed:.0f} s")
    lines.append(f"requests {len(result.samples)}  ok {ok}  errors {result.error_count}  "
                 f"throughput {len(result.samples) / max(result.elapsed, 1e-9):.1f} req/s")
    lines.append(f"latency ms  p50 {percentile(times, 50):.0f}  p95 {percentile(times, 95):.0f}"
                 f"  p99 {percentile(times, 99):.0f}  max {max(times, default=0):.0f}")
    lines.append(f"{'kind':<16}{'count':>7}{'p50':>7}{'p95':>7}{'p99':>7}")
    by_kind: dict[str, list[float]] = defaultdict(list)
    for s in result.samples:
        by_kind[s.kind].append(s.seconds * 1000)
    for kind in MIX:
        values = by_kind.get(kind, [])
        lines.append(f"{kind:<16}{len(values):>7}{percentile(values, 50):>7.0f}"
                     f"{percentile(values, 95):>7.0f}{percentile(values, 99):>7.0f}")
    for reason, count in sorted(result.errors.items()):
        lines.append(f"error  {reason}: {count}")
    return "\n".join(lines)


def rss_report(result: LoadResult, warmup: float, window: float = 60.0) -> str:
    lines = [f"memory (RSS) per process, growth from the end of the warm-up ({warmup:.0f} s) "
             f"to the end (medians over {window:.0f} s)"]
    for pid, samples in result.rss.items():
        base, final, growth = rss_growth(samples, warmup, window)
        peak = max(kib for _t, kib in samples) / 1024
        lines.append(f"pid {pid}: start {samples[0][1] / 1024:.1f} MiB, after warm-up "
                     f"{base:.1f} MiB, end {final:.1f} MiB, peak {peak:.1f} MiB, "
                     f"growth {growth:+.1f} %  ({len(samples)} samples)")
        trace = ", ".join(f"{t:.0f}s {kib / 1024:.0f}" for t, kib in samples[:: max(
            1, len(samples) // 12)])
        lines.append(f"  trace (s MiB): {trace}")
    return "\n".join(lines)


# -- setting up the database and the processes ------------------------------------------------
def prepare_database(url: str, instance: Path, listings: int) -> None:
    """Create the schema, import the sample listings and ``listings`` synthetic ones."""
    env = dict(os.environ, SOCIALE_KAART_DATABASE_URL=url, SOCIALE_KAART_TODAY=TODAY)
    base = [*SERVE_COMMAND, "--instance", str(instance)]
    subprocess.run([*base, "init"], env=env, check=True, capture_output=True)
    subprocess.run([*base, "import", str(SAMPLE_JSON)], env=env, check=True,
                   capture_output=True)
    if listings:
        sys.path.insert(0, str(HERE))
        import speed
        from synthetic import Corpus

        from sociale_kaart.config import load_settings
        from sociale_kaart.db import Database
        from sociale_kaart.search import SearchService

        os.environ["SOCIALE_KAART_DATABASE_URL"] = url
        settings = load_settings(instance)
        db = Database(url)
        speed.load(db, Corpus(42).records(listings), chunk=500, budget_s=120, loader="fresh")
        SearchService(settings, db, follow_commits=False).rebuild()
        db.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, help="simulated users (200; soak: 50)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--think", type=float, default=5.0,
                        help="mean think time between a user's requests, seconds")
    parser.add_argument("--processes", type=int, default=2, help="web processes")
    parser.add_argument("--database-url", help="use this (empty or prepared) database")
    parser.add_argument("--prepared", action="store_true",
                        help="the database already holds the data; do not import")
    parser.add_argument("--listings", type=int, default=0, help="extra synthetic listings")
    parser.add_argument("--search-backend", default=None,
                        help="SOCIALE_KAART_SEARCH_BACKEND for the processes")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra setting for the web processes, e.g. "
                             "SOCIALE_KAART_SEMANTIC=off (repeatable)")
    parser.add_argument("--soak", type=float, metavar="SECONDS",
                        help="soak: moderate load for this long, sampling memory")
    parser.add_argument("--warmup", type=float, help="soak warm-up seconds")
    parser.add_argument("--sample-every", type=float, default=10.0)
    parser.add_argument("--warm", type=float, default=15.0,
                        help="seconds of unmeasured load first (templates, caches, pools)")
    parser.add_argument("--instance", type=Path, help="instance folder (default: temporary)")
    args = parser.parse_args(argv)

    users = args.users or (50 if args.soak else 200)
    duration = args.soak or args.duration
    think = args.think
    workdir = Path(tempfile.mkdtemp(prefix="sociale-kaart-load-"))
    instance = args.instance or workdir / "instance"
    cluster_pg = None
    url = args.database_url
    if url is None:
        from kit_postgres import start_cluster

        cluster_pg = start_cluster(workdir / "pg", settings={"max_connections": "300"})
        url = cluster_pg.create_database("kaart")
    env = dict(item.split("=", 1) for item in args.env)
    if args.search_backend:
        env["SOCIALE_KAART_SEARCH_BACKEND"] = args.search_backend
    cluster = AppCluster(url, instance, processes=args.processes, env=env)
    try:
        if not args.prepared:
            print("preparing the database ...", flush=True)
            t0 = time.perf_counter()
            prepare_database(url, instance, args.listings)
            print(f"  done in {time.perf_counter() - t0:.0f} s", flush=True)
        cluster.start()
        catalogue = Catalogue.discover(cluster.urls[0])
        print(f"{len(catalogue.service_ids)} listings to browse; database "
              f"{url.split('@')[-1]}; load for {duration:.0f} s ...", flush=True)
        if args.warm > 0:
            print(f"warming up for {args.warm:.0f} s (not measured) ...", flush=True)
            run_load(cluster.urls, users=users, duration=args.warm, think=think,
                     catalogue=catalogue, seed=7)
        last_print = [0.0]

        def tick(seconds: float) -> None:
            if args.soak and seconds - last_print[0] >= 60:
                last_print[0] = seconds
                rss = ", ".join(f"{(n.rss_kib() or 0) / 1024:.0f}" for n in cluster.nodes)
                print(f"  {seconds:.0f} s: RSS MiB {rss}", flush=True)

        result = run_load(cluster.urls, users=users, duration=duration, think=think,
                          catalogue=catalogue, nodes=cluster.nodes,
                          sample_every=args.sample_every, on_tick=tick)
        print(report(result, users=users, processes=args.processes, think=think))
        if args.soak:
            warmup = args.warmup if args.warmup is not None else min(300.0, duration / 4)
            print(rss_report(result, warmup))
        for node in cluster.nodes:
            if not node.alive():
                print(f"web process {node.index} DIED:\n{node.log_tail()}")
    finally:
        cluster.stop()
        if cluster_pg is not None:
            cluster_pg.stop(mode="immediate", remove=True)
        if args.instance is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
