"""What residents look for and do not find: the search-analytics figures of the dashboard.

Counting rules (the tests compute the same figures independently):

* a *search* is a recorded search on its first page (``page = 1``); paging through the same
  results is not a new search;
* a search *without a click* had results, and none of them was clicked (``clicks``, the
  search's own click counter, so no join is needed);
* a query text is shown only when it occurred at least ``threshold`` times in the period
  (the privacy threshold); rarer texts are counted in the totals, never named;
* every figure is one aggregate query (GROUP BY), so the page renders in well under a second
  at 100k searches.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import String, and_, case, func, select, type_coerce
from sqlalchemy.orm import Session

from ..models import SearchClick, SearchEvent
from ..services.taxonomy import terms_by_facet

GRANULARITIES = ("dag", "week", "maand")


@dataclass
class QueryFigure:
    query: str
    searches: int
    zero_results: int
    without_click: int
    clicks: int


@dataclass
class SearchSummary:
    searches: int = 0
    zero_results: int = 0
    without_click: int = 0
    with_click: int = 0
    with_place: int = 0
    clicks: int = 0
    dropped: int = 0
    by_source: dict[str, int] = field(default_factory=dict)

    @property
    def place_share(self) -> float:
        return self.with_place / self.searches if self.searches else 0.0


def _in_period(start: date, end: date):
    return and_(SearchEvent.day >= start, SearchEvent.day <= end, SearchEvent.page == 1)


def _no_click():
    return and_(SearchEvent.result_count > 0, SearchEvent.clicks == 0)


def _as_date(value) -> date:
    """A ``day`` read without SQLAlchemy's per-row date parsing (SQLite gives text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def summary(session: Session, start: date, end: date) -> SearchSummary:
    """Totals for the period (one aggregate over the searches, one over the clicks)."""
    row = session.execute(select(
        func.count(),
        func.sum(case((SearchEvent.result_count == 0, 1), else_=0)),
        func.sum(case((_no_click(), 1), else_=0)),
        func.sum(case((SearchEvent.clicks > 0, 1), else_=0)),
        func.sum(case((SearchEvent.place_used.is_(True), 1), else_=0)),
        func.sum(case((SearchEvent.query_dropped.is_(True), 1), else_=0)),
    ).where(_in_period(start, end))).one()
    result = SearchSummary(*(int(v or 0) for v in row[:4]), with_place=int(row[4] or 0),
                           dropped=int(row[5] or 0))
    result.clicks = int(session.scalar(select(func.count()).select_from(SearchClick).where(
        SearchClick.day >= start, SearchClick.day <= end)) or 0)
    result.by_source = {source: int(n) for source, n in session.execute(
        select(SearchEvent.source, func.count()).where(_in_period(start, end))
        .group_by(SearchEvent.source))}
    return result


def query_figures(session: Session, start: date, end: date, threshold: int) -> list[QueryFigure]:
    """Per query text that occurred at least ``threshold`` times: searches, zero-result
    searches, searches without a click, clicks."""
    rows = session.execute(
        select(SearchEvent.query, func.count(),
               func.sum(case((SearchEvent.result_count == 0, 1), else_=0)),
               func.sum(case((_no_click(), 1), else_=0)),
               func.sum(SearchEvent.clicks))
        .where(_in_period(start, end), SearchEvent.query.is_not(None))
        .group_by(SearchEvent.query)
        .having(func.count() >= max(1, threshold)))
    return [QueryFigure(q, int(n), int(z or 0), int(w or 0), int(c or 0))
            for q, n, z, w, c in rows]


def top_searches(figures: list[QueryFigure], limit: int = 20) -> list[QueryFigure]:
    return sorted(figures, key=lambda f: (-f.searches, f.query))[:limit]


def zero_result_searches(figures: list[QueryFigure], limit: int = 20) -> list[QueryFigure]:
    found = [f for f in figures if f.zero_results]
    return sorted(found, key=lambda f: (-f.zero_results, f.query))[:limit]


def searches_without_click(figures: list[QueryFigure], limit: int = 20) -> list[QueryFigure]:
    found = [f for f in figures if f.without_click]
    return sorted(found, key=lambda f: (-f.without_click, f.query))[:limit]


def bucket(day: date, granularity: str) -> date:
    """The first day of the day/week/month that ``day`` falls in."""
    if granularity == "maand":
        return day.replace(day=1)
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    return day


def default_granularity(start: date, end: date) -> str:
    days = (end - start).days
    return "maand" if days > 92 else "week" if days > 21 else "dag"


def trend_by_category(session: Session, start: date, end: date, granularity: str,
                      codes: list[str] | None = None
                      ) -> tuple[list[date], dict[str, list[int]]]:
    """Searches per levensgebied per bucket: (buckets, {code: counts per bucket}), only the
    levensgebieden that have searches. One query with a row per day and a column per
    levensgebied, so the rows stay few however many searches there are."""
    codes = list(codes if codes is not None else terms_by_facet()["levensgebied"])
    buckets: set[date] = set()
    day = bucket(start, granularity)
    while day <= end:
        buckets.add(day)
        day = bucket(day + timedelta(days=32 if granularity == "maand" else
                                     7 if granularity == "week" else 1), granularity)
    ordered = sorted(buckets)
    if not codes:
        return ordered, {}
    columns = [func.sum(case((SearchEvent.categories.like(f"%,{code},%"), 1), else_=0))
               for code in codes]
    counts: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for day, *values in session.connection().execute(
            select(type_coerce(SearchEvent.day, String), *columns)
            .where(_in_period(start, end), SearchEvent.categories != "")
            .group_by(SearchEvent.day)):
        key = bucket(_as_date(day), granularity)
        for code, n in zip(codes, values, strict=True):
            if n:
                counts[code][key] += int(n)
    return ordered, {code: [per.get(b, 0) for b in ordered]
                     for code, per in sorted(counts.items())}


def searches_for_categories(session: Session, start: date, end: date,
                            codes: set[str]) -> int:
    """Searches in the period about any of these levensgebieden (filter or thesaurus)."""
    if not codes:
        return 0
    total = 0
    for categories, n in session.connection().execute(
            select(SearchEvent.categories, func.count())
            .where(_in_period(start, end), SearchEvent.categories != "")
            .group_by(SearchEvent.categories)):
        if codes & set(categories.strip(",").split(",")):
            total += int(n)
    return total


def clicks_on(session: Session, start: date, end: date, service_ids: set[str]) -> int:
    """Clicks in the period on any of these listings."""
    if not service_ids:
        return 0
    total = 0
    for service_id, n in session.connection().execute(
            select(SearchClick.service_id, func.count())
            .where(SearchClick.day >= start, SearchClick.day <= end)
            .group_by(SearchClick.service_id)):
        if service_id in service_ids:
            total += int(n)
    return total
