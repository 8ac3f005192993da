"""Insight dashboard benchmark: server render time of ``/inzicht/`` at 100k logged searches.

Seeds a fresh temporary instance (a few listings from the test kit's world) with ``--searches``
deterministic search rows spread over a year (about 2,000 distinct query texts with a long
tail, 20% zero-result searches, 40% with a click, 30% with a place, one to three
levensgebieden each) and a click for ``--click-share`` of them, then times the dashboard
request through the Flask test client (server time: routing, queries, template), the first
request separately, then ``--repeat`` more: min / median / max wall time, and the median CPU
time of the process (SQLite runs in-process), which is what the request costs on an idle
machine. It also times one search with
recording on and off, to show what recording costs a search, and the report pages.

Figures only, no assertions (the issue's goal: under 1 s at 100k searches).

    python benchmarks/dashboard.py [--searches 100000] [--repeat 5]

Also prints the machine's load average, because the wall times depend on it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "tests"))

CODES = ["mantelzorg", "ontmoeting", "geld", "wonen", "vervoer", "taal", "gezondheid",
         "psychisch", "informatie", "opgroeien", "jongeren", "werk"]
WORDS = ["hulp", "bij", "geld", "mantelzorg", "eenzaam", "taalcafé", "vervoer", "schulden",
         "koffie", "inloop", "sport", "ouderen", "jongeren", "computerles", "boodschappen",
         "maatje", "dementie", "rolstoel", "opvoeden", "werk", "klussen", "voedselbank"]


def queries(count: int, rng: random.Random) -> list[str]:
    texts = set()
    while len(texts) < count:
        texts.add(" ".join(rng.sample(WORDS, rng.choice((1, 1, 2, 2, 3)))))
    return sorted(texts)


def seed(db, total: int, click_share: float, start: date) -> None:
    from sqlalchemy import insert, select

    from sociale_kaart.models import SearchClick, SearchEvent

    rng = random.Random(10)
    texts = queries(2000, rng)
    weights = [1 / (i + 1) for i in range(len(texts))]  # a long tail, like real searches
    chosen = rng.choices(texts, weights=weights, k=total)
    rows = []
    for number, query in enumerate(chosen):
        codes = rng.sample(CODES, rng.choice((0, 1, 1, 2, 3)))
        rows.append({
            "token": f"bench{number:017d}", "day": start + timedelta(days=rng.randrange(365)),
            "source": "web" if rng.random() < 0.9 else "api", "query": query,
            "query_dropped": False, "filters": None,
            "categories": ("," + ",".join(codes) + ",") if codes else "",
            "place_used": rng.random() < 0.3, "place": None,
            "result_count": 0 if rng.random() < 0.2 else rng.randrange(1, 60),
            "page": 1 if rng.random() < 0.93 else 2})
    # Searches arrive day by day, so rows are stored in day order, as in a real installation.
    rows.sort(key=lambda row: row["day"])
    clicked = [rng.random() < click_share for _row in rows]
    for row, click in zip(rows, clicked, strict=True):
        row["clicks"] = 1 if click else 0
    with db.engine.begin() as connection:
        for offset in range(0, len(rows), 10_000):
            connection.execute(insert(SearchEvent), rows[offset:offset + 10_000])
        ids = list(connection.execute(select(SearchEvent.id, SearchEvent.day)
                                      .where(SearchEvent.token.like("bench%"))
                                      .order_by(SearchEvent.id)))
        clicks = [{"search_id": i, "day": d, "rank": rng.randrange(1, 10),
                   "service_id": "00000000-0000-0000-0000-000000000000"}
                  for (i, d), click in zip(ids, clicked, strict=True) if click]
        for offset in range(0, len(clicks), 10_000):
            connection.execute(insert(SearchClick), clicks[offset:offset + 10_000])
    print(f"seeded {len(rows):,} searches and {len(clicks):,} clicks")


def timed(client, path: str) -> tuple[float, int]:
    began = time.perf_counter()
    response = client.get(path)
    return time.perf_counter() - began, response.status_code


def cpu_timed(client, path: str) -> float:
    """CPU seconds of this process for one request (SQLite runs in-process): what the request
    costs without waiting for a busy machine's cores."""
    began = time.process_time()
    client.get(path)
    return time.process_time() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--searches", type=int, default=100_000)
    parser.add_argument("--click-share", type=float, default=0.4)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from kit_insight import BEHEERDER, TODAY, build, client_for

    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        world = build(Path(tmp))
        db = world.app.extensions["sociale_kaart.db"]
        seed(db, args.searches, args.click_share, TODAY - timedelta(days=364))
        print(f"set-up {time.perf_counter() - began:.1f} s; load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
        client = client_for(world.app, BEHEERDER)
        period = f"van={(TODAY - timedelta(days=364)).isoformat()}&tot={TODAY.isoformat()}"
        for name, path in [("dashboard (12 months)", f"/inzicht/?{period}"),
                           ("dashboard per day", f"/inzicht/?{period}&per=dag"),
                           ("dashboard per week", f"/inzicht/?{period}&per=week")]:
            first, status = timed(client, path)
            times = [timed(client, path)[0] for _ in range(args.repeat)]
            cpu = [cpu_timed(client, path) for _ in range(args.repeat)]
            print(f"{name:24} HTTP {status}  first {first * 1000:7.1f} ms  "
                  f"min {min(times) * 1000:7.1f}  median {statistics.median(times) * 1000:7.1f}"
                  f"  max {max(times) * 1000:7.1f} ms (wall); CPU median "
                  f"{statistics.median(cpu) * 1000:7.1f} ms")
        for name, path in [("indicators page", f"/inzicht/opgaven?{period}"),
                           ("report xlsx", f"/inzicht/rapport.xlsx?{period}")]:
            elapsed, status = timed(client, path)
            print(f"{name:24} HTTP {status}  {elapsed * 1000:7.1f} ms")
        public = world.app.test_client()
        settings = world.app.extensions["sociale_kaart.settings"]
        for label, on in [("search, recording on", True), ("search, recording off", False)]:
            settings.search_analytics = on
            timed(public, "/zoeken?q=mantelzorg")
            times = [timed(public, "/zoeken?q=mantelzorg")[0] for _ in range(20)]
            print(f"{label:24} median {statistics.median(times) * 1000:7.1f} ms (20 runs)")
        db.dispose()


if __name__ == "__main__":
    main()
