"""One OpenAPI 3.1 document for all our public APIs, at ``/api/openapi.json``, and a readable
rendering of it at ``/api/docs`` (server-side HTML: no CDN, no JavaScript).

Why built in Python: the search API's enumerations come from our taxonomy files (one source of
truth), and the HSDS response schemas are the official files in ``data/hsds/schema/`` bundled
into ``components/schemas`` (``hsds_<object>``) with their relative ``$ref``s rewritten, so the
document is self-contained and works offline. ``tests/web/test_openapi.py`` keeps it true by
running schemathesis with every check against the running app.
"""

from __future__ import annotations

import copy
import hashlib
import json
from functools import cache
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for

from .. import __version__
from ..config import DATA_DIR
from ..search.params import MAX_PAGE, MAX_PER_PAGE, MAX_QUERY_CHARS, SORTS
from ..search.vocabulary import ACCESS, AUDIENCES, CATEGORIES, THEMES, TYPES
from ..services.hsds_queries import MAX_PER_PAGE as HSDS_MAX_PER_PAGE
from ..services.hsds_queries import MAX_SEARCH_CHARS

bp = Blueprint("openapi", __name__)

SCHEMA_DIR = DATA_DIR / "hsds" / "schema"
HSDS_PREFIX = "hsds_"
Json = dict[str, Any]


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


# --------------------------------------------------------------------------------------------
# HSDS schemas, bundled
# --------------------------------------------------------------------------------------------


def _rewrite_refs(node: Any) -> Any:
    """``{"$ref": "phone.json"}`` → ``{"$ref": "#/components/schemas/hsds_phone"}``."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.endswith(".json"):
                out[key] = _ref(HSDS_PREFIX + value.rsplit("/", 1)[-1][:-5])["$ref"]
            else:
                out[key] = _rewrite_refs(value)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node


@cache
def hsds_schemas() -> dict[str, Json]:
    """Every HSDS object schema plus the three list-item schemas, keyed ``hsds_<name>``."""
    schemas: dict[str, Json] = {}
    files = [*sorted(SCHEMA_DIR.glob("*.json")), *sorted((SCHEMA_DIR / "compiled").glob("*.json"))]
    for path in files:
        schemas[HSDS_PREFIX + path.stem] = _rewrite_refs(json.loads(path.read_text("utf-8")))
    schemas["hsds_organization_full"] = {
        "description": "An organization with its services (full with full_service=true).",
        "allOf": [_ref("hsds_organization")],
        "properties": {"services": {"type": "array", "items": _ref("hsds_service_list")}},
        "required": ["services"],
    }
    schemas["hsds_service_at_location_full"] = {
        "description": "A service_at_location with its location and its service embedded.",
        "allOf": [_ref("hsds_service_at_location")],
        "properties": {"service": _ref("hsds_service_list")},
    }
    return schemas


def _page_of(item: str) -> Json:
    return {"allOf": [_ref("Page")],
            "properties": {"contents": {"type": "array", "items": _ref(item)}}}


# --------------------------------------------------------------------------------------------
# Our own components
# --------------------------------------------------------------------------------------------

ERROR_SCHEMA: Json = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["param", "message"],
        "properties": {
            "param": {"type": ["string", "null"],
                      "description": "The parameter that is wrong (or path, id, rate)."},
            "message": {"type": "string", "description": "What is wrong, in words."},
        },
    }},
}
PAGE_SCHEMA: Json = {
    "type": "object",
    "required": ["total_items", "total_pages", "page_number", "size", "first_page",
                 "last_page", "empty", "contents"],
    "properties": {
        "total_items": {"type": "integer", "minimum": 0},
        "total_pages": {"type": "integer", "minimum": 1},
        "page_number": {"type": "integer", "minimum": 1},
        "size": {"type": "integer", "minimum": 0, "description": "Items on this page."},
        "first_page": {"type": "boolean"},
        "last_page": {"type": "boolean"},
        "empty": {"type": "boolean", "description": "True when nothing matches at all."},
        "contents": {"type": "array"},
    },
}
NULLABLE_STRING: Json = {"type": ["string", "null"]}
SEARCH_RESPONSE: Json = {
    "type": "object",
    "required": ["total", "page", "per_page", "results", "facets", "suggestion"],
    "properties": {
        "total": {"type": "integer", "minimum": 0},
        "total_estimated": {"type": "boolean", "description":
                            "Present (true) when `total` is an estimate: the postgres search "
                            "backend counts exactly up to at least 500 matches."},
        "facets_estimated": {"type": "boolean", "description":
                             "Present (true) when the facet counts are scaled from a sample."},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "results": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "name", "organization", "url"],
            "properties": {
                "id": {"type": "string", "format": "uuid",
                       "description": "The HSDS service id (/hsds/services/{id})."},
                "name": {"type": "string"},
                "organization": {"type": "object", "required": ["id", "name"], "properties": {
                    "id": {"type": "string"}, "name": {"type": "string"}}},
                "summary": NULLABLE_STRING,
                "type": NULLABLE_STRING,
                "categories": {"type": "array", "items": {"type": "string"}},
                "municipality": NULLABLE_STRING,
                "kern": NULLABLE_STRING,
                "distance_km": {"type": ["number", "null"]},
                "comes_to_you": {"type": "boolean"},
                "score": {"type": ["number", "null"]},
                "url": {"type": "string", "format": "uri"},
            },
        }},
        "facets": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}},
        "suggestion": NULLABLE_STRING,
        "place": {"type": "object", "required": ["name", "lat", "lon", "from_query"],
                  "properties": {"name": {"type": "string"}, "municipality": NULLABLE_STRING,
                                 "lat": {"type": "number"}, "lon": {"type": "number"},
                                 "from_query": {"type": "boolean"}}},
    },
}
HSDS_ROOT: Json = {
    "type": "object",
    "required": ["version", "profile", "openapi_url"],
    "properties": {
        "version": {"type": "string", "description": "HSDS version of this API."},
        "profile": {"type": "string", "format": "uri"},
        "openapi_url": {"type": "string", "format": "uri"},
    },
}


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


def _query(name: str, schema: Json, description: str) -> Json:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


def _codes(values: frozenset[str]) -> Json:
    """A repeatable code parameter; an empty value is ignored, as if it were not sent."""
    return {"type": "array", "items": {"type": "string", "enum": ["", *sorted(values)]}}


def _or_empty(schema: Json) -> Json:
    """The search API treats an empty value (``?km=``) as absent; say so in the schema."""
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


#: Flags: the server also reads yes/no/ja/nee/on/off, in any case; empty means absent.
BOOLEAN_WORDS = ["", "1", "0", "true", "false"]
SEARCH_PARAMETERS: list[Json] = [
    _query("q", {"type": "string", "maxLength": MAX_QUERY_CHARS},
           "What the person typed. Place names and postcodes in it become a location "
           "preference."),
    _query("near", {"type": "string", "maxLength": 100},
           "A PC4, postcode, kern or municipality; restricts to listings within `km`."),
    _query("km", _or_empty({"type": "number", "exclusiveMinimum": 0, "maximum": 500}),
           "Radius for `near` (default 10). Only together with `near`, otherwise 400."),
    _query("category", _codes(CATEGORIES), "Levensgebied codes (OR-ed)."),
    _query("theme", _codes(THEMES), "Thema codes (OR-ed)."),
    _query("type", _codes(TYPES), "Soort codes (OR-ed)."),
    _query("audience", _codes(AUDIENCES), "Doelgroep codes (OR-ed)."),
    _query("access", _codes(ACCESS), "Toegang codes (OR-ed)."),
    _query("municipality", {"type": "array", "items": {"type": "string", "maxLength": 100}},
           "CBS municipality names (OR-ed)."),
    _query("kern", {"type": "array", "items": {"type": "string", "maxLength": 100}},
           "Kern (place) names (OR-ed)."),
    _query("lang", {"type": "array", "items": {"type": "string", "maxLength": 100}},
           "ISO 639-1 language codes (OR-ed)."),
    _query("free", {"type": "string", "enum": BOOLEAN_WORDS}, "`1`: only free listings."),
    _query("age", _or_empty({"type": "integer", "minimum": 0, "maximum": 120}),
           "Age of the person; listings whose age range excludes it are left out."),
    _query("upcoming", {"type": "string", "enum": BOOLEAN_WORDS},
           "`1`: only courses that have not ended."),
    _query("open", {"anyOf": [
        {"type": "string", "enum": ["", "now", "nu", "today", "vandaag", "ma", "di", "wo", "do",
                                    "vr", "za", "zo", "mo", "tu", "we", "th", "fr", "sa",
                                    "su"]},
        {"type": "string", "format": "date"}]},
        "Open now, today, on a weekday or on a date (YYYY-MM-DD)."),
    _query("at", _or_empty({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}),
           "A time (HH:MM) for `open`; only together with `open`, otherwise 400."),
    _query("sort", {"type": "string", "enum": ["", *SORTS]},
           "Order of the results; `distance` needs `near`, otherwise 400."),
    _query("page", _or_empty({"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
           "Page number."),
    _query("per_page", _or_empty({"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}),
           "Results per page (default 10)."),
]

HSDS_PARAMETERS: dict[str, Json] = {
    "search": _query("search", {"type": "string", "maxLength": MAX_SEARCH_CHARS},
                     "Words that must all occur (name, description, organization name)."),
    "page": _query("page", {"type": "integer"}, "Page number, from 1 (values below 1 mean 1)."),
    "per_page": _query("per_page", {"type": "integer"},
                       f"Items per page, default 25, clamped to 1..{HSDS_MAX_PER_PAGE}."),
    "format": _query("format", {"type": "string", "enum": ["json"]}, "Only `json`."),
    "taxonomy_term_id": _query("taxonomy_term_id", {"type": "string"},
                               "Services with an attribute of this term."),
    "taxonomy_id": _query("taxonomy_id", {"type": "string"},
                          "Services with an attribute of any term of this taxonomy."),
    "organization_id": _query("organization_id", {"type": "string"},
                              "Services of this organization."),
    "modified_after": _query("modified_after", {"type": "string", "format": "date-time"},
                             "Services whose last_modified is on or after this moment."),
    "minimal": _query("minimal", {"type": "boolean"},
                      "Items with only id, name, status and last_modified."),
    "full": _query("full", {"type": "boolean"}, "Fully nested items."),
    "full_service": _query("full_service", {"type": "boolean"},
                           "Embed the organization's services fully nested."),
    "postcode": _query("postcode", {"type": "string"},
                       "Locations whose postcode starts with this (e.g. 4251 or 4251AA)."),
    "proximity": _query("proximity", {"type": "number", "minimum": 0},
                        "With postcode: locations within this many metres of its centre."),
    "parent_id": _query("parent_id", {"type": "string"}, "Terms with this parent."),
    "top_only": _query("top_only", {"type": "boolean"}, "Only terms without a parent."),
}


def _hsds_params(*names: str) -> list[Json]:
    return [HSDS_PARAMETERS[name] for name in names]


# --------------------------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------------------------

JSON_HEADERS: Json = {
    "ETag": {"description": "Hash of the body, for If-None-Match.", "required": True,
             "schema": {"type": "string"}},
    "Access-Control-Allow-Origin": {"description": "Always `*`: open to every origin.",
                                    "required": True, "schema": {"type": "string",
                                                                 "const": "*"}},
}


def _json(description: str, schema: Json, headers: Json | None = None) -> Json:
    response: Json = {"description": description,
                      "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _hsds_operation(operation_id: str, summary: str, schema: Json, parameters: list[Json],
                    *, by_id: bool = False) -> Json:
    responses: Json = {
        "200": _json(summary, schema, JSON_HEADERS),
        "304": {"description": "Not modified (If-None-Match / If-Modified-Since)."},
        "429": _json("Too many requests from this address.", _ref("Error")),
    }
    if by_id:
        responses["404"] = _json("No published object has this id.", _ref("Error"))
    if parameters:
        responses["400"] = _json("A parameter is invalid; `param` names it.", _ref("Error"))
    operation: Json = {"operationId": operation_id, "summary": summary, "tags": ["HSDS"],
                       "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    return operation


def _by_id(what: str) -> list[Json]:
    return [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
             "description": f"The id (UUID) of the {what}."}]


def _hsds_paths() -> Json:
    service_filters = ("search", "page", "per_page", "format", "taxonomy_term_id",
                       "taxonomy_id", "organization_id", "modified_after")
    return {
        "/hsds/": {"get": _hsds_operation("getAPIMetaInformation",
                                          "HSDS version, profile and this document.",
                                          _ref("HsdsRoot"), [])},
        "/hsds/services": {"get": _hsds_operation(
            "getPaginatedListOfServices", "A page of services.",
            _page_of("hsds_service_list"),
            _hsds_params(*service_filters, "minimal", "full"))},
        "/hsds/services/{id}": {"parameters": _by_id("service"), "get": _hsds_operation(
            "getFullyNestedServiceById", "One fully nested service.", _ref("hsds_service"),
            [], by_id=True)},
        "/hsds/organizations": {"get": _hsds_operation(
            "getPaginatedListOfOrganizations", "A page of organizations.",
            _page_of("hsds_organization_list"),
            _hsds_params("search", "full", "full_service", "page", "per_page", "format"))},
        "/hsds/organizations/{id}": {"parameters": _by_id("organization"), "get": {
            **_hsds_operation("getOrganizationById", "An organization with its services.",
                              _ref("hsds_organization_full"),
                              _hsds_params("full_service"), by_id=True)}},
        "/hsds/service_at_locations": {"get": _hsds_operation(
            "getPaginatedListOfServiceAtLocation", "A page of services at locations.",
            _page_of("hsds_service_at_location_list"),
            _hsds_params(*service_filters, "full", "postcode", "proximity"))},
        "/hsds/service_at_locations/{id}": {
            "parameters": _by_id("service_at_location"), "get": _hsds_operation(
                "getServiceAtLocationWithNestedDataById",
                "A service at a location, with its location and service.",
                _ref("hsds_service_at_location_full"), [], by_id=True)},
        "/hsds/taxonomies": {"get": _hsds_operation(
            "getPaginatedListOfTaxonomies", "A page of taxonomies.", _page_of("hsds_taxonomy"),
            _hsds_params("search", "page", "per_page", "format"))},
        "/hsds/taxonomies/{id}": {"parameters": _by_id("taxonomy"), "get": _hsds_operation(
            "getTaxonomyById", "One taxonomy.", _ref("hsds_taxonomy"), [], by_id=True)},
        "/hsds/taxonomy_terms": {"get": _hsds_operation(
            "getPaginatedListOfTaxonomyTerms", "A page of taxonomy terms.",
            _page_of("hsds_taxonomy_term"),
            _hsds_params("search", "page", "per_page", "format", "taxonomy_id", "top_only",
                         "parent_id"))},
        "/hsds/taxonomy_terms/{id}": {"parameters": _by_id("taxonomy term"),
                                      "get": _hsds_operation(
            "getTaxonomyTermById", "One taxonomy term with its taxonomy.",
            _ref("hsds_taxonomy_term"), [], by_id=True)},
    }


def _search_path() -> Json:
    return {"/api/v1/search": {"get": {
        "operationId": "search",
        "summary": "Search the published listings.",
        "description": "Only active services; a course whose last session has passed is never "
                       "returned. Repeatable parameters may also be comma-separated; values "
                       "within one parameter are OR-ed, different parameters AND-ed.",
        "tags": ["Zoeken"],
        "parameters": SEARCH_PARAMETERS,
        "responses": {
            "200": _json("Results, facet counts and a spelling suggestion.",
                         _ref("SearchResponse")),
            "400": _json("A parameter is invalid; `param` names it (message in Dutch).",
                         _ref("Error")),
        },
    }}}


@cache
def build_spec() -> Json:
    """The whole document; server-relative, so it is right on every host."""
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Sociale Kaart API",
            "version": __version__,
            "summary": "Search and open data of a municipal social map.",
            "description": (
                "Two read-only JSON APIs: `/api/v1/search` (our search, as the site uses it) "
                "and `/hsds/` (Open Referral HSDS 3.0, all published services with their "
                "status). Open to everyone: no key, CORS `*`, rate limited per address. "
                "All times are Europe/Amsterdam local time (`HH:MM:SS`, without zone). "
                "HSDS schemas: Open Referral, CC BY-SA 4.0."),
            "license": {"name": "EUPL-1.2",
                        "url": "https://interoperable-europe.ec.europa.eu/collection/eupl"},
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": "Zoeken", "description": "Our search API (docs/api.md)."},
                 {"name": "HSDS", "description": "HSDS 3.0 read API (docs/hsds-api.md)."}],
        "paths": {**_search_path(), **_hsds_paths()},
        "components": {"schemas": {
            "Error": ERROR_SCHEMA, "Page": PAGE_SCHEMA, "SearchResponse": SEARCH_RESPONSE,
            "HsdsRoot": HSDS_ROOT, **hsds_schemas()}},
    }


# --------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------


@bp.get("/api/openapi.json")
def spec() -> Response:
    body = json.dumps(build_spec(), ensure_ascii=False, indent=1).encode("utf-8")
    response = Response(body, mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    return response.make_conditional(request)


def _schema_label(schema: Json) -> str:
    """A short name for a schema in the docs page: its component, or its type."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "allOf" in schema:
        items = schema.get("properties", {}).get("contents", {}).get("items")
        if items:
            return f"Page of {_schema_label(items)}"
        return " + ".join(_schema_label(part) for part in schema["allOf"])
    if "anyOf" in schema:
        return " | ".join(_schema_label(part) for part in schema["anyOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"{_schema_label(schema.get('items', {}))}[]"
    text = kind if isinstance(kind, str) else " | ".join(kind)
    if "format" in schema:
        text += f" ({schema['format']})"
    return text


def _schema_limits(schema: Json) -> list[str]:
    found = schema.get("items", schema) if schema.get("type") == "array" else schema
    notes = []
    if "enum" in found:
        notes.append(", ".join(str(v) for v in found["enum"]))
    for key in ("minimum", "exclusiveMinimum", "maximum", "maxLength", "pattern"):
        if key in found:
            notes.append(f"{key} {found[key]}")
    return notes


def docs_operations() -> list[Json]:
    """The document flattened for the template: one entry per operation."""
    operations = []
    for path, item in build_spec()["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method == "parameters":
                continue
            parameters = [{**p, "type": _schema_label(p["schema"]),
                           "limits": _schema_limits(p["schema"])}
                          for p in [*shared, *operation.get("parameters", [])]]
            responses = []
            for status, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json", {})
                schema = content.get("schema")
                responses.append({"status": status, "description": response["description"],
                                  "schema": _schema_label(schema) if schema else ""})
            operations.append({"method": method.upper(), "path": path,
                               "id": operation["operationId"],
                               "tag": operation.get("tags", [""])[0],
                               "summary": operation.get("summary", ""),
                               "description": operation.get("description", ""),
                               "parameters": parameters, "responses": responses})
    return operations


@bp.get("/api/docs")
def docs() -> str:
    spec_data = build_spec()
    schemas = {name: copy.deepcopy(schema)
               for name, schema in spec_data["components"]["schemas"].items()
               if not name.startswith(HSDS_PREFIX)}
    return render_template("opendata/api_docs.html", info=spec_data["info"],
                           operations=docs_operations(),
                           schemas={name: json.dumps(schema, indent=2, ensure_ascii=False)
                                    for name, schema in schemas.items()},
                           spec_url=url_for("openapi.spec"))
