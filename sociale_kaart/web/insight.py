"""Insight for the municipality (``/inzicht``): what residents look for and do not find,
coverage per kern, indicators per opgave, data quality and the yearly report.

Readers are beheerders and analisten (read-only); only a beheerder may change the opgaven
table or add a synonym. Every page works without JavaScript; charts are SVG pictures of the
table beside them. The public click counter (``/aanbod/<id>/klik/...``) lives here too: it
records the click on a search result and redirects to the listing's own (canonical) URL.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import or_, select

from ..config import STATIC_DIR
from ..geo.gazetteer import default_gazetteer
from ..insight import analytics, charts, searches
from ..insight import coverage as cov
from ..insight import reports as rep
from ..insight.indicators import FIGURES, VOLUNTEER_FIGURES, Period, indicators
from ..insight.listings import load_listings
from ..insight.opgaven import (
    OpgaveError,
    OpgaveRow,
    load_opgaven,
    parse_terms,
    save_opgaven,
    selector,
    valid_terms,
)
from ..insight.quality import LIST_LIMIT, quality
from ..insight.synonyms import SynonymError, add_synonym, apply_local_thesaurus
from ..models import Organization, Service
from ..services.freshness import months_before
from ..services.taxonomy import terms_by_facet
from . import get_db, get_search, get_settings
from .access import role_required

bp = Blueprint("insight", __name__, url_prefix="/inzicht")
click_bp = Blueprint("insight_click", __name__)

reader_required = role_required("beheerder", "analist")
beheerder_required = role_required("beheerder")
#: The longest period a page or report covers (the indicators also read two years before it).
MAX_PERIOD_DAYS = 5 * 366
TOP = 20


# -- recording (called from the search views) ---------------------------------------------------

def record_web_search(params, result) -> None:
    """Record a residents' search; its result links then carry the click token."""
    settings = get_settings()
    if not settings.search_analytics or result is None:
        return
    token = analytics.record_search(get_db(), params, result, source="web",
                                    day=_today())
    if token:
        offset = (params.page - 1) * params.per_page
        g.insight_click = (token, {hit.id: offset + number
                                   for number, hit in enumerate(result.hits, start=1)})


def record_api_search(params, result) -> None:
    """Record a search through the JSON API (no click tracking: its URLs stay canonical)."""
    if get_settings().search_analytics and result is not None:
        analytics.record_search(get_db(), params, result, source="api", day=_today())


def result_url(service_id: str) -> str:
    """A result's link: through the click counter (with the result's rank) when this request
    recorded a search that found it, else the listing's own URL."""
    click = g.get("insight_click")
    rank = click[1].get(service_id) if click else None
    if rank is None:
        return url_for("public.service_detail", service_id=service_id)
    return url_for("insight_click.click", token=click[0], rank=rank, service_id=service_id)


@click_bp.get("/aanbod/<service_id>/klik/<token>/<int:rank>")
def click(service_id: str, token: str, rank: int):
    """Count a click on a search result and go on to the listing."""
    if len(service_id) > 64:
        abort(404)
    if get_settings().search_analytics:
        analytics.record_click(get_db(), token, rank, service_id, day=_today())
    response = redirect(url_for("public.service_detail", service_id=service_id), code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.record_once
def _on_register(state) -> None:
    app: Flask = state.app

    @app.context_processor
    def inject() -> dict:
        return {"result_url": result_url}

    search = app.extensions.get("sociale_kaart.search")
    settings = app.extensions.get("sociale_kaart.settings")
    if search is not None and settings is not None:
        from ..insight.synonyms import local_file

        if local_file(settings).exists():
            apply_local_thesaurus(settings, search)


# -- helpers -------------------------------------------------------------------------------

def _today() -> date:
    return get_settings().today_or_now()


def _period() -> tuple[Period, str | None]:
    """The period from ``van``/``tot`` (default: the last 12 months), and an error text."""
    today = _today()
    default = Period(months_before(today, 12) + timedelta(days=1), today)
    start_text, end_text = request.args.get("van", ""), request.args.get("tot", "")
    if not start_text and not end_text:
        return default, None
    try:
        start = date.fromisoformat(start_text) if start_text else default.start
        end = date.fromisoformat(end_text) if end_text else default.end
    except ValueError:
        return default, gettext("Vul de datums in als jjjj-mm-dd, bijvoorbeeld 2026-01-31.")
    if end < start:
        return default, gettext("De einddatum ligt voor de begindatum.")
    if (end - start).days > MAX_PERIOD_DAYS:
        return default, gettext("Kies een periode van hoogstens vijf jaar.")
    return Period(start, end), None


def _period_args(period: Period) -> dict:
    return {"van": period.start.isoformat(), "tot": period.end.isoformat()}


def _can_edit() -> bool:
    return current_user.is_authenticated and current_user.role == "beheerder"


def _render(template: str, status: int = 200, **context):
    period, error = _period()
    if error:
        status = 400
    return render_template(template, period=period, period_error=error,
                           period_args=_period_args(period), can_edit=_can_edit(),
                           percent=rep.percent, km=rep.km, **context), status


# -- pages ---------------------------------------------------------------------------------

@bp.get("/")
@reader_required
def dashboard():
    """What residents look for: top searches, no results, no click, trend, place share."""
    period, _error = _period()
    settings = get_settings()
    granularity = request.args.get("per", "")
    if granularity not in searches.GRANULARITIES:
        granularity = searches.default_granularity(period.start, period.end)
    session = get_db().Session()
    try:
        summary = searches.summary(session, period.start, period.end)
        figures = searches.query_figures(session, period.start, period.end,
                                         settings.insight_privacy_threshold)
        buckets, trend = searches.trend_by_category(session, period.start, period.end,
                                                    granularity)
    finally:
        session.close()
    names = {code: term.name for code, term in terms_by_facet()["levensgebied"].items()}
    totals = sorted(((names.get(code, code), sum(values)) for code, values in trend.items()),
                    key=lambda item: -item[1])
    top = searches.top_searches(figures, TOP)
    return _render(
        "insight/dashboard.html", summary=summary, top=top,
        zero=searches.zero_result_searches(figures, TOP),
        no_click=searches.searches_without_click(figures, TOP),
        threshold=settings.insight_privacy_threshold, granularity=granularity,
        buckets=buckets, trend=trend, names=names, sparkline=charts.sparkline,
        top_chart=charts.hbar_chart([(f.query, f.searches) for f in top[:10]],
                                    gettext("Meest gezocht")),
        category_chart=charts.hbar_chart(totals, gettext("Zoekopdrachten per levensgebied")),
        sections=sorted(terms_by_facet()["levensgebied"].values(), key=lambda t: t.name))


@bp.get("/dekking")
@reader_required
def coverage_page():
    """Coverage per kern for a chosen theme: table, map and white spots."""
    settings = get_settings()
    kind, code = request.args.get("soort", "alles"), request.args.get("code", "")
    if "keuze" in request.args:  # the form's one select: "levensgebied:geld", "opgave:3"
        kind, _sep, code = request.args["keuze"].partition(":")
    session = get_db().Session()
    try:
        listings = load_listings(session)
        opgaven = load_opgaven(session)
    finally:
        session.close()
    municipalities = rep.municipalities_for(settings, listings)
    chosen_muni = request.args.get("gemeente") or (municipalities[0] if municipalities else "")
    status = 200
    if chosen_muni and chosen_muni not in municipalities:
        known = default_gazetteer().municipality_name(chosen_muni)
        if known is None:
            abort(404)
        chosen_muni = known
    choice = selector(kind, code, opgaven)
    if choice is None:
        choice, status = selector("alles", "", opgaven), 400
        kind, code = "alles", ""
    predicate, label = choice
    kernen = cov.kernen_of([chosen_muni]) if chosen_muni else []
    rows = cov.coverage(listings, kernen, settings.coverage_distance_km, predicate)
    return _render("insight/coverage.html", status, rows=rows,
                   spots=cov.white_spots(rows), municipalities=municipalities,
                   municipality=chosen_muni, kind=kind, code=code, label=label,
                   opgaven=opgaven, terms=terms_by_facet(),
                   distance=settings.coverage_distance_km, coverage_map=_coverage_map(rows),
                   bad_choice=status == 400)


def _coverage_map(rows: list[cov.KernCoverage]):
    """A folium map with a coloured circle per kern (the table says the same in words)."""
    if not rows:
        return None
    try:
        from .maps import MapMarker, PlainMarkers, _new_map, _render
    except ImportError:
        return None
    colours = {"geen": "#b00020", "weinig": "#b35c00", "goed": "#1e7b34"}
    levels = {"geen": gettext("geen aanbod (witte vlek)"), "weinig": gettext("weinig aanbod"),
              "goed": gettext("genoeg aanbod")}
    fmap = _new_map([(r.lat, r.lon) for r in rows], scroll_wheel_zoom=False)
    boundary = _boundary(rows[0].municipality)
    if boundary is not None:
        import folium

        folium.GeoJson(boundary, name="Gemeentegrens", control=False, tooltip=None,
                       style_function=lambda _feature: {"color": "#1b1b1b", "weight": 2,
                                                        "fill": False}).add_to(fmap)
    data = []
    for r in rows:
        marker = MapMarker(r.lat, r.lon, r.kern, [
            gettext("%(n)s binnen bereik", n=r.within), levels[r.level]])
        data.append([r.lat, r.lon, marker.popup_html(), f"{r.kern}: {levels[r.level]}",
                     colours[r.level]])
    callback = """function (row) {
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]),
        {radius: 10, color: '#1b1b1b', weight: 1, fillColor: row[4], fillOpacity: 0.9});
    marker.bindPopup(row[2]);
    marker.bindTooltip(row[3]);
    return marker;
}"""
    PlainMarkers(data, callback).add_to(fmap)
    return _render(fmap, marker_count=len(rows), label=gettext("Kaart met de dekking per kern"))


def _boundary(municipality: str) -> dict | None:
    """The municipality's boundary from the shipped GeoJSON (CBS via PDOK), if it has one."""
    import json

    from ..config import DATA_DIR

    path = DATA_DIR / "geo" / "gemeenten_altena_meierijstad.geojson"
    try:
        features = json.loads(path.read_text("utf-8"))["features"]
    except (OSError, ValueError, KeyError):
        return None
    for feature in features:
        if feature.get("properties", {}).get("statnaam") == municipality:
            return feature
    return None


@bp.get("/opgaven")
@reader_required
def indicators_page():
    """Indicators per opgave, beside the same figures for the two previous years."""
    period, _error = _period()
    settings = get_settings()
    session = get_db().Session()
    try:
        listings = load_listings(session)
        municipalities = rep.municipalities_for(settings, listings)
        kernen = [k.name for k in cov.kernen_of(municipalities)]
        result = indicators(session, listings, load_opgaven(session), period, _today(),
                            kernen)
    finally:
        session.close()
    return _render("insight/indicators.html", result=result, figures=FIGURES,
                   volunteer_labels=dict(VOLUNTEER_FIGURES), term_label=rep.term_label)


@bp.route("/opgaven/bewerken", methods=["GET", "POST"])
@beheerder_required
def edit_opgaven():
    """The opgaven table: name and the taxonomy terms that count for each (beheerder)."""
    session = get_db().Session()
    try:
        opgaven = load_opgaven(session)
        error = None
        status = 200
        values = [(o.id, o.name, ", ".join(o.terms or [])) for o in opgaven]
        new_values = ("", "")
        if request.method == "POST":
            rows, values, new_values, error = _opgave_rows(opgaven)
            if error is None:
                try:
                    save_opgaven(session, rows)
                    session.commit()
                except OpgaveError as exc:
                    session.rollback()
                    error = exc
                else:
                    flash(gettext("De opgaven zijn opgeslagen."))
                    return redirect(url_for("insight.edit_opgaven"))
            status = 400
        return render_template("insight/opgaven_edit.html", values=values,
                               new_values=new_values, error=error,
                               terms=valid_terms()), status
    finally:
        session.close()


def _opgave_rows(opgaven):
    """The submitted table, as rows to save, the values to show again, and the first error."""
    rows, values, error = [], [], None
    by_id = {o.id: o for o in opgaven}
    number = 0
    for opgave_id in by_id:
        name = request.form.get(f"naam-{opgave_id}", "")
        terms_text = request.form.get(f"termen-{opgave_id}", "")
        values.append((opgave_id, name, terms_text))
        if request.form.get(f"weg-{opgave_id}") == "1":
            continue
        number += 1
        try:
            rows.append(OpgaveRow(opgave_id, name, parse_terms(terms_text, number)))
        except OpgaveError as exc:
            error = error or exc
    new_name = request.form.get("naam-nieuw", "").strip()
    new_terms = request.form.get("termen-nieuw", "")
    if new_name or new_terms.strip():
        number += 1
        try:
            rows.append(OpgaveRow(None, new_name, parse_terms(new_terms, number)))
        except OpgaveError as exc:
            error = error or exc
    return rows, values, (new_name, new_terms), error


@bp.get("/kwaliteit")
@reader_required
def quality_page():
    """Data quality: confirmed shares, error reports, missing fields, duplicates."""
    period, _error = _period()
    session = get_db().Session()
    try:
        listings = load_listings(session)
        result = quality(session, listings, period.start, period.end, _today())
    finally:
        session.close()
    return _render("insight/quality.html", q=result, limit=LIST_LIMIT)


@bp.route("/synoniem", methods=["GET", "POST"])
@beheerder_required
def synonym():
    """Add a synonym to the local thesaurus, so a search that found nothing finds something."""
    settings = get_settings()
    term = (request.values.get("term") or "").strip()[:100]
    values = {"term": term, "synonyms": request.form.get("synonyms", ""),
              "section": request.form.get("section", "algemeen"),
              "kind": request.form.get("kind", "synonym")}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            line = add_synonym(settings, values["term"], values["synonyms"], values["section"],
                               "related" if values["kind"] == "related" else "synonym")
        except SynonymError as exc:
            errors[exc.field] = exc.message
            status = 400
        else:
            apply_local_thesaurus(settings, get_search())
            flash(gettext("Toegevoegd aan de thesaurus: %(line)s. Zoekopdrachten gebruiken "
                          "het meteen.", line=line))
            return redirect(url_for("public.search", q=values["term"]))
    sections = sorted(terms_by_facet()["levensgebied"].values(), key=lambda t: t.name)
    return render_template("insight/synonym.html", values=values, errors=errors,
                           sections=sections), status


@bp.get("/aanbod")
@reader_required
def find_listing():
    """Find the listing a search should have found, to open it in the editor."""
    text = (request.args.get("q") or "").strip()[:100]
    found = []
    if text:
        pattern = f"%{text.lower()}%"
        session = get_db().Session()
        try:
            found = list(session.execute(
                select(Service.id, Service.name, Service.status, Organization.name)
                .join(Organization, Service.organization_id == Organization.id)
                .where(or_(Service.name.ilike(pattern), Organization.name.ilike(pattern),
                           Service.description.ilike(pattern)))
                .order_by(Service.name).limit(50)))
        finally:
            session.close()
    return render_template("insight/find_listing.html", text=text, found=found,
                           can_edit=_can_edit())


@bp.get("/rapport.<fmt>")
@reader_required
def report(fmt: str):
    """The report for the period as a spreadsheet, CSV or PDF."""
    if fmt not in rep.FORMATS:
        abort(404)
    period, error = _period()
    if error:
        abort(400)
    data = build_file(fmt, period)
    name = f"inzicht-{period.start.isoformat()}-{period.end.isoformat()}.{fmt}"
    response = current_app.response_class(data, mimetype=rep.MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def build_file(fmt: str, period: Period) -> bytes:
    """The report in one format (needs an app and request context: the PDF is a template)."""
    session = get_db().Session()
    try:
        data = rep.collect(session, get_settings(), period.start, period.end)
    finally:
        session.close()
    if fmt == "xlsx":
        return rep.to_xlsx(data)
    if fmt == "csv":
        return rep.to_csv(data)
    stylesheet = (STATIC_DIR / "css" / "insight-print.css").as_uri()
    return rep.to_pdf(lambda: render_template(
        "insight/report_print.html", data=data, parts=rep.parts(data),
        headline=rep.headline(data), stylesheet=stylesheet), STATIC_DIR.as_uri() + "/")


__all__ = ["bp", "click_bp", "record_api_search", "record_web_search"]
