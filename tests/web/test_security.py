"""Security of the site as a whole: CSRF on every form, argon2 password hashes, a rate-limited
login, cookie flags, security headers, the idle timeout, signing out, and no secrets in the
repository.

The CSRF tests walk ``app.url_map``, so a form added later is covered without touching this
file.
"""

from __future__ import annotations

import re
import subprocess
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import kit_database
import pytest
from argon2 import PasswordHasher
from conftest import REFERENCE_DATE, REPO
from kit_portal import COURSE, ORG, PASSWORD, db_of, login, make_app, token_of
from sqlalchemy import select

from sociale_kaart import create_app
from sociale_kaart.config import load_settings
from sociale_kaart.models import ChangeRecord, PendingChange, Report, User
from sociale_kaart.services.accounts import (
    authenticate,
    create_user,
    find_user,
    issue_token,
    use_token,
)
from sociale_kaart.web.security import LAST_SEEN_KEY

SERVICE = COURSE["id"]
SCHEDULE = next(s["id"] for s in COURSE["schedules"] if s.get("dtstart"))
LOGIN = "/account/inloggen"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """An app with two listings, an account per role, a report and a pending change."""
    tmp = tmp_path_factory.mktemp("security")
    app = make_app(tmp / "instance", tmp, login_rate_limit="10000 per minute")
    with db_of(app).session() as session:
        report = Report(service_id=SERVICE, reason="adres", comment=None)
        pending = PendingChange(service_id=SERVICE, organization_id=ORG, is_new=False,
                                base_version=1, proposed={"name": "Voorstel"})
        session.add_all([report, pending])
        session.flush()
        ids = {"report_id": report.id, "pending_id": pending.id,
               "user_id": find_user(session, "aanbieder@ander.example").id,
               "service_id": SERVICE, "schedule_id": SCHEDULE}
    with db_of(app).session() as session:
        ids["change_id"] = session.scalars(select(ChangeRecord.id)).first()
    return app, ids


def digest(app) -> str:
    """The database's content (SQLite or PostgreSQL; see tests/kit_database.py)."""
    return kit_database.digest_of_app(app)


def post_urls(app, ids: dict) -> list[str]:
    """Every URL that takes a POST, placeholders filled with real ids where there are any."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        values = {name: ids.get(name, "onbekend-" + name) for name in rule.arguments}
        for name, converter in rule._converters.items():
            if type(converter).__name__ == "IntegerConverter" and name not in ids:
                values[name] = 1
        urls.append(rule.build(values, append_unknown=False)[1])
    return sorted(set(urls))


def test_the_url_map_has_forms_to_protect(world):
    app, ids = world
    urls = post_urls(app, ids)
    assert LOGIN in urls and "/account/uitloggen" in urls and "/beheer/gebruikers" in urls
    assert f"/aanbod/{SERVICE}/klopt-niet" in urls and len(urls) >= 15


#: The only views deliberately exempt from CSRF, and why. Each must still refuse a POST that
#: lacks its own proof (here: a valid signed token in the address) and change nothing.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: a mail client POSTs without our form token; the signed
    # token in the URL is the proof, and it can only switch that one person's digest off.
    "sociale_kaart.web.volunteer_mail.unsubscribe",
}


def csrf_exempt(app, url: str) -> bool:
    endpoint, _args = app.url_map.bind("localhost").match(url, method="POST")
    view = app.view_functions[endpoint]
    return f"{view.__module__}.{view.__name__}" in app.extensions["csrf"]._exempt_views


def test_only_the_listed_views_are_exempt_from_csrf(world):
    app, _ids = world
    assert set(app.extensions["csrf"]._exempt_views) == CSRF_EXEMPT
    assert not app.extensions["csrf"]._exempt_blueprints


@pytest.mark.parametrize("who", [None, "beheer@gemeente.example",
                                 "aanbieder@cursus.example"])
def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(world, who):
    app, ids = world
    client = app.test_client()
    if who:
        login(client, who)
    failures = []
    for url in post_urls(app, ids):
        before = digest(app)
        response = client.post(url, data={"name": "Zonder token", "reason": "Geen token",
                                          "email": "nieuw@gemeente.example",
                                          "role": "consultant", "password": PASSWORD})
        body = response.get_data(as_text=True)
        if csrf_exempt(app, url):
            if not 400 <= response.status_code < 500:  # a made-up signed token: refused
                failures.append(f"{url} (CSRF-exempt): HTTP {response.status_code}")
        elif response.status_code != 400 or "CSRF" not in body:
            failures.append(f"{url}: HTTP {response.status_code}")
        if digest(app) != before:
            failures.append(f"{url}: the database changed")
    assert not failures, failures
    if who:  # still signed in: the refusals did not sign the account out either
        assert client.get("/account/").status_code == 302
        assert LOGIN not in client.get("/account/").headers["Location"]


def test_a_token_from_another_session_is_refused(world):
    app, ids = world
    attacker, victim = app.test_client(), app.test_client()
    foreign = token_of(attacker.get(LOGIN).get_data(as_text=True))
    login(victim, "beheer@gemeente.example")
    before = digest(app)
    response = victim.post("/beheer/gebruikers", data={
        "csrf_token": foreign, "email": "aanvaller@gemeente.example", "role": "beheerder"})
    assert response.status_code == 400
    assert digest(app) == before


# -- passwords -------------------------------------------------------------------------------

def test_passwords_are_stored_as_argon2id_hashes(world, tmp_path):
    app, _ids = world
    with db_of(app).session() as session:
        user = create_user(session, "nieuw@cursus.example", "provider", password=PASSWORD,
                           organization_ids=[ORG])
        invited = create_user(session, "uitgenodigd@gemeente.example", "consultant")
        token = issue_token(session, invited, "invite", timedelta(hours=1))
        use_token(session, token, "invite", "nog-een-lang-wachtwoord")
        session.flush()
        hashes = [h for h in session.scalars(select(User.password_hash)) if h is not None]
        assert user.password_hash != PASSWORD and PASSWORD not in user.password_hash
        session.rollback()
    assert len(hashes) >= 8
    for stored in hashes:
        assert stored.startswith("$argon2id$"), stored[:20]
        params = dict(p.split("=") for p in stored.split("$")[3].split(","))
        assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2  # OWASP's minimum


def test_a_weak_old_hash_is_upgraded_on_login(world):
    app, _ids = world
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with db_of(app).session() as session:
        create_user(session, "oud@gemeente.example", "consultant").password_hash = weak
    with db_of(app).session() as session:
        assert authenticate(session, "oud@gemeente.example", PASSWORD) is not None
    with db_of(app).session() as session:
        stored = find_user(session, "oud@gemeente.example").password_hash
        assert stored != weak and stored.startswith("$argon2id$")
        assert not PasswordHasher().check_needs_rehash(stored)


# -- signing in --------------------------------------------------------------------------------

def _failed_login(client, email: str):
    token = token_of(client.get(LOGIN).get_data(as_text=True))
    return client.post(LOGIN, data={"csrf_token": token, "email": email,
                                    "password": "fout-wachtwoord"})


def test_the_sixth_failed_login_in_a_minute_is_refused(tmp_path):
    app = make_app(tmp_path / "instance", tmp_path)  # the default limit: 5 per minute
    client = app.test_client()
    codes = [_failed_login(client, "beheer@gemeente.example").status_code for _ in range(6)]
    assert codes == [400] * 5 + [429]
    # Even the right password is refused now, and the answer is a page in Dutch.
    token = token_of(client.get(LOGIN).get_data(as_text=True))
    response = client.post(LOGIN, data={"csrf_token": token, "email": "beheer@gemeente.example",
                                        "password": PASSWORD})
    assert response.status_code == 429
    assert "_user_id" not in _session_of(client)
    assert 'lang="nl"' in response.get_data(as_text=True)


def test_trying_many_accounts_from_one_address_is_refused_too(tmp_path):
    """Password spraying: one guess for each of many accounts."""
    app = make_app(tmp_path / "instance", tmp_path)
    client = app.test_client()
    codes = [_failed_login(client, f"gok{n}@gemeente.example").status_code for n in range(40)]
    assert 429 in codes, "failed logins per client address need a limit as well"
    assert codes[:20] == [400] * 20  # a front desk making typos is not locked out at once


def test_successful_logins_from_one_address_are_not_limited(tmp_path):
    """A municipality's office signs in from one address: only failures count."""
    app = make_app(tmp_path / "instance", tmp_path)
    for _ in range(4):
        for email in ("moderator@gemeente.example", "beheer@gemeente.example",
                      "consulent@gemeente.example", "aanbieder@cursus.example",
                      "vertrouwd@cursus.example", "aanbieder@ander.example"):
            login(app.test_client(), email)


def _session_of(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)


def test_session_cookie_flags_with_default_settings(tmp_path, monkeypatch):
    for name in ("SOCIALE_KAART_SESSION_COOKIE_SECURE", "SOCIALE_KAART_IDLE_TIMEOUT_MINUTES"):
        monkeypatch.delenv(name, raising=False)
    app = create_app(load_settings(tmp_path / "instance", today=REFERENCE_DATE,
                                   flask={"TESTING": True}))
    client = app.test_client()
    response = client.get(LOGIN, base_url="https://localhost")
    cookies = [c for c in response.headers.getlist("Set-Cookie")
               if c.startswith(app.config["SESSION_COOKIE_NAME"] + "=")]
    assert cookies, "the login form keeps its CSRF token in the session"
    flags = [part.strip().lower() for part in cookies[0].split(";")]
    assert "secure" in flags and "httponly" in flags and "samesite=lax" in flags
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_login_starts_a_fresh_session(world):
    app, _ids = world
    client = app.test_client()
    client.get(LOGIN)
    with client.session_transaction() as session:
        session["geplant"] = "door een aanvaller"
    login(client, "moderator@gemeente.example")
    assert "geplant" not in _session_of(client)


# -- headers -----------------------------------------------------------------------------------

PUBLIC_PAGES = ["/", "/zoeken?q=koffie", "/kaart", LOGIN, "/over", f"/aanbod/{SERVICE}",
                f"/aanbod/{SERVICE}/klopt-niet", "/open-data", "/api/docs", "/plaatsen",
                "/account/wachtwoord-vergeten", "/bestaat-niet"]
SIGNED_IN_PAGES = {"beheer@gemeente.example": ["/beheer/", "/beheer/gebruikers",
                                               "/beheer/moderatie", "/professional/"],
                   "aanbieder@cursus.example": ["/aanbieder/",
                                                f"/aanbieder/aanbod/{SERVICE}/bewerken"]}


def _check_headers(path: str, response, nonces: set[str]) -> None:
    assert response.mimetype == "text/html", path
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("default-src") == ["'self'"], (path, csp)
    scripts = directives.get("script-src", [])
    nonce = next((s[len("'nonce-"):-1] for s in scripts if s.startswith("'nonce-")), None)
    assert nonce and len(nonce) >= 16, (path, csp)
    assert nonce not in nonces, "a new nonce for every response"
    nonces.add(nonce)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (path, csp)
    assert directives.get("object-src") == ["'none'"]
    assert directives.get("frame-ancestors") == ["'none'"]
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") in (
        "no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")
    html = response.get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>", html):
        kind = re.search(r'type="([^"]*)"', tag)
        data_block = kind and kind.group(1) not in ("module", "text/javascript")
        if "src=" not in tag and not data_block:  # inline: runs only with the nonce
            assert f'nonce="{nonce}"' in tag, (path, tag)
    # The policy blocks inline styles and event handlers: the pages must not need them.
    assert not re.search(r"<[a-z][^>]*\sstyle=", html), (path, "style attribute")
    assert not re.search(r"<style\b", html), (path, "<style> element")
    assert not re.search(r"<[a-z][^>]*\son[a-z]+=", html), (path, "event handler attribute")


def test_security_headers_on_public_pages(world):
    app, _ids = world
    client, nonces = app.test_client(), set()
    for path in PUBLIC_PAGES:
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        _check_headers(path, response, nonces)
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_security_headers_on_signed_in_pages_which_are_not_cached(world):
    app, _ids = world
    nonces: set[str] = set()
    for email, paths in SIGNED_IN_PAGES.items():
        client = app.test_client()
        login(client, email)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            _check_headers(path, response, nonces)
            assert "no-store" in response.headers.get("Cache-Control", ""), path


def test_security_headers_on_refusals(world):
    app, _ids = world
    client = app.test_client()
    login(client, "consulent@gemeente.example")
    for response in (client.get("/beheer/gebruikers"),                     # 403
                     client.post("/beheer/gebruikers", data={}),           # 400, no token
                     app.test_client().get("/beheer/")):                   # to the login
        assert response.status_code in (302, 400, 403)
        assert response.headers.get("X-Frame-Options") == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


# -- idle timeout and signing out --------------------------------------------------------------

def test_idle_timeout_signs_out(world):
    app, _ids = world
    minutes = app.extensions["sociale_kaart.settings"].idle_timeout_minutes
    assert minutes == 30
    assert app.permanent_session_lifetime == timedelta(minutes=minutes)
    client = app.test_client()
    login(client, "moderator@gemeente.example")
    with client.session_transaction() as session:
        session[LAST_SEEN_KEY] = time.time() - (minutes - 1) * 60
    assert client.get("/beheer/").status_code == 200  # still active: the clock restarts
    assert time.time() - _session_of(client)[LAST_SEEN_KEY] < 60
    with client.session_transaction() as session:
        session[LAST_SEEN_KEY] = time.time() - (minutes + 1) * 60
    response = client.get("/beheer/")
    assert response.status_code == 302 and LOGIN in response.headers["Location"]
    assert "_user_id" not in _session_of(client)
    assert client.get("/beheer/").status_code == 302  # and it stays that way


def test_the_session_cookie_expires_with_the_idle_timeout(world):
    """Once signed in, each request renews a cookie that lives as long as the idle timeout
    (the one set by the login itself ends with the browser)."""
    app, _ids = world
    client = app.test_client()
    login(client, "moderator@gemeente.example")
    response = client.get("/beheer/")
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith(app.config["SESSION_COOKIE_NAME"] + "="))
    expires = re.search(r"Expires=([^;]+)", cookie)
    assert expires, cookie
    left = parsedate_to_datetime(expires.group(1)) - datetime.now(UTC)
    assert timedelta(minutes=29) < left <= timedelta(minutes=30, seconds=5)


def test_logout_clears_the_session(world):
    app, _ids = world
    client = app.test_client()
    login(client, "beheer@gemeente.example")
    with client.session_transaction() as session:
        session["verwijslijst"] = [SERVICE]
    page = client.get("/professional/").get_data(as_text=True)
    assert 'action="/account/uitloggen"' in page
    assert client.get("/account/uitloggen").status_code == 405  # never by a plain link
    response = client.post("/account/uitloggen", data={"csrf_token": token_of(page)})
    assert response.status_code == 302
    left = _session_of(client)
    assert not set(left) - {"_flashes", "csrf_token"}, left
    assert "verwijslijst" not in left and "_user_id" not in left
    again = client.get("/beheer/")
    assert again.status_code == 302 and LOGIN in again.headers["Location"]


SIGN_OUT_PAGES = [("aanbieder@cursus.example", "/aanbieder/"),
                  ("moderator@gemeente.example", "/beheer/"),
                  ("beheer@gemeente.example", "/beheer/gebruikers"),
                  ("consulent@gemeente.example", "/professional/")]


@pytest.mark.parametrize(("email", "path"), SIGN_OUT_PAGES)
def test_every_signed_in_start_page_offers_signing_out(world, email, path):
    """On a shared computer at a front desk, everyone must be able to sign out."""
    app, _ids = world
    client = app.test_client()
    login(client, email)
    page = client.get(path).get_data(as_text=True)
    assert re.search(r'<form[^>]*method="post"[^>]*action="/account/uitloggen"', page)


# -- no secrets in the repository --------------------------------------------------------------

DASHES = "-" * 5
SECRET_PATTERNS = {
    "private key": re.compile(DASHES + r"BEGIN [A-Z ]*PRIVATE KEY" + DASHES),
    "AWS key": re.compile(r"\bA" + r"KIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]" + r"_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(r"\bxox" + r"[abprs]-[A-Za-z0-9-]{10,}"),
    "secret key literal": re.compile(
        r"SECRET_KEY['\"]?\s*[=:]\s*[rbf]?['\"][^'\"\s]{6,}['\"]", re.I),
    "secret key in the environment": re.compile(
        r"SECRET_KEY=['\"]?[A-Za-z0-9+/=_-]{16,}['\"]?(\s|$)", re.M),
}
CONFIG_SUFFIXES = (".cfg", ".ini", ".toml", ".yml", ".yaml", ".env", ".conf", ".properties")
CONFIG_PASSWORD = re.compile(
    r"^\s*[\w.-]*(password|passwd|secret|token|api_key)[\w.-]*\s*[=:]\s*['\"]?([^'\"\s#]+)",
    re.I | re.M)
SECRET_FILES = re.compile(r"(^|/)(secret_key|id_rsa|id_ed25519|\.env(\..+)?|[^/]+\.(pem|key|"
                          r"p12|pfx|keystore))$|(^|/)instance/")


def _tracked_files() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [name for name in out.decode().split("\0") if name]


def test_no_secret_is_tracked_by_git():
    files = _tracked_files()
    assert len(files) > 100
    found = [f"{name}: tracked secret-looking file" for name in files
             if SECRET_FILES.search(name)]
    for name in files:
        path = REPO / name
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        data = path.read_bytes()
        if b"\0" in data[:8000]:
            continue  # binary
        text = data.decode("utf-8", "replace")
        for label, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                found.append(f"{name}: {label}: {match.group(0)[:40]}")
        if name.endswith(CONFIG_SUFFIXES) or name in ("Makefile", ".ci/run"):
            for match in CONFIG_PASSWORD.finditer(text):
                value = match.group(2)
                if not value.startswith(("$", "<", "{", "%")) and value not in (
                        "none", "None", "null", "false", "true", "''", '""'):
                    found.append(f"{name}: {match.group(1)} in a config file")
    assert not found, found


def test_the_instance_secret_key_is_ignored_by_git(tmp_path):
    _tracked_files()
    ignored = subprocess.run(["git", "check-ignore", "-q", "instance/secret_key"], cwd=REPO)
    assert ignored.returncode == 0, "instance/ must be in .gitignore"


@pytest.mark.parametrize("url", ["/aanbod/%00", "/hsds/services/%00", "/onderwerp/%00",
                                 "/aanbod/abc%00def"])
def test_addresses_with_a_nul_character_are_404(sample_client, url):
    """PostgreSQL refuses text with a NUL character; such an address is a clean 404."""
    assert sample_client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/zoeken?q=hulp%00", "/api/v1/search?q=%00",
                                 "/hsds/services?organization_id=%00"])
def test_nul_characters_in_values_never_give_500(sample_client, url):
    assert sample_client.get(url).status_code < 500
