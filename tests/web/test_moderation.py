"""Issue 5, moderation and audit end to end through HTTP: a provider's change waits, residents
keep seeing the published version, a moderator publishes or rejects (with a reason that goes to
the provider), and a beheerder reads a listing's history and reverts it. Only the allowed roles
succeed; the others get 403 or the login page, and nothing changes."""

from __future__ import annotations

import re

import pytest
from kit_portal import COURSE, db_of, login, make_app, post_edit, token_of
from sqlalchemy import func, select

from sociale_kaart.models import ChangeRecord, PendingChange, Service
from sociale_kaart.services import editing

NEW_TEXT = "Zwemles voor kikkervisjes, elke zaterdag in het bad."


@pytest.fixture
def app(instance, tmp_path, monkeypatch):
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    monkeypatch.delenv("SOCIALE_KAART_SMTP_HOST", raising=False)
    return make_app(instance, tmp_path)


def resident_sees(app, text: str) -> tuple[bool, int]:
    """Whether the public detail page shows ``text``, and how many API hits 'kikkervisjes'
    gets."""
    client = app.test_client()
    page = client.get(f"/aanbod/{COURSE['id']}").get_data(as_text=True)
    total = client.get("/api/v1/search", query_string={"q": "kikkervisjes"}).get_json()["total"]
    return text in page, total


def propose(app) -> int:
    """The provider changes the description; returns the waiting change's id."""
    provider = app.test_client()
    login(provider, "aanbieder@cursus.example")
    assert post_edit(provider, COURSE["id"], description=NEW_TEXT).status_code == 302
    with db_of(app).session() as session:
        return session.scalars(select(PendingChange.id)).one()


def moderator(app):
    client = app.test_client()
    login(client, "moderator@gemeente.example")
    return client


def test_moderator_publishes_and_residents_then_see_the_new_text(app):
    pending_id = propose(app)
    assert resident_sees(app, NEW_TEXT) == (False, 0)
    client = moderator(app)
    dashboard = client.get("/beheer/").get_data(as_text=True)
    assert "1 wijziging wacht op controle" in dashboard
    queue = client.get("/beheer/moderatie").get_data(as_text=True)
    assert f"/beheer/moderatie/{pending_id}" in queue and COURSE["name"] in queue
    detail = client.get(f"/beheer/moderatie/{pending_id}").get_data(as_text=True)
    row = re.search(r"<tr><th scope=\"row\">Omschrijving</th><td>(.*?)</td><td>(.*?)</td>",
                    detail, re.S)
    assert row and COURSE["description"][:40] in row.group(1) and NEW_TEXT in row.group(2)
    assert "aanbieder@cursus.example" in detail
    response = client.post(f"/beheer/moderatie/{pending_id}/plaatsen",
                           data={"csrf_token": token_of(detail)})
    assert response.status_code == 302
    assert resident_sees(app, NEW_TEXT) == (True, 1)
    with db_of(app).session() as session:
        assert session.get(PendingChange, pending_id).status == "published"
        record = session.scalars(select(ChangeRecord).where(
            ChangeRecord.action == "publish")).one()
        assert (record.source, record.actor) == ("moderator", "moderator@gemeente.example")
        assert record.before["description"] == COURSE["description"]
        assert record.after["description"] == NEW_TEXT


def test_reject_needs_a_reason_which_reaches_the_provider(app, monkeypatch):
    pending_id = propose(app)
    sent = []
    monkeypatch.setattr(editing, "send_mail",
                        lambda settings, to, subject, body: sent.append((to, body)) or True)
    client = moderator(app)
    detail = client.get(f"/beheer/moderatie/{pending_id}").get_data(as_text=True)
    token = token_of(detail)
    empty = client.post(f"/beheer/moderatie/{pending_id}/afwijzen",
                        data={"csrf_token": token, "reason": "  "})
    assert empty.status_code == 400
    assert "Schrijf waarom u de wijziging afwijst" in empty.get_data(as_text=True)
    assert 'aria-describedby="reason-uitleg reason-fout"' in empty.get_data(as_text=True)
    response = client.post(f"/beheer/moderatie/{pending_id}/afwijzen",
                           data={"csrf_token": token, "reason": "Te veel reclame."})
    assert response.status_code == 302
    assert sent and sent[0][0] == "aanbieder@cursus.example"
    assert "Te veel reclame." in sent[0][1]
    assert resident_sees(app, NEW_TEXT) == (False, 0)
    provider = app.test_client()
    login(provider, "aanbieder@cursus.example")
    assert "Te veel reclame." in provider.get("/aanbieder/").get_data(as_text=True)
    with db_of(app).session() as session:
        pending = session.get(PendingChange, pending_id)
        assert (pending.status, pending.reason) == ("rejected", "Te veel reclame.")


def test_history_and_revert_by_a_beheerder(app):
    propose(app)
    client = moderator(app)
    with db_of(app).session() as session:
        pending_id = session.scalars(select(PendingChange.id)).one()
    detail = client.get(f"/beheer/moderatie/{pending_id}").get_data(as_text=True)
    client.post(f"/beheer/moderatie/{pending_id}/plaatsen", data={"csrf_token": token_of(detail)})
    beheer = app.test_client()
    login(beheer, "beheer@gemeente.example")
    page = beheer.get(f"/beheer/aanbod/{COURSE['id']}/geschiedenis").get_data(as_text=True)
    assert "moderator@gemeente.example" in page and "goedgekeurd en geplaatst" in page
    assert "few.json" in page and "toegevoegd" in page  # the import
    with db_of(app).session() as session:
        publish_id = session.scalars(select(ChangeRecord.id).where(
            ChangeRecord.action == "publish")).one()
    action = f"/beheer/aanbod/{COURSE['id']}/geschiedenis/{publish_id}/terugzetten"
    assert action in page
    response = beheer.post(action, data={"csrf_token": token_of(page), "use": "before"})
    assert response.status_code == 302
    assert resident_sees(app, COURSE["description"][:40]) == (True, 0)
    with db_of(app).session() as session:
        record = session.scalars(select(ChangeRecord).where(
            ChangeRecord.action == "revert")).one()
        assert (record.source, record.actor) == ("beheerder", "beheer@gemeente.example")
        assert record.before["description"] == NEW_TEXT
        assert session.get(Service, COURSE["id"]).description == COURSE["description"]


def _snapshot(app) -> tuple:
    with db_of(app).session() as session:
        service = session.get(Service, COURSE["id"])
        return (service.description, service.version,
                session.scalar(select(func.count(ChangeRecord.id))),
                sorted(session.execute(select(PendingChange.id, PendingChange.status)).all()))


def _beheer_routes(pending_id: int, change_id: int) -> list[tuple[str, str, dict, str]]:
    """(method, path, data, least role) of every moderation and history route."""
    history = f"/beheer/aanbod/{COURSE['id']}/geschiedenis"
    return [
        ("GET", "/beheer/", {}, "moderator"),
        ("GET", "/beheer/moderatie", {}, "moderator"),
        ("GET", f"/beheer/moderatie/{pending_id}", {}, "moderator"),
        ("POST", f"/beheer/moderatie/{pending_id}/plaatsen", {}, "moderator"),
        ("POST", f"/beheer/moderatie/{pending_id}/afwijzen", {"reason": "Nee."}, "moderator"),
        ("GET", history, {}, "beheerder"),
        ("POST", f"{history}/{change_id}/terugzetten", {"use": "before"}, "beheerder"),
    ]


@pytest.mark.parametrize("email", ["aanbieder@cursus.example", "consulent@gemeente.example",
                                   "moderator@gemeente.example", None])
def test_only_allowed_roles_moderate_or_revert(app, email):
    pending_id = propose(app)
    with db_of(app).session() as session:
        change_id = session.scalars(select(ChangeRecord.id)).first()
    client = app.test_client()
    if email:
        login(client, email)
    token = token_of(client.get("/account/inloggen").get_data(as_text=True))
    before = _snapshot(app)
    for method, path, data, least in _beheer_routes(pending_id, change_id):
        if email == "moderator@gemeente.example" and least == "moderator":
            continue  # allowed: tested above
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data={**data, "csrf_token": token})
        if email is None:
            assert response.status_code == 302, path
            assert "/account/inloggen" in response.headers["Location"]
        else:
            assert response.status_code == 403, (email, path)
    assert _snapshot(app) == before


def test_moderation_posts_need_a_csrf_token(app):
    pending_id = propose(app)
    client = moderator(app)
    before = _snapshot(app)
    assert client.post(f"/beheer/moderatie/{pending_id}/plaatsen").status_code == 400
    assert client.post(f"/beheer/moderatie/{pending_id}/afwijzen",
                       data={"reason": "Nee."}).status_code == 400
    beheer = app.test_client()
    login(beheer, "beheer@gemeente.example")
    with db_of(app).session() as session:
        change_id = session.scalars(select(ChangeRecord.id)).first()
    assert beheer.post(f"/beheer/aanbod/{COURSE['id']}/geschiedenis/{change_id}/terugzetten",
                       data={"use": "after"}).status_code == 400
    assert _snapshot(app) == before
