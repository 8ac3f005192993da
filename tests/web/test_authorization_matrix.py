"""Every write route × every kind of visitor: only the allowed combinations get through.

Anonymous visitors are sent to the login page, signed-in accounts without the right role or
organisation get 403, and in both cases nothing in the database changes. The public report
form, signing in and out and the password links are open to everyone by design and are
tested elsewhere.
"""

from __future__ import annotations

import kit_database
import pytest
from kit_portal import COURSE, ORG, PASSWORD, db_of, login, make_app, token_of
from kit_volunteer import MATRIX_LISTING_FORM, OTHER_ORG, add_matrix_accounts

from sociale_kaart.models import PendingChange, Report, User

ROLES = {
    "anonymous": None,
    "provider of the organisation": "aanbieder@cursus.example",
    "provider of another organisation": "aanbieder@ander.example",
    "consultant": "consulent@gemeente.example",
    "moderator": "moderator@gemeente.example",
    "beheerder": "beheer@gemeente.example",
    "coordinator": "coordinator@gemeente.example",  # issue 9 (made by kit_coordinator)
    "analist": "analist@gemeente.example",  # issue 9 (made by kit_volunteer)
    "deelnemer": "hendrika.prive@deelnemer.example",  # issue 9 (made by kit_volunteer)
}
EDITORS = {"provider of the organisation", "moderator", "beheerder"}
STAFF = {"moderator", "beheerder"}
COORDINATORS = {"coordinator", "beheerder"}  # issue 9: the volunteer platform's coordinator
VC = "/vrijwilligers/coordinator"
#: issue 9: participants' write routes (kit_volunteer.add_matrix_accounts makes the targets).
V = "/vrijwilligers"
V_POSTERS = {"deelnemer", "provider of the organisation", "provider of another organisation",
             "consultant", "moderator", "coordinator", "beheerder"}
V_MANAGERS = {"provider of the organisation", "coordinator", "beheerder"}

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
    # issue 9: the coordinator's write routes (before the account routes below, which
    # switch the other provider's account off)
    f"{VC}/moderatie/organisatie/{{vorg}}": COORDINATORS,
    f"{VC}/moderatie/oproep/{{vpending}}": COORDINATORS,
    f"{VC}/zaak/{{vlisting}}/notitie": COORDINATORS,
    f"{VC}/zaak/{{vlisting}}/opvolging/{{ventry}}": COORDINATORS,
    f"{VC}/zaak/{{vlisting}}/status": COORDINATORS,
    f"{VC}/zaak/{{vlisting}}/match": COORDINATORS,
    f"{VC}/zaak/{{vlisting}}/doorverwijzen": COORDINATORS,
    f"{VC}/vog": COORDINATORS,
    # issue 9: participants, organisations and professionals on the volunteer platform (also
    # before the account routes)
    f"{V}/oproep/nieuw": V_POSTERS,
    f"{V}/oproep/{{v_listing}}/bewerken": V_MANAGERS,
    f"{V}/oproep/{{v_closable}}/sluiten": V_MANAGERS,
    f"{V}/oproep/{{v_listing}}/reageren": {"deelnemer", "provider of another organisation"},
    f"{V}/reactie/{{v_response}}/accepteren": V_MANAGERS,
    f"{V}/reactie/{{v_response}}/afwijzen": V_MANAGERS,
    f"{V}/reactie/{{v_response}}/intrekken": {"deelnemer", "coordinator", "beheerder"},
    f"{V}/reactie/{{v_response}}/match": V_MANAGERS | {"deelnemer"},
    f"{V}/reactie/{{v_response}}/afgerond": V_MANAGERS | {"deelnemer"},
    f"{V}/reactie/{{v_response}}/niet-doorgegaan": V_MANAGERS | {"deelnemer"},
    f"{V}/mijn/profiel": {"deelnemer"},
    f"{V}/mijn/verwijderen": {"deelnemer"},  # without the confirmation: refused, nothing gone
    f"{V}/oproep/{{v_invite_to}}/uitnodigen": V_MANAGERS,
    f"{V}/uitnodiging/{{v_invitation}}/nee": {"deelnemer"},  # only the invited volunteer
    f"{V}/uitnodiging/{{v_invitation}}/ja": {"deelnemer"},
    # issue 10: insight (the analist only reads; the participants of a held course session)
    "/inzicht/opgaven/bewerken": {"beheerder"},
    "/inzicht/synoniem": {"beheerder"},
    f"/aanbieder/aanbod/{SERVICE}/cursusdata/{COURSE_SCHEDULE}/deelnemers": EDITORS,
    # the account routes last: they switch the other provider's account off
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
    f"{VC}/moderatie/organisatie/{{vorg}}": {"action": "approve"},
    f"{VC}/moderatie/oproep/{{vpending}}": {"action": "approve"},
    f"{VC}/zaak/{{vlisting}}/notitie": {"note": "Gebeld."},
    f"{VC}/zaak/{{vlisting}}/status": {"state": "in_progress"},
    f"{VC}/zaak/{{vlisting}}/match": {"person_id": "{vperson}", "channel": "desk"},
    f"{VC}/zaak/{{vlisting}}/doorverwijzen": {"flag": "1"},
    f"{VC}/vog": {"person_id": "{vperson}", "status": "in_progress"},
    f"{V}/oproep/nieuw": MATRIX_LISTING_FORM,
    f"{V}/oproep/{{v_listing}}/reageren": {"organization": OTHER_ORG, "message": "Matrix"},
    f"{V}/oproep/{{v_invite_to}}/uitnodigen": {"person_id": "{v_helper}"},
    "/inzicht/opgaven/bewerken": {"naam-nieuw": "Matrix-opgave",
                                  "termen-nieuw": "levensgebied:geld"},
    "/inzicht/synoniem": {"term": "matrixwoord", "synonyms": "inloop", "section": "ontmoeting"},
    f"/aanbieder/aanbod/{SERVICE}/cursusdata/{COURSE_SCHEDULE}/deelnemers": {"participants": "5"},
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
    from kit_coordinator import coordinator_matrix_ids

    ids.update(coordinator_matrix_ids(app))  # issue 9
    ids.update(add_matrix_accounts(app))  # issue 9: participants and their listing
    return app, ids


def digest(app) -> str:
    """The database's content (SQLite or PostgreSQL; see tests/kit_database.py)."""
    return kit_database.digest_of_app(app)


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
    data = {key: value.format(**ids) for key, value in DATA.get(route, {}).items()}
    response = client.post(url, data={"csrf_token": token, **data})
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


