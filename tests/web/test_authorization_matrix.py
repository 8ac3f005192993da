"""Every write route × every kind of visitor: only the allowed combinations get through.

Anonymous visitors are sent to the login page, signed-in accounts without the right role or
organisation get 403, and in both cases nothing in the database changes. The public report
form, signing in and out and the password links are open to everyone by design and are
tested elsewhere.
"""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from kit_portal import COURSE, ORG, PASSWORD, db_of, login, make_app, token_of

from sociale_kaart.models import PendingChange, Report, User

ROLES = {
    "anonymous": None,
    "provider of the organisation": "aanbieder@cursus.example",
    "provider of another organisation": "aanbieder@ander.example",
    "consultant": "consulent@gemeente.example",
    "moderator": "moderator@gemeente.example",
    "beheerder": "beheer@gemeente.example",
}
EDITORS = {"provider of the organisation", "moderator", "beheerder"}
STAFF = {"moderator", "beheerder"}

SERVICE = COURSE["id"]
COURSE_SCHEDULE = next(s["id"] for s in COURSE["schedules"] if s.get("dtstart"))

#: route (with placeholders filled by the fixture) -> roles that may use it
ROUTES = {
    f"/aanbieder/aanbod/{SERVICE}/bewerken": EDITORS,
    "/aanbieder/aanbod/nieuw": EDITORS,
    f"/aanbieder/aanbod/{SERVICE}/cursusdata": EDITORS,
    f"/aanbieder/aanbod/{SERVICE}/cursusdata/{COURSE_SCHEDULE}": EDITORS,
    f"/aanbieder/aanbod/{SERVICE}/cursusdata/{COURSE_SCHEDULE}/afgelasten": EDITORS,
    f"/aanbieder/aanbod/{SERVICE}/niet-actief": EDITORS,
    f"/aanbieder/aanbod/{SERVICE}/nog-juist": EDITORS,
    "/aanbieder/meldingen/{report}/afgehandeld": {"provider of the organisation"},
    "/beheer/meldingen/{report}/afgehandeld": STAFF,
    "/beheer/moderatie/{pending}/plaatsen": STAFF,
    "/beheer/moderatie/{pending}/afwijzen": STAFF,
    f"/beheer/aanbod/{SERVICE}/geschiedenis/{{change}}/terugzetten": {"beheerder"},
    "/beheer/gebruikers": {"beheerder"},
    "/beheer/gebruikers/{user}/uitnodigen": {"beheerder"},
    "/beheer/gebruikers/{user}/uitschakelen": {"beheerder"},
}
#: Enough form data for each route to do something real when allowed.
DATA = {
    "/aanbieder/aanbod/nieuw": {"organization": ORG, "name": "Nieuw aanbod",
                                "description": "Een nieuwe activiteit."},
    "/beheer/moderatie/{pending}/afwijzen": {"reason": "Klopt niet."},
    "/beheer/gebruikers": {"email": "nieuw@gemeente.example", "role": "consultant"},
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One instance for the whole matrix; each request's effect is checked by a digest."""
    tmp = tmp_path_factory.mktemp("matrix")
    app = make_app(tmp / "instance", tmp, login_rate_limit="10000 per minute")
    with db_of(app).session() as session:
        report = Report(service_id=SERVICE, reason="adres", comment=None)
        session.add(report)
        pending = PendingChange(service_id=SERVICE, organization_id=ORG, is_new=False,
                                base_version=1, proposed={"name": "Voorstel"})
        session.add(pending)
        session.flush()
        target_user = session.query(User).filter_by(email="aanbieder@ander.example").one()
        ids = {"report": report.id, "pending": pending.id, "user": target_user.id}
    from sqlalchemy import select

    from sociale_kaart.models import ChangeRecord

    with db_of(app).session() as session:
        ids["change"] = session.scalars(select(ChangeRecord.id).where(
            ChangeRecord.service_id == SERVICE)).first()
    assert ids["change"] is not None, "imports are audited, so there is a change to revert"
    return app, ids


def digest(app) -> str:
    path = app.extensions["sociale_kaart.settings"].database_path
    connection = sqlite3.connect(path)
    try:
        rows = []
        for (table,) in connection.execute(
                "select name from sqlite_master where type='table' order by name"):
            rows += [repr(r) for r in connection.execute(f'select * from "{table}"')]
        return hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()
    finally:
        connection.close()


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("route", list(ROUTES))
def test_write_route_by_role(world, route, role):
    app, ids = world
    url = route.format(**ids)
    client = app.test_client()
    if ROLES[role]:
        login(client, ROLES[role], PASSWORD)
    token = token_of(client.get("/account/inloggen").get_data(as_text=True)) \
        if not ROLES[role] else _any_token(client)
    before = digest(app)
    response = client.post(url, data={"csrf_token": token, **DATA.get(route, {})})
    allowed = role in ROUTES[route]
    if allowed:
        assert response.status_code not in (401, 403), (url, role, response.status_code)
        assert "/account/inloggen" not in response.headers.get("Location", "")
    else:
        if role == "anonymous":
            assert response.status_code in (302, 303, 401), (url, response.status_code)
            assert "/account/inloggen" in response.headers.get("Location", "")
        else:
            assert response.status_code == 403, (url, role, response.status_code)
        assert digest(app) == before, f"{role} changed something through {url}"


def _any_token(client) -> str:
    """The session's CSRF token, from a page every signed-in account can open."""
    return token_of(client.get("/account/inloggen").get_data(as_text=True)) \
        if 'csrf_token' in client.get("/account/inloggen").get_data(as_text=True) \
        else _token_from_logout_form(client)


def _token_from_logout_form(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return token_of(page)


@pytest.mark.parametrize("route", [r for r in ROUTES if "{" not in r])
def test_posts_without_csrf_token_change_nothing(world, route):
    app, _ids = world
    client = app.test_client()
    login(client, ROLES["beheerder"], PASSWORD)
    before = digest(app)
    response = client.post(route, data=DATA.get(route, {}))
    assert response.status_code == 400
    assert digest(app) == before


