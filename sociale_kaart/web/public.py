"""Pages for residents: home, search results, a listing's detail page, browse pages, reports.

Server-rendered and complete without JavaScript. Every search state (query, place, filters,
sort, page) lives in the URL, so it can be bookmarked and shared.
"""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup
from sqlalchemy import select

from ..i18n import current_language, term_name
from ..models import Service
from ..search import ParamError, SearchParams
from ..search.params import parse_params
from ..services.listings import format_date, format_time, load_listing, month_name
from ..services.professional_info import info_for
from ..services.reports import ReportError, create_report
from ..services.taxonomy import terms_by_facet
from . import get_db, get_search, get_settings, insight
from .access import has_at_least
from .forms import ReportForm
from .security import limiter
from .semantic_notes import language_notice, show_why

bp = Blueprint("public", __name__)

#: Example searches on the home page (the search also understands everyday English words).
EXAMPLE_NEEDS = [lazy_gettext("hulp bij geldzaken"), lazy_gettext("mantelzorg"),
                 lazy_gettext("eenzaam"), lazy_gettext("taalcafé"), lazy_gettext("vervoer"),
                 lazy_gettext("opvoeden")]
FACET_LABELS = {
    "category": lazy_gettext("Onderwerp"), "type": lazy_gettext("Soort aanbod"),
    "audience": lazy_gettext("Voor wie"), "access": lazy_gettext("Toegang"),
    "cost": lazy_gettext("Kosten"), "municipality": lazy_gettext("Gemeente"),
    "kern": lazy_gettext("Plaats"), "lang": lazy_gettext("Taal"), "theme": lazy_gettext("Thema"),
}
FACET_TERM_KEYS = {"category": "levensgebied", "type": "soort", "audience": "doelgroep",
                   "access": "toegang", "cost": "kosten", "theme": "thema"}
LANGUAGE_NAMES = {
    "nl": lazy_gettext("Nederlands"), "en": lazy_gettext("Engels"),
    "ar": lazy_gettext("Arabisch"), "tr": lazy_gettext("Turks"), "pl": lazy_gettext("Pools"),
    "uk": lazy_gettext("Oekraïens"), "de": lazy_gettext("Duits"), "fr": lazy_gettext("Frans"),
    "ti": lazy_gettext("Tigrinya"), "so": lazy_gettext("Somalisch"),
    "fa": lazy_gettext("Perzisch"), "es": lazy_gettext("Spaans"), "ru": lazy_gettext("Russisch"),
    "ro": lazy_gettext("Roemeens"), "bg": lazy_gettext("Bulgaars"),
    "zgh": lazy_gettext("Berbers"),
}
RADIUS_CHOICES = (2, 5, 10, 25)
FEW_RESULTS = 3
BROWSE_PER_PAGE = 50


def facet_label(facet: str, code: str) -> str:
    key = FACET_TERM_KEYS.get(facet)
    if key and code in terms_by_facet()[key]:
        return term_name(terms_by_facet()[key][code])
    if facet == "lang":
        return str(LANGUAGE_NAMES.get(code, code))
    return code


def language_names(languages) -> list[str]:
    """The names of a listing's languages: as the data give them in Dutch, from the code in
    English (the data's names are Dutch)."""
    names = []
    for language in languages:
        code = (language.code or "").lower()
        if current_language() != "nl" and code in LANGUAGE_NAMES:
            names.append(str(LANGUAGE_NAMES[code]))
        elif language.name:
            names.append(language.name)
    return names


def short_date(iso: str | None) -> str:
    """'2027-02-03' → '3 feb' (the year only when it is not this year)."""
    if not iso:
        return ""
    day = date.fromisoformat(iso)
    text = f"{day.day} {month_name(day.month)[:3]}"
    return text if day.year == get_settings().today_or_now().year else f"{text} {day.year}"


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def inject() -> dict:
        return {"settings": get_settings(), "facet_label": facet_label,
                "map_enabled": "maps.map_view" in app.view_functions,
                "format_date": format_date, "format_time": format_time,
                "short_date": short_date, "language_names": language_names,
                "levensgebieden": terms_by_facet()["levensgebied"]}


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
    return render_template("public/home.html", examples=[str(e) for e in EXAMPLE_NEEDS],
                           categories=categories)


def filter_chips() -> list[tuple[str, str, str]]:
    """The chosen filters as (label, value, URL without it): the removable chips of the
    results and map pages."""
    chips = []
    for key in ("category", "theme", "type", "audience", "access", "municipality", "kern",
                "lang"):
        for value in request.args.getlist(key):
            rest = [v for v in request.args.getlist(key) if v != value]
            chips.append((FACET_LABELS.get(key, key), facet_label(key, value),
                          _url_with(**{key: rest or None})))
    if request.args.get("free") == "1":
        chips.append((gettext("Kosten"), gettext("Gratis"), _url_with(free=None)))
    if request.args.get("near"):
        km = request.args.get("km") or int(get_settings().default_radius_km)
        chips.append((gettext("Afstand"),
                      gettext("binnen %(km)s km van %(place)s", km=km,
                              place=request.args["near"]),
                      _url_with(near=None, km=None, sort=None)))
    return chips


@bp.get("/zoeken")
def search():
    """Search results with filters; every state has its own URL."""
    settings = get_settings()
    error = None
    result = None
    try:
        params = parse_params(request.args, default_km=settings.default_radius_km)
        result = get_search().search(params)
        insight.record_web_search(params, result)  # issue 10: anonymous, never fails
    except ParamError as exc:
        error = exc
    related = []
    if result is not None and result.total == 0:
        codes = list(result.plan.categories) if result.plan else []
        related = [terms_by_facet()["levensgebied"][c] for c in codes
                   if c in terms_by_facet()["levensgebied"]]
    status = 400 if error else 200
    return render_template("public/results.html", result=result, error=error, chips=filter_chips(),
                           url_with=_url_with, facet_labels=FACET_LABELS, args=request.args,
                           related=related, radius_choices=RADIUS_CHOICES,
                           few_results=FEW_RESULTS, language_notice=language_notice(result),
                           show_why=show_why()), status


def _term_intro(term) -> str:
    """A term's description; the taxonomy has no English descriptions, so none in English."""
    return term.description if current_language() == "nl" else ""


def _browse(title: str, intro: str, params: SearchParams, kind: str, code: str):
    result = get_search().search(params)
    return render_template("public/browse.html", title=title, intro=intro, result=result,
                           kind=kind, code=code)


def _browse_term(facet: str, param: str, kind: str, code: str):
    """A browse page for one term of our taxonomy (a levensgebied or a thema)."""
    term = terms_by_facet()[facet].get(code)
    if term is None:
        abort(404)
    params = SearchParams(per_page=BROWSE_PER_PAGE, page=_page_arg(), sort="name",
                          **{param: (code,)})
    return _browse(term_name(term), _term_intro(term), params, kind, code)


@bp.get("/onderwerp/<code>")
def browse_category(code: str):
    """Everything in one levensgebied."""
    return _browse_term("levensgebied", "category", "category", code)


@bp.get("/thema/<code>")
def browse_theme(code: str):
    """Everything under one thema (opgave) of the municipality."""
    return _browse_term("thema", "theme", "theme", code)


@bp.get("/plaats/<kern>")
def browse_place(kern: str):
    """Everything with a location in one kern (village or town)."""
    if len(kern) > 100:
        abort(404)
    page = _page_arg()
    result_params = SearchParams(kern=(kern,), per_page=BROWSE_PER_PAGE, page=page, sort="name")
    result = get_search().search(result_params)
    if result.total == 0:
        abort(404)
    name = result.hits[0].meta.get("kernen", [kern])[0] if result.hits else kern
    for hit in result.hits:
        for candidate in hit.meta.get("kernen", []):
            if candidate.lower().replace("-", " ") == kern.lower().replace("-", " "):
                name = candidate
    return render_template("public/browse.html", title=name,
                           intro=gettext("Aanbod met een adres in %(place)s.", place=name),
                           result=result,
                           kind="kern", code=kern)


@bp.get("/plaatsen")
def places():
    """All kernen with listings, per municipality, with counts."""
    result = get_search().search(SearchParams(per_page=1))
    kernen = result.facets.get("kern", {})
    return render_template("public/places.html", kernen=kernen,
                           themes=list(terms_by_facet()["thema"].values()))


def _page_arg() -> int:
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        abort(400)
    if not 1 <= page <= 1000:
        abort(400)
    return page


def _json_ld(listing) -> Markup:
    """schema.org description of the listing, for search engines and assistive tools."""
    service = listing.service
    is_course = listing.type is not None and listing.type[0] == "cursus"
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Course" if is_course else "Service",
        "name": service.name,
        "description": service.description or "",
        "url": url_for("public.service_detail", service_id=service.id, _external=True),
        "provider": {"@type": "Organization", "name": service.organization.name,
                     **({"url": service.organization.website}
                        if service.organization.website else {})},
    }
    if listing.categories:
        data["category"] = [name for _, name in listing.categories]
    locations = []
    for sal in service.service_at_locations:
        loc = sal.location
        address = loc.physical_address
        place: dict = {"@type": "Place", "name": loc.name or service.name}
        if address:
            place["address"] = {"@type": "PostalAddress", "streetAddress": address.address_1,
                                "postalCode": address.postal_code,
                                "addressLocality": address.city, "addressCountry": "NL"}
        if loc.has_point:
            place["geo"] = {"@type": "GeoCoordinates", "latitude": loc.latitude,
                            "longitude": loc.longitude}
        locations.append(place)
    if locations and not is_course:
        data["areaServed"] = locations
    if is_course and listing.courses:
        data["hasCourseInstance"] = [
            {"@type": "CourseInstance", "startDate": s.dtstart.isoformat(),
             "endDate": s.until.isoformat(), "courseMode": "onsite",
             **({"location": locations[0]} if locations else {})}
            for s in listing.courses]
    phones = service.phones or service.organization.phones
    if phones:
        data["provider"]["telephone"] = phones[0].number
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return Markup(text)


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
        service = listing.service
        siblings = list(session.scalars(
            select(Service).where(Service.organization_id == service.organization_id,
                                  Service.id != service.id, Service.status == "active")
            .order_by(Service.name).limit(20)))
        # Professional-only fields: only for signed-in consultants and up (those pages are
        # never cached: see security.headers), never in the JSON-LD or any other output.
        professional = info_for(session, service.id) if has_at_least("consultant") else None
        return render_template("public/detail.html", listing=listing, s=service,
                               siblings=siblings, json_ld=_json_ld(listing),
                               detail_map=_detail_map(service),
                               today=get_settings().today_or_now(),
                               professional=professional)
    finally:
        session.close()


def _detail_map(service) -> Markup | None:
    points = [(loc.latitude, loc.longitude, loc.name or service.name)
              for loc in service.locations if loc.has_point]
    if not points:
        return None
    try:
        from .maps import detail_map_html
    except ImportError:  # the map module is optional for the page to work
        return None
    return detail_map_html(points)


@bp.route("/aanbod/<service_id>/klopt-niet", methods=["GET", "POST"])
@limiter.limit("5 per minute;30 per day", methods=["POST"])
def report(service_id: str):
    """'Klopt er iets niet?': anyone can report a wrong listing, without an account."""
    if len(service_id) > 64:
        abort(404)
    session = get_db().Session()
    try:
        service = session.get(Service, service_id)
        if service is None:
            abort(404)
        form = ReportForm()
        status = 200
        if request.method == "POST":
            if form.validate_on_submit():
                try:
                    create_report(session, service_id, form.reason.data, form.comment.data)
                    session.commit()
                except ReportError as error:
                    session.rollback()
                    getattr(form, error.field, form.reason).errors = [gettext(error.message)]
                    status = 400
                else:
                    flash(gettext("Bedankt! We kijken ernaar en passen het aan als dat "
                                  "nodig is."))
                    return redirect(url_for("public.service_detail", service_id=service_id))
            else:
                status = 400
        return render_template("public/report.html", form=form, s=service), status
    finally:
        session.close()


@bp.get("/over")
def about():
    """Who is behind the site and where the data come from (with the required attribution)."""
    return render_template("public/about.html")


