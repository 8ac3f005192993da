"""Search parameters: one validated object built from a query string, shared by the API, the
pages and the benchmarks. Invalid input raises :class:`ParamError` naming the parameter, which
the API turns into HTTP 400 and the pages into a friendly message. The messages are Dutch
msgids translated with Flask-Babel in the language of the request (Dutch outside a request)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Protocol

from flask_babel import gettext

from .vocabulary import ACCESS, AUDIENCES, CATEGORIES, THEMES, TYPES

MAX_QUERY_CHARS = 500
MAX_PER_PAGE = 100
MAX_PAGE = 1000
SORTS = ("relevance", "distance", "name", "start_date")
WEEKDAY_CODES = {"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6,
                 "ma": 0, "di": 1, "wo": 2, "do": 3, "vr": 4, "za": 5, "zo": 6}


class ParamError(ValueError):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


class ArgSource(Protocol):
    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class OpenAt:
    """'Open on this weekday', optionally at a time of day (None = any time that day)."""

    weekday: int
    at: time | None = None


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    near: str | None = None
    km: float | None = None
    category: tuple[str, ...] = ()
    theme: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    access: tuple[str, ...] = ()
    municipality: tuple[str, ...] = ()
    kern: tuple[str, ...] = ()
    lang: tuple[str, ...] = ()
    free: bool = False
    age: int | None = None
    upcoming: bool = False
    open: OpenAt | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    #: Whether place words found in ``q`` may become a location preference (on by default).
    detect_places: bool = True
    #: Extra for staff and tests: include inactive services and ended courses.
    include_inactive: bool = False
    #: Extra for the professional workspace: only these service ids (e.g. those with a short
    #: waiting time, looked up in the professional-only table). Never set from a query string.
    only_ids: frozenset[str] | None = None
    extra: dict = field(default_factory=dict, compare=False)

    def with_(self, **changes) -> SearchParams:
        return replace(self, **changes)


def clean_text(value: str) -> str:
    """Drop control characters and surrounding space; keep everything a person can type."""
    value = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C" or ch in "\t\n")
    return " ".join(value.split())


def _one(args: ArgSource, key: str) -> str | None:
    values = [v for v in args.getlist(key) if v is not None and v.strip() != ""]
    if len(values) > 1:
        raise ParamError(key, gettext("mag maar één keer voorkomen"))
    return clean_text(values[0]) if values else None


def _many(args: ArgSource, key: str, allowed: frozenset[str] | None = None,
          lower: bool = True) -> tuple[str, ...]:
    values: list[str] = []
    for raw in args.getlist(key):
        for part in (raw or "").split(","):
            part = clean_text(part)
            if not part:
                continue
            value = part.lower() if lower else part
            if allowed is not None and value not in allowed:
                choices = ", ".join(sorted(allowed))
                raise ParamError(key, gettext("onbekende waarde %(value)s; kies uit: %(choices)s",
                                              value=repr(part[:50]), choices=choices))
            if len(value) > 100:
                raise ParamError(key, gettext("waarde is te lang"))
            if value not in values:
                values.append(value)
    return tuple(values)


def _flag(args: ArgSource, key: str) -> bool:
    value = _one(args, key)
    if value is None:
        return False
    if value.lower() in {"1", "true", "yes", "ja", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "nee", "off"}:
        return False
    raise ParamError(key, gettext("gebruik 1 of 0"))


def _int(args: ArgSource, key: str, low: int, high: int) -> int | None:
    value = _one(args, key)
    if value is None:
        return None
    if not re.fullmatch(r"[+]?\d{1,9}", value):
        raise ParamError(key, gettext("moet een heel getal zijn"))
    number = int(value)
    if not low <= number <= high:
        raise ParamError(key, gettext("moet tussen %(low)s en %(high)s liggen", low=low,
                                      high=high))
    return number


def _open(args: ArgSource, now: datetime) -> OpenAt | None:
    value = _one(args, "open")
    at_text = _one(args, "at")
    at: time | None = None
    if at_text:
        match = re.fullmatch(r"([01]?\d|2[0-3])[:.]([0-5]\d)", at_text)
        if not match:
            raise ParamError("at", gettext("gebruik een tijd als 14:30"))
        at = time(int(match.group(1)), int(match.group(2)))
    if value is None:
        if at is not None:
            raise ParamError("at", gettext("werkt alleen samen met open"))
        return None
    key = value.lower()
    if key in {"now", "nu"}:
        return OpenAt(now.weekday(), at or now.time().replace(second=0, microsecond=0))
    if key in {"today", "vandaag"}:
        return OpenAt(now.weekday(), at)
    if key[:2] in WEEKDAY_CODES and len(key) <= 9 and key.isalpha():
        return OpenAt(WEEKDAY_CODES[key[:2]], at)
    try:
        return OpenAt(date.fromisoformat(value).weekday(), at)
    except ValueError:
        raise ParamError("open", gettext("gebruik now, een dag (ma, di, ...) of een datum "
                                         "(JJJJ-MM-DD)")) from None


def parse_params(args: ArgSource, *, now: datetime | None = None,
                 default_km: float = 10.0) -> SearchParams:
    """Validate a query string into :class:`SearchParams`; raises ParamError on bad input."""
    now = now or datetime.now()
    q = _one(args, "q") or ""
    if len(q) > MAX_QUERY_CHARS:
        raise ParamError("q", gettext("zoekvraag is te lang (meer dan %(max)s tekens)",
                                      max=MAX_QUERY_CHARS))
    near = _one(args, "near")
    if near is not None and len(near) > 100:
        raise ParamError("near", gettext("plaats of postcode is te lang"))
    km_text = _one(args, "km")
    km: float | None = None
    if km_text is not None:
        try:
            km = float(km_text.replace(",", "."))
        except ValueError:
            raise ParamError("km", gettext("moet een getal zijn")) from None
        if not 0 < km <= 500 or km != km:
            raise ParamError("km", gettext("moet tussen %(low)s en %(high)s liggen", low=0,
                                           high=500))
        if near is None:
            raise ParamError("km", gettext("werkt alleen samen met near"))
    if near is not None and km is None:
        km = default_km
    sort = (_one(args, "sort") or "relevance").lower()
    if sort not in SORTS:
        raise ParamError("sort", gettext("kies uit: %(choices)s", choices=", ".join(SORTS)))
    if sort == "distance" and near is None:
        raise ParamError("sort", gettext("sorteren op afstand kan alleen met near"))
    return SearchParams(
        q=q,
        near=near,
        km=km,
        category=_many(args, "category", CATEGORIES),
        theme=_many(args, "theme", THEMES),
        type=_many(args, "type", TYPES),
        audience=_many(args, "audience", AUDIENCES),
        access=_many(args, "access", ACCESS),
        municipality=_many(args, "municipality", lower=False),
        kern=_many(args, "kern", lower=False),
        lang=_many(args, "lang"),
        free=_flag(args, "free"),
        age=_int(args, "age", 0, 120),
        upcoming=_flag(args, "upcoming"),
        open=_open(args, now),
        sort=sort,
        page=_int(args, "page", 1, MAX_PAGE) or 1,
        per_page=_int(args, "per_page", 1, MAX_PER_PAGE) or 10,
    )


