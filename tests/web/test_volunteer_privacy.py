"""Privacy acceptance tests of issue 9: fixture people's private values never appear in an
anonymous page, the public API, the anonymous search or the logs; a volunteer gets 403 on a
help seeker's contact before acceptance."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from kit_portal import COURSE, OTHER
from kit_volunteer import (
    CLIENT,
    HELPER,
    PASSWORD,
    PRIVATE_VALUES,
    PROVIDER,
    SEEKER,
    client_hulpvraag,
    db_of,
    live_hulpvraag,
    live_vacancy,
    login,
    make_app,
    token_of,
)

from sociale_kaart.models import Response


def _needles() -> list[str]:
    """Each private value as it could be written: dates also the Dutch way."""
    out = []
    for value in PRIVATE_VALUES:
        if isinstance(value, date):
            out += [value.isoformat(), f"{value.day}-{value.month}-{value.year}",
                    value.strftime("%d-%m-%Y")]
        else:
            out += [str(value), str(value).replace(" ", "")]
    return out


def _leaks(text: str) -> list[str]:
    low = text.lower()
    return [n for n in _needles() if n.lower() in low]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("volunteer-privacy")
    app = make_app(tmp / "instance", tmp)
    ids = {"vacancy": live_vacancy(app), "hulpvraag": live_hulpvraag(app),
           "client": client_hulpvraag(app)}
    return app, ids


def _anonymous_urls(ids) -> list[str]:
    return ["/", "/vrijwilligers/", "/vrijwilligers/?q=boodschappen",
            "/vrijwilligers/?q=Werkendam", "/vrijwilligers/?type=hulpvraag",
            "/vrijwilligers/?near=Almkerk&km=50", "/vrijwilligers/aanmelden",
            f"/vrijwilligers/oproep/{ids['vacancy']}", f"/vrijwilligers/oproep/{ids['hulpvraag']}",
            f"/vrijwilligers/oproep/{ids['client']}", f"/aanbod/{COURSE['id']}",
            f"/aanbod/{OTHER['id']}", "/api/v1/vrijwilligerswerk",
            "/api/v1/vrijwilligerswerk?q=boodschappen", "/api/v1/vrijwilligerswerk?per_page=100",
            "/api/v1/vrijwilligerswerk?type=hulpvraag",
            "/api/v1/search?q=boodschappen", "/zoeken?q=boodschappen"]


def test_no_private_value_on_any_anonymous_page_or_in_the_api(world):
    app, ids = world
    client = app.test_client()
    problems = []
    for url in _anonymous_urls(ids):
        response = client.get(url, follow_redirects=True)
        assert response.status_code < 500, url
        found = _leaks(response.get_data(as_text=True))
        if found:
            problems.append((url, found))
    assert problems == []


def test_hulpvragen_are_not_in_the_anonymous_search_or_api(world):
    app, ids = world
    client = app.test_client()
    for url in ("/vrijwilligers/?q=boodschappen", "/vrijwilligers/?q=Werkendam",
                "/api/v1/vrijwilligerswerk?q=boodschappen", "/api/v1/vrijwilligerswerk"):
        text = client.get(url).get_data(as_text=True)
        assert f"/vrijwilligers/oproep/{ids['hulpvraag']}" not in text, url
        assert "Wie helpt mij met boodschappen" not in text, url
    assert client.get("/api/v1/vrijwilligerswerk?type=hulpvraag").status_code == 400


def test_a_volunteer_gets_403_on_the_help_seekers_contact_before_acceptance(world):
    app, ids = world
    helper = app.test_client()
    login(helper, HELPER["email"], PASSWORD)
    page = helper.get(f"/vrijwilligers/oproep/{ids['hulpvraag']}").get_data(as_text=True)
    assert _leaks(page) == []
    helper.post(f"/vrijwilligers/oproep/{ids['hulpvraag']}/reageren",
                data={"csrf_token": token_of(page), "message": "Ik kan dinsdag."})
    with db_of(app).session() as session:
        response_id = session.query(Response).filter_by(listing_id=ids["hulpvraag"]).one().id
    contact = helper.get(f"/vrijwilligers/reactie/{response_id}/contact")
    assert contact.status_code == 403
    assert SEEKER["phone"] not in contact.get_data(as_text=True)
    provider = app.test_client()
    login(provider, PROVIDER, PASSWORD)
    assert provider.get(f"/vrijwilligers/reactie/{response_id}/contact").status_code == 403


def test_no_private_value_in_the_logs(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    app = make_app(tmp_path / "instance", tmp_path)
    ids = {"vacancy": live_vacancy(app), "hulpvraag": live_hulpvraag(app),
           "client": client_hulpvraag(app)}
    client = app.test_client()
    for url in _anonymous_urls(ids):
        client.get(url)
    seeker, helper = app.test_client(), app.test_client()
    login(seeker, SEEKER["email"], PASSWORD)
    login(helper, HELPER["email"], PASSWORD)
    page = helper.get(f"/vrijwilligers/oproep/{ids['hulpvraag']}").get_data(as_text=True)
    helper.post(f"/vrijwilligers/oproep/{ids['hulpvraag']}/reageren",
                data={"csrf_token": token_of(page)})
    with db_of(app).session() as session:
        response_id = session.query(Response).one().id
    seeker.post(f"/vrijwilligers/reactie/{response_id}/accepteren",
                data={"csrf_token": token_of(seeker.get("/vrijwilligers/").get_data(
                    as_text=True))})
    assert helper.get(f"/vrijwilligers/reactie/{response_id}/contact").status_code == 200
    seeker.get("/vrijwilligers/mijn/gegevens.json")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged.strip(), "the flow logs something, so the check means something"
    assert _leaks(logged) == []
    assert CLIENT["full_name"] not in logged
