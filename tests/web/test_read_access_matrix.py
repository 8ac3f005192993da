"""Every page that shows non-public data × every kind of visitor.

The write routes are in ``test_authorization_matrix.py``; this is the matrix for reading: the
provider portal (``/aanbieder``), the beheer pages with the moderation and report queues and
the accounts list (``/beheer``) and the consultants' pages (``/professional``). Anonymous
visitors are sent to the login page; accounts without the right role get 403; a provider of
another organisation sees nothing of the first organisation.

Pages are taken from ``app.url_map``: a page added under one of these prefixes later is
checked as well, with the rule of its prefix unless it has a row of its own below.
"""

from __future__ import annotations

import pytest
from kit_portal import COURSE, ORG, PASSWORD, db_of, login, make_app
from kit_volunteer import add_matrix_accounts

from sociale_kaart.models import PendingChange, Report, User
from sociale_kaart.services.accounts import create_user, hash_password

ROLES = {
    "anonymous": None,
    "provider of the organisation": "aanbieder@cursus.example",
    "provider of another organisation": "aanbieder@ander.example",
    "consultant": "consulent@gemeente.example",
    "moderator": "moderator@gemeente.example",
    "beheerder": "beheer@gemeente.example",
    "analist": "analist@gemeente.example",  # issue 10 (made in the world fixture)
    # issue 9: made by kit_volunteer.add_matrix_accounts
    "coordinator": "coordinator@welzijn.example",
    "deelnemer": "hendrika.prive@deelnemer.example",
}
PROVIDERS = {"provider of the organisation", "provider of another organisation"}
STAFF = {"moderator", "beheerder"}
EDITORS = {"provider of the organisation"} | STAFF
PROFESSIONALS = {"consultant"} | STAFF

SERVICE = COURSE["id"]
SCHEDULE = next(s["id"] for s in COURSE["schedules"] if s.get("dtstart"))
#: issue 9: a participant's own pages on the volunteer platform.
V_MINE = "/vrijwilligers/mijn"
V_POSTERS = {"deelnemer", "coordinator", "consultant", "moderator", "beheerder"} | PROVIDERS
#: issue 9: the coordinator's pages, and "Dit kan beter via ..." (the coordinator and whoever
#: posted the hulpvraag: the consultant, for a client, in kit_coordinator.coordinator_matrix_ids).
VC = "/vrijwilligers/coordinator"
V_ROUTING = "/vrijwilligers/doorverwijzen"
COORDINATORS = {"coordinator", "beheerder"}
V_FOR_YOU = "/vrijwilligers/voor-u"
V_HELPERS = "/vrijwilligers/oproep/<int:listing_id>/wie-kan-helpen"
PREFIXES = ("/aanbieder", "/beheer", "/professional", "/inzicht", V_MINE,
            "/vrijwilligers/oproep/nieuw", VC, V_ROUTING, V_FOR_YOU, V_HELPERS)
#: issue 10: the insight pages are for beheerders and analisten (read-only).
INSIGHT = {"beheerder", "analist"}
#: The rule for a page under a prefix without a row of its own in READ_RULES.
BY_PREFIX = {"/aanbieder": EDITORS, "/beheer": STAFF, "/professional": PROFESSIONALS,
             "/inzicht": INSIGHT, V_MINE: {"deelnemer"}, "/vrijwilligers/oproep/nieuw": V_POSTERS,
             VC: COORDINATORS, V_ROUTING: COORDINATORS | {"consultant"},
             V_FOR_YOU: {"deelnemer"}, V_HELPERS: COORDINATORS | {"consultant"}}

#: URL rule -> the roles that may open it.
READ_RULES = {
    "/beheer/status": {"beheerder"},  # issue 12: the installation's technical status
    "/aanbieder/": PROVIDERS | STAFF,                    # each sees their own listings
    "/aanbieder/aanbod/nieuw": PROVIDERS | STAFF,
    "/aanbieder/aanbod/<service_id>/bewerken": EDITORS,
    "/aanbieder/aanbod/<service_id>/cursusdata": EDITORS,
    "/aanbieder/meldingen": PROVIDERS,                   # each sees reports on their own
    "/beheer/": STAFF,
    "/beheer/moderatie": STAFF,
    "/beheer/moderatie/<int:pending_id>": STAFF,
    "/beheer/meldingen": STAFF,
    "/beheer/actualiteit": STAFF,
    "/beheer/aanbod/<service_id>/geschiedenis": {"beheerder"},
    "/beheer/gebruikers": {"beheerder"},
    "/beheer/dubbelen": {"beheerder"},                    # issue 8: merge proposals
    "/beheer/dubbelen/<int:proposal_id>": {"beheerder"},
    "/aanbieder/aanbod/<service_id>/voor-professionals": EDITORS,  # issue 6
    "/professional/": PROFESSIONALS,
    "/professional/zoeken": PROFESSIONALS,
    "/professional/cursussen": PROFESSIONALS,
    "/inzicht/": INSIGHT,                                 # issue 10: insight
    "/inzicht/dekking": INSIGHT,
    "/inzicht/opgaven": INSIGHT,
    "/inzicht/kwaliteit": INSIGHT,
    "/inzicht/aanbod": INSIGHT,
    "/inzicht/rapport.<fmt>": INSIGHT,
    "/inzicht/opgaven/bewerken": {"beheerder"},
    "/inzicht/synoniem": {"beheerder"},
    V_MINE: V_POSTERS,  # issue 9: each sees their own listings and responses
    f"{V_MINE}/profiel": {"deelnemer"},
    f"{V_MINE}/gegevens.json": {"deelnemer"},
    f"{V_MINE}/verwijderen": {"deelnemer"},
    "/vrijwilligers/oproep/nieuw": V_POSTERS,
}
#: Pages a provider of another organisation may open, but which must not show the course's
#: organisation: its listing, its report, its pending change.
SHARED_PAGES = ("/aanbieder/", "/aanbieder/meldingen", "/aanbieder/aanbod/nieuw")
REPORT_COMMENT = "Het telefoonnummer klopt niet meer (geheim voor anderen)."


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("read-matrix")
    app = make_app(tmp / "instance", tmp, login_rate_limit="10000 per minute")
    with db_of(app).session() as session:
        report = Report(service_id=SERVICE, reason="contact", comment=REPORT_COMMENT)
        pending = PendingChange(service_id=SERVICE, organization_id=ORG, is_new=False,
                                base_version=1, proposed={"name": "Voorstel"})
        session.add_all([report, pending])
        session.flush()
        other = session.query(User).filter_by(email="aanbieder@ander.example").one()
        ids = {"service_id": SERVICE, "schedule_id": SCHEDULE, "pending_id": pending.id,
               "report_id": report.id, "user_id": other.id, "fmt": "csv"}
        analist = create_user(session, ROLES["analist"], "analist")  # issue 10
        analist.password_hash = hash_password(PASSWORD)
    ids.update(add_matrix_accounts(app))  # issue 9
    from kit_coordinator import coordinator_matrix_ids

    ids["listing_id"] = coordinator_matrix_ids(app)["vlisting"]  # issue 9: a coordinator's case
    clients = {}
    for role, email in ROLES.items():
        clients[role] = app.test_client()
        if email:
            login(clients[role], email, PASSWORD)
    return app, ids, clients


def _pages(app) -> list[tuple[str, set[str]]]:
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.rule.startswith(PREFIXES):
            prefix = next(p for p in PREFIXES if rule.rule.startswith(p))
            pages.append((rule, READ_RULES.get(rule.rule, BY_PREFIX[prefix])))
    return pages


def _url(rule, ids: dict) -> str:
    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        numeric = converter is not None and type(converter).__name__ == "IntegerConverter"
        values[name] = ids.get(name, 1 if numeric else "onbekend")
    return rule.build(values, append_unknown=False)[1]


def test_every_listed_page_exists(world):
    app, _ids, _clients = world
    rules = {rule.rule for rule, _roles in _pages(app)}
    assert set(READ_RULES) <= rules, set(READ_RULES) - rules


@pytest.mark.parametrize("role", list(ROLES))
def test_read_access_by_role(world, role):
    app, ids, clients = world
    client = clients[role]
    problems = []
    for rule, allowed in _pages(app):
        url = _url(rule, ids)
        response = client.get(url)
        location = response.headers.get("Location", "")
        if role == "anonymous":
            if response.status_code != 302 or "/account/inloggen" not in location:
                problems.append(f"{url}: HTTP {response.status_code}, not sent to the login")
        elif role in allowed:
            if response.status_code in (401, 403) or "/account/inloggen" in location:
                problems.append(f"{url}: refused ({response.status_code}) but allowed")
            elif response.status_code >= 500:
                problems.append(f"{url}: HTTP {response.status_code}")
        elif response.status_code != 403:
            problems.append(f"{url}: HTTP {response.status_code}, expected 403")
    assert not problems, problems


def test_anonymous_is_sent_back_to_the_page_after_signing_in(world):
    app, ids, clients = world
    response = clients["anonymous"].get("/beheer/moderatie")
    assert "next=%2Fbeheer%2Fmoderatie" in response.headers["Location"]


@pytest.mark.parametrize("path", SHARED_PAGES)
def test_provider_of_another_organisation_sees_nothing_of_the_first(world, path):
    app, _ids, clients = world
    page = clients["provider of another organisation"].get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert COURSE["name"] not in html and SERVICE not in html
    assert REPORT_COMMENT not in html and COURSE["organization"]["name"] not in html
    own = clients["provider of the organisation"].get(path).get_data(as_text=True)
    if path != "/aanbieder/aanbod/nieuw":
        assert COURSE["name"] in own  # the owner does see it: the check above means something
    if path == "/aanbieder/meldingen":
        assert REPORT_COMMENT in own


def test_new_listing_form_offers_only_own_organisations(world):
    app, _ids, clients = world
    page = clients["provider of another organisation"].get(
        f"/aanbieder/aanbod/nieuw?organisatie={ORG}")
    assert page.status_code in (200, 403)
    assert f'value="{ORG}"' not in page.get_data(as_text=True)
