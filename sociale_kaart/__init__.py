"""Sociale Kaart: a digital social map for Dutch municipalities."""

from __future__ import annotations

import os

# One BLAS thread per process: our matrix products are small, and under the load of many web
# requests multi-threaded BLAS made the semantic signal several times slower (see
# docs/semantic-search.md). Set before numpy is first imported; an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from flask import Flask  # noqa: E402

from .config import STATIC_DIR, TEMPLATES_DIR, Settings, ensure_secret_key, load_settings
from .db import Database

__version__ = "0.1.0"


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web application. The steps run in this order because each needs the one
    before: settings, then the database, then search (which follows database commits), then
    the languages (Flask-Babel, which the templates of the views use), then the views."""
    settings = settings or load_settings()
    app = Flask(__name__, template_folder=str(TEMPLATES_DIR), static_folder=str(STATIC_DIR))
    _configure(app, settings)
    _init_database(app, settings)
    _init_search(app, settings)
    _init_i18n(app)
    _register_views(app)
    return app


def _configure(app: Flask, settings: Settings) -> None:
    app.config.update(
        SECRET_KEY=ensure_secret_key(settings),
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        TILES_URL=settings.tiles_url,
        TILES_ATTRIBUTION=settings.tiles_attribution,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(settings.flask)
    app.extensions["sociale_kaart.settings"] = settings


def _init_database(app: Flask, settings: Settings) -> None:
    db = Database.from_settings(settings)  # issue 12: with read replicas, if configured
    if db.current_revision() != db.head_revision():
        db.upgrade()
        from .services.taxonomy import ensure_taxonomies

        with db.session() as session:
            ensure_taxonomies(session)
    app.extensions["sociale_kaart.db"] = db


def _init_search(app: Flask, settings: Settings) -> None:
    from .search import SearchService

    search = SearchService(settings, app.extensions["sociale_kaart.db"])
    search.ensure_index()
    app.extensions["sociale_kaart.search"] = search


def _init_i18n(app: Flask) -> None:
    """Dutch by default, English as a second language (see sociale_kaart/i18n.py)."""
    from flask_babel import Babel

    from .i18n import DEFAULT_LANGUAGE, TRANSLATIONS_DIR, select_locale
    from .web import i18n

    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LANGUAGE
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    Babel(app, locale_selector=select_locale)
    # `{% trans %}` blocks ignore line breaks and indentation, as the extractor does (babel.cfg).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    i18n.register(app)


def _register_views(app: Flask) -> None:
    """Security first (CSRF, headers, sessions), then one blueprint per audience."""
    from flask_wtf.csrf import CSRFProtect

    from .web import (
        api,
        auth,
        beheer,
        coordinator,
        errors,
        feeds,
        health,
        hsds_api,
        insight,
        map_views,
        merges,
        nodes,
        openapi,
        opendata,
        professional,
        provider,
        public,
        reports_queue,
        security,
        shortlist,
        status,
        suggestions,
        users,
        volunteer,
        volunteer_api,
        volunteer_mail,
    )

    CSRFProtect(app)
    security.init_app(app)
    nodes.init_app(app)  # issue 12: replica routing for anonymous reads, request logs
    blueprints = (
        public.bp, map_views.bp,               # residents
        api.bp, hsds_api.bp, openapi.bp,       # machines: search API, HSDS API, OpenAPI
        opendata.bp, feeds.bp,                 # open data and course feeds
        auth.bp,                               # signing in
        provider.bp, professional.bp,          # providers, consultants
        shortlist.bp,                          # referral list and sheet (everyone)
        beheer.bp, users.bp, reports_queue.bp,  # moderators and beheerders
        merges.bp,                             # duplicates across sources (beheerders)
        insight.bp, insight.click_bp,          # issue 10: insight (beheerder, analist)
        volunteer.bp, volunteer_api.bp,        # issue 9: volunteer platform and its API
        coordinator.bp, volunteer_mail.bp,     # issue 9: coordinator, e-mail answer links
        suggestions.bp,                        # issue 9: "Voor u gevonden", wie kan helpen
        health.bp, status.bp,                  # issue 12: /healthz, /readyz, /beheer/status
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    errors.register(app)
    public.register_template_helpers(app)
    shortlist.register_template_helpers(app)
