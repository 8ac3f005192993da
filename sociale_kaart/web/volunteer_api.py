"""``GET /api/v1/vrijwilligerswerk``: public volunteer listings as JSON (issue 9).

Only vacatures and hulpaanbod, only live ones of approved organisations, only public fields
(:func:`~sociale_kaart.volunteer.api.listing_json`): a hulpvraag or a person's private data can
never leave through here. Parameters and errors follow ``/api/v1/search`` (see docs/api.md):
a bad parameter gives HTTP 400 with ``{"error": {"param": ..., "message": ...}}``.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from ..search.params import ParamError
from ..volunteer import clock
from ..volunteer.api import listing_json, parse_query
from ..volunteer.search import UnknownPlace, search_listings
from . import get_db, get_settings
from .api import error_json

bp = Blueprint("volunteer_api", __name__, url_prefix="/api/v1")


@bp.get("/vrijwilligerswerk")
def listings():
    """Search public vacatures and hulpaanbod; see docs/volunteering.md for the parameters."""
    settings = get_settings()
    session = get_db().Session()
    try:
        try:
            query = parse_query(request.args, default_km=settings.default_radius_km)
            result = search_listings(session, query, today=clock.now().date(),
                                     default_km=settings.default_radius_km)
        except ParamError as error:
            return error_json(error.param, error.message)
        except UnknownPlace as error:
            return error_json("near", f"plaats of postcode {error.near[:50]!r} is onbekend")
        body = {
            "total": result.total,
            "page": query.page,
            "per_page": query.per_page,
            "results": [listing_json(hit.listing, distance_km=hit.distance_km,
                                     url=url_for("volunteer.detail", listing_id=hit.listing.id,
                                                 _external=True))
                        for hit in result.hits],
            "suggestion": result.suggestion,
        }
        if result.place is not None:
            place = result.place
            body["place"] = {"name": place.name, "municipality": place.municipality,
                             "lat": place.lat, "lon": place.lon,
                             "from_query": result.place_from_query}
        return jsonify(body)
    finally:
        session.close()
