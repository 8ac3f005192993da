"""The insight report for the yearly accountability (verantwoording): search behaviour,
coverage per kern, indicators per opgave and data quality, as a spreadsheet (one sheet per
part, openpyxl), a CSV file or a PDF (WeasyPrint, the same setup as the referral sheet).

:func:`build_report` computes everything once into plain tables; the dashboard pages and the
three file formats all read those same numbers, so a figure in the spreadsheet is the figure on
the screen.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ..config import Settings
from ..services.taxonomy import terms_by_facet
from . import coverage as cov
from . import searches
from .indicators import FIGURES, VOLUNTEER_FIGURES, Indicators, Period, indicators
from .listings import ListingFacts, load_listings
from .opgaven import load_opgaven, matches_terms
from .quality import Quality, quality

FORMATS = ("xlsx", "csv", "pdf")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


def percent(part: int, whole: int) -> str:
    """``12,5%`` (Dutch decimal comma); ``–`` without a whole."""
    if not whole:
        return "–"
    return f"{100 * part / whole:.1f}".replace(".", ",") + "%"


def km(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",")


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)


@dataclass
class Part:
    title: str
    sheet: str
    tables: list[Table] = field(default_factory=list)


@dataclass
class InsightData:
    """Everything computed for one period (the dashboard pages read this too)."""

    period: Period
    today: date
    threshold: int
    distance_km: float
    summary: searches.SearchSummary
    figures: list[searches.QueryFigure]
    listings: list[ListingFacts]
    municipalities: list[str]
    coverage: list[cov.KernCoverage]
    indicators: Indicators
    quality: Quality


def municipalities_for(settings: Settings, listings: list[ListingFacts]) -> list[str]:
    return list(settings.insight_municipalities) or cov.municipalities_of(listings)


def collect(session: Session, settings: Settings, start: date, end: date) -> InsightData:
    today = settings.today_or_now()
    listings = load_listings(session)
    municipalities = municipalities_for(settings, listings)
    kernen = cov.kernen_of(municipalities)
    return InsightData(
        period=Period(start, end), today=today,
        threshold=settings.insight_privacy_threshold,
        distance_km=settings.coverage_distance_km,
        summary=searches.summary(session, start, end),
        figures=searches.query_figures(session, start, end,
                                       settings.insight_privacy_threshold),
        listings=listings, municipalities=municipalities,
        coverage=cov.coverage(listings, kernen, settings.coverage_distance_km),
        indicators=indicators(session, listings, load_opgaven(session), Period(start, end),
                              today, [k.name for k in kernen]),
        quality=quality(session, listings, start, end, today),
    )


def headline(data: InsightData) -> list[tuple[str, str]]:
    """The few figures on the first page of the PDF and at the top of the dashboard."""
    s, q = data.summary, data.quality
    return [
        (_("Zoekopdrachten"), str(s.searches)),
        (_("Zonder resultaat"), str(s.zero_results)),
        (_("Zonder klik"), str(s.without_click)),
        (_("Met een plaats"), percent(s.with_place, s.searches)),
        (_("Actief aanbod"), str(q.listings)),
        (_("Witte vlekken (kernen)"), str(len(cov.white_spots(data.coverage)))),
        (_("Bevestigd in 12 maanden"), percent(q.confirmed_12, q.listings)),
    ]


def _search_part(data: InsightData) -> Part:
    s = data.summary
    part = Part(_("Zoekgedrag van inwoners"), _("Zoekgedrag"))
    part.tables.append(Table(_("Kerncijfers"), [_("Cijfer"), _("Aantal")], [
        [_("Zoekopdrachten"), s.searches], [_("Zonder resultaat"), s.zero_results],
        [_("Met resultaat maar zonder klik"), s.without_click], [_("Met een klik"), s.with_click],
        [_("Met een plaats"), s.with_place], [_("Aandeel met een plaats"), percent(s.with_place,
                                                                            s.searches)],
        [_("Kliks op aanbod"), s.clicks],
        [_("Zoekwoorden niet bewaard (leken op persoonsgegevens)"), s.dropped]]))
    headers = [_("Zoekwoorden"), _("Zoekopdrachten"), _("Zonder resultaat"), _("Zonder klik"),
               _("Kliks")]

    def rows(items):
        return [[f.query, f.searches, f.zero_results, f.without_click, f.clicks]
                for f in items]

    note = " " + _("(alleen zoekwoorden die %(n)s keer of vaker voorkwamen)", n=data.threshold)
    part.tables.append(Table(_("Meest gezocht") + note, headers,
                             rows(searches.top_searches(data.figures))))
    part.tables.append(Table(_("Zonder resultaat") + note, headers,
                             rows(searches.zero_result_searches(data.figures))))
    part.tables.append(Table(_("Zonder klik") + note, headers,
                             rows(searches.searches_without_click(data.figures))))
    return part


def _coverage_part(data: InsightData) -> Part:
    part = Part(_("Dekking per kern"), _("Dekking"))
    distance = km(data.distance_km)
    part.tables.append(Table(
        _("Alle aanbod per kern (binnen %(km)s km)", km=distance),
        [_("Gemeente"), _("Kern"), _("Inwoners"), _("In de kern"),
         _("Binnen %(km)s km", km=distance), _("Waarvan thuis, telefonisch of online"),
         _("Dichtstbijzijnde (km)"), _("Witte vlek")],
        [[r.municipality, r.kern, r.population if r.population is not None else "–",
          r.in_kern, r.within, r.at_home, km(r.nearest_km),
          _("ja") if r.within == 0 else _("nee")]
         for r in data.coverage]))
    kernen = cov.kernen_of(data.municipalities)
    rows = []
    for opgave in data.indicators.opgaven:
        spots = cov.white_spots(cov.coverage(data.listings, kernen, data.distance_km,
                                             matches_terms(opgave.terms)))
        rows.append([opgave.opgave, len(spots), ", ".join(r.kern for r in spots) or "–"])
    part.tables.append(Table(_("Witte vlekken per opgave (geen aanbod binnen %(km)s km)",
                               km=distance),
                             [_("Opgave"), _("Aantal kernen"), _("Kernen")], rows))
    return part


def _indicator_part(data: InsightData) -> Part:
    spans = data.indicators.periods
    labels = [p.label for p in spans]
    part = Part(_("Indicatoren per opgave"), _("Indicatoren"))
    rows = []
    for item in data.indicators.opgaven:
        for key, label in FIGURES:
            rows.append([item.opgave, str(label), *item.figures[key]])
    part.tables.append(Table(_("Cijfers per opgave"), [_("Opgave"), _("Cijfer"), *labels], rows))
    kern_rows = []
    for item in data.indicators.opgaven:
        for kern, counts in item.per_kern.items():
            if any(counts):
                kern_rows.append([item.opgave, kern, *counts])
    part.tables.append(Table(_("Actief aanbod per kern"), [_("Opgave"), _("Kern"), *labels],
                             kern_rows))
    if data.indicators.volunteer is not None:
        names = dict(VOLUNTEER_FIGURES)
        part.tables.append(Table(_("Vrijwilligerswerk"), [_("Cijfer"), *labels], [
            [str(names.get(key, key)), *values]
            for key, values in data.indicators.volunteer.items()]))
    return part


def _quality_part(data: InsightData) -> Part:
    q = data.quality
    part = Part(_("Datakwaliteit"), _("Datakwaliteit"))
    part.tables.append(Table(_("Kerncijfers"), [_("Cijfer"), _("Aantal"), _("Aandeel")], [
        [_("Actief aanbod"), q.listings, ""],
        [_("Bevestigd in de laatste 6 maanden"), q.confirmed_6, percent(q.confirmed_6,
                                                                      q.listings)],
        [_("Bevestigd in de laatste 12 maanden"), q.confirmed_12, percent(q.confirmed_12,
                                                                        q.listings)],
        [_("Open meldingen"), q.reports_open, ""],
        [_("Meldingen ontvangen in de periode"), q.reports_received, ""],
        [_("Meldingen afgehandeld in de periode"), q.reports_handled, ""],
        [_("Mediaan dagen tot afhandeling"),
         km(q.median_days_to_handle) if q.median_days_to_handle is not None else "–", ""],
        [_("Zonder telefoon of e-mail"), len(q.no_contact), percent(len(q.no_contact),
                                                                  q.listings)],
        [_("Zonder openingstijden"), len(q.no_hours), percent(len(q.no_hours), q.listings)],
        [_("Zonder locatie en zonder werkgebied"), len(q.no_place), percent(len(q.no_place),
                                                                          q.listings)],
        [_("Vermoedelijk dubbel (paren)"), len(q.duplicate_pairs), ""],
        [_("Voorstellen om samen te voegen"), q.merge_proposals, ""]]))
    part.tables.append(Table(_("Bevestigd per organisatie"), [
        _("Organisatie"), _("Actief aanbod"), _("Bevestigd 6 maanden"), _("Aandeel 6 maanden"),
        _("Bevestigd 12 maanden"), _("Aandeel 12 maanden")],
        [[o.organization, o.listings, o.confirmed_6, percent(o.confirmed_6, o.listings),
          o.confirmed_12, percent(o.confirmed_12, o.listings)] for o in q.per_organisation]))
    return part


def parts(data: InsightData) -> list[Part]:
    return [_search_part(data), _coverage_part(data), _indicator_part(data),
            _quality_part(data)]


# -- writers ---------------------------------------------------------------------------------

def to_xlsx(data: InsightData) -> bytes:
    """One sheet per part; each table with a bold title and header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    summary = book.create_sheet(_("Overzicht"))
    summary.append([_("Inzicht sociale kaart"), data.period.label])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append([])
    for label, value in headline(data):
        summary.append([label, value])
    for part in parts(data):
        sheet = book.create_sheet(part.sheet)
        sheet.append([part.title])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=14)
        for table in part.tables:
            sheet.append([])
            sheet.append([table.title])
            sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
            sheet.append(table.headers)
            for column in range(1, len(table.headers) + 1):
                sheet.cell(row=sheet.max_row, column=column).font = Font(bold=True)
            for row in table.rows:
                sheet.append(row)
        sheet.column_dimensions["A"].width = 40
        sheet.column_dimensions["B"].width = 24
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(data: InsightData) -> bytes:
    """All tables in one CSV (semicolons, as Dutch spreadsheet programs expect): a line with
    the part and table title, the header, the rows, an empty line."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow([_("Inzicht sociale kaart"), data.period.label])
    for label, value in headline(data):
        writer.writerow([label, value])
    for part in parts(data):
        for table in part.tables:
            writer.writerow([])
            writer.writerow([f"{part.title}: {table.title}"])
            writer.writerow(table.headers)
            writer.writerows(table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_pdf(make_html: Callable[[], str], base_url: str) -> bytes:
    """The report's print HTML as a PDF, with the referral sheet's WeasyPrint setup (our own
    files and data: URIs only, never the network)."""
    from ..services.referral_sheet import render_pdf

    return render_pdf(lambda _level: make_html(), base_url, one_page=False)


def term_label(term: str) -> str:
    facet, _, code = term.partition(":")
    found = terms_by_facet().get(facet, {}).get(code)
    return found.name if found is not None else term
