"""``GET /api/v1/vrijwilligerswerk``: public vacatures and hulpaanbod, with the same parameter
style and JSON error contract as ``/api/v1/search``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kit_volunteer import NOW, live_hulpvraag, live_vacancy, make_app


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("volunteer-api")
    app = make_app(tmp / "instance", tmp)
    ids = {"vacancy": live_vacancy(app),
           "veghel": live_vacancy(app, title="Maatje in Veghel", themes=("gezelschap",),
                                  kern="Veghel", schedule_kind="eenmalig",
                                  date_on=(NOW + timedelta(days=5)).date()),
           "hulpvraag": live_hulpvraag(app)}
    return app.test_client(), ids


def test_results_have_public_fields_only(world):
    client, ids = world
    body = client.get("/api/v1/vrijwilligerswerk?q=chauffeur").get_json()
    assert body["total"] == 1 and body["page"] == 1 and body["per_page"] == 20
    hit = body["results"][0]
    assert hit["id"] == ids["vacancy"] and hit["type"] == "vacature"
    assert hit["organization"]["name"] and hit["kern"] == "Woudrichem"
    assert hit["when"]["kind"] == "regelmatig" and hit["when"]["dagdelen"] == ["di-ochtend"]
    assert hit["requirements"]["licence"] is True
    assert hit["url"].endswith(f"/vrijwilligers/oproep/{ids['vacancy']}")
    for private in ("contact_phone", "contact_email", "contact_name", "owner", "consent_text"):
        assert private not in hit
    assert "0183 111 222" not in str(body) and "planner@buurtbus.example" not in str(body)


def test_hulpvragen_never_appear(world):
    client, ids = world
    body = client.get("/api/v1/vrijwilligerswerk?per_page=100").get_json()
    assert {hit["type"] for hit in body["results"]} == {"vacature"}
    assert ids["hulpvraag"] not in [hit["id"] for hit in body["results"]]


def test_place_in_the_query_and_near(world):
    client, ids = world
    body = client.get("/api/v1/vrijwilligerswerk?q=chauffeur+Woudrichem").get_json()
    assert body["place"]["name"] == "Woudrichem" and body["place"]["from_query"] is True
    body = client.get("/api/v1/vrijwilligerswerk?near=Veghel&km=3").get_json()
    assert [hit["id"] for hit in body["results"]] == [ids["veghel"]]
    assert body["place"]["from_query"] is False


@pytest.mark.parametrize("query, param", [
    ("type=hulpvraag", "type"),
    ("theme=onbekend", "theme"),
    ("when=soms", "when"),
    ("km=5", "km"),
    ("near=Veghel&km=abc", "km"),
    ("near=Xqzplaats", "near"),
    ("page=0", "page"),
    ("per_page=1000", "per_page"),
    ("from_home=misschien", "from_home"),
    ("q=" + "a" * 501, "q"),
    ("q=a&q=b", "q"),
])
def test_errors_follow_the_search_api_contract(world, query, param):
    client, _ids = world
    response = client.get(f"/api/v1/vrijwilligerswerk?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["param"] == param and error["message"]
    same_style = client.get("/api/v1/search?km=5").get_json()
    assert set(same_style["error"]) == set(error)


def test_filters_and_paging(world):
    client, ids = world
    body = client.get("/api/v1/vrijwilligerswerk?when=eenmalig").get_json()
    assert [hit["id"] for hit in body["results"]] == [ids["veghel"]]
    body = client.get("/api/v1/vrijwilligerswerk?theme=vervoer,gezelschap&per_page=1&page=2")
    assert body.get_json()["total"] == 2 and len(body.get_json()["results"]) == 1
