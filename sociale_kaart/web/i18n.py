"""The language switch (``/taal/<code>``) and the language helpers for the templates."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, redirect, request, session, url_for
from flask_babel import lazy_gettext

from ..i18n import (
    ENDONYMS,
    LANGUAGES,
    SESSION_KEY,
    current_language,
    current_path_for_switch,
    safe_next,
    term_name,
)
from . import get_settings

bp = Blueprint("taal", __name__)

#: The default operator name of the settings, which we can translate (a real name we cannot).
DEFAULT_OPERATOR = "uw gemeente"
_DEFAULT_OPERATOR_TEXT = lazy_gettext("uw gemeente")


@bp.get("/taal/<code>")
def switch(code: str):
    """Remember the visitor's language in the session and go back to the page they were on."""
    if code not in LANGUAGES:
        abort(404)
    session[SESSION_KEY] = code
    return redirect(safe_next(request.args.get("next")), 303)


def sentence(value) -> str:
    """The first letter as a capital, the rest as it is (Jinja's ``capitalize`` lowercases the
    rest, which breaks names and English weekdays)."""
    text = str(value or "")
    return text[:1].upper() + text[1:]


def distance(km) -> str:
    """'2,5 km' in Dutch, '2.5 km' in English."""
    text = str(km)
    return (text.replace(".", ",") if current_language() == "nl" else text) + " km"


def operator_name() -> str:
    operator = get_settings().operator
    return str(_DEFAULT_OPERATOR_TEXT) if operator == DEFAULT_OPERATOR else operator


def language_switch() -> dict:
    """The link to the other language: its code, its own name and the URL of the switch."""
    current = current_language()
    other = next(code for code in LANGUAGES if code != current)
    return {"code": other, "label": ENDONYMS[other],
            "url": url_for("taal.switch", code=other, next=current_path_for_switch())}


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.filters["sentence"] = sentence

    @app.context_processor
    def inject_language() -> dict:
        return {"current_locale": current_language(), "language_switch": language_switch,
                "term_name": term_name, "operator_name": operator_name,
                "distance": distance}

    @app.after_request
    def vary_on_language(response):
        """Pages differ by Accept-Language (and by the session, which Flask already adds)."""
        if not request.path.startswith(("/api/", "/static/")):
            response.vary.add("Accept-Language")
        return response
