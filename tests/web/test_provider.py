"""Issue 5, provider portal, end to end through HTTP: editing with preview, validation messages,
course sessions, 'niet actief' and 'nog steeds juist', new listings, conflicts (optimistic
locking), and who may do what (403 / login redirect / CSRF), with nothing changed on refusal."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from conftest import REFERENCE_DATE
from kit_portal import (
    COURSE,
    ORG,
    OTHER,
    changed,
    db_of,
    edit_page,
    form_fields,
    login,
    make_app,
    post_edit,
    token_of,
)
from sqlalchemy import func, select

from sociale_kaart.models import ChangeRecord, PendingChange, Schedule, Service
from sociale_kaart.search import SearchParams
from sociale_kaart.services.editing import snapshot


@pytest.fixture
def app(instance, tmp_path, monkeypatch):
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    monkeypatch.delenv("SOCIALE_KAART_SMTP_HOST", raising=False)
    return make_app(instance, tmp_path)


def state(app) -> tuple:
    """Everything a refused request must leave alone."""
    with db_of(app).session() as session:
        listings = {sid: snapshot(session, session.get(Service, sid))
                    for sid in (COURSE["id"], OTHER["id"])}
        courses = sorted((s.id, s.places_left, s.cancelled)
                         for s in session.scalars(select(Schedule)))
        versions = sorted(session.execute(select(Service.id, Service.version)).all())
        counts = (session.scalar(select(func.count(ChangeRecord.id))),
                  session.scalar(select(func.count(PendingChange.id))),
                  session.scalar(select(func.count(Service.id))))
        return json.dumps(listings, sort_keys=True), courses, versions, counts


def api_total(client, query: str) -> int:
    return client.get("/api/v1/search", query_string={"q": query}).get_json()["total"]


def test_dashboard_lists_own_listings_with_links(app):
    client = app.test_client()
    response = login(client, "aanbieder@cursus.example")
    assert response.headers["Location"].endswith("/aanbieder/")
    page = client.get("/aanbieder/").get_data(as_text=True)
    assert COURSE["name"] in page and OTHER["name"] not in page
    assert f"/aanbieder/aanbod/{COURSE['id']}/bewerken" in page
    assert "Nog steeds juist" in page and "Nog nooit bevestigd" in page


def test_edit_form_is_prefilled_and_accessible(app):
    client = app.test_client()
    login(client, "aanbieder@cursus.example")
    page = edit_page(client, COURSE["id"])
    fields = dict(form_fields(page, "/bewerken"))
    assert fields["name"] == COURSE["name"]
    assert fields["locations-0-street"] == "Hoogstraat 12" or fields["locations-0-street"]
    assert re.search(r'<input[^>]*name="version"[^>]*value="1"', page)
    assert '<legend>Onderwerpen</legend>' in page
    assert 'style=' not in page and "<script>" not in page


def test_description_change_waits_and_residents_see_the_old_text(app):
    client, resident = app.test_client(), app.test_client()
    login(client, "aanbieder@cursus.example")
    assert api_total(resident, "kikkervisjes") == 0
    response = post_edit(client, COURSE["id"], description="Zwemles voor kikkervisjes.")
    assert response.status_code == 302
    assert "wacht op controle" in client.get("/aanbieder/").get_data(as_text=True)
    detail = resident.get(f"/aanbod/{COURSE['id']}").get_data(as_text=True)
    assert "kikkervisjes" not in detail and COURSE["description"][:40] in detail
    assert api_total(resident, "kikkervisjes") == 0
    # The provider's form now shows the proposal, so a second save does not lose it.
    page = edit_page(client, COURSE["id"])
    assert "Zwemles voor kikkervisjes." in page and "wacht nog op controle" in page


def test_non_gated_change_publishes_at_once(app):
    client, resident = app.test_client(), app.test_client()
    login(client, "aanbieder@cursus.example")
    response = post_edit(client, COURSE["id"], phone="0183 777 888",
                         alert="In de kerstvakantie geen les.")
    assert response.status_code == 302
    assert "staan op de kaart" in client.get("/aanbieder/").get_data(as_text=True)
    detail = resident.get(f"/aanbod/{COURSE['id']}").get_data(as_text=True)
    assert "0183 777 888" in detail and "In de kerstvakantie geen les." in detail
    with db_of(app).session() as session:
        assert session.scalar(select(func.count(PendingChange.id))) == 0


def test_preview_shows_the_public_page_and_saves_nothing(app):
    client = app.test_client()
    login(client, "aanbieder@cursus.example")
    before = state(app)
    response = post_edit(client, COURSE["id"], action="voorbeeld",
                         description="Voorbeeldtekst met kikkervisjes.", phone="0183 111 222")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Voorbeeld: zo zien inwoners het aanbod" in page
    assert "Voorbeeldtekst met kikkervisjes." in page and "0183 111 222" in page
    assert state(app) == before
    assert api_total(app.test_client(), "kikkervisjes") == 0
    # "Opslaan" on the preview page saves exactly what was previewed.
    data = changed(form_fields(page, "/bewerken"), action="opslaan")
    assert client.post(f"/aanbieder/aanbod/{COURSE['id']}/bewerken",
                       data=data).status_code == 302
    with db_of(app).session() as session:
        assert session.get(Service, COURSE["id"]).phones[0].number == "0183 111 222"


def test_validation_errors_are_dutch_and_linked_to_the_field(app):
    client = app.test_client()
    login(client, "aanbieder@cursus.example")
    before = state(app)
    response = post_edit(client, COURSE["id"], minimum_age="achttien", name="",
                         email="geen-adres", hours__0__weekday="MO", hours__0__opens="9 uur")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Vul de naam van het aanbod in." in page
    assert "Vul een getal in met alleen cijfers" in page
    assert "Dit e-mailadres klopt niet" in page
    assert "Vul een tijd in zoals 09:30." in page
    assert re.search(r'<input[^>]*aria-describedby="minimum_age-uitleg minimum_age-fout"'
                     r'[^>]*aria-invalid="true"', page) or \
        re.search(r'aria-describedby="[^"]*minimum_age-fout"', page)
    assert 'id="minimum_age-fout"' in page
    assert state(app) == before


def _session_forms(page: str) -> list[tuple[str, list]]:
    actions = re.findall(r'<form method="post" novalidate action="([^"]+/cursusdata[^"]*)"',
                         page)
    return [(action, form_fields(page, action)) for action in actions]


def test_course_dates_publish_at_once_and_show_in_search(app):
    client = app.test_client()
    login(client, "aanbieder@cursus.example")
    page = client.get(f"/aanbieder/aanbod/{COURSE['id']}/cursusdata").get_data(as_text=True)
    (change_action, fields), (add_action, _) = _session_forms(page)
    prefix = re.search(r'name="(s-[^"]+-)start"', page).group(1)
    data = changed(fields, **{f"{prefix}start": "2027-03-01", f"{prefix}end": "2027-06-14",
                              f"{prefix}places_left": "4"})
    response = client.post(change_action, data=data)
    assert response.status_code == 302
    search = app.extensions["sociale_kaart.search"]
    hit = next(h for h in search.search(SearchParams(q=COURSE["name"].split()[0])).hits
               if h.id == COURSE["id"])
    assert hit.meta["course"][:2] == ["2027-03-01", "2027-06-14"]
    assert hit.meta["course"][2] == 4
    detail = app.test_client().get(f"/aanbod/{COURSE['id']}").get_data(as_text=True)
    assert "1 maart 2027" in detail and "Nog 4 plaatsen vrij" in detail
    with db_of(app).session() as session:
        actions = session.scalars(select(ChangeRecord.action).where(
            ChangeRecord.service_id == COURSE["id"])).all()
        assert "course-change" in actions


def test_add_and_cancel_a_course_session(app):
    client = app.test_client()
    login(client, "aanbieder@cursus.example")
    page = client.get(f"/aanbieder/aanbod/{COURSE['id']}/cursusdata").get_data(as_text=True)
    add_action, fields = _session_forms(page)[-1]
    response = client.post(add_action, data=changed(
        fields, nieuw__start="07-09-2027", nieuw__end="14-12-2027", nieuw__weekday="TU",
        nieuw__opens="19:30", nieuw__closes="21:30", nieuw__places="10"))
    assert response.status_code == 302
    detail = app.test_client().get(f"/aanbod/{COURSE['id']}").get_data(as_text=True)
    assert "7 september 2027" in detail
    page = client.get(f"/aanbieder/aanbod/{COURSE['id']}/cursusdata").get_data(as_text=True)
    cancel = re.findall(r'action="([^"]+/afgelasten)"', page)[-1]
    response = client.post(cancel, data={"csrf_token": token_of(page),
                                         "version": re.search(r'name="version" value="(\d+)"',
                                                              page).group(1),
                                         "cancelled": "1"})
    assert response.status_code == 302
    with db_of(app).session() as session:
        new = session.scalars(select(Schedule).where(
            Schedule.dtstart == date(2027, 9, 7))).one()
        assert new.cancelled and new.places == 10
    detail = app.test_client().get(f"/aanbod/{COURSE['id']}").get_data(as_text=True)
    assert "gaat niet door" in detail
    bad = client.post(add_action, data=changed(fields, nieuw__start="14-12-2027",
                                               nieuw__end="07-09-2027"))
    assert bad.status_code == 400
    assert "De laatste datum ligt voor de eerste datum." in bad.get_data(as_text=True)


def test_mark_inactive_and_confirm_still_right(app):
    client = app.test_client()
    login(client, "aanbieder@cursus.example")
    page = client.get("/aanbieder/").get_data(as_text=True)
    token = token_of(page)
    response = client.post(f"/aanbieder/aanbod/{COURSE['id']}/nog-juist",
                           data={"csrf_token": token, "version": "1"})
    assert response.status_code == 302
    with db_of(app).session() as session:
        service = session.get(Service, COURSE["id"])
        assert service.assured_date == REFERENCE_DATE and service.version == 1
    response = client.post(f"/aanbieder/aanbod/{COURSE['id']}/niet-actief",
                           data={"csrf_token": token, "version": "1"})
    assert response.status_code == 302
    with db_of(app).session() as session:
        assert session.get(Service, COURSE["id"]).status == "inactive"
    assert api_total(app.test_client(), COURSE["name"]) == 0


def test_new_listing_waits_for_a_moderator(app):
    client = app.test_client()
    login(client, "aanbieder@cursus.example")
    page = client.get(f"/aanbieder/aanbod/nieuw?organisatie={ORG}").get_data(as_text=True)
    fields = form_fields(page, "/aanbieder/aanbod/nieuw")
    data = changed(fields, name="Samen koken in Werkendam", levensgebieden=["ontmoeting"],
                   description="Elke week koken en eten we samen.", action="opslaan")
    response = client.post("/aanbieder/aanbod/nieuw", data=data)
    assert response.status_code == 302
    with db_of(app).session() as session:
        pending = session.scalars(select(PendingChange)).one()
        assert pending.is_new and pending.organization_id == ORG
        assert session.get(Service, pending.service_id) is None
    assert api_total(app.test_client(), "koken") == 0


def test_second_save_gets_a_conflict_and_both_versions_are_kept(app):
    first, second = app.test_client(), app.test_client()
    login(first, "vertrouwd@cursus.example")
    login(second, "moderator@gemeente.example")
    page_first, page_second = edit_page(first, COURSE["id"]), edit_page(second, COURSE["id"])
    assert post_edit(first, COURSE["id"], page_first,
                     description="Versie van de aanbieder.").status_code == 302
    response = post_edit(second, COURSE["id"], page_second,
                         description="Versie van de moderator.")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Versie van de aanbieder." in page and "Versie van de moderator." in page
    assert f"/aanbieder/aanbod/{COURSE['id']}/bewerken" in page
    with db_of(app).session() as session:
        assert session.get(Service, COURSE["id"]).description == "Versie van de aanbieder."
        conflict = session.scalars(select(ChangeRecord).where(
            ChangeRecord.action == "conflict")).one()
        assert conflict.after["description"] == "Versie van de moderator."
        assert conflict.before["description"] == "Versie van de aanbieder."
        assert conflict.actor == "moderator@gemeente.example"


# -- who may do what ---------------------------------------------------------------------------

def _routes(app) -> list[tuple[str, str, dict]]:
    """Every provider route for the course listing, with plausible form data."""
    with db_of(app).session() as session:
        schedule_id = next(s.id for s in session.get(Service, COURSE["id"]).schedules)
    base = f"/aanbieder/aanbod/{COURSE['id']}"
    return [
        ("GET", "/aanbieder/", {}),
        ("GET", f"{base}/bewerken", {}),
        ("POST", f"{base}/bewerken", {"version": "1", "name": "Overgenomen",
                                      "levensgebieden": "geld", "status": "active",
                                      "action": "opslaan"}),
        ("GET", f"/aanbieder/aanbod/nieuw?organisatie={ORG}", {}),
        ("POST", "/aanbieder/aanbod/nieuw", {"organization": ORG, "name": "Nep",
                                             "levensgebieden": "geld", "status": "active"}),
        ("GET", f"{base}/cursusdata", {}),
        ("POST", f"{base}/cursusdata", {"nieuw-version": "1", "nieuw-start": "2027-01-01",
                                        "nieuw-end": "2027-02-01"}),
        ("POST", f"{base}/cursusdata/{schedule_id}",
         {f"s-{schedule_id}-version": "1", f"s-{schedule_id}-start": "2027-01-01",
          f"s-{schedule_id}-end": "2027-02-01", f"s-{schedule_id}-places_left": "0"}),
        ("POST", f"{base}/cursusdata/{schedule_id}/afgelasten", {"version": "1"}),
        ("POST", f"{base}/niet-actief", {"version": "1"}),
        ("POST", f"{base}/nog-juist", {"version": "1"}),
    ]


def _request(client, method: str, path: str, data: dict, token: str | None):
    if method == "GET":
        return client.get(path)
    return client.post(path, data={**data, **({"csrf_token": token} if token else {})})


def test_provider_of_another_organisation_gets_403_and_nothing_changes(app):
    client = app.test_client()
    login(client, "aanbieder@ander.example")
    token = token_of(client.get("/aanbieder/").get_data(as_text=True))
    before = state(app)
    for method, path, data in _routes(app)[1:]:
        response = _request(client, method, path, data, token)
        assert response.status_code == 403, (method, path, response.status_code)
    # Their own new-listing form does not offer the other organisation.
    page = client.get("/aanbieder/aanbod/nieuw").get_data(as_text=True)
    assert f'value="{ORG}"' not in page and f'value="{OTHER["organization"]["id"]}"' in page
    assert state(app) == before


def test_anonymous_is_sent_to_login_and_nothing_changes(app):
    client = app.test_client()
    before = state(app)
    for method, path, data in _routes(app):
        response = _request(client, method, path, data, None)
        if method == "POST" and response.status_code == 400:
            continue  # refused by CSRF before anything else; also fine
        assert response.status_code == 302, (method, path)
        assert "/account/inloggen" in response.headers["Location"]
    token = token_of(client.get("/account/inloggen").get_data(as_text=True))
    for method, path, data in _routes(app):
        if method == "POST":
            response = _request(client, method, path, data, token)
            assert response.status_code == 302 and "/account/inloggen" in \
                response.headers["Location"], path
    assert state(app) == before


def test_consultant_gets_403_and_nothing_changes(app):
    client = app.test_client()
    login(client, "consulent@gemeente.example")
    token = token_of(client.get("/account/inloggen").get_data(as_text=True))
    before = state(app)
    for method, path, data in _routes(app):
        assert _request(client, method, path, data, token).status_code == 403, path
    assert state(app) == before


def test_post_without_csrf_token_is_refused_and_changes_nothing(app):
    client = app.test_client()
    login(client, "aanbieder@cursus.example")
    before = state(app)
    for method, path, data in _routes(app):
        if method == "POST":
            assert _request(client, method, path, data, None).status_code == 400, path
    page = edit_page(client, COURSE["id"])
    data = changed(form_fields(page, "/bewerken"), csrf_token=None, description="Zonder token")
    assert client.post(f"/aanbieder/aanbod/{COURSE['id']}/bewerken",
                       data=data).status_code == 400
    assert state(app) == before
