"""Speed of the volunteer listing search (``/vrijwilligers`` and ``/api/v1/vrijwilligerswerk``).

The search scores the live listings in memory with the kaart's Dutch analysis (see
``sociale_kaart/volunteer/search.py``). This prints how long one search takes over a seeded
synthetic set of listings in the kernen of Altena and Meierijstad, for a mix of queries (free
text, a place in the query, filters, an empty query), cold (first call: documents analysed)
and warm (documents cached), on a temporary SQLite database.

    .venv/bin/python benchmarks/volunteer_search.py [--listings 1000] [--repeat 5]

Figures only; nothing is asserted. They depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sociale_kaart.config import load_settings
from sociale_kaart.db import Database
from sociale_kaart.models import OrganisationApproval, Organization, VolunteerListing
from sociale_kaart.models.volunteer import DAGDELEN, VOLUNTEER_THEMES
from sociale_kaart.volunteer.people import kern_point
from sociale_kaart.volunteer.search import VolunteerQuery, search_listings

KERNEN = ["Woudrichem", "Almkerk", "Werkendam", "Sleeuwijk", "Andel", "Giessen", "Dussen",
          "Veghel", "Schijndel", "Sint-Oedenrode", "Erp", "Zijtaart", "Eerde"]
WORDS = {"vervoer": "chauffeur rijden ouderen dokter buurtbus", "boodschappen": "boodschappen "
         "winkel supermarkt", "klussen": "klussen lamp kraan kast", "gezelschap": "maatje "
         "bezoek koffie praatje wandelen", "computerhulp": "computer tablet DigiD e-mail",
         "tuin": "tuin heg gras snoeien", "taal": "taalmaatje Nederlands oefenen"}
QUERIES = [VolunteerQuery(q="chauffeur Woudrichem"), VolunteerQuery(q="boodschapen"),
           VolunteerQuery(q="maatje", near="Veghel", km=10),
           VolunteerQuery(themes=("tuin",), when=("regelmatig",)),
           VolunteerQuery(q="computerhulp tablet", from_home=True), VolunteerQuery()]


def build(db: Database, n: int, seed: int, now: datetime) -> None:
    rng = random.Random(seed)
    points = {kern: kern_point(kern) for kern in KERNEN}
    with db.session() as session:
        for i in range(20):
            session.add(Organization(id=f"org-{i}", name=f"Vereniging {i}", description=""))
            session.flush()
            session.add(OrganisationApproval(organization_id=f"org-{i}", status="approved"))
        for i in range(n):
            theme = rng.choice(list(WORDS) + list(VOLUNTEER_THEMES[:6]))
            kern = rng.choice(KERNEN)
            lat, lon = points[kern]
            session.add(VolunteerListing(
                type=rng.choice(["vacature", "vacature", "hulpaanbod"]),
                organization_id=f"org-{i % 20}", title=f"{theme.capitalize()} in {kern} {i}",
                description=f"Wij zoeken hulp: {WORDS.get(theme, theme)}. " * 3,
                themes=[theme], kern=kern, lat=lat, lon=lon,
                mode=rng.choice(["in_kern", "in_kern", "at_home", "online"]),
                schedule_kind=rng.choice(["eenmalig", "regelmatig", "flexibel"]),
                dagdelen=rng.sample(DAGDELEN, 2), status="active", taxonomy_term_ids=[],
                suitable_for=[], privacy_warnings=[],
                list_until=(now + timedelta(days=rng.randint(1, 90))).date(),
                created_at=now, updated_at=now, published_at=now))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    now = datetime(2026, 11, 22, 10, 0)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path(tmp) / "instance")
        db = Database(settings.database_url)
        db.upgrade()
        build(db, args.listings, args.seed, now)
        timings: list[float] = []
        cold = None
        for round_ in range(args.repeat + 1):
            for query in QUERIES:
                session = db.Session()
                try:
                    start = time.perf_counter()
                    result = search_listings(session, query, today=now.date())
                    elapsed = (time.perf_counter() - start) * 1000
                finally:
                    session.close()
                if round_ == 0 and cold is None:
                    cold = elapsed
                elif round_ > 0:
                    timings.append(elapsed)
            if round_ == 0:
                hits = result.total
        db.dispose()
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(0.95 * len(timings)))]
    print(f"listings: {args.listings}  searches timed: {len(timings)}  "
          f"(last query of the cold round found {hits})")
    print(f"cold first search: {cold:.1f} ms")
    print(f"warm: p50 {statistics.median(timings):.1f} ms  p95 {p95:.1f} ms  "
          f"max {timings[-1]:.1f} ms")


if __name__ == "__main__":
    main()
