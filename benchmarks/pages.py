"""Page benchmark: server time of the residents' search page, and the weight of a results page.

Builds (or reuses, with ``--instance``) an instance with N deterministic synthetic listings
(see ``synthetic.py``), then requests ``/zoeken`` in-process with the query mix of
``speed.py`` and prints p50/p95/p99 server time, and the bytes a phone downloads for a
results page without the map (HTML plus the CSS and JavaScript it references).

    python benchmarks/pages.py [--size 10000] [--requests 200] [--instance DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import speed  # noqa: E402
from synthetic import Corpus  # noqa: E402

from sociale_kaart import create_app  # noqa: E402
from sociale_kaart.config import load_settings  # noqa: E402
from sociale_kaart.db import Database  # noqa: E402
from sociale_kaart.search import SearchService  # noqa: E402

TODAY = date(2026, 11, 22)
ASSET_RE = re.compile(r'(?:href|src)="(/static/[^"?]+)')


def build(instance: Path, size: int) -> None:
    settings = load_settings(instance, today=TODAY)
    db = Database(settings.database_url)
    db.upgrade()
    corpus = Corpus(42)
    started = time.perf_counter()
    speed.load(db, corpus.records(size), chunk=500, budget_s=60, loader="fresh")
    SearchService(settings, db, follow_commits=False).rebuild()
    print(f"built {size} listings in {time.perf_counter() - started:.0f}s")
    db.dispose()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--instance", type=Path, help="reuse this instance instead of building")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        instance = args.instance or Path(tmp) / "instance"
        if args.instance is None:
            build(instance, args.size)
        app = create_app(load_settings(instance, today=TODAY,
                                       flask={"TESTING": True, "TILES_URL": ""}))
        client = app.test_client()
        mix = speed.query_mix(Corpus(42), args.requests, 42)
        urls = ["/zoeken?" + urlencode(query) for _, query in mix]
        for url in urls[:20]:
            client.get(url)  # warm up: the index columns, caches
        times: list[float] = []
        statuses: dict[int, int] = {}
        for url in urls:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        print(f"/zoeken server time over {len(times)} requests: p50 {percentile(times, 50):.1f}"
              f" ms, p95 {percentile(times, 95):.1f} ms, p99 {percentile(times, 99):.1f} ms; "
              f"statuses {statuses}")

        page = client.get("/zoeken?" + urlencode({"q": "koffie"}))
        html = page.get_data()
        total = len(html)
        assets = sorted(set(ASSET_RE.findall(html.decode("utf-8"))))
        for asset in assets:
            total += len(client.get(asset).get_data())
        print(f"results page weight (no map): {len(html) / 1024:.1f} KB HTML + "
              f"{(total - len(html)) / 1024:.1f} KB assets ({', '.join(assets)}) = "
              f"{total / 1024:.1f} KB")


if __name__ == "__main__":
    main()
