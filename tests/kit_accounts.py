"""Test kit for accounts, work lists, courses and feeds: an app with the views of issue 5,
small listings made in code, and signing in through the real login form.

Not a test module (no ``test_`` prefix); tests import it as ``kit_accounts`` (the tests folder
is on ``sys.path`` because of ``conftest.py``).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time

from flask import Blueprint, Flask

from sociale_kaart import create_app
from sociale_kaart.config import load_settings
from sociale_kaart.db import Database
from sociale_kaart.models import (
    Address,
    Attribute,
    Location,
    Organization,
    Schedule,
    Service,
    ServiceAtLocation,
)
from sociale_kaart.services.accounts import create_user
from sociale_kaart.services.taxonomy import ensure_taxonomies, terms_by_facet

#: Endpoints this work adds; the app must have them (registered in ``_register_views``).
ENDPOINTS = ("users.index", "users.invite", "users.disable", "users.reinvite",
             "professional.dashboard", "professional.courses", "feeds.courses_atom",
             "feeds.courses_ics", "queues.admin_reports", "queues.admin_handle",
             "queues.provider_reports", "queues.provider_handle", "queues.freshness")
#: Start pages of other parts (``auth.home_for`` redirects to them after login). Until those
#: blueprints exist, a placeholder stands in so signing in can be tested here.
OTHER_HOMES = {"beheer": "/beheer/", "provider": "/aanbieder/"}
PASSWORD = "een-lang-wachtwoord"


def make_app(instance, today: date, **overrides) -> Flask:
    settings = load_settings(instance, today=today,
                             flask={"TESTING": True, "SESSION_COOKIE_SECURE": False,
                                    "REMEMBER_COOKIE_SECURE": False},
                             **overrides)
    app = create_app(settings)
    missing = [e for e in ENDPOINTS if e not in app.view_functions]
    assert not missing, f"register the blueprints in sociale_kaart/__init__.py: {missing}"
    for name, path in OTHER_HOMES.items():
        if f"{name}.dashboard" not in app.view_functions:
            stub = Blueprint(name, __name__)
            stub.add_url_rule(path, "dashboard", lambda: "start")
            app.register_blueprint(stub)
    with db_of(app).session() as session:
        ensure_taxonomies(session)
    return app






def db_of(app: Flask) -> Database:
    return app.extensions["sociale_kaart.db"]


def new_id() -> str:
    return str(uuid.uuid4())


def add_organization(session, name: str, org_id: str | None = None) -> Organization:
    organization = Organization(id=org_id or new_id(), name=name, description="")
    session.add(organization)
    session.flush()
    return organization


def add_service(session, organization: Organization, name: str, *, course: bool = False,
                status: str = "active", assured: date | None = None,
                modified: datetime | None = None, created: datetime | None = None,
                description: str = "Een activiteit voor iedereen.", **fields) -> Service:
    service = Service(id=new_id(), organization_id=organization.id, name=name,
                      description=description, status=status, assured_date=assured,
                      last_modified=modified, **fields)
    if created is not None:
        service.created_at = created
    session.add(service)
    session.flush()
    if course:
        term = terms_by_facet()["soort"]["cursus"]
        session.add(Attribute(id=new_id(), link_id=service.id, link_entity="service",
                              link_type="soort", taxonomy_term_id=term.id))
    return service


def add_location(session, service: Service, street: str = "Kerkstraat 1",
                 postcode: str = "4251 AB", city: str = "Werkendam") -> ServiceAtLocation:
    location = Location(id=new_id(), name=f"Buurthuis {city}", location_type="physical")
    location.addresses = [Address(id=new_id(), address_1=street, city=city,
                                  state_province="Noord-Brabant", postal_code=postcode,
                                  country="NL", address_type="physical")]
    session.add(location)
    link = ServiceAtLocation(id=new_id(), service_id=service.id, location_id=location.id)
    session.add(link)
    session.flush()
    return link


def add_session(session, service: Service, start: date, until: date, *, byday: str = "MO",
                opens: time | None = time(19, 30), closes: time | None = time(21, 30),
                places: int | None = 12, cancelled: bool = False,
                on_location: ServiceAtLocation | None = None) -> Schedule:
    schedule = Schedule(id=new_id(), dtstart=start, until=until, freq="WEEKLY", byday=byday,
                        opens_at=opens, closes_at=closes, places=places, places_left=places,
                        cancelled=cancelled)
    if on_location is not None:
        schedule.service_at_location_id = on_location.id
    else:
        schedule.service_id = service.id
    session.add(schedule)
    session.flush()
    return schedule


def add_user(app: Flask, email: str, role: str, organizations: list[str] | None = None,
             password: str | None = PASSWORD) -> int:
    with db_of(app).session() as session:
        user = create_user(session, email, role, password=password,
                           organization_ids=organizations or [])
        return user.id


def csrf_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/account/inloggen")
    response = client.post("/account/inloggen", data={"csrf_token": token, "email": email,
                                                       "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response
