"""Query parsing and the public JSON shape of volunteer listings.

Shared by the public search page and ``GET /api/v1/vrijwilligerswerk``, with the parameter
style and errors of the kaart's search API (:mod:`sociale_kaart.search.params`): comma or
repeated values, ``near`` + ``km``, ``page``/``per_page``, and a :class:`ParamError` that names
the parameter. :func:`listing_json` only ever reads public columns: no private person data and
no contact details, ever.
"""

from __future__ import annotations

from flask_babel import gettext

from ..models import VolunteerListing
from ..models.volunteer import DAGDELEN, SCHEDULE_KINDS, SUITABLE_FOR, VOLUNTEER_THEMES
from ..search.params import MAX_QUERY_CHARS, ArgSource, ParamError, _flag, _int, _many, _one
from .listings import PUBLIC_TYPES
from .search import VolunteerQuery

MAX_PER_PAGE = 100


def parse_query(args: ArgSource, *, default_km: float = 10.0,
                allowed_types: tuple[str, ...] = PUBLIC_TYPES) -> VolunteerQuery:
    """Validate query-string arguments; raises ParamError naming the parameter."""
    q = _one(args, "q") or ""
    if len(q) > MAX_QUERY_CHARS:
        raise ParamError("q", gettext("zoekvraag is te lang (meer dan %(max)s tekens)",
                                      max=MAX_QUERY_CHARS))
    types = _many(args, "type", frozenset(allowed_types)) or tuple(
        t for t in allowed_types if t in PUBLIC_TYPES) or allowed_types
    near = _one(args, "near") or _one(args, "kern")
    if near is not None and len(near) > 100:
        raise ParamError("near", gettext("plaats of postcode is te lang"))
    km_text = _one(args, "km")
    km = None
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
    page = _int(args, "page", 1, 1000) or 1
    per_page = _int(args, "per_page", 1, MAX_PER_PAGE) or 20
    return VolunteerQuery(
        q=q, types=types, themes=_many(args, "theme", frozenset(VOLUNTEER_THEMES)),
        near=near, km=km if km is not None else (default_km if near else None),
        when=_many(args, "when", frozenset(SCHEDULE_KINDS)),
        dagdelen=_many(args, "dagdeel", frozenset(DAGDELEN)),
        from_home=_flag(args, "from_home"),
        suitable=_many(args, "suitable", frozenset(SUITABLE_FOR)),
        page=page, per_page=per_page)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def listing_json(listing: VolunteerListing, *, distance_km: float | None = None,
                 url: str | None = None) -> dict:
    """The public fields of a vacature or hulpaanbod (never a hulpvraag, never contacts)."""
    org = listing.organization
    return {
        "id": listing.id,
        "type": listing.type,
        "title": listing.title,
        "description": listing.description,
        "themes": list(listing.themes or []),
        "organization": None if org is None else {"id": org.id, "name": org.name},
        "kern": listing.kern,
        "municipality": listing.municipality,
        "mode": listing.mode,
        "when": {"kind": listing.schedule_kind, "date": _iso(listing.date_on),
                 "dagdelen": list(listing.dagdelen or []),
                 "hours_per_week": listing.hours_per_week,
                 "period_start": _iso(listing.period_start),
                 "period_end": _iso(listing.period_end)},
        "requirements": {"vog": listing.requires_vog, "licence": listing.requires_licence,
                         "car": listing.requires_car, "min_age": listing.min_age},
        "suitable_for": list(listing.suitable_for or []),
        "volunteers_needed": listing.volunteers_needed,
        "urgency": listing.urgency,
        "needed_by": _iso(listing.needed_by),
        "list_until": _iso(listing.list_until),
        "published_at": _iso(listing.published_at),
        "distance_km": distance_km,
        "url": url,
    }
