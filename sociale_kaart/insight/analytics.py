"""Recording anonymous search analytics: one row per search, one per click.

Why this shape
--------------
The municipality wants to know what residents look for and do not find, never *who* looked.
So a search row holds the normalised query text, the filters, whether a place was used, the
result count and the page, stamped with the *day* only. Nothing about the visitor (IP address,
cookie, session id, user agent, account, time of day) is read or written here, so two
searches can never be tied to one person.

A click is tied to its search through a random token that only that search's result links
carry (``/aanbod/<id>/klik/<token>/<rank>``). The token is new for every search, so it links a click
to one search and never two searches to each other.

Query text that looks like personal data (an e-mail address, a phone number, a BSN-like number
that passes the elfproef, a postcode with a house number, an IBAN, any long number) is dropped
as a whole before storing: a resident who types a BSN may also have typed a name next to it.
The rest of the record (filters, counts) is kept, with ``query_dropped`` set.

Recording must never fail or slow down a search: it is one INSERT on a core connection (no
ORM session, no reindex hook) and every error is logged and swallowed.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from datetime import date

from sqlalchemy import Date, Integer, String, delete, insert, literal, select, update

from ..db import Database
from ..models import SearchClick, SearchEvent
from ..services.freshness import months_before

log = logging.getLogger(__name__)

#: Longest query text kept (longer text is cut at a word boundary).
MAX_QUERY_CHARS = 200
#: Filters stored with a search (the ``near`` text is never stored; only whether it was used).
STORED_FILTERS = ("category", "theme", "type", "audience", "access", "municipality", "kern",
                  "lang")

EMAIL_RE = re.compile(r"[\w.+-]+\s*(?:@|\(at\)|\[at\])\s*[\w-]+(?:\.[\w-]+)+", re.I)
#: Dutch phone numbers: 06-12345678, 0183 123 456, +31 6 1234 5678, 0031183123456.
PHONE_RE = re.compile(r"(?:\+|00)\s*31[\s-]*(?:\(0\))?[\s-]*\d(?:[\s-]*\d){7,9}"
                      r"|\b0(?:[\s-]*\d){9}\b")
#: Postcode with a house number: "4251 AB 12", "4251ab12", "4251 AB, 12a".
POSTCODE_HOUSE_RE = re.compile(r"\b[1-9]\d{3}\s*[a-z]{2}\b[\s,]*\d{1,5}", re.I)
IBAN_RE = re.compile(r"\b[a-z]{2}\d{2}\s*[a-z]{4}(?:\s*\d){10}\b", re.I)
#: Runs of digits (spaces, dots and dashes inside allowed), for the BSN and long-number checks.
NUMBER_RE = re.compile(r"\d(?:[\s.-]?\d)+")
#: Any number of this many digits or more is treated as personal (client or account numbers).
LONG_NUMBER_DIGITS = 10


def elfproef(digits: str) -> bool:
    """The BSN check: 9 digits (8 with a leading zero added), 9*d1 + 8*d2 + ... + 2*d8 - d9
    divisible by 11, and not all zeros."""
    if len(digits) == 8:
        digits = "0" + digits
    if len(digits) != 9 or not digits.isdigit() or set(digits) == {"0"}:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    return (total - int(digits[8])) % 11 == 0


def looks_personal(text: str) -> bool:
    """True when the text holds something that may identify a person (see module docstring)."""
    if EMAIL_RE.search(text) or PHONE_RE.search(text) or POSTCODE_HOUSE_RE.search(text) \
            or IBAN_RE.search(text):
        return True
    for match in NUMBER_RE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= LONG_NUMBER_DIGITS or (len(digits) in (8, 9) and elfproef(digits)):
            return True
    return False


def normalise_query(text: str | None) -> str:
    """Lower case, no control characters, single spaces, at most :data:`MAX_QUERY_CHARS`."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = " ".join(text.lower().split())
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0]
    return text


def scrub_query(text: str | None) -> tuple[str | None, bool]:
    """``(text to store, dropped)``: the normalised text, or None and True when it looked
    personal. Empty text gives ``(None, False)``."""
    normal = normalise_query(text)
    if not normal:
        return None, False
    if looks_personal(normal) or looks_personal(text or ""):
        return None, True
    return normal, False


def new_token() -> str:
    """A random, per-search token (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)[:22]


def search_row(params, result, *, source: str, day: date, token: str) -> dict:
    """The row for one search (no database access; pure, so it is easy to test)."""
    query, dropped = scrub_query(getattr(params, "q", ""))
    filters: dict[str, list] = {}
    for name in STORED_FILTERS:
        values = list(getattr(params, name, ()) or ())
        if values:
            filters[name] = [str(v)[:100] for v in values[:10]]
    if getattr(params, "free", False):
        filters["free"] = [True]
    if getattr(params, "age", None) is not None:
        filters["age"] = [params.age]
    if getattr(params, "upcoming", False):
        filters["upcoming"] = [True]
    if getattr(params, "open", None) is not None:
        filters["open"] = [True]
    codes = list(getattr(params, "category", ()) or ())
    plan = getattr(result, "plan", None) if result is not None else None
    if plan is not None:
        codes += [c for c, _strength in sorted(plan.categories.items(), key=lambda i: -i[1])]
    codes = list(dict.fromkeys(codes))[:12]
    place = None
    if result is not None:
        found = result.near or result.detected_place
        place = found.name if found is not None else None
    place_used = bool(getattr(params, "near", None)) or place is not None
    return {
        "token": token, "day": day, "source": source, "query": query,
        "query_dropped": dropped, "filters": filters or None,
        "categories": ("," + ",".join(codes) + ",") if codes else "",
        "place_used": place_used, "place": place[:200] if place else None,
        "result_count": int(getattr(result, "total", 0) or 0),
        "page": int(getattr(params, "page", 1) or 1),
    }


def record_search(db: Database, params, result, *, source: str, day: date) -> str | None:
    """Store one search; returns its click token, or None when nothing was stored.

    Never raises: analytics must not break a search."""
    try:
        token = new_token()
        row = search_row(params, result, source=source, day=day, token=token)
        with db.engine.begin() as connection:
            connection.execute(insert(SearchEvent), row)
        return token
    except Exception:  # noqa: BLE001 - log and let the search go on
        log.exception("could not record a search for the insight dashboard")
        return None


TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,32}$")


def record_click(db: Database, token: str, rank: int, service_id: str, *, day: date) -> bool:
    """Store a click on result ``rank`` of the search with ``token``; False when the token is
    unknown (or anything goes wrong). One transaction: the search's counter and the click row
    (for clicks per listing); never raises."""
    if not TOKEN_RE.match(token or "") or not 1 <= rank <= 100_000 or len(service_id) > 36:
        return False
    try:
        count = update(SearchEvent).where(SearchEvent.token == token).values(
            clicks=SearchEvent.clicks + 1)
        chosen = select(SearchEvent.id, literal(day, Date), literal(rank, Integer),
                        literal(service_id, String)).where(SearchEvent.token == token)
        statement = insert(SearchClick).from_select(
            ["search_id", "day", "rank", "service_id"], chosen)
        with db.engine.begin() as connection:
            if not connection.execute(count).rowcount:
                return False
            return bool(connection.execute(statement).rowcount)
    except Exception:  # noqa: BLE001
        log.exception("could not record a click for the insight dashboard")
        return False


def purge(db: Database, today: date, months: int) -> tuple[int, int]:
    """Delete searches and clicks older than ``months`` months; returns (searches, clicks)."""
    cutoff = months_before(today, months)
    with db.engine.begin() as connection:
        old = select(SearchEvent.id).where(SearchEvent.day < cutoff)
        clicks = connection.execute(delete(SearchClick).where(
            (SearchClick.day < cutoff) | SearchClick.search_id.in_(old))).rowcount
        searches = connection.execute(delete(SearchEvent).where(
            SearchEvent.day < cutoff)).rowcount
    return searches or 0, clicks or 0
