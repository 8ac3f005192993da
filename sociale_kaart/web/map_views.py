"""The map view of a search (``/kaart``): the same query parameters as ``/zoeken``, every
result on one clustered map, and the same results as a plain list under it for keyboard and
screen-reader users and for browsers without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for

from ..geo.gazetteer import default_gazetteer, haversine_km
from ..search import ParamError, SearchResult
from ..search.engine import Hit
from ..search.params import parse_params
from . import get_search, get_settings
from .maps import MapMarker, RenderedMap, results_map
from .public import filter_chips

bp = Blueprint("maps", __name__)

#: The most results one map shows (the list under it says when there are more).
MAP_LIMIT = 1000
PAGE_SIZE = 100


@dataclass
class MapPage:
    result: SearchResult
    hits: list[Hit]
    #: Hits with at least one point, each with its markers (one per location).
    located: list[tuple[Hit, list[MapMarker]]] = field(default_factory=list)
    #: Hits without a point: they come to you, or work by phone or online.
    remote: list[Hit] = field(default_factory=list)
    map: RenderedMap | None = None

    @property
    def truncated(self) -> bool:
        return self.result.total > len(self.hits)


def _all_hits(params) -> tuple[SearchResult, list[Hit]]:
    """Run the search page by page (as /zoeken would) up to MAP_LIMIT results."""
    search = get_search()
    first = search.search(params.with_(page=1, per_page=PAGE_SIZE))
    hits = list(first.hits)
    page = 1
    while len(hits) < min(first.total, MAP_LIMIT):
        page += 1
        more = search.search(params.with_(page=page, per_page=PAGE_SIZE)).hits
        if not more:
            break
        hits += more
    return first, hits[:MAP_LIMIT]


def _kern_for(hit: Hit, lat: float, lon: float) -> str:
    """The kern of one of a listing's points: its only kern, else the nearest of its kernen."""
    kernen = hit.meta.get("kernen") or []
    if len(kernen) <= 1:
        return kernen[0] if kernen else ""
    gazetteer = default_gazetteer()
    municipalities = hit.meta.get("municipalities") or [None]
    best: tuple[float, str] | None = None
    for name in kernen:
        for municipality in municipalities:
            place = gazetteer.by_place(name, municipality)
            if place is not None:
                distance = haversine_km(lat, lon, place.lat, place.lon)
                if best is None or distance < best[0]:
                    best = (distance, name)
                break
    return best[1] if best else ", ".join(kernen)


def markers_for(hit: Hit) -> list[MapMarker]:
    url = url_for("public.service_detail", service_id=hit.id)
    markers = []
    for lat, lon in hit.meta.get("points") or []:
        lines = [_kern_for(hit, lat, lon), hit.organization]
        markers.append(MapMarker(float(lat), float(lon), hit.name, lines, url))
    return markers


def build_page(result: SearchResult, hits: list[Hit]) -> MapPage:
    page = MapPage(result=result, hits=hits)
    for hit in hits:
        markers = markers_for(hit)
        if markers:
            page.located.append((hit, markers))
        else:
            page.remote.append(hit)
    page.map = results_map([m for _, markers in page.located for m in markers])
    return page


def _args_without(*keys: str) -> str:
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in keys}
    return urlencode(args, doseq=True)


@bp.get("/kaart")
def map_view():
    """The search results on a map, with the same results as a list under it."""
    settings = get_settings()
    error = None
    page = None
    try:
        params = parse_params(request.args, default_km=settings.default_radius_km)
        page = build_page(*_all_hits(params))
    except ParamError as exc:
        error = exc
    query = _args_without("page", "per_page")
    list_url = url_for("public.search") + ("?" + query if query else "")
    return render_template("public/map.html", page=page, error=error, chips=filter_chips(),
                           args=request.args, list_url=list_url,
                           limit=MAP_LIMIT), 400 if error else 200
