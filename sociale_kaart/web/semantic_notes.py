"""What the results page says about semantic search (issue 11): the note for a query in another
language, and, for staff, why each result matched.

Kept apart from ``public.py`` so that view stays small. The note is shown in the resident's
language where the site has it (English today), else in English: the person typed in another
language, so a Dutch sentence would not help.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import force_locale, gettext

from ..i18n import current_language
from .access import has_at_least

#: Interface languages of the site besides Dutch.
UI_LANGUAGES = ("en",)


def language_notice(result) -> dict | None:
    """For a query in another language: the sentence that the results are in Dutch, in which
    language it is written, and the Dutch phrasing(s) with their search links."""
    if result is None or not result.extra.get("language") or result.extra["language"] == "nl":
        return None
    query_lang = result.extra["language"]
    lang = query_lang if query_lang in UI_LANGUAGES else "en"
    if current_language() == lang:
        text = gettext("De resultaten zijn in het Nederlands.")
        phrase_label = gettext("Gezocht in het Nederlands op:")
    else:
        with force_locale(lang):
            text = gettext("De resultaten zijn in het Nederlands.")
            phrase_label = gettext("Gezocht in het Nederlands op:")
    phrasings = [(p, url_for("public.search", q=p))
                 for p in result.extra.get("dutch_phrasing", [])]
    return {"lang": lang, "text": text, "phrase_label": phrase_label, "phrasings": phrasings}


def show_why() -> bool:
    """Staff (consultant and up) may see why each result matched; residents never do."""
    return has_at_least("consultant")
