"""Test kit for the insight dashboard (issue 10): a known world of listings, reports, course
sessions, searches and clicks, written as plain data so the tests can compute every expected
figure from the same data, independently of the code under test.

Not a test module; tests import it as ``kit_insight``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from types import SimpleNamespace

from kit_accounts import PASSWORD, add_user, db_of, login, make_app, new_id

from sociale_kaart.geo.gazetteer import default_gazetteer
from sociale_kaart.insight.analytics import record_click, record_search
from sociale_kaart.models import (
    Address,
    Attribute,
    ChangeRecord,
    CourseParticipation,
    Location,
    Organization,
    Phone,
    Report,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
)
from sociale_kaart.services.taxonomy import terms_by_facet

TODAY = date(2026, 11, 22)
PERIOD = (date(2026, 1, 1), date(2026, 10, 31))
MUNICIPALITY = "Altena"
THRESHOLD = 3
BEHEERDER = "beheer@inzicht.example"
ANALIST = "analist@inzicht.example"


@dataclass
class ListingSpec:
    key: str
    name: str
    org: str
    terms: list[str]
    kern: str | None = None            # a location in this Altena kern
    area: bool = False                 # works at home / by phone / online in Altena
    status: str = "active"
    created: date = date(2024, 1, 1)
    assured: date | None = None
    phone: bool = False
    email: bool = False
    hours: bool = False
    street: str = "Dorpsstraat 1"
    #: (day, before status, after status) audit records
    changes: list[tuple[date, str, str]] = field(default_factory=list)
    #: (start, places, cancelled, participants or None)
    sessions: list[tuple[date, int, bool, int | None]] = field(default_factory=list)


LISTINGS = [
    ListingSpec("cafe", "Mantelzorgcafé Werkendam", "Welzijn Altena", ["levensgebied:mantelzorg"],
                kern="Werkendam", created=date(2025, 3, 1), assured=date(2026, 10, 1),
                phone=True, hours=True),
    ListingSpec("thuis", "Steunpunt Mantelzorg aan huis", "Stichting Mantelzorg",
                ["levensgebied:mantelzorg", "doelgroep:mantelzorgers"], area=True,
                created=date(2026, 2, 10), assured=date(2026, 1, 15), email=True),
    ListingSpec("inloop", "Inloop Almkerk", "Welzijn Altena", ["levensgebied:ontmoeting"],
                kern="Almkerk", created=date(2024, 5, 1), hours=True, street="Kerkstraat 5"),
    ListingSpec("koffie", "Koffieochtend Woudrichem", "Welzijn Altena",
                ["levensgebied:ontmoeting"], kern="Woudrichem", status="inactive",
                created=date(2024, 1, 10), assured=date(2025, 12, 1), phone=True, hours=True,
                changes=[(date(2026, 6, 15), "active", "inactive")]),
    ListingSpec("cursus", "Cursus mantelzorg en werk", "Stichting Mantelzorg",
                ["levensgebied:mantelzorg", "soort:cursus"], kern="Werkendam",
                created=date(2025, 9, 1), email=True,
                sessions=[(date(2026, 3, 2), 12, False, 9), (date(2026, 9, 7), 10, True, None),
                          (date(2025, 3, 3), 8, False, 7), (date(2026, 12, 1), 15, False, None)]),
    ListingSpec("inloop2", "Inloop Almkerk", "Welzijn Altena", ["levensgebied:ontmoeting"],
                kern="Almkerk", created=date(2026, 7, 1), hours=True, street="Kerkstraat 5",
                assured=date(2026, 7, 1)),
    ListingSpec("schuld", "Schuldhulp Altena", "Stichting Mantelzorg", ["levensgebied:geld"],
                created=date(2023, 1, 1), phone=True),
]

#: (created, handled or None)
REPORTS = [
    (datetime(2026, 11, 1, 10), None),
    (datetime(2026, 3, 1, 9), datetime(2026, 3, 11, 9)),
    (datetime(2026, 5, 1, 9), datetime(2026, 5, 5, 9)),
    (datetime(2026, 6, 1, 9), datetime(2026, 6, 21, 9)),
    (datetime(2025, 5, 1, 9), datetime(2025, 5, 3, 9)),
]


@dataclass
class SearchSpec:
    day: date
    query: str
    results: int
    categories: list[str] = field(default_factory=list)
    place: str | None = None
    page: int = 1
    source: str = "web"
    #: (rank, listing key) clicks
    clicks: list[tuple[int, str]] = field(default_factory=list)


def _searches() -> list[SearchSpec]:
    s: list[SearchSpec] = []
    for n in range(5):
        clicks = [(1, "cafe")] if n < 3 else []
        if n == 0:
            clicks.append((2, "thuis"))
        s.append(SearchSpec(date(2026, 2, 1 + n), "mantelzorg", 4, ["mantelzorg"],
                            clicks=clicks))
    s.append(SearchSpec(date(2026, 2, 1), "mantelzorg", 4, ["mantelzorg"], page=2,
                        clicks=[(12, "cursus")]))
    for n in range(3):
        s.append(SearchSpec(date(2026, 3, 10 + n), "schuldhulp", 0, ["geld"],
                            place="Werkendam" if n < 2 else None))
    for n in range(2):
        s.append(SearchSpec(date(2026, 4, 1 + n), "eenzaam", 3, ["ontmoeting"]))
    for n in range(3):
        s.append(SearchSpec(date(2026, 5, 5 + n), "taalcafe", 2, ["taal"]))
    for n in range(4):
        s.append(SearchSpec(date(2026, 6, 1 + n), "inloop", 5, ["ontmoeting"],
                            place="Almkerk", clicks=[(2, "inloop")] if n == 0 else []))
    for text in ("jan@voorbeeld.nl", "bel 06-12345678", "bsn 111222333", "4251 AB 12 hulp"):
        s.append(SearchSpec(date(2026, 7, 1), text, 1))
    for n in range(3):
        s.append(SearchSpec(date(2026, 8, 1 + n), "  Hulp  BIJ geld ", 0, ["geld"]))
    for n in range(3):
        s.append(SearchSpec(date(2026, 9, 1 + n), "koffie", 1, source="api"))
    s.append(SearchSpec(date(2025, 12, 31), "mantelzorg", 4, ["mantelzorg"]))
    s.append(SearchSpec(date(2026, 11, 5), "mantelzorg", 4, ["mantelzorg"]))
    for n in range(2):
        s.append(SearchSpec(date(2025, 3, 1 + n), "mantelzorg", 4, ["mantelzorg"],
                            clicks=[(1, "cafe")]))
    return s


SEARCHES = _searches()
PERSONAL = ("jan@voorbeeld.nl", "bel 06-12345678", "bsn 111222333", "4251 AB 12 hulp")


def norm(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass
class World:
    app: object
    ids: dict[str, str]


def _term(session, service_id: str, term: str) -> None:
    facet, code = term.split(":")
    found = terms_by_facet()[facet][code]
    session.add(Attribute(id=new_id(), link_id=service_id, link_entity="service",
                          link_type=facet, taxonomy_term_id=found.id))


def seed_listings(session) -> dict[str, str]:
    gazetteer = default_gazetteer()
    orgs: dict[str, Organization] = {}
    ids: dict[str, str] = {}
    for spec in LISTINGS:
        org = orgs.get(spec.org)
        if org is None:
            org = Organization(id=new_id(), name=spec.org, description="")
            session.add(org)
            orgs[spec.org] = org
        service = Service(id=new_id(), organization_id=org.id, name=spec.name,
                          description="Voor inwoners.", status=spec.status,
                          assured_date=spec.assured,
                          email="info@voorbeeld.nl" if spec.email else None)
        service.created_at = datetime.combine(spec.created, datetime.min.time())
        session.add(service)
        session.flush()
        ids[spec.key] = service.id
        for term in spec.terms:
            _term(session, service.id, term)
        if spec.phone:
            session.add(Phone(id=new_id(), service_id=service.id, number="0183 123456"))
        if spec.area:
            session.add(ServiceArea(id=new_id(), service_id=service.id, name=MUNICIPALITY,
                                    municipality=MUNICIPALITY))
        if spec.kern:
            place = gazetteer.by_place(spec.kern, MUNICIPALITY)
            location = Location(id=new_id(), name=f"Gebouw {spec.key}",
                                location_type="physical", latitude=place.lat,
                                longitude=place.lon, kern=spec.kern,
                                municipality=MUNICIPALITY)
            location.addresses = [Address(id=new_id(), address_1=spec.street, city=spec.kern,
                                          state_province="Noord-Brabant",
                                          postal_code="4251 AB", country="NL",
                                          address_type="physical")]
            session.add(location)
            session.add(ServiceAtLocation(id=new_id(), service_id=service.id,
                                          location_id=location.id))
        if spec.hours:
            session.add(Schedule(id=new_id(), service_id=service.id, freq="WEEKLY",
                                 byday="MO"))
        for start, places, cancelled, participants in spec.sessions:
            schedule = Schedule(id=new_id(), service_id=service.id, dtstart=start,
                                until=date(start.year, start.month, 28), freq="WEEKLY",
                                byday="MO", places=places, cancelled=cancelled)
            session.add(schedule)
            session.flush()
            if participants is not None:
                session.add(CourseParticipation(schedule_id=schedule.id,
                                                service_id=service.id,
                                                participants=participants))
        for day, before, after in spec.changes:
            session.add(ChangeRecord(service_id=service.id,
                                     at=datetime.combine(day, datetime.min.time()),
                                     source="beheerder", actor="test", action="update",
                                     before={"status": before}, after={"status": after}))
    for number, (created, handled) in enumerate(REPORTS):
        session.add(Report(service_id=ids["cafe" if number % 2 else "inloop"], reason="adres",
                           status="handled" if handled else "open", created_at=created,
                           handled_at=handled))
    return ids


def seed_searches(db, ids: dict[str, str]) -> None:
    levensgebieden = terms_by_facet()["levensgebied"]
    for spec in SEARCHES:
        params = SimpleNamespace(q=spec.query, page=spec.page, per_page=10, near=None,
                                 category=(), free=False)
        plan = SimpleNamespace(categories={c: 1.0 for c in spec.categories
                                           if c in levensgebieden})
        place = SimpleNamespace(name=spec.place) if spec.place else None
        result = SimpleNamespace(total=spec.results, plan=plan, near=None,
                                 detected_place=place)
        token = record_search(db, params, result, source=spec.source, day=spec.day)
        assert token
        for rank, key in spec.clicks:
            assert record_click(db, token, rank, ids[key], day=spec.day)


def build(tmp_path, **overrides) -> World:
    """The app (today = TODAY, municipality Altena) with the whole world, a beheerder and an
    analist."""
    settings = {"insight_municipalities": (MUNICIPALITY,), "insight_privacy_threshold": THRESHOLD,
                "coverage_distance_km": 5.0, "login_rate_limit": "10000 per minute"}
    settings.update(overrides)
    app = make_app(tmp_path / "instance", TODAY, **settings)
    with db_of(app).session() as session:
        ids = seed_listings(session)
    seed_searches(db_of(app), ids)
    add_user(app, BEHEERDER, "beheerder")
    add_user(app, ANALIST, "analist")
    return World(app, ids)


def client_for(app, email: str):
    client = app.test_client()
    login(client, email, PASSWORD)
    return client


def period_args(start: date = PERIOD[0], end: date = PERIOD[1]) -> dict[str, str]:
    return {"van": start.isoformat(), "tot": end.isoformat()}


# -- reading pages ---------------------------------------------------------------------------

class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.texts: dict[str, str] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._ids: list[tuple[str, str, int]] = []
        self._depth = 0

    VOID = {"input", "br", "meta", "link", "img", "hr", "source", "col", "wbr"}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.VOID:
            return
        self._depth += 1
        if tag == "table":
            self._table = attrs.get("id") or f"table-{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        if attrs.get("id") and tag not in ("table",):
            self._ids.append((attrs["id"], tag, self._depth))
            self.texts[attrs["id"]] = ""

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        while self._ids and self._ids[-1][2] >= self._depth:
            self._ids.pop()
        self._depth -= 1

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        for element_id, _tag, _depth in self._ids:
            self.texts[element_id] += data


def parse(html: str) -> _Tables:
    parser = _Tables()
    parser.feed(html)
    return parser


def table(html: str, table_id: str) -> list[list[str]]:
    """The body rows of a table (the header row dropped)."""
    rows = parse(html).tables[table_id]
    return rows[1:]


def text(html: str, element_id: str) -> str:
    return " ".join(parse(html).texts[element_id].split())


def number(value: str) -> int:
    return int(re.sub(r"[^\d]", "", value))
