"""Who may use /inzicht, and the beheerder's changes: the opgaven table, a synonym for a
search that found nothing, and the participants a provider enters for a held session."""

from __future__ import annotations

import re
from datetime import date

import pytest
from kit_accounts import add_user
from kit_insight import ANALIST, BEHEERDER, TODAY, build, client_for, text

from sociale_kaart import create_app
from sociale_kaart.insight.synonyms import local_file
from sociale_kaart.models import CourseParticipation, Opgave, Schedule

READ_PAGES = ["/inzicht/", "/inzicht/dekking", "/inzicht/opgaven", "/inzicht/kwaliteit",
              "/inzicht/aanbod?q=inloop", "/inzicht/rapport.csv"]
WRITE_PAGES = ["/inzicht/opgaven/bewerken", "/inzicht/synoniem"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = build(tmp_path_factory.mktemp("access"))
    for email, role in [("consulent@inzicht.example", "consultant"),
                        ("moderator@inzicht.example", "moderator"),
                        ("coordinator@inzicht.example", "coordinator")]:
        add_user(world.app, email, role)
    return world


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("email", ["consulent@inzicht.example", "moderator@inzicht.example",
                                   "coordinator@inzicht.example"])
def test_other_roles_are_refused(world, email):
    client = client_for(world.app, email)
    for path in READ_PAGES + WRITE_PAGES:
        assert client.get(path).status_code == 403, path


def test_anonymous_goes_to_login(world):
    client = world.app.test_client()
    for path in READ_PAGES + WRITE_PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/account/inloggen" in response.location


def test_analist_reads_but_never_edits(world):
    client = client_for(world.app, ANALIST)
    home = client.get("/account/")
    assert home.status_code == 302 and home.location.endswith("/inzicht/")
    for path in READ_PAGES:
        assert client.get(path).status_code == 200, path
    token = _token(client.get("/inzicht/").get_data(as_text=True))
    for path in WRITE_PAGES:
        assert client.get(path).status_code == 403
        assert client.post(path, data={"csrf_token": token, "naam-nieuw": "X",
                                       "termen-nieuw": "levensgebied:geld", "term": "x",
                                       "synonyms": "y", "section": "algemeen"}
                           ).status_code == 403
    page = client.get("/inzicht/opgaven").get_data(as_text=True)
    assert "/inzicht/opgaven/bewerken" not in page
    assert ">Inzicht<" in page  # the navigation link


def _opgaven(world) -> list[tuple[str, list[str]]]:
    with world.app.extensions["sociale_kaart.db"].session() as session:
        return [(o.name, list(o.terms)) for o in
                session.query(Opgave).order_by(Opgave.position, Opgave.id)]


def test_beheerder_edits_the_opgaven_table(world):
    client = client_for(world.app, BEHEERDER)
    page = client.get("/inzicht/opgaven/bewerken").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'name="naam-(\d+)"', page)]
    assert len(ids) == 6
    before = _opgaven(world)
    form = {"csrf_token": _token(page)}
    for opgave_id, (name, terms) in zip(ids, before, strict=True):
        form[f"naam-{opgave_id}"] = name
        form[f"termen-{opgave_id}"] = ", ".join(terms)
    bad = {**form, f"termen-{ids[0]}": "levensgebied:psychisch, levensgebied:bestaatniet"}
    response = client.post("/inzicht/opgaven/bewerken", data=bad)
    assert response.status_code == 400
    message = response.get_data(as_text=True)
    assert "Rij 1" in message and "levensgebied:bestaatniet" in message
    assert _opgaven(world) == before  # nothing stored
    good = {**form, f"naam-{ids[0]}": "Algemeen maatschappelijk werk", f"weg-{ids[1]}": "1",
            "naam-nieuw": "Jongerenwerk", "termen-nieuw": "levensgebied:jongeren; thema:opgroeien"}
    response = client.post("/inzicht/opgaven/bewerken", data=good)
    assert response.status_code == 302
    after = _opgaven(world)
    assert after[0] == ("Algemeen maatschappelijk werk", before[0][1])
    assert before[1][0] not in [name for name, _ in after]
    assert after[-1] == ("Jongerenwerk", ["levensgebied:jongeren", "thema:opgroeien"])
    indicators = client.get("/inzicht/opgaven").get_data(as_text=True)
    assert "Jongerenwerk" in indicators and "Algemeen maatschappelijk werk" in indicators
    duplicate = {**good, "naam-nieuw": "Jongerenwerk", "termen-nieuw": "levensgebied:geld"}
    page = client.get("/inzicht/opgaven/bewerken").get_data(as_text=True)
    duplicate["csrf_token"] = _token(page)
    for opgave_id, (name, terms) in zip(re.findall(r'name="naam-(\d+)"', page), after,
                                        strict=True):
        duplicate[f"naam-{opgave_id}"] = name
        duplicate[f"termen-{opgave_id}"] = ", ".join(terms)
    response = client.post("/inzicht/opgaven/bewerken", data=duplicate)
    assert response.status_code == 400 and "staat er al" in response.get_data(as_text=True)


def test_add_a_synonym_makes_a_zero_result_search_find(world):
    client = client_for(world.app, BEHEERDER)
    query = "praatpaleis"
    assert "Inloop Almkerk" not in client.get(f"/zoeken?q={query}").get_data(as_text=True)
    page = client.get(f"/inzicht/synoniem?term={query}").get_data(as_text=True)
    assert f'value="{query}"' in page
    bad = client.post("/inzicht/synoniem", data={"csrf_token": _token(page), "term": query,
                                                 "synonyms": "inloop = koffie",
                                                 "section": "ontmoeting"})
    assert bad.status_code == 400
    assert "Dit kan niet in de thesaurus" in bad.get_data(as_text=True)
    assert not local_file(world.app.extensions["sociale_kaart.settings"]).exists()
    response = client.post("/inzicht/synoniem", data={
        "csrf_token": _token(page), "term": query, "synonyms": "inloop",
        "section": "ontmoeting", "kind": "synonym"})
    assert response.status_code == 302
    written = local_file(world.app.extensions["sociale_kaart.settings"]).read_text("utf-8")
    assert "[ontmoeting]\npraatpaleis, inloop\n" in written
    assert "Inloop Almkerk" in client.get(f"/zoeken?q={query}").get_data(as_text=True)
    # A restarted site loads the local file too.
    fresh = create_app(world.app.extensions["sociale_kaart.settings"]).test_client()
    assert "Inloop Almkerk" in fresh.get(f"/zoeken?q={query}").get_data(as_text=True)


def test_participants_for_a_held_session(world):
    client = client_for(world.app, BEHEERDER)
    service_id = world.ids["cursus"]
    with world.app.extensions["sociale_kaart.db"].session() as session:
        sessions = {s.dtstart: s.id for s in session.query(Schedule).filter(
            Schedule.service_id == service_id, Schedule.dtstart.is_not(None))}
    held, future = sessions[date(2026, 3, 2)], sessions[date(2026, 12, 1)]
    page = client.get(f"/aanbieder/aanbod/{service_id}/cursusdata").get_data(as_text=True)
    assert f'id="deelnemers-{held}"' in page and f'id="deelnemers-{future}"' not in page
    assert 'value="9"' in page  # what was entered before
    token = _token(page)
    url = f"/aanbieder/aanbod/{service_id}/cursusdata/{{}}/deelnemers"
    response = client.post(url.format(held), data={"csrf_token": token, "participants": "11"},
                           follow_redirects=True)
    assert "Het aantal deelnemers is opgeslagen" in response.get_data(as_text=True)
    for schedule, value, message in [(held, "elf", "heel getal"), (held, "-3", "heel getal"),
                                     (future, "4", "begonnen"), ("bestaat-niet", "4",
                                                                  "bestaat niet")]:
        response = client.post(url.format(schedule), data={"csrf_token": token,
                                                             "participants": value},
                               follow_redirects=True)
        assert message in response.get_data(as_text=True), (schedule, value)
    with world.app.extensions["sociale_kaart.db"].session() as session:
        stored = {p.schedule_id: p.participants for p in session.query(CourseParticipation)}
    assert stored[held] == 11 and future not in stored
    indicators = client_for(world.app, ANALIST).get(
        "/inzicht/opgaven", query_string={"van": "2026-01-01", "tot": TODAY.isoformat()})
    assert indicators.status_code == 200


def test_dashboard_shows_the_insight_link_only_to_its_readers(world):
    client = client_for(world.app, "consulent@inzicht.example")
    assert ">Inzicht<" not in client.get("/").get_data(as_text=True)
    assert text(client_for(world.app, BEHEERDER).get("/inzicht/").get_data(as_text=True),
                "cijfer-zoekopdrachten")
