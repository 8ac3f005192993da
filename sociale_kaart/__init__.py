"""Sociale Kaart: a digital social map for Dutch municipalities."""

from __future__ import annotations

from flask import Flask

from .config import STATIC_DIR, TEMPLATES_DIR, Settings, ensure_secret_key, load_settings
from .db import Database

__version__ = "0.1.0"


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web application. The steps run in this order because each needs the one
    before: settings, then the database, then search (which follows database commits), then
    the views that use both."""
    settings = settings or load_settings()
    app = Flask(__name__, template_folder=str(TEMPLATES_DIR), static_folder=str(STATIC_DIR))
    _configure(app, settings)
    _init_database(app, settings)
    _init_search(app, settings)
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
    db = Database(settings.database_url)
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


def _register_views(app: Flask) -> None:
    from flask_wtf.csrf import CSRFProtect

    from .web import api, auth, errors, public, security

    CSRFProtect(app)
    security.init_app(app)
    if "_" not in app.jinja_env.globals:  # until translations are configured
        app.jinja_env.add_extension("jinja2.ext.i18n")
        app.jinja_env.install_null_translations(newstyle=True)
    app.register_blueprint(auth.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(api.bp)
    try:
        from .web import map_views
    except ImportError:  # pragma: no cover - the map view is being built
        map_views = None
    if map_views is not None:
        app.register_blueprint(map_views.bp)
    errors.register(app)
    public.register_template_helpers(app)
