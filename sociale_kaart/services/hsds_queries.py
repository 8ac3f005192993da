"""Queries behind the HSDS 3.0 read API (``/hsds/``): parameters, filters, paging, and the item
shapes of every endpoint.

Why a module of its own: the views stay thin (parse, call, serialise) and the same shapes serve
the API, the open-data files and the tests. Every object is derived from the canonical service
that :func:`~sociale_kaart.services.hsds_export.service_to_hsds` builds, so an organization,
location or service_at_location looks exactly the same wherever it appears, and everything the
API shows is what an import of our export would store.

What is public: every ``service`` row is published (proposed edits live in ``pending_change``
and are never read here), with its status, as HSDS expects; organizations that provide at least
one service; the locations those services are offered at; all taxonomies and terms. Fields only
professionals may see are removed by :func:`public_only` (``public=True``), which every caller
in this module uses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, exists, false, func, or_, select
from sqlalchemy.orm import Session

from importers.validation import KINDS

from ..models import (
    Address,
    Attribute,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from .hsds_export import _Exporter, _scalars, service_to_hsds

HSDS_VERSION = "3.0"
#: We follow plain HSDS 3.0 (no profile yet); the base specification stands in for the profile.
PROFILE_URI = "https://docs.openreferral.org/en/v3.0/"
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_SEARCH_CHARS = 500
TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})
#: Fields that only signed-in professionals may see, per HSDS object kind. None exist yet; a
#: later issue adds them, and ``public_only`` already removes whatever is listed here.
PROFESSIONAL_ONLY: dict[str, frozenset[str]] = {}

#: Objects our API responses embed beyond the canonical service (key → kind).
EMBEDDED_KINDS = {"location": "location", "service": "service", "services": "service",
                  "organization": "organization"}

Json = dict[str, Any]


class HsdsParamError(ValueError):
    """A query parameter the API cannot use; the view answers 400 naming it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


class ArgSource(Protocol):
    def getlist(self, key: str) -> list[str]: ...


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListArgs:
    """The validated query of one list request; unknown parameters are ignored."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    search: str = ""
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    parent_id: str | None = None
    modified_after: datetime | None = None
    postcode: str | None = None
    proximity: float | None = None
    minimal: bool = False
    full: bool = False
    full_service: bool = False
    top_only: bool = False


def _one(args: ArgSource, name: str) -> str | None:
    """The single value of a text parameter; empty counts as absent."""
    values = args.getlist(name)
    if len(values) > 1:
        raise HsdsParamError(name, "may occur only once")
    if not values or values[0].strip() == "":
        return None
    return values[0].strip()


def _typed(args: ArgSource, name: str) -> str | None:
    """The single value of a typed parameter (number, boolean, date-time): empty is wrong."""
    values = args.getlist(name)
    if values and values[0].strip() == "" and len(values) == 1:
        raise HsdsParamError(name, "is empty")
    return _one(args, name)


def _integer(args: ArgSource, name: str, default: int) -> int:
    text = _typed(args, name)
    if text is None:
        return default
    if not re.fullmatch(r"[+-]?\d{1,4000}", text):  # any size: paging clamps it
        raise HsdsParamError(name, "must be a whole number")
    return int(text)


def _boolean(args: ArgSource, name: str) -> bool:
    text = _typed(args, name)
    if text is None:
        return False
    if text.lower() in TRUE_WORDS:
        return True
    if text.lower() in FALSE_WORDS:
        return False
    raise HsdsParamError(name, "must be true or false")


def _identifier(args: ArgSource, name: str) -> str | None:
    """Ids are compared lower-cased; an id we never issued simply matches nothing."""
    text = _one(args, name)
    return text.lower() if text is not None else None


def _datetime(args: ArgSource, name: str) -> datetime | None:
    text = _typed(args, name)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise HsdsParamError(name, "must be a date-time such as 2025-06-01T09:30:00Z") from None
    if value.tzinfo is not None:  # we store UTC without a zone
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _number(args: ArgSource, name: str) -> float | None:
    text = _typed(args, name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise HsdsParamError(name, "must be a number of metres") from None
    if not math.isfinite(value) or value < 0:
        raise HsdsParamError(name, "must be a number of metres, 0 or more")
    return value


def parse_list_args(args: ArgSource) -> ListArgs:
    """Validate the query string of any list endpoint.

    Paging is forgiving where the HSDS document allows any integer: a page below 1 is page 1,
    ``per_page`` is clamped to 1..100. Values of the wrong type (``page=x``, ``full=maybe``)
    are errors. ``format`` only knows ``json``.
    """
    fmt = _typed(args, "format")
    if fmt is not None and fmt.lower() != "json":
        raise HsdsParamError("format", "only json is supported")
    search = _one(args, "search") or ""
    if len(search) > MAX_SEARCH_CHARS:
        raise HsdsParamError("search", f"longer than {MAX_SEARCH_CHARS} characters")
    return ListArgs(
        page=max(1, _integer(args, "page", 1)),
        per_page=min(MAX_PER_PAGE, max(1, _integer(args, "per_page", DEFAULT_PER_PAGE))),
        search=search,
        taxonomy_term_id=_identifier(args, "taxonomy_term_id"),
        taxonomy_id=_identifier(args, "taxonomy_id"),
        organization_id=_identifier(args, "organization_id"),
        parent_id=_identifier(args, "parent_id"),
        modified_after=_datetime(args, "modified_after"),
        postcode=_one(args, "postcode"),
        proximity=_number(args, "proximity"),
        minimal=_boolean(args, "minimal"),
        full=_boolean(args, "full"),
        full_service=_boolean(args, "full_service"),
        top_only=_boolean(args, "top_only"),
    )


def parse_flag(args: ArgSource, name: str) -> bool:
    """A boolean parameter of a single-object endpoint (``full_service``)."""
    return _boolean(args, name)


# --------------------------------------------------------------------------------------------
# Paging
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of a list, in the HSDS ``Page`` shape (all seven fields, GUIDE §11.3)."""

    contents: list[Json]
    total_items: int
    page_number: int
    per_page: int

    @property
    def total_pages(self) -> int:
        return max(1, math.ceil(self.total_items / self.per_page))

    def to_json(self) -> Json:
        return {
            "total_items": self.total_items,
            "total_pages": self.total_pages,
            "page_number": self.page_number,
            "size": len(self.contents),
            "first_page": self.page_number == 1,
            "last_page": self.page_number >= self.total_pages,
            "empty": self.total_items == 0,
            "contents": self.contents,
        }


def _page(session: Session, query: Any, args: ListArgs, serialise: Callable[[Any], Json]) -> Page:
    """Count, then fetch only a page that exists (a huge page number never reaches SQL)."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    total = int(total or 0)
    offset = (args.page - 1) * args.per_page
    rows: Sequence[Any] = []
    if offset < total:
        rows = session.scalars(query.offset(offset).limit(args.per_page)).all()
    return Page([serialise(row) for row in rows], total, args.page, args.per_page)


# --------------------------------------------------------------------------------------------
# Public shapes
# --------------------------------------------------------------------------------------------


def public_only(kind: str, obj: Json) -> Json:
    """``obj`` without professional-only fields, at every depth (see PROFESSIONAL_ONLY)."""
    if not PROFESSIONAL_ONLY:
        return obj
    spec = KINDS.get(kind)
    hidden = PROFESSIONAL_ONLY.get(kind, frozenset())
    out: Json = {}
    for key, value in obj.items():
        if key in hidden:
            continue
        if spec is not None and key in spec.lists and isinstance(value, list):
            value = [public_only(spec.lists[key], item) for item in value]
        elif spec is not None and key in spec.objects and isinstance(value, dict):
            value = public_only(spec.objects[key], value)
        elif key in EMBEDDED_KINDS and isinstance(value, dict):
            value = public_only(EMBEDDED_KINDS[key], value)
        elif key in EMBEDDED_KINDS and isinstance(value, list):
            value = [public_only(EMBEDDED_KINDS[key], item) for item in value]
        out[key] = value
    return out


def export_service(session: Session, service: Service, *, public: bool = True) -> Json:
    """The canonical nested service; with ``public`` (the default) as anyone may see it."""
    data = _complete_metadata(service_to_hsds(session, service, provenance=True))
    return public_only("service", data) if public else data


#: Metadata fields the schema requires even when empty (the canonical form leaves "" out).
_METADATA_REQUIRED = ("last_action_date", "last_action_type", "field_name", "previous_value",
                      "replacement_value", "updated_by")


def _complete_metadata(data: Json) -> Json:
    """Give every metadata entry of the service and its organization the fields the schema
    requires; an import drops the empty ones again, so round trips stay identical."""
    for owner in (data, data.get("organization") or {}):
        items = owner.get("metadata")
        if not items or all(all(k in item for k in _METADATA_REQUIRED) for item in items):
            continue
        order = list(KINDS["metadata"].fields)
        owner["metadata"] = [{k: item.get(k, "") for k in order
                              if k in item or k in _METADATA_REQUIRED}
                             | {k: v for k, v in item.items() if k not in order}
                             for item in items]
    return data


def _scalar_part(kind: str, obj: Json) -> Json:
    """Only the object's own scalar fields: what the ``*_list`` schemas describe."""
    spec = KINDS[kind]
    return {key: value for key, value in obj.items() if key in spec.fields}


def service_item(full: Json) -> Json:
    """A ``/services`` list item (compiled/service_list.json) cut from a full service: its own
    fields plus its organization (and program) as small objects."""
    item = _scalar_part("service", full)
    if isinstance(full.get("organization"), dict):
        item["organization"] = _scalar_part("organization", full["organization"])
    if isinstance(full.get("program"), dict):
        item["program"] = _scalar_part("program", full["program"])
    return item


def service_row_item(service: Service) -> Json:
    """The same list item straight from the rows, without the nested export (lists are
    read far more often than single services; tests check both give the same)."""
    item = _scalars("service", service)
    item["organization"] = _scalars("organization", service.organization)
    return public_only("service", item)


def minimal_item(item: Json) -> Json:
    """``minimal=true``: just enough for an incremental sync. ``name`` and ``status`` stay
    because the list item schema (compiled/service_list.json) requires them."""
    out = {"id": item["id"], "name": item["name"], "status": item["status"]}
    if "last_modified" in item:
        out["last_modified"] = item["last_modified"]
    return out


class HsdsReader:
    """Read access for one request (or one export run), with a small cache of exports."""

    def __init__(self, session: Session, *, public: bool = True) -> None:
        self.session = session
        self.public = public
        self._services: dict[str, Json] = {}

    # -- services ------------------------------------------------------------------------
    def full_service(self, service: Service) -> Json:
        cached = self._services.get(service.id)
        if cached is None:
            cached = export_service(self.session, service, public=self.public)
            self._services[service.id] = cached
        return cached

    def service(self, service_id: str) -> Json | None:
        service = self.session.get(Service, service_id.lower())
        return self.full_service(service) if service is not None else None

    def services(self, args: ListArgs) -> Page:
        query = select(Service).where(*self._service_filters(args)).order_by(Service.id)

        def serialise(service: Service) -> Json:
            if args.full and not args.minimal:
                return self.full_service(service)
            item = service_row_item(service)
            return minimal_item(item) if args.minimal else item

        return _page(self.session, query, args, serialise)

    def _service_filters(self, args: ListArgs) -> list[ColumnElement[bool]]:
        filters: list[ColumnElement[bool]] = []
        for word in args.search.split():
            pattern = f"%{_escape_like(word.lower())}%"
            filters.append(or_(
                func.lower(Service.name).like(pattern, escape="\\"),
                func.lower(func.coalesce(Service.alternate_name, "")).like(pattern, escape="\\"),
                func.lower(func.coalesce(Service.description, "")).like(pattern, escape="\\"),
                Service.organization.has(func.lower(Organization.name).like(pattern,
                                                                            escape="\\")),
            ))
        if args.taxonomy_term_id is not None:
            filters.append(exists().where(
                Attribute.link_entity == "service", Attribute.link_id == Service.id,
                Attribute.taxonomy_term_id == args.taxonomy_term_id))
        if args.taxonomy_id is not None:
            filters.append(exists().where(
                Attribute.link_entity == "service", Attribute.link_id == Service.id,
                Attribute.taxonomy_term_id == TaxonomyTerm.id,
                TaxonomyTerm.taxonomy_id == args.taxonomy_id))
        if args.organization_id is not None:
            filters.append(Service.organization_id == args.organization_id)
        if args.modified_after is not None:
            filters.append(Service.last_modified >= args.modified_after)
        return filters

    # -- organizations -------------------------------------------------------------------
    def _organization_of(self, organization: Organization) -> Json:
        """The canonical organization, as the first of its services embeds it."""
        first = self.session.scalars(select(Service).where(
            Service.organization_id == organization.id).order_by(Service.id).limit(1)).first()
        if first is None:  # not public: never reached through the queries below
            raise LookupError(organization.id)
        return self.full_service(first)["organization"]

    def organization(self, organization_id: str, *, full_service: bool = False) -> Json | None:
        organization = self.session.get(Organization, organization_id.lower())
        if organization is None or not _has_services(self.session, organization.id):
            return None
        data = dict(self._organization_of(organization))
        services = self.session.scalars(select(Service).where(
            Service.organization_id == organization.id).order_by(Service.id)).all()
        items = []
        for service in services:
            item = dict(self.full_service(service)) if full_service else service_row_item(service)
            item.pop("organization", None)  # it is the enclosing object
            items.append(item)
        data["services"] = items
        return data

    def organizations(self, args: ListArgs) -> Page:
        filters: list[ColumnElement[bool]] = [
            exists().where(Service.organization_id == Organization.id)]
        for word in args.search.split():
            pattern = f"%{_escape_like(word.lower())}%"
            filters.append(or_(
                func.lower(Organization.name).like(pattern, escape="\\"),
                func.lower(func.coalesce(Organization.alternate_name, "")).like(pattern,
                                                                                escape="\\"),
                func.lower(Organization.description).like(pattern, escape="\\"),
            ))
        query = select(Organization).where(*filters).order_by(Organization.id)

        def serialise(organization: Organization) -> Json:
            if args.full or args.full_service:
                return self.organization(organization.id, full_service=args.full_service) or {}
            return public_only("organization", _scalars("organization", organization))

        return _page(self.session, query, args, serialise)

    # -- service_at_locations ------------------------------------------------------------
    def _sal_parts(self, sal: ServiceAtLocation) -> tuple[Json, Json]:
        """(the SAL as its service embeds it, that service)."""
        service = self.full_service(self.session.get(Service, sal.service_id))
        for item in service["service_at_locations"]:
            if item["id"] == sal.id:
                return item, service
        raise LookupError(sal.id)

    def service_at_location(self, sal_id: str) -> Json | None:
        sal = self.session.get(ServiceAtLocation, sal_id.lower())
        if sal is None:
            return None
        item, service = self._sal_parts(sal)
        return public_only("service_at_location", {
            "id": item["id"], "service_id": service["id"],
            **{k: v for k, v in item.items() if k != "id"}, "service": service_item(service)})

    def service_at_locations(self, args: ListArgs) -> Page:
        filters = self._service_filters(args)
        if args.postcode is not None:
            filters.append(self._postcode_filter(args.postcode, args.proximity))
        query = (select(ServiceAtLocation).join(Service, Service.id == ServiceAtLocation.service_id)
                 .where(*filters).order_by(ServiceAtLocation.id))

        def serialise(sal: ServiceAtLocation) -> Json:
            if args.full:
                return self.service_at_location(sal.id) or {}
            item = {"id": sal.id, "service_id": sal.service_id,
                    **_scalars("service_at_location", sal, skip=("id",))}
            item["location"] = _scalars("location", sal.location)
            item["service"] = _scalars("service", self.session.get(Service, sal.service_id))
            return public_only("service_at_location", item)

        return _page(self.session, query, args, serialise)

    def _postcode_filter(self, postcode: str, proximity: float | None) -> ColumnElement[bool]:
        """Locations whose address has this postcode (or PC4); with ``proximity``, locations
        within that many metres of the postcode's centre instead."""
        compact = re.sub(r"\s+", "", postcode).upper()
        if proximity is not None:
            from ..geo.gazetteer import default_gazetteer, haversine_km

            place = default_gazetteer().by_postcode(compact)
            if place is None:
                return false()
            rows = self.session.execute(select(Location.id, Location.latitude, Location.longitude)
                                        .where(Location.latitude.is_not(None),
                                               Location.longitude.is_not(None))).all()
            near = [row.id for row in rows
                    if haversine_km(place.lat, place.lon, row.latitude, row.longitude) * 1000
                    <= proximity]
            return ServiceAtLocation.location_id.in_(near)
        pattern = f"{_escape_like(compact)}%"
        return exists().where(
            Address.location_id == ServiceAtLocation.location_id,
            func.upper(func.replace(Address.postal_code, " ", "")).like(pattern, escape="\\"))

    # -- taxonomies ----------------------------------------------------------------------
    def taxonomy(self, taxonomy_id: str) -> Json | None:
        taxonomy = self.session.get(Taxonomy, taxonomy_id.lower())
        return taxonomy_json(taxonomy) if taxonomy is not None else None

    def taxonomies(self, args: ListArgs) -> Page:
        filters = _text_filters(args.search, Taxonomy.name, Taxonomy.description)
        query = select(Taxonomy).where(*filters).order_by(Taxonomy.id)
        return _page(self.session, query, args, taxonomy_json)

    def taxonomy_term(self, term_id: str) -> Json | None:
        term = self.session.get(TaxonomyTerm, term_id.lower())
        return self.term_json(term) if term is not None else None

    def taxonomy_terms(self, args: ListArgs) -> Page:
        filters = _text_filters(args.search, TaxonomyTerm.name, TaxonomyTerm.description,
                                TaxonomyTerm.code)
        if args.taxonomy_id is not None:
            filters.append(TaxonomyTerm.taxonomy_id == args.taxonomy_id)
        if args.parent_id is not None:
            filters.append(TaxonomyTerm.parent_id == args.parent_id)
        if args.top_only:
            filters.append(or_(TaxonomyTerm.parent_id.is_(None), TaxonomyTerm.parent_id == ""))
        query = select(TaxonomyTerm).where(*filters).order_by(TaxonomyTerm.id)
        return _page(self.session, query, args, self.term_json)

    def term_json(self, term: TaxonomyTerm) -> Json:
        """A term as attributes embed it, with its taxonomy as ``taxonomy_detail``."""
        item = _Exporter(self.session).term(term)
        item.setdefault("description", "")  # required by the schema, even when empty
        if isinstance(item.get("taxonomy_detail"), dict):
            item["taxonomy_detail"].setdefault("description", "")
        return public_only("taxonomy_term", item)


def taxonomy_json(taxonomy: Taxonomy) -> Json:
    item = _scalars("taxonomy", taxonomy)
    item.setdefault("description", "")
    return public_only("taxonomy", item)


def _has_services(session: Session, organization_id: str) -> bool:
    return bool(session.scalar(select(exists().where(Service.organization_id == organization_id))))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text_filters(search: str, *columns: Any) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    for word in search.split():
        pattern = f"%{_escape_like(word.lower())}%"
        filters.append(or_(*(func.lower(func.coalesce(c, "")).like(pattern, escape="\\")
                             for c in columns)))
    return filters


# --------------------------------------------------------------------------------------------
# Freshness, for ETag / Last-Modified
# --------------------------------------------------------------------------------------------


def data_changed_at(session: Session) -> datetime | None:
    """When the published data last changed (UTC): the newest ``updated_at`` of services,
    organizations and locations. The ETag (a hash of the body) catches everything else."""
    stamps = [session.scalar(select(func.max(model.updated_at)))
              for model in (Service, Organization, Location)]
    found = [s for s in stamps if s is not None]
    if not found:
        return None
    newest = max(found)
    return newest.replace(tzinfo=UTC) if newest.tzinfo is None else newest


__all__ = [
    "DEFAULT_PER_PAGE",
    "HSDS_VERSION",
    "MAX_PER_PAGE",
    "PROFESSIONAL_ONLY",
    "PROFILE_URI",
    "HsdsParamError",
    "HsdsReader",
    "ListArgs",
    "Page",
    "data_changed_at",
    "export_service",
    "minimal_item",
    "parse_flag",
    "parse_list_args",
    "public_only",
    "service_item",
    "taxonomy_json",
]
