"""The JSON search API (``/api/v1/search``): a stable contract used by our evaluations and by
other systems. Field names and meanings are documented in ``docs/api.md``."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from ..search import ParamError, SearchResult
from ..search.params import parse_params
from . import get_search, get_settings, insight

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def result_json(result: SearchResult) -> dict:
    hits = []
    for hit in result.hits:
        meta = hit.meta
        municipalities = meta.get("municipalities") or meta.get("areas") or []
        kernen = meta.get("kernen") or []
        hits.append({
            "id": hit.id,
            "name": hit.name,
            "organization": {"id": hit.organization_id, "name": hit.organization},
            "summary": hit.summary,
            "type": (meta.get("types") or [None])[0],
            "categories": meta.get("categories", []),
            "municipality": municipalities[0] if municipalities else None,
            "kern": kernen[0] if kernen else None,
            "distance_km": hit.distance_km,
            "comes_to_you": hit.comes_to_you,
            "score": hit.score,
            "url": url_for("public.service_detail", service_id=hit.id, _external=True),
        })
    body = {
        "total": result.total,
        "page": result.params.page,
        "per_page": result.params.per_page,
        "results": hits,
        "facets": result.facets,
        "suggestion": result.suggestion,
    }
    if result.extra.get("total_estimated"):
        # The postgres backend counts exactly up to a limit and estimates beyond it.
        body["total_estimated"] = True
    if result.extra.get("facets_estimated"):
        body["facets_estimated"] = True
    place = result.near or result.detected_place
    if place is not None:
        body["place"] = {"name": place.name, "municipality": place.municipality,
                         "lat": place.lat, "lon": place.lon,
                         "from_query": result.near is None}
    return body


def error_json(param: str, message: str, status: int = 400):
    response = jsonify({"error": {"param": param, "message": message}})
    response.status_code = status
    return response


@bp.get("/search")
def search():
    """Search published listings; see docs/api.md for every parameter."""
    settings = get_settings()
    try:
        params = parse_params(request.args, default_km=settings.default_radius_km)
        result = get_search().search(params)
    except ParamError as error:
        return error_json(error.param, error.message)
    insight.record_api_search(params, result)  # issue 10: anonymous, never fails
    return jsonify(result_json(result))

