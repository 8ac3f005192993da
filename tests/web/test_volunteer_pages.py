"""The volunteer platform's pages through HTTP: sign-up, posting, responding, contact release,
export and erasure (issue 9)."""

from __future__ import annotations

import json

import pytest
from kit_volunteer import (
    CLIENT,
    CONSULTANT,
    COORDINATOR,
    HELPER,
    NOW,
    ORG,
    OTHER_PROVIDER,
    PASSWORD,
    PROVIDER,
    SEEKER,
    db_of,
    live_hulpvraag,
    live_vacancy,
    login,
    make_app,
    token_of,
    user,
)

from sociale_kaart.models import Person, Response, User, VolunteerListing
from sociale_kaart.volunteer.listings import approve_listing, approve_organisation


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path / "instance", tmp_path)


def _client(app, email=None):
    client = app.test_client()
    if email:
        login(client, email, PASSWORD)
    return client


def _post(client, url, data=None, page="/vrijwilligers/"):
    token = token_of(client.get(page).get_data(as_text=True)) if "csrf" not in (data or {}) \
        else None
    return client.post(url, data={"csrf_token": token, **(data or {})})


SIGNUP = {"alias": "Ans", "kern": "Almkerk", "full_name": "Ans Aanmelder",
          "phone": "06 5555 1234", "postcode": "4286 AA", "email": "ans@deelnemer.example",
          "password": "een-lang-wachtwoord", "privacy": "1"}


def test_sign_up_then_sign_in_lands_on_my_page(app):
    client = _client(app)
    page = client.get("/vrijwilligers/aanmelden")
    assert page.status_code == 200 and "Account maken" in page.get_data(as_text=True)
    response = _post(client, "/vrijwilligers/aanmelden", SIGNUP, "/vrijwilligers/aanmelden")
    assert response.status_code == 302
    with db_of(app).session() as session:
        account = session.query(User).filter_by(email=SIGNUP["email"]).one()
        assert account.role == "deelnemer" and account.password_hash.startswith("$argon2")
        me = session.query(Person).filter_by(user_id=account.id).one()
        assert (me.alias, me.kern, me.phone) == ("Ans", "Almkerk", "06 5555 1234")
        assert me.lat is not None  # the kern's centre, not an address
    signed_in = login(client, SIGNUP["email"])
    assert signed_in.headers["Location"].endswith("/vrijwilligers/mijn")


@pytest.mark.parametrize("changes, message", [
    ({"privacy": None}, "privacyuitleg"),
    ({"postcode": "12345"}, "postcode in zoals"),
    ({"alias": ""}, "verplicht"),
    ({"email": "geen-adres"}, "geldig e-mailadres"),
    ({"password": "kort"}, "wachtwoord van minstens"),
    ({"email": HELPER["email"]}, "al een account"),
])
def test_sign_up_errors_are_specific_and_store_nothing(app, changes, message):
    client = _client(app)
    data = {k: v for k, v in {**SIGNUP, **changes}.items() if v is not None}
    before = _count_people(app)
    response = _post(client, "/vrijwilligers/aanmelden", data, "/vrijwilligers/aanmelden")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count_people(app) == before


def _count_people(app) -> int:
    with db_of(app).session() as session:
        return session.query(Person).count()


def _form(**extra) -> dict:
    data = {"type": "vacature", "organization": ORG, "title": "Chauffeur voor de buurtbus",
            "description": "Rijd ouderen naar de dokter.", "themes": ["vervoer"],
            "mode": "in_kern", "kern": "Woudrichem", "schedule_kind": "regelmatig",
            "dagdelen": ["di-ochtend"], "urgency": "normaal", "volunteers_needed": "1",
            "contact_phone": "0183 111 222"}
    data.update(extra)
    return data


def test_vacancy_from_post_to_match_with_contact_release(app):
    provider = _client(app, PROVIDER)
    form = provider.get("/vrijwilligers/oproep/nieuw")
    assert form.status_code == 200
    posted = _post(provider, "/vrijwilligers/oproep/nieuw", _form())
    assert posted.status_code == 302
    listing_id = int(posted.headers["Location"].rsplit("/", 1)[1])
    anonymous = _client(app)
    assert anonymous.get(f"/vrijwilligers/oproep/{listing_id}").status_code == 404
    with db_of(app).session() as session:
        coordinator = user(session, COORDINATOR)
        approve_organisation(session, ORG, by=coordinator, now=NOW)
        approve_listing(session, session.get(VolunteerListing, listing_id), by=coordinator,
                        now=NOW)
    found = anonymous.get("/vrijwilligers/?q=chauffeur+Woudrichem").get_data(as_text=True)
    assert f"/vrijwilligers/oproep/{listing_id}" in found
    helper = _client(app, HELPER["email"])
    detail = helper.get(f"/vrijwilligers/oproep/{listing_id}").get_data(as_text=True)
    assert "Ik wil helpen" in detail and "0183 111 222" not in detail
    responded = _post(helper, f"/vrijwilligers/oproep/{listing_id}/reageren",
                      {"message": "Ik rijd graag op dinsdag."})
    assert responded.status_code == 302
    with db_of(app).session() as session:
        response_id = session.query(Response).one().id
    contact = f"/vrijwilligers/reactie/{response_id}/contact"
    assert helper.get(contact).status_code == 403
    assert provider.get(contact).status_code == 403
    assert _post(helper, f"/vrijwilligers/reactie/{response_id}/accepteren").status_code == 403
    accepted = _post(provider, f"/vrijwilligers/reactie/{response_id}/accepteren")
    assert accepted.headers["Location"].endswith(contact)
    for side, other_value in ((helper, "0183 111 222"), (provider, HELPER["phone"])):
        page = side.get(contact)
        assert page.status_code == 200 and other_value in page.get_data(as_text=True)
    assert _client(app, OTHER_PROVIDER).get(contact).status_code == 403
    assert _post(helper, f"/vrijwilligers/reactie/{response_id}/match").status_code == 302
    with db_of(app).session() as session:
        assert session.get(Response, response_id).state == "matched"
        assert session.get(VolunteerListing, listing_id).status == "filled"
    mine = helper.get("/vrijwilligers/mijn").get_data(as_text=True)
    assert "Chauffeur voor de buurtbus" in mine and "Match" in mine


def test_invalid_vacancy_form_shows_the_field_error_and_stores_nothing(app):
    provider = _client(app, PROVIDER)
    response = _post(provider, "/vrijwilligers/oproep/nieuw", _form(title=""))
    assert response.status_code == 400
    assert "Dit veld is verplicht." in response.get_data(as_text=True)
    other = _post(_client(app, OTHER_PROVIDER), "/vrijwilligers/oproep/nieuw", _form())
    assert other.status_code == 403
    with db_of(app).session() as session:
        assert session.query(VolunteerListing).count() == 0


def test_professional_posts_a_hulpvraag_for_a_client_with_consent(app):
    consultant = _client(app, CONSULTANT)
    data = {"type": "hulpvraag", "title": "Gezelschap gezocht",
            "description": "Een oudere dame zoekt iemand voor een praatje.",
            "themes": ["gezelschap"], "mode": "at_home", "kern": "Almkerk",
            "schedule_kind": "flexibel", "urgency": "normaal", "volunteers_needed": "1",
            "client_alias": CLIENT["alias"], "client_name": CLIENT["full_name"],
            "client_phone": CLIENT["phone"], "consent_text": "Mondeling, 20 november."}
    refused = _post(consultant, "/vrijwilligers/oproep/nieuw", data)
    assert refused.status_code == 400 and "toestemming" in refused.get_data(as_text=True)
    posted = _post(consultant, "/vrijwilligers/oproep/nieuw", {**data, "consent": "1"})
    assert posted.status_code == 302
    listing_id = int(posted.headers["Location"].rsplit("/", 1)[1])
    with db_of(app).session() as session:
        listing = session.get(VolunteerListing, listing_id)
        assert listing.consent_text == "Mondeling, 20 november." and listing.consent_at == NOW
        assert listing.posted_by_user_id == user(session, CONSULTANT).id
        approve_listing(session, listing, by=user(session, COORDINATOR), now=NOW)
    # Anonymous visitors never see a hulpvraag; a volunteer sees alias and kern only.
    anonymous = _client(app).get(f"/vrijwilligers/oproep/{listing_id}")
    assert anonymous.status_code == 302 and "/account/inloggen" in anonymous.headers["Location"]
    helper = _client(app, HELPER["email"])
    page = helper.get(f"/vrijwilligers/oproep/{listing_id}").get_data(as_text=True)
    assert CLIENT["alias"] in page and CLIENT["full_name"] not in page
    assert CLIENT["phone"] not in page
    _post(helper, f"/vrijwilligers/oproep/{listing_id}/reageren", {"message": "Graag!"})
    with db_of(app).session() as session:
        response_id = session.query(Response).filter_by(listing_id=listing_id).one().id
    # The professional (the help seeker's side) accepts; then the volunteer sees the contact.
    assert _post(consultant, f"/vrijwilligers/reactie/{response_id}/accepteren").status_code \
        == 302
    contact = helper.get(f"/vrijwilligers/reactie/{response_id}/contact").get_data(as_text=True)
    assert CLIENT["phone"] in contact


def test_hulpvragen_in_search_only_for_signed_in_participants(app):
    hulpvraag = live_hulpvraag(app)
    link = f"/vrijwilligers/oproep/{hulpvraag}"
    assert link not in _client(app).get("/vrijwilligers/?q=boodschappen").get_data(as_text=True)
    helper = _client(app, HELPER["email"])
    assert link in helper.get("/vrijwilligers/?q=boodschappen").get_data(as_text=True)


def test_export_and_delete_my_account(app):
    hulpvraag = live_hulpvraag(app)
    seeker = _client(app, SEEKER["email"])
    exported = seeker.get("/vrijwilligers/mijn/gegevens.json")
    assert exported.status_code == 200 and "attachment" in exported.headers[
        "Content-Disposition"]
    data = json.loads(exported.get_data(as_text=True))
    assert data["person"]["full_name"] == SEEKER["full_name"]
    assert data["listings"][0]["id"] == hulpvraag
    refused = _post(seeker, "/vrijwilligers/mijn/verwijderen", {}, "/vrijwilligers/mijn")
    assert refused.status_code == 400
    deleted = _post(seeker, "/vrijwilligers/mijn/verwijderen", {"confirm": "ja"},
                    "/vrijwilligers/mijn")
    assert deleted.status_code == 302
    with db_of(app).session() as session:
        assert session.query(User).filter_by(email=SEEKER["email"]).count() == 0
        assert session.get(VolunteerListing, hulpvraag).status == "closed"
    assert seeker.get("/vrijwilligers/mijn").status_code == 302  # signed out


def test_profile_update_and_errors(app):
    helper = _client(app, HELPER["email"])
    page = helper.get("/vrijwilligers/mijn/profiel")
    assert page.status_code == 200
    data = {"alias": "Riek", "kern": "Sleeuwijk", "phone": HELPER["phone"],
            "themes": ["vervoer", "tuin"], "dagdelen": ["ma-ochtend", "za-middag"],
            "travel_km": "15", "has_car": "1", "vog_status": "verified",
            "vog_expires_on": "2027-06-01", "digest_opt_in": "1", "skills": "koken, Excel"}
    assert _post(helper, "/vrijwilligers/mijn/profiel", data,
                 "/vrijwilligers/mijn/profiel").status_code == 302
    with db_of(app).session() as session:
        me = session.query(Person).filter_by(email=HELPER["email"]).one()
        assert me.kern == "Sleeuwijk" and me.interests == ["vervoer", "tuin"]
        assert me.dagdelen == ["ma-ochtend", "za-middag"] and me.travel_km == 15
        assert me.vog_status == "verified" and me.skills == ["koken", "Excel"]
        assert me.digest_token_hash is not None
    bad = _post(helper, "/vrijwilligers/mijn/profiel", {**data, "travel_km": "900"},
                "/vrijwilligers/mijn/profiel")
    assert bad.status_code == 400 and "van 0 tot 100" in bad.get_data(as_text=True)


def test_organisation_page_on_the_kaart_lists_open_vacancies(app):
    from kit_portal import COURSE

    page = _client(app).get(f"/aanbod/{COURSE['id']}").get_data(as_text=True)
    assert "Vrijwilligerswerk bij deze organisatie" not in page
    live_vacancy(app)
    page = _client(app).get(f"/aanbod/{COURSE['id']}").get_data(as_text=True)
    assert "Vrijwilligerswerk bij deze organisatie" in page
    assert "Vrijwillige chauffeur voor de buurtbus" in page


def test_notifications_by_mail_carry_no_private_data(app, monkeypatch):
    from sociale_kaart.volunteer import notify

    sent = []
    monkeypatch.setattr(notify, "send_mail",
                        lambda settings, to, subject, body: sent.append((to, subject, body)))
    hulpvraag = live_hulpvraag(app)
    helper, seeker = _client(app, HELPER["email"]), _client(app, SEEKER["email"])
    _post(helper, f"/vrijwilligers/oproep/{hulpvraag}/reageren", {"message": "Ik help."})
    assert [(to, subject) for to, subject, _body in sent] == [
        (SEEKER["email"], "Nieuwe reactie op uw oproep")]
    with db_of(app).session() as session:
        response_id = session.query(Response).one().id
    _post(seeker, f"/vrijwilligers/reactie/{response_id}/accepteren")
    assert sent[-1][:2] == (HELPER["email"], "Uw reactie is geaccepteerd")
    for _to, _subject, body in sent:
        for private in (HELPER["phone"], HELPER["full_name"], SEEKER["phone"],
                        SEEKER["full_name"], "Ik help."):
            assert private not in body
