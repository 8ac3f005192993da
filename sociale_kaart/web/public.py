"""Pages for residents: home, search results, a listing's detail page, about the data.

Server-rendered and complete without JavaScript. Every search state (query, place, filters,
page) lives in the URL, so it can be bookmarked and shared.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import Blueprint, Flask, abort, render_template, request

from ..search import ParamError
from ..search.params import parse_params
from ..services.listings import format_date, format_time, load_listing
from ..services.taxonomy import terms_by_facet
from . import get_db, get_search, get_settings

bp = Blueprint("public", __name__)

EXAMPLE_NEEDS = ["hulp bij geldzaken", "mantelzorg", "eenzaam", "taalcafé", "vervoer",
                 "opvoeden"]
FACET_LABELS = {
    "category": "Levensgebied", "type": "Soort aanbod", "audience": "Voor wie",
    "access": "Toegang", "cost": "Kosten", "municipality": "Gemeente", "kern": "Plaats",
    "lang": "Taal",
}
FACET_TERM_KEYS = {"category": "levensgebied", "type": "soort", "audience": "doelgroep",
                   "access": "toegang", "cost": "kosten", "theme": "thema"}


def facet_label(facet: str, code: str) -> str:
    key = FACET_TERM_KEYS.get(facet)
    if key and code in terms_by_facet()[key]:
        return terms_by_facet()[key][code].name
    return code


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def inject() -> dict:
        return {"settings": get_settings(), "facet_label": facet_label,
                "format_date": format_date, "format_time": format_time}


def _url_with(**changes) -> str:
    """The current search URL with some parameters changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value if isinstance(value, list) else [value]
    if "page" not in changes:
        args.pop("page", None)
    return "?" + urlencode(args, doseq=True)


@bp.get("/")
def home():
    """The start page: one big search box, example needs and a tile per levensgebied."""
    categories = list(terms_by_facet()["levensgebied"].values())
    return render_template("public/home.html", examples=EXAMPLE_NEEDS, categories=categories)


@bp.get("/zoeken")
def search():
    """Search results with filters; every state has its own URL."""
    settings = get_settings()
    error = None
    result = None
    try:
        params = parse_params(request.args, default_km=settings.default_radius_km)
        result = get_search().search(params)
    except ParamError as exc:
        error = exc
    chips = []
    for key in ("category", "type", "audience", "access", "municipality", "kern", "lang"):
        for value in request.args.getlist(key):
            rest = [v for v in request.args.getlist(key) if v != value]
            chips.append((FACET_LABELS.get(key, key), facet_label(key, value),
                          _url_with(**{key: rest or None})))
    if request.args.get("free") == "1":
        chips.append(("Kosten", "Gratis", _url_with(free=None)))
    if request.args.get("near"):
        chips.append(("In de buurt van", request.args["near"], _url_with(near=None, km=None)))
    status = 400 if error else 200
    return render_template("public/results.html", result=result, error=error, chips=chips,
                           url_with=_url_with, facet_labels=FACET_LABELS,
                           args=request.args), status


@bp.get("/aanbod/<service_id>")
def service_detail(service_id: str):
    """Everything we know about one listing, in plain Dutch."""
    if len(service_id) > 64:
        abort(404)
    session = get_db().Session()
    try:
        listing = load_listing(session, service_id)
        if listing is None:
            abort(404)
        return render_template("public/detail.html", listing=listing, s=listing.service,
                               today=get_settings().today_or_now() or date.today())
    finally:
        session.close()


@bp.get("/over")
def about():
    """Who is behind the site and where the data come from (with the required attribution)."""
    return render_template("public/about.html")
