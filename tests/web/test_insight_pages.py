"""Coverage, indicators and data-quality pages of /inzicht: every figure against a count
computed here from the seeded world (tests/kit_insight.py)."""

from __future__ import annotations

import math
import sys
import types
from datetime import date

import pytest
from kit_insight import (
    ANALIST,
    LISTINGS,
    MUNICIPALITY,
    PERIOD,
    REPORTS,
    SEARCHES,
    TODAY,
    build,
    client_for,
    period_args,
    table,
    text,
)

from sociale_kaart.geo.gazetteer import default_gazetteer

#: The Altena defaults this test checks, restated (not read from the code).
OPGAVEN = {
    "Mantelzorgondersteuning": {"levensgebied:mantelzorg", "doelgroep:mantelzorgers"},
    "Ontmoetingsvoorzieningen": {"levensgebied:ontmoeting"},
    "Praktische ondersteuning": {"levensgebied:wonen", "levensgebied:vervoer",
                                 "levensgebied:geld"},
}
LABELS = {"active": "Actief aanbod", "new": "Nieuw aanbod", "ended": "Beëindigd aanbod",
          "courses": "Cursussen gegeven", "sessions": "Cursusdata gegeven",
          "places": "Plaatsen aangeboden", "participants": "Deelnemers",
          "searches": "Zoekopdrachten", "clicks": "Kliks op aanbod"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build(tmp_path_factory.mktemp("pages"))


@pytest.fixture(scope="module")
def analist(world):
    return client_for(world.app, ANALIST)


def years_back(day: date, years: int) -> date:
    return day.replace(year=day.year - years)


def status_on(spec, day: date):
    if spec.created > day:
        return None
    for when, before, _after in sorted(spec.changes):
        if when > day:
            return before
    return spec.status


def expected_figures(terms: set[str], start: date, end: date) -> dict[str, int]:
    chosen = [s for s in LISTINGS if set(s.terms) & terms]
    keys = {s.key for s in chosen}
    held = [(s.key, start_day, places, participants) for s in chosen
            for start_day, places, cancelled, participants in s.sessions
            if not cancelled and start <= start_day <= min(end, TODAY)]
    categories = {t.split(":")[1] for t in terms if t.startswith("levensgebied:")}
    in_period = [q for q in SEARCHES if start <= q.day <= end]
    return {
        "active": sum(status_on(s, end) == "active" for s in chosen),
        "new": sum(start <= s.created <= end for s in chosen),
        "ended": sum(any(start <= d <= end and b == "active" and a != "active"
                         for d, b, a in s.changes) for s in chosen),
        "courses": len({key for key, *_ in held}),
        "sessions": len(held),
        "places": sum(places for _k, _d, places, _p in held),
        "participants": sum(p or 0 for _k, _d, _pl, p in held),
        "searches": sum(q.page == 1 and bool(set(q.categories) & categories)
                        for q in in_period),
        "clicks": sum(1 for q in in_period for _rank, key in q.clicks if key in keys),
    }


def test_indicators_per_opgave_with_two_previous_years(analist):
    page = analist.get("/inzicht/opgaven", query_string=period_args()).get_data(as_text=True)
    from kit_insight import parse

    tables = parse(page).tables
    titles = {}
    for table_id, rows in tables.items():
        if table_id.startswith("indicatoren-"):
            titles[table_id] = rows
    sections = [name for name in ("Maatschappelijk werk", "Onafhankelijke cliëntondersteuning",
                                  "Praktische ondersteuning", "Mantelzorgondersteuning",
                                  "Vrijwilligersondersteuning", "Ontmoetingsvoorzieningen")]
    assert len(titles) == len(sections)
    for index, name in enumerate(sections, start=1):
        if name not in OPGAVEN:
            continue
        rows = {r[0]: [int(v) for v in r[1:]] for r in titles[f"indicatoren-{index}"][1:]}
        for key, label in LABELS.items():
            want = [expected_figures(OPGAVEN[name], years_back(PERIOD[0], n),
                                     years_back(PERIOD[1], n))[key] for n in range(3)]
            assert rows[label] == want, (name, key)
    # The figures really vary, so the check above means something.
    care = expected_figures(OPGAVEN["Mantelzorgondersteuning"], *PERIOD)
    assert care["participants"] == 9 and care["places"] == 12 and care["active"] == 3
    meeting = expected_figures(OPGAVEN["Ontmoetingsvoorzieningen"], *PERIOD)
    assert meeting["ended"] == 1 and meeting["new"] == 1


def test_listings_per_kern(analist):
    page = analist.get("/inzicht/opgaven", query_string=period_args()).get_data(as_text=True)
    from kit_insight import parse

    per_kern = [rows for table_id, rows in parse(page).tables.items()
                if table_id.startswith("table-")]
    meeting = per_kern[5]  # the sixth opgave: ontmoetingsvoorzieningen
    counts = {r[0]: [int(v) for v in r[1:]] for r in meeting[1:]}
    for kern in ("Almkerk", "Woudrichem", "Werkendam"):
        want = [sum(1 for s in LISTINGS if s.kern == kern and "levensgebied:ontmoeting" in
                    s.terms and status_on(s, years_back(PERIOD[1], n)) == "active")
                for n in range(3)]
        assert counts[kern] == want, kern


def test_volunteer_figures_shown_only_when_the_platform_exists(analist, monkeypatch):
    monkeypatch.setitem(sys.modules, "sociale_kaart.volunteer.indicators", None)
    page = analist.get("/inzicht/opgaven", query_string=period_args()).get_data(as_text=True)
    assert "tabel-vrijwilligers" not in page
    calls = []

    def period_figures(session, start, end):
        calls.append((start, end))
        return {"volunteers_active": start.year - 2000, "matches": 7}

    fake = types.ModuleType("sociale_kaart.volunteer.indicators")
    fake.period_figures = period_figures
    monkeypatch.setitem(sys.modules, "sociale_kaart.volunteer.indicators", fake)
    page = analist.get("/inzicht/opgaven", query_string=period_args()).get_data(as_text=True)
    rows = {r[0]: r[1:] for r in table(page, "tabel-vrijwilligers")}
    assert rows["Actieve vrijwilligers"] == ["26", "25", "24"]
    assert rows["Matches"] == ["7", "7", "7"]
    assert calls[0] == PERIOD


def test_data_quality(analist):
    page = analist.get("/inzicht/kwaliteit", query_string=period_args()).get_data(as_text=True)
    active = [s for s in LISTINGS if s.status == "active"]
    six, twelve = date(2026, 5, 22), date(2025, 11, 22)
    assert int(text(page, "cijfer-actief")) == len(active)
    confirmed6 = sum(bool(s.assured and s.assured >= six) for s in active)
    confirmed12 = sum(bool(s.assured and s.assured >= twelve) for s in active)
    assert text(page, "cijfer-bevestigd-6").endswith(f"({confirmed6})")
    assert text(page, "cijfer-bevestigd-12").startswith(
        f"{100 * confirmed12 / len(active):.1f}".replace(".", ",") + "%")
    start, end = PERIOD
    handled = [(h - c).total_seconds() / 86400 for c, h in REPORTS
               if h and start <= h.date() <= end]
    assert int(text(page, "cijfer-open-meldingen")) == sum(h is None for _c, h in REPORTS)
    assert int(text(page, "cijfer-meldingen-ontvangen")) == \
        sum(start <= c.date() <= end for c, _h in REPORTS)
    assert int(text(page, "cijfer-meldingen-afgehandeld")) == len(handled)
    median = sorted(handled)[len(handled) // 2]
    assert text(page, "cijfer-mediaan") == f"{median:.1f}".replace(".", ",")
    assert int(text(page, "cijfer-contact")) == \
        sum(not (s.phone or s.email) for s in active)
    assert int(text(page, "cijfer-tijden")) == \
        sum(not (s.hours or s.sessions) for s in active)
    assert int(text(page, "cijfer-plaats")) == sum(not (s.kern or s.area) for s in active)
    orgs = {r[0]: r[1:] for r in table(page, "tabel-organisaties")}
    for org in {s.org for s in active}:
        mine = [s for s in active if s.org == org]
        assert int(orgs[org][0]) == len(mine)
        assert orgs[org][1].startswith(str(sum(bool(s.assured and s.assured >= six)
                                                for s in mine)))
    pairs = text(page, "dubbelen")
    assert pairs.count("Inloop Almkerk") == 2  # the two listings at the same address


def haversine(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * \
        math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def test_coverage_page(analist):
    page = analist.get("/inzicht/dekking", query_string={"gemeente": MUNICIPALITY,
                                                          "keuze": "levensgebied:ontmoeting"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    gazetteer = default_gazetteer()
    kernen = gazetteer.kernen(MUNICIPALITY)
    chosen = [s for s in LISTINGS if s.status == "active" and
              "levensgebied:ontmoeting" in s.terms]
    rows = {r[0]: r for r in table(html, "tabel-dekking")}
    assert set(rows) == {k.name for k in kernen}
    spots = []
    for kern in kernen:
        distances = []
        for s in chosen:
            place = gazetteer.by_place(s.kern, MUNICIPALITY)
            distances.append(haversine(kern.lat, kern.lon, place.lat, place.lon))
        within = sum(d <= 5.0 or s.kern == kern.name for d, s in zip(distances, chosen,
                                                                       strict=True))
        row = rows[kern.name]
        assert int(row[2]) == sum(s.kern == kern.name for s in chosen), kern.name
        assert int(row[3]) == within, kern.name
        assert row[5] == f"{min(distances):.1f}".replace(".", ",")
        if not within:
            spots.append(kern.name)
    listed = text(html, "witte-vlekken")
    assert spots and all(name in listed for name in spots)
    assert "map-wrap" in html and "swatch-geen" in html  # the map with its text legend
    assert "geo_json_" in html  # Altena's boundary is shipped, so its outline is drawn


def test_coverage_counts_home_visits_for_every_kern(analist):
    html = analist.get("/inzicht/dekking", query_string={
        "gemeente": MUNICIPALITY, "keuze": "levensgebied:mantelzorg"}).get_data(as_text=True)
    rows = table(html, "tabel-dekking")
    assert rows and all(int(r[4]) == 1 for r in rows)  # "Steunpunt Mantelzorg aan huis"
    assert "Geen witte vlekken" in text(html, "witte-vlekken")


def test_unknown_choice_is_a_clear_error(analist):
    response = analist.get("/inzicht/dekking", query_string={"keuze": "levensgebied:onzin"})
    assert response.status_code == 400
    assert "kennen we niet" in response.get_data(as_text=True)
    assert analist.get("/inzicht/dekking?gemeente=Nergenshuizen").status_code == 404
