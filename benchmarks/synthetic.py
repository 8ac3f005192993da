"""A deterministic synthetic corpus of canonical HSDS services, for the speed benchmark.

The words come from the 150 sample services (names and descriptions, ``services.jsonl``) and the
levensgebied descriptions in ``data/taxonomy/levensgebieden.csv``: descriptions are sentences of
a bigram chain over that text, names are built from name words plus a kern. Locations are real
kernen (``data/geo/nl_places.csv``, a small jitter) with a PC4 of the same municipality
(``data/geo/nl_pc4.csv``). Facets are the sample services' own ``attributes`` (so they map onto
our taxonomy). About 20% of the services have no location but a service area (a municipality),
about 15% are courses with dates around the reference date, about 2% are inactive.

Everything follows from ``random.Random(seed)``: the same ``n`` and ``seed`` give the same
records, so figures are comparable between runs and machines.

    from benchmarks.synthetic import Corpus
    records = Corpus(seed=42).records(1000)     # list[ImportedRecord]
"""

from __future__ import annotations

import copy
import csv
import json
import random
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from importers.base import ImportedRecord
from importers.hsds_json import HsdsJsonImporter

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO.parent / "shared" / "sample-data"
GEO = REPO / "data" / "geo"
TAXONOMY = REPO / "data" / "taxonomy"

WORD_RE = re.compile(r"[A-Za-zÀ-ÿ][\wÀ-ÿ'-]*|[.!?]")
REFERENCE_DAY = date(2026, 11, 22)
#: Shares of the corpus.
AREA_ONLY = 0.20
COURSES = 0.15
INACTIVE = 0.02
TWO_LOCATIONS = 0.10
SERVICES_PER_ORGANIZATION = 8
#: How many municipalities the services are spread over (their kernen, weighted by size).
MUNICIPALITIES = 150
#: These always take part: the sample data's own municipalities.
ANCHOR_MUNICIPALITIES = ("Altena", "Meierijstad")
LANGUAGES = (("nl", "Nederlands"), ("en", "Engels"), ("ar", "Arabisch"), ("tr", "Turks"),
             ("pl", "Pools"), ("uk", "Oekraïens"), ("ti", "Tigrinya"))
STREETS = ("Kerkstraat", "Dorpsstraat", "Molenweg", "Markt", "Raadhuisplein", "Stationsstraat",
           "Schoolstraat", "Julianastraat", "Wilhelminalaan", "Hoofdstraat", "Brink",
           "Beatrixlaan", "Nieuwstraat", "Parallelweg", "Lindelaan")
VENUES = ("Buurthuis", "Dorpshuis", "Wijkcentrum", "Bibliotheek", "Gezondheidscentrum",
          "Kantoor")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA")


@dataclass(frozen=True)
class Kern:
    name: str
    municipality: str
    province: str
    lat: float
    lon: float
    population: int
    pc4: str


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _words(text: str) -> list[str]:
    return WORD_RE.findall(text or "")


class Corpus:
    """Everything the generator draws from, loaded once; ``records(n)`` is deterministic."""

    def __init__(self, seed: int = 42, sample: Path = SAMPLE) -> None:
        self.seed = seed
        self._load_text(sample)
        self._load_templates(sample)
        self._load_geo()

    # -- sources --------------------------------------------------------------------------
    def _load_text(self, sample: Path) -> None:
        names: list[str] = []
        texts: list[str] = []
        with open(sample / "services.jsonl", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    names.append(row.get("name") or "")
                    texts.append(row.get("description") or "")
        with open(TAXONOMY / "levensgebieden.csv", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                texts.append((row.get("omschrijving") or "") + ".")
                names.append(row.get("naam") or "")
        # A bigram chain over the descriptions: Dutch-looking sentences with a realistic
        # spread of common and rare words.
        chain: dict[str, list[str]] = defaultdict(list)
        starts: list[str] = []
        for text in texts:
            previous = "."
            for word in _words(text):
                if previous in ".!?":
                    if word not in ".!?":
                        starts.append(word)
                else:
                    chain[previous].append(word)
                previous = word
        self.chain = {k: sorted(v) for k, v in sorted(chain.items())}
        self.starts = sorted(starts)
        # Name words: content words of the sample names (place names dropped later by chance,
        # they are realistic anyway), longest first so "maatschappelijk" beats "de".
        counts = Counter(w for n in names for w in _words(n) if len(w) > 2 and w not in ".!?")
        self.name_words = sorted(counts, key=lambda w: (-counts[w], w))
        self.name_heads = sorted({_words(n)[0] for n in names if _words(n)})
        self.vocabulary = sorted({w.lower() for t in texts + names for w in _words(t)
                                  if len(w) >= 5 and w.isalpha()})

    def _load_templates(self, sample: Path) -> None:
        """The sample services in canonical form: their facets (attributes) are reused."""
        records = [r for r in HsdsJsonImporter().read(sample / "hsds" / "services.json")
                   if isinstance(r, ImportedRecord)]
        records.sort(key=lambda r: r.id)
        self.templates = [r.service for r in records]
        self.course_attribute = None
        for service in self.templates:
            for attribute in service.get("attributes", []):
                if attribute.get("link_type") == "soort" and \
                        attribute["taxonomy_term"].get("code") == "cursus":
                    self.course_attribute = attribute
        if self.course_attribute is None:
            raise SystemExit("the sample data has no course to copy the 'cursus' term from")

    def _load_geo(self) -> None:
        pc4_by_municipality: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
        with open(GEO / "nl_pc4.csv", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                pc4_by_municipality[row["municipality"]].append(
                    (row["postcode4"], float(row["lat"]), float(row["lon"])))
        places: dict[str, list[dict]] = defaultdict(list)
        with open(GEO / "nl_places.csv", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row["municipality"] in pc4_by_municipality:
                    places[row["municipality"]].append(row)
        # Municipalities with several kernen (a "sociale kaart" of a rural region is the hard
        # case), chosen by a fixed seed independent of the corpus seed.
        pick = random.Random(20261122)
        eligible = sorted(m for m, rows in places.items() if len(rows) >= 3)
        chosen = set(ANCHOR_MUNICIPALITIES) & set(eligible)
        chosen |= set(pick.sample(eligible, min(MUNICIPALITIES - len(chosen), len(eligible))))
        self.kernen: list[Kern] = []
        for municipality in sorted(chosen):
            pcs = pc4_by_municipality[municipality]
            for row in places[municipality]:
                lat, lon = float(row["lat"]), float(row["lon"])
                pc4 = min(pcs, key=lambda p: (p[1] - lat) ** 2 + (p[2] - lon) ** 2)[0]
                self.kernen.append(Kern(row["place"], municipality, row["province"], lat, lon,
                                        int(row["population"] or 0), pc4))
        self.kernen.sort(key=lambda k: (k.municipality, k.name, k.lat))
        # Bigger kernen get more services (square root: villages still get some).
        self.kern_weights = [max(1.0, k.population) ** 0.5 for k in self.kernen]
        self.municipalities = sorted(chosen)
        self.kernen_by_municipality: dict[str, list[Kern]] = defaultdict(list)
        for kern in self.kernen:
            self.kernen_by_municipality[kern.municipality].append(kern)

    # -- text ----------------------------------------------------------------------------
    def sentence(self, rng: random.Random, low: int = 6, high: int = 18) -> str:
        words = [rng.choice(self.starts)]
        target = rng.randint(low, high)
        while True:
            options = self.chain.get(words[-1])
            if not options or (len(words) >= target and "." in options):
                break
            word = rng.choice(options)
            if word in ".!?":
                if len(words) >= low:
                    break
                word = rng.choice(self.starts).lower()
            words.append(word)
            if len(words) > high + 10:
                break
        text = " ".join(words).replace(" ,", ",")
        return text[:1].upper() + text[1:] + "."

    def description(self, rng: random.Random) -> str:
        return " ".join(self.sentence(rng) for _ in range(rng.randint(2, 5)))

    def name(self, rng: random.Random, kern: str | None) -> str:
        head = rng.choice(self.name_heads)
        pool = self.name_words[:400]
        words = [head] + [rng.choice(pool) for _ in range(rng.randint(0, 2))]
        if kern and rng.random() < 0.6:
            words.append(kern)
        return " ".join(dict.fromkeys(words))

    # -- records -------------------------------------------------------------------------
    def records(self, n: int, source: str = "synthetic") -> list[ImportedRecord]:
        return list(self.iter_records(n, source))

    def iter_records(self, n: int, source: str = "synthetic") -> Iterator[ImportedRecord]:
        rng = random.Random(f"{self.seed}:{n}")
        organizations: list[dict] = []
        for i in range(n):
            if i % SERVICES_PER_ORGANIZATION == 0 or not organizations:
                organizations.append(self._organization(rng))
            organization = organizations[-1] if rng.random() < 0.8 else rng.choice(organizations)
            yield ImportedRecord(self._service(rng, organization), source, i + 1)

    def _organization(self, rng: random.Random) -> dict:
        kern = rng.choices(self.kernen, self.kern_weights)[0]
        head = rng.choice(("Stichting", "Vereniging", "Welzijn", "Buurtwerk", "Zorggroep",
                           "Steunpunt", "Sociaal Werk"))
        name = f"{head} {rng.choice(self.name_words[:200])} {kern.name}"
        org_id = _uuid(rng)
        return {
            "id": org_id,
            "name": name,
            "description": self.sentence(rng),
            "email": f"info@org-{org_id[:8]}.example",
            "website": f"https://www.org-{org_id[:8]}.example",
            "funding": [], "contacts": [], "programs": [], "organization_identifiers": [],
            "additional_websites": [], "attributes": [], "metadata": [],
            "phones": [{"id": _uuid(rng), "number": f"0{rng.randint(100, 999)}-"
                        f"{rng.randint(100000, 999999)}", "type": "voice"}],
        }

    def _location(self, rng: random.Random, kern: Kern) -> dict:
        location_id = _uuid(rng)
        letters = "".join(rng.choice("ABCDEGHJKLMNPRSTVWXZ") for _ in range(2))
        return {
            "id": location_id,
            "location_type": "physical",
            "name": f"{rng.choice(VENUES)} {kern.name}",
            "latitude": round(kern.lat + rng.uniform(-0.006, 0.006), 5),
            "longitude": round(kern.lon + rng.uniform(-0.009, 0.009), 5),
            "languages": [], "contacts": [], "phones": [], "schedules": [], "attributes": [],
            "metadata": [],
            "addresses": [{
                "id": _uuid(rng),
                "address_1": f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
                "city": kern.name,
                "region": kern.municipality,
                "state_province": kern.province,
                "postal_code": f"{kern.pc4} {letters}",
                "country": "NL",
                "address_type": "physical",
            }],
            "accessibility": ([{"id": _uuid(rng), "description": "rolstoeltoegankelijk"}]
                              if rng.random() < 0.5 else []),
        }

    def _attributes(self, rng: random.Random, service_id: str, course: bool) -> list[dict]:
        template = rng.choice(self.templates)
        attributes = []
        for attribute in template.get("attributes", []):
            if course and attribute.get("link_type") == "soort":
                continue
            copied = copy.deepcopy(attribute)
            copied["id"] = _uuid(rng)
            attributes.append(copied)
        if course:
            copied = copy.deepcopy(self.course_attribute)
            copied["id"] = _uuid(rng)
            attributes.append(copied)
        return attributes

    def _service(self, rng: random.Random, organization: dict) -> dict:
        service_id = _uuid(rng)
        kern = rng.choices(self.kernen, self.kern_weights)[0]
        area_only = rng.random() < AREA_ONLY
        course = rng.random() < COURSES
        status = "inactive" if rng.random() < INACTIVE else "active"
        locations = []
        if not area_only:
            locations.append(self._location(rng, kern))
            if rng.random() < TWO_LOCATIONS:
                neighbours = self.kernen_by_municipality[kern.municipality]
                locations.append(self._location(rng, rng.choice(neighbours)))
        schedules = []
        if course:
            start = REFERENCE_DAY + timedelta(days=rng.randint(-120, 150))
            weeks = rng.randint(4, 20)
            end = start + timedelta(weeks=weeks)
            hour = rng.choice((9, 10, 13, 14, 19))
            schedules.append({
                "id": _uuid(rng), "valid_from": start.isoformat(), "valid_to": end.isoformat(),
                "dtstart": start.isoformat(), "until": end.isoformat(), "freq": "WEEKLY",
                "interval": 1, "byday": rng.choice(DAYS[:5]),
                "description": f"Cursus van {weeks} bijeenkomsten",
                "opens_at": f"{hour:02d}:30:00", "closes_at": f"{hour + 2:02d}:00:00",
                "notes": f"{rng.randint(6, 20)} plaatsen",
            })
        elif rng.random() < 0.6:
            day = rng.choice(DAYS)
            hour = rng.choice((9, 10, 13, 14, 19))
            schedules.append({
                "id": _uuid(rng), "freq": "WEEKLY", "interval": 1, "byday": day,
                "description": f"inloop {kern.name}",
                "opens_at": f"{hour:02d}:00:00", "closes_at": f"{hour + 2:02d}:00:00",
            })
        areas = []
        if area_only or rng.random() < 0.1:
            areas.append({"id": _uuid(rng), "name": kern.municipality,
                          "description": f"Gemeente {kern.municipality}"})
        languages = [{"id": _uuid(rng), "name": "Nederlands", "code": "nl"}]
        if rng.random() < 0.15:
            code, name = rng.choice(LANGUAGES[1:])
            languages.append({"id": _uuid(rng), "name": name, "code": code})
        name = self.name(rng, kern.name)
        service = {
            "id": service_id,
            "organization_id": organization["id"],
            "name": name,
            "description": self.description(rng),
            "status": status,
            "application_process": self.sentence(rng, 4, 10),
            "last_modified": (REFERENCE_DAY - timedelta(days=rng.randint(0, 700))).isoformat()
            + "T00:00:00Z",
            "organization": organization,
            "phones": [{"id": _uuid(rng), "number": f"06-{rng.randint(10000000, 99999999)}",
                        "type": "voice"}],
            "schedules": schedules,
            "service_areas": areas,
            "service_at_locations": [{
                "id": _uuid(rng), "location_id": loc["id"], "location": loc,
                "contacts": [], "phones": [], "schedules": [], "service_areas": [],
                "attributes": [], "metadata": [],
            } for loc in locations],
            "languages": languages,
            "funding": [], "cost_options": [], "required_documents": [], "contacts": [],
            "additional_urls": [], "metadata": [],
            "attributes": self._attributes(rng, service_id, course),
        }
        if rng.random() < 0.2:
            low = rng.choice((0, 4, 12, 18, 55, 65))
            service["minimum_age"] = low
            if rng.random() < 0.5:
                service["maximum_age"] = low + rng.choice((6, 11, 20, 40))
        return service


if __name__ == "__main__":
    corpus = Corpus()
    sample = corpus.records(3)
    print(json.dumps(sample[0].service, indent=1, ensure_ascii=False)[:3000])
    print(len(corpus.kernen), "kernen in", len(corpus.municipalities), "municipalities")
