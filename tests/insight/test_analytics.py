"""Recording search analytics: what is stored, what never is, clicks without JavaScript, and
that recording never breaks a search."""

from __future__ import annotations

import re

import kit_database
import pytest
from kit_insight import PERSONAL, build, norm

from sociale_kaart.insight.analytics import elfproef, looks_personal, scrub_query

#: (text, looks personal)
PERSONAL_CASES = [
    ("jan@voorbeeld.nl", True),
    ("mail j.jansen (at) voorbeeld.nl", True),
    ("bel 06-12345678", True),
    ("0612345678", True),
    ("+31 6 1234 5678", True),
    ("0183 123 456", True),
    ("bsn 111222333", True),          # passes the elfproef
    ("123456782", True),              # passes the elfproef
    ("4251 AB 12", True),
    ("4251ab 12a hulp", True),
    ("NL91 ABNA 0417 1643 00", True),
    ("klantnummer 12345678901", True),  # any long number
    ("schuldhulp", False),
    ("hulp bij geld 4251", False),    # a PC4 alone is a place, not a person
    ("4251 AB", False),               # a postcode without house number
    ("65+ bewegen", False),
    ("123456789", False),             # nine digits that fail the elfproef
    ("taalcafé 2026", False),
]


@pytest.mark.parametrize(("text", "personal"), PERSONAL_CASES)
def test_looks_personal(text, personal):
    assert looks_personal(text) is personal
    stored, dropped = scrub_query(text)
    assert dropped is personal
    assert (stored is None) is personal


@pytest.mark.parametrize(("digits", "valid"), [("111222333", True), ("123456782", True),
                                               ("123456789", False), ("000000000", False),
                                               ("12345678", False), ("1234567", False)])
def test_elfproef(digits, valid):
    assert elfproef(digits) is valid


def test_normalised_text():
    assert scrub_query("  Hulp  BIJ\tgeld ") == ("hulp bij geld", False)
    assert scrub_query("") == (None, False)
    long_text = "woord " * 100
    stored, _ = scrub_query(long_text)
    assert len(stored) <= 200 and not stored.endswith(" ")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build(tmp_path_factory.mktemp("analytics"))


def _rows(app, sql: str) -> list[tuple]:
    return kit_database.execute_on_app(app, sql)


FORBIDDEN_COLUMNS = re.compile(r"ip|addr|cookie|session|agent|user|account|time|hour|"
                               r"created|email|referr?er", re.I)


def test_no_visitor_data_in_the_analytics_tables(world):
    client = world.app.test_client()
    client.set_cookie("tracking", "koekje-met-id-98765")
    client.get("/zoeken?q=mantelzorg", headers={"User-Agent": "Bijzondere-Browser/1.0",
                                                "X-Forwarded-For": "203.0.113.7"},
               environ_base={"REMOTE_ADDR": "198.51.100.23"})
    for table_name in ("search_event", "search_click"):
        columns = sorted(kit_database.columns_of_app(world.app, table_name))
        assert not [c for c in columns if FORBIDDEN_COLUMNS.search(c)], (table_name, columns)
        for row in _rows(world.app, f"select * from {table_name}"):
            flat = " ".join(map(str, row))
            for value in ("198.51.100.23", "203.0.113.7", "Bijzondere-Browser",
                          "koekje-met-id-98765", "session"):
                assert value not in flat
            # Dates only, never a time of day.
            assert not re.search(r"\d{2}:\d{2}", flat)


def test_personal_query_text_is_never_stored(world):
    client = world.app.test_client()
    client.get("/zoeken", query_string={"q": "hulp voor jan@voorbeeld.nl 0612345678"})
    client.get("/api/v1/search", query_string={"q": "bsn 123456782"})
    everything = " ".join(" ".join(map(str, r)) for r in
                          _rows(world.app, "select * from search_event"))
    for personal in PERSONAL + ("jan@voorbeeld.nl", "0612345678", "123456782"):
        assert norm(personal) not in everything.lower()
    dropped = _rows(world.app, "select query, result_count, source from search_event "
                               "where query_dropped = true")
    assert len(dropped) == len(PERSONAL) + 2
    assert all(query is None for query, _count, _source in dropped)
    assert {source for _q, _c, source in dropped} == {"web", "api"}  # the rest is kept


def test_search_and_click_without_javascript(world):
    client = world.app.test_client()
    before = _rows(world.app, "select count(*) from search_event")[0][0]
    page = client.get("/zoeken?q=inloop").get_data(as_text=True)
    assert _rows(world.app, "select count(*) from search_event")[0][0] == before + 1
    links = re.findall(r'<h2><a href="(/aanbod/[^"/]+/klik/[^"]+)"', page)
    assert links, "result links go through the click counter"
    token = links[0].split("/")[4]
    assert all(link.split("/")[4] == token for link in links)  # one token per search
    assert [int(link.split("/")[5]) for link in links] == list(range(1, len(links) + 1))
    response = client.get(links[0])
    assert response.status_code == 303
    service_id = links[0].split("/")[2]
    assert response.headers["Location"].endswith(f"/aanbod/{service_id}")
    assert response.headers["Cache-Control"] == "no-store"
    clicks = _rows(world.app, "select c.rank, c.service_id from search_click c join "
                              "search_event e on e.id = c.search_id where e.token = "
                              f"'{token}'")
    assert clicks == [(1, service_id)]
    # A second search gets another token: clicks can never tie two searches together.
    again = client.get("/zoeken?q=inloop").get_data(as_text=True)
    assert re.findall(r'<h2><a href="/aanbod/[^/]+/klik/([^/]+)/', again)[0] != token
    # The listing's own page is unchanged: canonical URL, no token.
    detail = client.get(f"/aanbod/{service_id}").get_data(as_text=True)
    assert "/klik/" not in detail


def test_unknown_token_records_nothing_and_still_redirects(world):
    client = world.app.test_client()
    before = _rows(world.app, "select count(*) from search_click")[0][0]
    response = client.get(f"/aanbod/{world.ids['cafe']}/klik/onbekendtoken123/1")
    assert response.status_code == 303
    assert _rows(world.app, "select count(*) from search_click")[0][0] == before
    assert client.get("/aanbod/abc/klik/x'/1").status_code == 303


def test_api_searches_are_recorded_without_click_links(world):
    client = world.app.test_client()
    before = _rows(world.app, "select count(*) from search_event where source = 'api'")[0][0]
    body = client.get("/api/v1/search?q=inloop").get_json()
    assert all("/klik/" not in hit["url"] for hit in body["results"])
    assert _rows(world.app, "select count(*) from search_event where source = 'api'")[0][0] \
        == before + 1


def test_browse_pages_are_not_searches(world):
    client = world.app.test_client()
    before = _rows(world.app, "select count(*) from search_event")[0][0]
    page = client.get("/onderwerp/ontmoeting").get_data(as_text=True)
    assert "/klik/" not in page
    assert _rows(world.app, "select count(*) from search_event")[0][0] == before


def test_recording_never_breaks_a_search(tmp_path, caplog):
    world = build(tmp_path)
    kit_database.execute_on_app(world.app, "drop table search_click")
    kit_database.execute_on_app(world.app, "drop table search_event")
    client = world.app.test_client()
    response = client.get("/zoeken?q=inloop")
    assert response.status_code == 200
    assert "Inloop Almkerk" in response.get_data(as_text=True)
    assert "/klik/" not in response.get_data(as_text=True)
    assert client.get("/api/v1/search?q=inloop").status_code == 200
    assert "could not record a search" in caplog.text


def test_switched_off(tmp_path):
    world = build(tmp_path, search_analytics=False)
    client = world.app.test_client()
    before = _rows(world.app, "select count(*) from search_event")[0][0]
    page = client.get("/zoeken?q=inloop").get_data(as_text=True)
    assert "/klik/" not in page
    assert _rows(world.app, "select count(*) from search_event")[0][0] == before
