"""Matching benchmark: latency, precision@5 and equity of "Voor u gevonden".

Generates a seeded synthetic population (default 5,000 volunteers and 1,000 listings in the
kernen of Altena and Meierijstad) whose generator knows the *hidden truth* of every volunteer:
their true interests (themes), true home (a point near their kern), true travel range, true
availability (dagdelen), car, licence, age and VOG. The matcher only sees what a volunteer would
fill in, with the usual noise of real profiles:

* interests as words, not themes: a theme code picked from the list, or an everyday word or
  a thesaurus synonym ("ritjes", "tablet", "maatje"); one true interest is left out of 25% of
  profiles and a theme they do not really care for is added to 20%;
* the location as the centre of their kern (never the house), so distances are off by up to
  a kilometre or two at the edge of their range;
* availability with one true dagdeel forgotten in 30% of profiles; age unknown for 10%.

A listing is *relevant* for a volunteer when, in the hidden truth, it is about a theme they
care for, lies within their true travel range from their true home (or is online), its schedule
truly fits (flexible, or at least one dagdeel they are truly free), and they truly meet its
requirements (car, licence, valid VOG, minimum age). This is decided from the generator's truth,
never by the scoring function, so the figures measure how well the matcher recovers it.

Prints:

* suggestion latency p50/p95/p99 per "Voor u gevonden" request (profile -> top 5 with reasons),
  and of the reverse request (listing -> top 20 volunteers), in-process, no database;
* precision@5: per volunteer with at least one relevant listing, hits in the top 5 divided by
  min(5, number of relevant listings), averaged; and the strict form (hits / 5) over volunteers
  with at least 5 relevant listings;
* equity: the share of active listings that appear in at least one volunteer's top 5.

    python benchmarks/matching.py [--volunteers 5000] [--listings 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sociale_kaart.geo.gazetteer import default_gazetteer, haversine_km  # noqa: E402
from sociale_kaart.volunteer.matching import (  # noqa: E402
    DAGDELEN,
    THEME_TERMS,
    ConceptSpace,
    ListingFacts,
    ListingMatcher,
    VolunteerMatcher,
    VolunteerProfile,
)

TODAY = date(2026, 12, 1)
THEMES = ("vervoer", "boodschappen", "klussen", "gezelschap", "administratie", "computerhulp",
          "tuin", "koken", "taal", "bestuur", "evenement", "sport", "zorg", "dieren")
#: Everyday words a volunteer may type for a theme, beyond the theme's own list: thesaurus
#: synonyms and words the matcher has no theme entry for, so recovering them needs synonyms.
EXTRA_WORDS = {
    "vervoer": ("ritjes", "halen en brengen", "auto maatje", "vervoershulp"),
    "boodschappen": ("boodschappen doen", "winkelen"),
    "klussen": ("klusjes", "klussen in huis"),
    "gezelschap": ("maatje", "bezoekje", "gezelschap houden"),
    "administratie": ("formulieren", "thuisadministratie", "papieren"),
    "computerhulp": ("tablet", "smartphone", "digitale vaardigheden"),
    "tuin": ("tuinieren", "snoeien"),
    "koken": ("samen eten", "maaltijd"),
    "taal": ("taalmaatje", "voorlezen", "taalles"),
    "bestuur": ("penningmeester", "secretaris"),
    "evenement": ("festival", "opbouwen"),
    "sport": ("trainer", "bewegen"),
    "zorg": ("mantelzorg", "respijtzorg"),
    "dieren": ("hond uitlaten", "huisdier"),
}
#: Tags that say nothing about the work (both sides use them), to make overlap less trivial.
GENERIC_TAGS = ("buurt", "ouderen", "jongeren", "gezellig", "eenmalig", "regelmatig")


@dataclass
class TrueVolunteer:
    interests: set[str]
    lat: float
    lon: float
    travel_km: float
    available: set[str]
    has_car: bool
    has_licence: bool
    vog_valid: bool
    age: int


@dataclass
class TrueListing:
    themes: set[str]
    lat: float
    lon: float
    online: bool
    dagdelen: set[str]
    requires_car: bool
    requires_licence: bool
    requires_vog: bool
    min_age: int


def kernen() -> list:
    gazetteer = default_gazetteer()
    places = gazetteer.kernen("Altena") + gazetteer.kernen("Meierijstad")
    return [p for p in places if p.lat is not None]


def word_for(rng: random.Random, theme: str) -> str:
    choice = rng.random()
    if choice < 0.4:
        return theme
    if choice < 0.7:
        return rng.choice(THEME_TERMS[theme])
    return rng.choice(EXTRA_WORDS[theme])


def jitter(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    angle = rng.uniform(0, 2 * math.pi)
    dist = abs(rng.gauss(0, km))
    return (lat + dist * math.cos(angle) / 111.0,
            lon + dist * math.sin(angle) / (111.0 * math.cos(math.radians(lat))))


def generate(n_volunteers: int, n_listings: int, seed: int):
    rng = random.Random(seed)
    places = kernen()
    # Bigger kernen (the first of a weighted draw) hold more people and more listings.
    weights = [rng.lognormvariate(0, 1.0) for _ in places]
    theme_popularity = [rng.uniform(0.5, 2.0) for _ in THEMES]
    volunteers: list[tuple[VolunteerProfile, TrueVolunteer]] = []
    for vid in range(1, n_volunteers + 1):
        place = rng.choices(places, weights)[0]
        lat, lon = jitter(rng, place.lat, place.lon, 0.8)
        interests = set(rng.choices(THEMES, theme_popularity, k=rng.randint(1, 3)))
        available = set(rng.sample(DAGDELEN, rng.randint(3, 9)))
        has_car = rng.random() < 0.55
        has_licence = has_car or rng.random() < 0.3
        vog_status = rng.choices(["verified", "in_progress", "requested", "none"],
                                 [0.2, 0.05, 0.05, 0.7])[0]
        vog_expires = None
        if vog_status == "verified":
            vog_expires = TODAY + timedelta(days=rng.randint(-200, 900))
        vog_valid = vog_status in {"verified", "in_progress"} and (
            vog_expires is None or vog_expires >= TODAY)
        age = rng.randint(16, 85)
        truth = TrueVolunteer(interests, lat, lon, rng.choice([3, 5, 5, 8, 10, 15]),
                              available, has_car, has_licence, vog_valid, age)
        # What they fill in: words for their interests, with the noise described above.
        stated = set(interests)
        if len(stated) > 1 and rng.random() < 0.25:
            stated.discard(rng.choice(sorted(stated)))
        words = {word_for(rng, theme) for theme in sorted(stated)}
        if rng.random() < 0.2:
            words.add(word_for(rng, rng.choice([t for t in THEMES if t not in interests])))
        if rng.random() < 0.3:
            words.add(rng.choice(GENERIC_TAGS))
        told = set(available)
        if rng.random() < 0.3:
            told.discard(rng.choice(sorted(told)))
        profile = VolunteerProfile(
            id=vid, interests=frozenset(words), dagdelen=frozenset(told), kern=place.name,
            lat=place.lat, lon=place.lon, travel_km=truth.travel_km, has_car=has_car,
            has_licence=has_licence, vog_status=vog_status, vog_expires=vog_expires,
            age=None if rng.random() < 0.1 else age, open_to_requests=rng.random() < 0.6)
        volunteers.append((profile, truth))

    listings: list[tuple[ListingFacts, TrueListing]] = []
    for lid in range(1, n_listings + 1):
        place = rng.choices(places, weights)[0]
        lat, lon = jitter(rng, place.lat, place.lon, 0.6)
        theme = rng.choices(THEMES, theme_popularity)[0]
        themes = {theme}
        if rng.random() < 0.2:
            themes.add(rng.choice(THEMES))
        online = theme in {"administratie", "computerhulp", "taal"} and rng.random() < 0.3
        kind = rng.choices(["vacature", "hulpvraag"], [0.7, 0.3])[0]
        shape = rng.choices(["regelmatig", "eenmalig", "flexibel"], [0.6, 0.25, 0.15])[0]
        if shape == "regelmatig":
            dagdelen = set(rng.sample(DAGDELEN, rng.randint(1, 3)))
        elif shape == "eenmalig":
            dagdelen = {rng.choice(DAGDELEN)}
        else:
            dagdelen = set()
        requires_car = theme == "vervoer" and rng.random() < 0.8
        requires_licence = requires_car or (theme == "vervoer" and rng.random() < 0.5)
        requires_vog = rng.random() < (0.5 if kind == "hulpvraag" else 0.15)
        min_age = rng.choice([0, 0, 0, 16, 18])
        tags = {word_for(rng, t) for t in sorted(themes)}
        if rng.random() < 0.5:
            tags.add(word_for(rng, theme))
        if rng.random() < 0.4:
            tags.add(rng.choice(GENERIC_TAGS))
        published = TODAY - timedelta(days=rng.randint(0, 120))
        popularity = int(rng.paretovariate(1.2)) - 1  # most 0-2 responses, a few very many
        facts = ListingFacts(
            id=lid, kind=kind, tags=frozenset(tags), dagdelen=frozenset(dagdelen),
            kern=place.name, lat=place.lat, lon=place.lon, online=online,
            requires_vog=requires_vog, requires_car=requires_car,
            requires_licence=requires_licence, min_age=min_age or None, published=published,
            list_until=TODAY + timedelta(days=rng.randint(1, 120)),
            responses=min(popularity, 60))
        listings.append((facts, TrueListing(themes, lat, lon, online, dagdelen, requires_car,
                                            requires_licence, requires_vog, min_age)))
    return volunteers, listings


def relevant(person: TrueVolunteer, listing: TrueListing) -> bool:
    """The hidden truth: does this listing truly suit this person?"""
    if not person.interests & listing.themes:
        return False
    if not listing.online and haversine_km(person.lat, person.lon, listing.lat,
                                           listing.lon) > person.travel_km:
        return False
    if listing.dagdelen and not listing.dagdelen & person.available:
        return False
    if listing.requires_car and not person.has_car:
        return False
    if listing.requires_licence and not person.has_licence:
        return False
    if listing.requires_vog and not person.vog_valid:
        return False
    return person.age >= listing.min_age


def measure_with_database(volunteers, listings, sample: int) -> None:
    """The same population in a SQLite database, through the ORM adapters the pages use:
    the first request (builds and caches the matcher) and then one request per volunteer."""
    import tempfile

    from sociale_kaart.db import Database
    from sociale_kaart.models import (
        OrganisationApproval,
        Organization,
        Person,
        User,
        VolunteerListing,
    )
    from sociale_kaart.volunteer import match_adapters

    now = datetime.combine(TODAY, datetime.min.time()).replace(hour=9)
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/bench.db")
        db.upgrade()
        started = time.perf_counter()
        with db.session() as session:
            session.add_all(Organization(id=f"org-{i}", name=f"Organisatie {i}", description="")
                            for i in range(50))
            session.flush()
            session.add_all(OrganisationApproval(organization_id=f"org-{i}", status="approved",
                                                 requested_at=now, approved_at=now)
                            for i in range(50))
            session.add_all(User(id=p.id, email=f"v{p.id}@bench.example", role="deelnemer")
                            for p, _ in volunteers)
            session.flush()
            session.add_all(Person(
                id=p.id, user_id=p.id, alias=f"V{p.id}", kern=p.kern, lat=p.lat, lon=p.lon,
                interests=[], skills=sorted(p.interests), dagdelen=sorted(p.dagdelen),
                travel_km=int(p.travel_km), has_car=p.has_car, has_licence=p.has_licence,
                vog_status=p.vog_status, vog_expires_on=p.vog_expires, ask_opt_in=True,
                date_of_birth=None if p.age is None else date(TODAY.year - p.age, 1, 1),
                created_at=now, updated_at=now) for p, _ in volunteers)
            session.flush()
            session.add_all(VolunteerListing(
                id=f.id, type="vacature", organization_id=f"org-{f.id % 50}",
                title=f"Oproep {f.id}",
                description="", themes=sorted(f.tags), kern=f.kern, lat=f.lat, lon=f.lon,
                mode="online" if f.online else "in_kern", schedule_kind="regelmatig",
                dagdelen=sorted(f.dagdelen), requires_vog=f.requires_vog,
                requires_car=f.requires_car, requires_licence=f.requires_licence,
                min_age=f.min_age, status="active", list_until=f.list_until,
                published_at=datetime.combine(f.published, datetime.min.time()),
                created_at=now, updated_at=now) for f, _ in listings)
        print(f"database: {len(volunteers)} people and {len(listings)} listings stored in "
              f"{time.perf_counter() - started:.1f} s (SQLite)")
        session = db.Session()
        try:
            people = session.query(Person).order_by(Person.id).limit(sample).all()
            t0 = time.perf_counter()
            match_adapters.suggestions_for(session, people[0], TODAY)
            cold = (time.perf_counter() - t0) * 1000
            warm = []
            for person in people:
                t0 = time.perf_counter()
                match_adapters.suggestions_for(session, person, TODAY)
                warm.append((time.perf_counter() - t0) * 1000)
        finally:
            session.close()
            db.dispose()
    print(f"through the database (suggestions_for, {len(warm)} requests): first request "
          f"{cold:.0f} ms (reads and caches all listings), then p50 "
          f"{percentile(warm, 0.5):.2f} ms, p95 {percentile(warm, 0.95):.2f} ms")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--volunteers", type=int, default=5000)
    parser.add_argument("--listings", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reverse", type=int, default=300,
                        help="number of listings to time the reverse ranking on")
    parser.add_argument("--db", type=int, default=500, metavar="N",
                        help="also time N requests through a SQLite database and the ORM "
                             "adapters (0: skip)")
    options = parser.parse_args()

    started = time.perf_counter()
    volunteers, listings = generate(options.volunteers, options.listings, options.seed)
    print(f"population: {len(volunteers)} volunteers, {len(listings)} listings "
          f"(seed {options.seed}), generated in {time.perf_counter() - started:.1f} s")

    concepts = ConceptSpace()
    started = time.perf_counter()
    matcher = ListingMatcher([facts for facts, _ in listings], TODAY, concepts)
    build_listings = time.perf_counter() - started
    started = time.perf_counter()
    reverse = VolunteerMatcher([profile for profile, _ in volunteers], TODAY, concepts)
    build_volunteers = time.perf_counter() - started
    print(f"build: listing matcher {build_listings * 1000:.0f} ms, "
          f"volunteer matcher {build_volunteers * 1000:.0f} ms (once per cache refresh)")

    latencies: list[float] = []
    shown: set[int] = set()
    precision: list[float] = []
    strict: list[float] = []
    empty = 0
    truth_listings = {facts.id: truth for facts, truth in listings}
    active_ids = {facts.id for facts, _ in listings}
    for profile, truth in volunteers:
        t0 = time.perf_counter()
        top = matcher.suggest(profile, limit=5)
        latencies.append((time.perf_counter() - t0) * 1000)
        ids = [s.id for s in top]
        shown.update(ids)
        if not ids:
            empty += 1
        n_relevant = sum(relevant(truth, t) for t in truth_listings.values())
        if n_relevant == 0:
            continue
        hits = sum(relevant(truth, truth_listings[i]) for i in ids)
        precision.append(hits / min(5, n_relevant))
        if n_relevant >= 5:
            strict.append(hits / 5)

    reverse_latencies: list[float] = []
    rng = random.Random(options.seed + 1)
    for facts, _ in rng.sample(listings, min(options.reverse, len(listings))):
        t0 = time.perf_counter()
        reverse.rank(facts, limit=20)
        reverse_latencies.append((time.perf_counter() - t0) * 1000)

    print(f"suggestion latency (profile -> top 5 with reasons, {len(latencies)} requests): "
          f"p50 {percentile(latencies, 0.5):.2f} ms, p95 {percentile(latencies, 0.95):.2f} ms, "
          f"p99 {percentile(latencies, 0.99):.2f} ms  (goal p95 <= 100 ms)")
    print(f"reverse latency (listing -> top 20 of {len(reverse.people)} opted-in volunteers, "
          f"{len(reverse_latencies)} requests): p50 {percentile(reverse_latencies, 0.5):.2f} ms, "
          f"p95 {percentile(reverse_latencies, 0.95):.2f} ms")
    print(f"precision@5 (hits / min(5, relevant), {len(precision)} volunteers with >= 1 "
          f"relevant listing): {statistics.mean(precision):.3f}  (goal >= 0.8)")
    print(f"precision@5 strict (hits / 5, {len(strict)} volunteers with >= 5 relevant): "
          f"{statistics.mean(strict):.3f}")
    print(f"volunteers without any suggestion: {empty}")
    print(f"equity (share of {len(active_ids)} listings in anyone's top 5): "
          f"{len(shown & active_ids) / len(active_ids):.3f}  (goal >= 0.9)")
    if options.db:
        measure_with_database(volunteers, listings, options.db)


if __name__ == "__main__":
    main()
