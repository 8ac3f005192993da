"""Test kit for the provider portal and moderation: an app with a few sample listings, accounts
per role, signing in through the real login form, and submitting a page's form the way a
browser does (every input, checked box and selected option, then the test's changes).

Not a test module (no ``test_`` prefix); tests import it as ``kit_portal``.
"""

from __future__ import annotations

import json
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from conftest import REFERENCE_DATE, SAMPLE_JSON
from flask import Flask

from sociale_kaart import create_app
from sociale_kaart.config import load_settings
from sociale_kaart.db import Database
from sociale_kaart.services.accounts import create_user, hash_password
from sociale_kaart.services.imports import import_paths

PASSWORD = "een-lang-wachtwoord"
RECORDS = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))


def _codes(record: dict, facet: str) -> list[str]:
    return [a["taxonomy_term"].get("code") for a in record.get("attributes", [])
            if a.get("link_type") == facet]


#: A course of one organisation (with a location), and a listing of another organisation.
COURSE = next(r for r in RECORDS if "cursus" in _codes(r, "soort")
              and r["service_at_locations"] and r["status"] == "active")
OTHER = next(r for r in RECORDS if r["organization"]["id"] != COURSE["organization"]["id"]
             and r["status"] == "active" and r["service_at_locations"])
ORG = COURSE["organization"]["id"]
OTHER_ORG = OTHER["organization"]["id"]


def make_app(instance: Path, tmp_path: Path, **overrides) -> Flask:
    """The app with two sample listings imported (through the app's own database, so the
    search index follows) and one account per role."""
    settings = load_settings(instance, today=REFERENCE_DATE,
                             flask={"TESTING": True, "SESSION_COOKIE_SECURE": False,
                                    "REMEMBER_COOKIE_SECURE": False}, **overrides)
    app = create_app(settings)
    path = tmp_path / "few.json"
    path.write_text(json.dumps([COURSE, OTHER]), encoding="utf-8")
    report = import_paths(db_of(app), [path], load_plugins=False)
    assert len(report.created) == 2
    with db_of(app).session() as session:
        for email, role, orgs, trusted in [
                ("aanbieder@cursus.example", "provider", [ORG], False),
                ("vertrouwd@cursus.example", "provider", [ORG], True),
                ("aanbieder@ander.example", "provider", [OTHER_ORG], False),
                ("moderator@gemeente.example", "moderator", [], False),
                ("beheer@gemeente.example", "beheerder", [], False),
                ("consulent@gemeente.example", "consultant", [], False)]:
            user = create_user(session, email, role, organization_ids=orgs, trusted=trusted)
            user.password_hash = _password_hash()
    return app






@cache
def _password_hash() -> str:
    """argon2 is slow on purpose; one hash serves every account of every test."""
    return hash_password(PASSWORD)


def db_of(app: Flask) -> Database:
    return app.extensions["sociale_kaart.db"]


def token_of(page: str) -> str:
    for tag in re.findall(r"<input[^>]*>", page):
        if re.search(r'name="(?:[\w-]+-)?csrf_token"', tag):
            return re.search(r'value="([^"]*)"', tag).group(1)
    raise AssertionError("no CSRF token on the page")


def login(client, email: str, password: str = PASSWORD):
    page = client.get("/account/inloggen").get_data(as_text=True)
    response = client.post("/account/inloggen", data={"csrf_token": token_of(page),
                                                       "email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return response


class _Forms(HTMLParser):
    """Collects each form's action and the values a browser would submit."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append((a.get("action") or "", []))
        elif not self.forms:
            return
        fields = self.forms[-1][1] if self.forms else []
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button"):
                fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = a.get("name")
            fields.append((self._select, ""))
        elif tag == "option" and self._select and "selected" in a:
            fields[-1] = (self._select, a.get("value", ""))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.forms[-1][1].append((self._textarea, re.sub(r"^\r?\n", "", "".join(self._text))))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)


def form_fields(page: str, action_contains: str = "") -> list[tuple[str, str]]:
    """The fields of the form with exactly this action, else of the first form whose action
    contains ``action_contains``."""
    parser = _Forms()
    parser.feed(page)
    for action, fields in parser.forms:
        if action == action_contains:
            return fields
    for action, fields in parser.forms:
        if action_contains in action:
            return fields
    raise AssertionError(f"no form with action containing {action_contains!r}")


def changed(fields: list[tuple[str, str]], **changes) -> dict[str, list[str]]:
    """Form data with some fields replaced (a list value for several, None removes)."""
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        name = name.replace("__", "-")
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value if isinstance(value, list) else [value]
    return data


def edit_page(client, service_id: str) -> str:
    response = client.get(f"/aanbieder/aanbod/{service_id}/bewerken")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def post_edit(client, service_id: str, page: str | None = None, action: str = "opslaan",
              **changes):
    """Submit the edit form as a browser would, with ``changes``."""
    page = page or edit_page(client, service_id)
    data = changed(form_fields(page, "/bewerken"), action=action, **changes)
    return client.post(f"/aanbieder/aanbod/{service_id}/bewerken", data=data)
