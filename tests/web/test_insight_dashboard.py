"""The search-behaviour dashboard (/inzicht/): every figure against a count computed here from
the seeded searches (tests/kit_insight.py), the privacy threshold, and the fix paths."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from kit_insight import (
    ANALIST,
    BEHEERDER,
    PERIOD,
    PERSONAL,
    SEARCHES,
    THRESHOLD,
    build,
    client_for,
    norm,
    number,
    period_args,
    table,
    text,
)

from sociale_kaart.services.taxonomy import terms_by_facet


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build(tmp_path_factory.mktemp("dashboard"))


@pytest.fixture(scope="module")
def page(world) -> str:
    client = client_for(world.app, ANALIST)
    response = client.get("/inzicht/", query_string={**period_args(), "per": "maand"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def in_period(first_page_only: bool = True):
    return [s for s in SEARCHES if PERIOD[0] <= s.day <= PERIOD[1]
            and (s.page == 1 or not first_page_only)]


def per_query():
    """query → (searches, zero, without click, clicks), only first pages, no personal text."""
    figures: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for s in in_period():
        if s.query in PERSONAL:
            continue
        row = figures[norm(s.query)]
        row[0] += 1
        row[1] += s.results == 0
        row[2] += s.results > 0 and not s.clicks
        row[3] += len(s.clicks)
    return {q: f for q, f in figures.items() if f[0] >= THRESHOLD}


def test_headline_figures(page):
    searches = in_period()
    assert number(text(page, "cijfer-zoekopdrachten")) == len(searches)
    assert number(text(page, "cijfer-zonder-resultaat")) == sum(s.results == 0 for s in searches)
    assert number(text(page, "cijfer-zonder-klik")) == \
        sum(s.results > 0 and not s.clicks for s in searches)
    assert number(text(page, "cijfer-kliks")) == sum(len(s.clicks) for s in in_period(False))
    with_place = sum(s.place is not None for s in searches)
    share = f"{100 * with_place / len(searches):.1f}".replace(".", ",") + "%"
    assert text(page, "cijfer-plaats") == share


def test_top_searches_table(page):
    expected = sorted(per_query().items(), key=lambda i: (-i[1][0], i[0]))
    rows = table(page, "tabel-top")
    assert [[r[0], *map(int, r[1:])] for r in rows] == [[q, *f] for q, f in expected]


def test_zero_result_and_no_click_tables(page):
    figures = per_query()
    zero = sorted(((q, f[1]) for q, f in figures.items() if f[1]), key=lambda i: (-i[1], i[0]))
    assert [(r[0], int(r[1])) for r in table(page, "tabel-nul")] == zero
    no_click = sorted(((q, f[2]) for q, f in figures.items() if f[2]),
                      key=lambda i: (-i[1], i[0]))
    assert [(r[0], int(r[1])) for r in table(page, "tabel-geen-klik")] == no_click
    assert "taalcafe" in dict(no_click) and "schuldhulp" in dict(zero)


def test_trend_per_levensgebied(page):
    names = {c: t.name for c, t in terms_by_facet()["levensgebied"].items()}
    totals = Counter()
    monthly: dict[tuple[str, int], int] = Counter()
    for s in in_period():
        for code in s.categories:
            totals[names[code]] += 1
            monthly[(names[code], s.day.month)] += 1
    rows = table(page, "tabel-levensgebied")
    assert {r[0]: int(r[1]) for r in rows} == dict(totals)
    trend = page_table_with_header(page, "tabel-trend")
    header, body = trend[0], trend[1:]
    assert len(body) == 10  # January to October
    for month_index, row in enumerate(body, start=1):
        for column, name in enumerate(header[1:], start=1):
            assert int(row[column]) == monthly[(name, month_index)], (name, month_index)


def page_table_with_header(page: str, table_id: str):
    from kit_insight import parse

    return parse(page).tables[table_id]


def shown_queries(page: str) -> set[str]:
    return {row[0] for table_id in ("tabel-top", "tabel-nul", "tabel-geen-klik")
            for row in table(page, table_id)}


def test_privacy_threshold_hides_rare_queries(world, page):
    assert "eenzaam" not in shown_queries(page)  # two searches: below the threshold of three
    assert "schuldhulp" in shown_queries(page)   # three: shown
    assert "eenzaam" in shown_queries(build_threshold_page(world, 2))


def build_threshold_page(world, threshold: int) -> str:
    settings = world.app.extensions["sociale_kaart.settings"]
    old = settings.insight_privacy_threshold
    settings.insight_privacy_threshold = threshold
    try:
        client = client_for(world.app, ANALIST)
        return client.get("/inzicht/", query_string=period_args()).get_data(as_text=True)
    finally:
        settings.insight_privacy_threshold = old


def test_personal_text_never_shown(world):
    settings = world.app.extensions["sociale_kaart.settings"]
    settings.insight_privacy_threshold = 1
    try:
        client = client_for(world.app, ANALIST)
        page = client.get("/inzicht/", query_string=period_args()).get_data(as_text=True)
    finally:
        settings.insight_privacy_threshold = THRESHOLD
    for personal in PERSONAL:
        assert norm(personal) not in page.lower()
    assert "06-12345678" not in page and "111222333" not in page


def test_fix_paths(world, page):
    # The analist sees only the way to the listing; the beheerder also the synonym form.
    assert "/inzicht/aanbod?q=schuldhulp" in page
    assert "/inzicht/synoniem?term=schuldhulp" not in page
    client = client_for(world.app, BEHEERDER)
    own = client.get("/inzicht/", query_string=period_args()).get_data(as_text=True)
    assert "/inzicht/synoniem?term=schuldhulp" in own
    found = client.get("/inzicht/aanbod", query_string={"q": "inloop"}).get_data(as_text=True)
    assert table_free_links(found, "Inloop Almkerk") == 2
    assert "/bewerken" in found


def table_free_links(html: str, name: str) -> int:
    return html.count(f">{name}</a>")


def test_bad_period_is_a_clear_error(world):
    client = client_for(world.app, ANALIST)
    response = client.get("/inzicht/", query_string={"van": "gisteren", "tot": "2026-01-01"})
    assert response.status_code == 400
    assert "jjjj-mm-dd" in response.get_data(as_text=True)
    response = client.get("/inzicht/", query_string={"van": "2026-05-01", "tot": "2026-01-01"})
    assert response.status_code == 400
