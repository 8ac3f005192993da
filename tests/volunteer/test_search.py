"""Finding listings with the kaart's Dutch analysis: places in the query, typos, filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kit_volunteer import NOW, db_of, live_hulpvraag, live_vacancy, make_app
from sqlalchemy import text

from sociale_kaart.volunteer.search import UnknownPlace, VolunteerQuery, search_listings


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("volunteer-search")
    app = make_app(tmp / "instance", tmp)
    ids = {
        "chauffeur": live_vacancy(app),
        "veghel": live_vacancy(app, title="Chauffeur ouderenvervoer Veghel", kern="Veghel",
                               municipality="Meierijstad"),
        "tuin": live_vacancy(app, title="Tuinman voor de pastorie", themes=("tuin",),
                             description="Snoeien en maaien rond de kerk.", kern="Almkerk",
                             schedule_kind="eenmalig", date_on=(NOW + timedelta(days=9)).date(),
                             suitable_for=("jongeren",), requires_licence=False),
        "online": live_vacancy(app, title="Penningmeester", themes=("bestuur",),
                               description="De boekhouding van de vereniging.", mode="online",
                               kern=None, schedule_kind="flexibel"),
        "old": live_vacancy(app, title="Chauffeur die verloopt",
                            list_until=(NOW + timedelta(days=2)).date()),
        "hulpvraag": live_hulpvraag(app),
    }
    app.extensions["test_ids"] = ids
    return app


def _ids(app, today=None, **query) -> list[int]:
    with db_of(app).session() as session:
        result = search_listings(session, VolunteerQuery(**query), today=today or NOW.date())
        return [hit.listing.id for hit in result.hits]


@pytest.fixture
def ids(app):
    return app.extensions["test_ids"]


def test_chauffeur_woudrichem_finds_the_vacancy_in_woudrichem_only(app, ids):
    with db_of(app).session() as session:
        result = search_listings(session, VolunteerQuery(q="chauffeur Woudrichem"),
                                 today=NOW.date())
        assert result.place.name == "Woudrichem" and result.place_from_query
        found = [hit.listing.id for hit in result.hits]
    assert ids["chauffeur"] in found and ids["veghel"] not in found
    assert ids["online"] not in found  # online, but not about driving


def test_typos_are_corrected(app, ids):
    with db_of(app).session() as session:
        result = search_listings(session, VolunteerQuery(q="chaufeur"), today=NOW.date())
    assert result.suggestion == "chauffeur"
    assert ids["chauffeur"] in [hit.listing.id for hit in result.hits]


def test_hulpvragen_only_when_the_caller_allows_them(app, ids):
    assert ids["hulpvraag"] not in _ids(app)
    assert ids["hulpvraag"] in _ids(app, types=("hulpvraag",))


@pytest.mark.parametrize("query, expected, absent", [
    ({"themes": ("tuin",)}, ["tuin"], ["chauffeur"]),
    ({"when": ("eenmalig",)}, ["tuin"], ["chauffeur"]),
    ({"suitable": ("jongeren",)}, ["tuin"], ["chauffeur"]),
    ({"from_home": True}, ["online"], ["chauffeur", "tuin"]),
    ({"near": "Veghel", "km": 5.0}, ["veghel", "online"], ["chauffeur"]),
    ({"dagdelen": ("di-ochtend",)}, ["chauffeur"], []),
])
def test_filters(app, ids, query, expected, absent):
    found = _ids(app, **query)
    assert all(ids[name] in found for name in expected), (query, found)
    assert not any(ids[name] in found for name in absent), (query, found)


def test_expired_listings_disappear_by_themselves(app, ids):
    assert ids["old"] in _ids(app, q="chauffeur")
    assert ids["old"] not in _ids(app, today=(NOW + timedelta(days=3)).date(), q="chauffeur")


def test_unknown_place_from_the_search(app):
    with db_of(app).session() as session, pytest.raises(UnknownPlace):
        search_listings(session, VolunteerQuery(near="Xqzplaats"), today=NOW.date())


def test_a_write_elsewhere_reaches_the_cached_index(tmp_path):
    """The search keeps analysed listings in memory; a change made outside this process's ORM
    (plain SQL, as another worker would) must still show on the next search."""
    app = make_app(tmp_path / "instance", tmp_path)
    listing_id = live_vacancy(app, title="Chauffeur voor de buurtbus")
    assert listing_id in _ids(app, q="buurtbus")
    with db_of(app).engine.begin() as connection:
        connection.execute(text("UPDATE volunteer_listing SET title = 'Tuinman gezocht', "
                                "updated_at = :later WHERE id = :id"),
                           {"later": NOW + timedelta(days=400), "id": listing_id})
    assert listing_id not in _ids(app, q="buurtbus")
    assert listing_id in _ids(app, q="tuinman")
    with db_of(app).engine.begin() as connection:
        connection.execute(text("UPDATE volunteer_listing SET status = 'closed' WHERE id = :id"),
                           {"id": listing_id})
    assert listing_id not in _ids(app, q="tuinman")
