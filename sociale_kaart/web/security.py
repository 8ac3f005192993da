"""Security for every response: headers, a strict Content-Security-Policy with a per-request
nonce, sign-in sessions with an idle timeout, and rate limits.

The policy allows only this site, plus the map tile server for images. Inline scripts need the
request's nonce (the map's start-up script has it); nothing else inline runs.
"""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, request, session
from flask_babel import lazy_gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, logout_user

from ..models import User
from . import get_db, get_settings

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = lazy_gettext("Log in om deze pagina te zien.")
login_manager.localize_callback = str  # flash a plain string (the session cannot hold a lazy one)
login_manager.session_protection = "strong"

#: Rate limits live in process memory: fine for one web process; several processes share the
#: limit only through a shared storage (``RATELIMIT_STORAGE_URI``).
# The storage comes from the ``ratelimit_storage_url`` setting per app (see init_app, issue 12).
limiter = Limiter(key_func=get_remote_address, default_limits=[])

LAST_SEEN_KEY = "_last_seen"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    db_session = get_db().Session()
    try:
        user = db_session.get(User, int(user_id))
        if user is not None:
            user.memberships  # noqa: B018 - load before the session closes
            db_session.expunge(user)
        return user if user is not None and user.is_active else None
    finally:
        db_session.close()


def tiles_origin() -> str | None:
    url = current_app.config.get("TILES_URL") or ""
    if not url.startswith(("http://", "https://")):
        return None
    parts = urlsplit(url.replace("{", "").replace("}", ""))
    return f"{parts.scheme}://{parts.netloc}"


def init_app(app: Flask) -> None:
    settings = get_settings_from(app)
    app.config.update(
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=settings.idle_timeout_minutes * 60,
    )
    # issue 12: counters shared by several web nodes (``database``, memcached, redis)
    from .ratelimit_storage import storage_uri

    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(settings.ratelimit_storage_url,
                                                      app.extensions["sociale_kaart.db"])
    app.config.update(settings.flask)  # explicit overrides (tests) win
    login_manager.init_app(app)
    limiter.init_app(app)

    @app.before_request
    def make_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.before_request
    def refuse_nul_characters() -> None:
        """An address with a NUL character names nothing: 404 before any lookup, because
        PostgreSQL refuses such text outright (a 500). Query values keep their own handling
        (the search ignores control characters; parameter checks give 400)."""
        if "\x00" in request.path:
            abort(404)

    @app.before_request
    def idle_timeout():
        """Sign out after a while without activity (a shared computer at a front desk)."""
        if "_user_id" not in session:
            return None
        now = time.time()
        last = session.get(LAST_SEEN_KEY)
        if last is not None and now - last > get_settings().idle_timeout_minutes * 60:
            logout_user()
            session.clear()
            return None
        session[LAST_SEEN_KEY] = now
        session.permanent = True
        return None

    @app.after_request
    def headers(response):
        nonce = g.get("csp_nonce", "")
        images = "'self' data:"
        origin = tiles_origin()
        if origin:
            images += f" {origin}"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; "
            f"img-src {images}; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["Permissions-Policy"] = "geolocation=(), camera=(), microphone=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if "_user_id" in session:
            response.headers["Cache-Control"] = "no-store"
        return response


def get_settings_from(app: Flask):
    return app.extensions["sociale_kaart.settings"]
