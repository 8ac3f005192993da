"""The HSDS 3.0 read API under ``/hsds/`` (Open Referral's ``openapi.json``; docs/hsds-api.md).

Thin views: each parses its parameters, asks :mod:`sociale_kaart.services.hsds_queries`, and
answers JSON. Shared behaviour lives in the hooks below, because every response needs it:

* conditional GET: a strong ETag (hash of the body) and Last-Modified (when the published data
  last changed), so ``If-None-Match`` / ``If-Modified-Since`` give 304;
* CORS ``*`` for GET (the API is open; no cookies are needed or read);
* a rate limit per client address (setting ``hsds_rate_limit``), answered with JSON 429;
* errors as JSON: 400 naming the parameter, 404 for an unknown id or path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from flask_babel import gettext
from werkzeug.exceptions import MethodNotAllowed

from ..services.hsds_queries import (
    HSDS_VERSION,
    PROFILE_URI,
    HsdsParamError,
    HsdsReader,
    data_changed_at,
    parse_flag,
    parse_list_args,
)
from . import get_db
from .security import limiter

bp = Blueprint("hsds", __name__, url_prefix="/hsds")

#: Requests per client address; override with the ``hsds_rate_limit`` setting.
DEFAULT_RATE_LIMIT = "300 per minute"
#: Paths whose 405 answers are JSON with ``Allow`` (see ``method_not_allowed``).
JSON_PREFIXES = ("/hsds/", "/api/")
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Retry-After",
}


def rate_limit() -> str:
    settings = current_app.extensions["sociale_kaart.settings"]
    return getattr(settings, "hsds_rate_limit", None) or DEFAULT_RATE_LIMIT


def _too_many(_limit: Any) -> Response:
    return error_response("rate", "too many requests; try again in a minute", 429)


limiter.shared_limit(rate_limit, scope="hsds", on_breach=_too_many)(bp)


def error_response(param: str | None, message: str, status: int) -> Response:
    """The error body of all our JSON APIs: ``{"error": {"param": ..., "message": ...}}``."""
    body = json.dumps({"error": {"param": param, "message": message}}, ensure_ascii=False)
    return Response(body, status=status, mimetype="application/json")


def json_response(data: Any) -> Response:
    """JSON with ETag and Last-Modified, answered 304 when the client's copy is current."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    response = Response(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    session = get_db().Session()
    try:
        changed = data_changed_at(session)
    finally:
        session.close()
    if changed is not None:
        response.last_modified = changed
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response.make_conditional(request)


def _read(work: Callable[[HsdsReader], Any]) -> Response:
    session = get_db().Session()
    try:
        result = work(HsdsReader(session))
    except HsdsParamError as error:
        return error_response(error.param, error.message, 400)
    finally:
        session.close()
    if result is None:
        return error_response("id", "not found", 404)
    return json_response(result)


@bp.after_request
def add_cors(response: Response) -> Response:
    response.headers.update(CORS_HEADERS)
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


@bp.get("/")
def root() -> Response:
    """Version, profile and where the OpenAPI document is."""
    return json_response({
        "version": HSDS_VERSION,
        "profile": PROFILE_URI,
        "openapi_url": url_for("openapi.spec", _external=True),
    })


@bp.get("/services")
def services() -> Response:
    return _read(lambda r: r.services(parse_list_args(request.args)).to_json())


@bp.get("/services/<service_id>")
def service(service_id: str) -> Response:
    return _read(lambda r: r.service(service_id))


@bp.get("/organizations")
def organizations() -> Response:
    return _read(lambda r: r.organizations(parse_list_args(request.args)).to_json())


@bp.get("/organizations/<organization_id>")
def organization(organization_id: str) -> Response:
    return _read(lambda r: r.organization(
        organization_id, full_service=parse_flag(request.args, "full_service")))


@bp.get("/service_at_locations")
def service_at_locations() -> Response:
    return _read(lambda r: r.service_at_locations(parse_list_args(request.args)).to_json())


@bp.get("/service_at_locations/<sal_id>")
def service_at_location(sal_id: str) -> Response:
    return _read(lambda r: r.service_at_location(sal_id))


@bp.get("/taxonomies")
def taxonomies() -> Response:
    return _read(lambda r: r.taxonomies(parse_list_args(request.args)).to_json())


@bp.get("/taxonomies/<taxonomy_id>")
def taxonomy(taxonomy_id: str) -> Response:
    return _read(lambda r: r.taxonomy(taxonomy_id))


@bp.get("/taxonomy_terms")
def taxonomy_terms() -> Response:
    return _read(lambda r: r.taxonomy_terms(parse_list_args(request.args)).to_json())


@bp.get("/taxonomy_terms/<term_id>")
def taxonomy_term(term_id: str) -> Response:
    return _read(lambda r: r.taxonomy_term(term_id))


@bp.route("/<path:_rest>", methods=["GET", "HEAD"])
def unknown(_rest: str) -> Response:
    """Any other path under /hsds/ is a JSON 404, not the site's HTML error page."""
    return error_response("path", "not found", 404)


@bp.before_app_request
def method_not_allowed() -> Response | None:
    """A method other than GET on our JSON APIs: JSON 405 with the ``Allow`` header RFC 9110
    requires (the site-wide 405 handler renders a page without it). Runs before routing
    errors are raised, so it sees the MethodNotAllowed the router found."""
    error = request.routing_exception
    if not isinstance(error, MethodNotAllowed) or not request.path.startswith(JSON_PREFIXES):
        return None
    if request.path.startswith("/hsds/"):
        message = "only GET, HEAD and OPTIONS are allowed"
    else:  # the search API speaks Dutch (docs/api.md), as errors.py does
        message = gettext("alleen GET is toegestaan")
    response = error_response("method", message, 405)
    response.headers["Allow"] = ", ".join(sorted(error.valid_methods or ()))
    if request.path.startswith("/hsds/"):
        response.headers.update(CORS_HEADERS)
    return response
