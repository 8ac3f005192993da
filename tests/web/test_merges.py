"""Issue 8, duplicates across sources through HTTP: an import that brings a listing we already
hold leaves a proposal; the beheerder merges it (picking per field) or keeps both; the decision
is remembered, so importing the same file again asks nothing. Beheerders only, with CSRF."""

from __future__ import annotations

import pytest
from conftest import SAMPLE_JSON
from kit_portal import db_of, login, make_app, token_of
from sqlalchemy import func, select

from sociale_kaart.models import ChangeRecord, MergeProposal, Service, ServiceSource
from sociale_kaart.services.import_report import run_import
from sociale_kaart.services.imports import import_paths

TAALHUIS = "fef051f0-e7fe-49ac-8d84-68f97cd4c75d"  # Taalhuis Werkendam in the sample data
LIST = ("Naam activiteit;Organisatie;Dag;Tijd;Adres;Postcode;Plaats;Telefoon\n"
        "Taalhuis Werkendam;Bibliotheek Dijkenland;woensdag;10-12;Hoogstraat 12;4251 XW;"
        "Werkendam;0183-502460\n")


@pytest.fixture
def app(instance, tmp_path, monkeypatch):
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    app = make_app(instance, tmp_path)
    import_paths(db_of(app), [SAMPLE_JSON], load_plugins=False)
    return app


@pytest.fixture
def listing(tmp_path):
    path = tmp_path / "activiteiten.csv"
    path.write_text(LIST, encoding="utf-8")
    return path


def count(app, model) -> int:
    with db_of(app).session() as session:
        return session.scalar(select(func.count()).select_from(model))


def proposal_id(app, listing) -> int:
    run = run_import(db_of(app), [listing], load_plugins=False)
    assert [e.status for e in run.entries] == ["duplicate"]
    with db_of(app).session() as session:
        return session.scalars(select(MergeProposal.id).where(
            MergeProposal.status == "open")).one()


def beheerder(app):
    client = app.test_client()
    login(client, "beheer@gemeente.example")
    return client


def test_proposal_is_listed_with_source_row_reasons_and_score(app, listing):
    pid = proposal_id(app, listing)
    client = beheerder(app)
    assert "1 voorstel om dubbel aanbod samen te voegen" in \
        client.get("/beheer/").get_data(as_text=True)
    page = client.get("/beheer/dubbelen").get_data(as_text=True)
    assert f"/beheer/dubbelen/{pid}" in page and "activiteiten.csv" in page
    assert "rij 2" in page and "zelfde adres" in page and "naam lijkt voor 100% op elkaar" in page
    detail = client.get(f"/beheer/dubbelen/{pid}").get_data(as_text=True)
    assert "<legend>Telefoon</legend>" in detail and "183502460" in detail
    assert 'name="keuze-phones"' in detail and 'value="incoming"' in detail
    assert detail.count('value="existing" checked') == detail.count('name="keuze-') // 2


def test_merge_takes_the_picked_fields_into_the_existing_listing(app, listing):
    pid = proposal_id(app, listing)
    services = count(app, Service)
    client = beheerder(app)
    page = client.get(f"/beheer/dubbelen/{pid}").get_data(as_text=True)
    response = client.post(f"/beheer/dubbelen/{pid}/samenvoegen",
                           data={"csrf_token": token_of(page), "keuze-phones": "incoming"})
    assert response.status_code == 302
    assert count(app, Service) == services  # no new listing
    with db_of(app).session() as session:
        service = session.get(Service, TAALHUIS)
        assert [p.number for p in service.phones] == ["+31183502460"]
        assert service.name == "Taalhuis Werkendam"
        proposal = session.get(MergeProposal, pid)
        assert proposal.status == "merged" and proposal.choices["phones"] == "incoming"
        assert set(proposal.choices.values()) == {"existing", "incoming"}
        record = session.scalars(select(ChangeRecord).where(
            ChangeRecord.service_id == TAALHUIS, ChangeRecord.action == "merge")).one()
        assert record.actor == "beheer@gemeente.example" and not record.before["phones"]
        sources = {(s.source, s.source_kind): s.source_record_id
                   for s in session.scalars(select(ServiceSource).where(
                       ServiceSource.service_id == TAALHUIS))}
        assert sources[("activiteiten.csv", "import")] == "2"  # the row number
        assert ("services.json", "import") in sources and ("portal", "beheerder") in sources
    history = client.get(f"/beheer/aanbod/{TAALHUIS}/geschiedenis").get_data(as_text=True)
    assert "activiteiten.csv" in history and "samengevoegd met dubbel aanbod" in history
    # the same file again: remembered, not proposed again, nothing created
    again = run_import(db_of(app), [listing], load_plugins=False)
    assert [e.status for e in again.entries] == ["duplicate"]
    assert count(app, MergeProposal) == 1 and count(app, Service) == services
    assert "Er wachten geen voorstellen" in client.get("/beheer/dubbelen").get_data(as_text=True)


def test_keep_both_creates_the_incoming_listing_and_is_remembered(app, listing):
    pid = proposal_id(app, listing)
    services = count(app, Service)
    client = beheerder(app)
    page = client.get(f"/beheer/dubbelen/{pid}").get_data(as_text=True)
    response = client.post(f"/beheer/dubbelen/{pid}/beide-houden",
                           data={"csrf_token": token_of(page)})
    assert response.status_code == 302
    assert count(app, Service) == services + 1
    with db_of(app).session() as session:
        proposal = session.get(MergeProposal, pid)
        assert proposal.status == "kept_both"
        new = session.get(Service, proposal.incoming_id)
        assert new is not None and new.name == "Taalhuis Werkendam"
        assert session.scalars(select(ServiceSource.source).where(
            ServiceSource.service_id == new.id, ServiceSource.source_kind == "import")).all() \
            == ["activiteiten.csv"]
    assert client.get(f"/aanbod/{proposal.incoming_id}").status_code == 200
    again = run_import(db_of(app), [listing], load_plugins=False)
    assert [e.status for e in again.entries] == ["unchanged"]
    assert count(app, MergeProposal) == 1 and count(app, Service) == services + 1


def test_a_decided_proposal_cannot_be_decided_again(app, listing):
    pid = proposal_id(app, listing)
    client = beheerder(app)
    token = token_of(client.get(f"/beheer/dubbelen/{pid}").get_data(as_text=True))
    client.post(f"/beheer/dubbelen/{pid}/samenvoegen", data={"csrf_token": token})
    services = count(app, Service)
    response = client.post(f"/beheer/dubbelen/{pid}/beide-houden", data={"csrf_token": token})
    assert response.status_code == 302 and count(app, Service) == services
    assert "al besloten" in client.get(f"/beheer/dubbelen/{pid}").get_data(as_text=True)


@pytest.mark.parametrize("email", ["moderator@gemeente.example", "consulent@gemeente.example",
                                   "aanbieder@cursus.example", None])
def test_only_beheerders_see_and_decide(app, listing, email):
    pid = proposal_id(app, listing)
    client = app.test_client()
    if email:
        login(client, email)
    token = token_of(client.get("/account/inloggen").get_data(as_text=True))
    urls = [("get", "/beheer/dubbelen"), ("get", f"/beheer/dubbelen/{pid}"),
            ("post", f"/beheer/dubbelen/{pid}/samenvoegen"),
            ("post", f"/beheer/dubbelen/{pid}/beide-houden")]
    for method, url in urls:
        response = getattr(client, method)(url, data={"csrf_token": token,
                                                      "keuze-phones": "incoming"})
        if email is None:
            assert response.status_code == 302, url
            assert "/account/inloggen" in response.headers["Location"]
        else:
            assert response.status_code == 403, (email, url)
    if email == "moderator@gemeente.example":  # no link to a page they may not open
        assert "/beheer/dubbelen" not in client.get("/beheer/").get_data(as_text=True)
    with db_of(app).session() as session:
        assert session.get(MergeProposal, pid).status == "open"


def test_decisions_need_the_csrf_token(app, listing):
    pid = proposal_id(app, listing)
    services = count(app, Service)
    client = beheerder(app)
    for action in ("samenvoegen", "beide-houden"):
        response = client.post(f"/beheer/dubbelen/{pid}/{action}",
                               data={"keuze-phones": "incoming"})
        assert response.status_code == 400
    assert count(app, Service) == services
    with db_of(app).session() as session:
        assert session.get(MergeProposal, pid).status == "open"
        assert not session.get(Service, TAALHUIS).phones
