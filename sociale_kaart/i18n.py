"""The site's languages: Dutch (the source language, written at B1 level) and English.

Every text a visitor reads is written in Dutch in the code and the templates and is the msgid
of the catalogs in ``sociale_kaart/translations`` (Flask-Babel). Which language a page is shown
in is chosen per request by :func:`select_locale`, in this order:

1. ``?lang=nl`` or ``?lang=en`` in the URL, for that page only (nothing is stored). Not on the
   search pages and the API, where ``lang`` is the filter "offered in this language";
2. the visitor's own choice, stored in the (signed) Flask session by the language switch
   (``/taal/<code>``); the session holds only that code, no personal data;
3. the best match for the browser's ``Accept-Language`` among our languages;
4. Dutch.

The JSON API always answers in Dutch, so its contract does not depend on a browser setting.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import has_request_context, request, session

#: The languages the site is shown in; the first is the source language and the default.
LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
#: The session key of the visitor's choice.
SESSION_KEY = "lang"
#: Each language's own name (shown in that language in the switch, never translated).
ENDONYMS = {"nl": "Nederlands", "en": "English"}
#: Pages where ``lang`` in the query string is a search filter, not the page language.
LANG_FILTER_ENDPOINTS = frozenset({"public.search", "maps.map_view"})


def _lang_is_a_filter() -> bool:
    return request.endpoint in LANG_FILTER_ENDPOINTS or request.path.startswith("/api/")


def select_locale() -> str:
    """The language of this request (see the module docstring for the order)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if request.path.startswith("/api/"):
        return DEFAULT_LANGUAGE
    if not _lang_is_a_filter():
        asked = request.args.get("lang", "").strip().lower()
        if asked in LANGUAGES:
            return asked
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def current_language() -> str:
    """'nl' or 'en'; Dutch outside a request (the CLI, importers, tests of services)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES \
        else DEFAULT_LANGUAGE


def term_name(term) -> str:
    """A taxonomy term's name in the current language (the Dutch name when there is no English
    one)."""
    if current_language() == "en" and getattr(term, "name_en", ""):
        return term.name_en
    return term.name


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on this site (``/zoeken?q=geld``), else ``/``.

    Refuses everything a browser could read as another site: a scheme or host
    (``https://evil.example``, ``//evil.example``), a backslash (``/\\evil.example``), and
    control characters or surrounding space."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or value != value.strip() or any(ord(ch) < 32 or ord(ch) == 127
                                                      for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def current_path_for_switch() -> str:
    """This page's path and query, for the switch's ``next``: without a ``lang`` that chose
    the language (it would win over the new choice), but keeping the search filter ``lang``."""
    args = request.args.to_dict(flat=False)
    if not _lang_is_a_filter():
        args.pop("lang", None)
    query = urlencode(args, doseq=True)
    return request.path + ("?" + query if query else "")
