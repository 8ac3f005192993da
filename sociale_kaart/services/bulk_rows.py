"""COPY rows built straight from imported records: exactly what the ORM writer would INSERT.

Why not ORM objects: building some twenty mapped objects per listing (attribute
instrumentation, relationship bookkeeping) and reading them back cost far more than writing the
rows; a bulk import of 1M listings must not take days. Here a new listing becomes plain lists,
one per row, following ``imports._Writer`` step by step: the same field mapping (``_assign``
skips ids, foreign keys, our extension columns and nested values and converts with
``_convert``; a missing value gets the column default, as SQLAlchemy's INSERT does), the same
content hashes, the same geocoder (on a stand-in location, with the gazetteer look-ups
memoised), the same taxonomy matching (``_Writer._term_id``, so imported terms are written by
the ORM exactly once), the same audit trail and provenance rows.
``tests/services/test_bulk_import.py`` compares every column of every table, as stored text,
with what the ORM writer stores.

This module only builds rows for records whose rows are all new; which records those are is
decided by ``bulk_import`` (the rest go through the ORM writer). It does no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, time
from functools import lru_cache, partial
from typing import Any

from psycopg.types.json import Json
from sqlalchemy import Date, String, Table

from importers.base import ImportedRecord

from ..geo.geocode import Geocoder
from ..json_text import json_bytes
from ..models import Base
from .content_hash import content_hash
from .imports import EXTENSION_COLUMNS, PLACES_RE, SESSIONS_RE, _convert
from .provenance import declared_sources, ordinary_metadata, own_id, source_name

TermLookup = Callable[[str | None, dict[str, Any]], str]

#: Fields the writer's ``_assign`` is told to skip, per table (it sets them itself).
SKIPPED = {"service": ("assured_date",)}


def copy_columns(table: Table) -> list:
    """The columns COPY fills: all but generated integer keys (``serial``)."""
    return [c for c in table.columns
            if not (c.primary_key and c.autoincrement is not False
                    and c.type.python_type is int)]


class TablePlan:
    """One table's row layout: the COPY columns, the defaults an INSERT would fill in, and
    the HSDS fields ``imports._assign`` copies from a record (with their converters)."""

    def __init__(self, table: Table, now: datetime) -> None:
        self.name = table.name
        columns = copy_columns(table)
        self.names = [c.name for c in columns]
        self.at = {c.key: i for i, c in enumerate(columns)}
        self.template: list[Any] = []
        for column in columns:
            default = column.default
            if default is None or column.primary_key:
                self.template.append(None)
            elif default.is_callable:
                self.template.append(now)  # utcnow: one moment per run
            else:
                self.template.append(default.arg if default.is_scalar else None)
        skip = {"id", *EXTENSION_COLUMNS, *SKIPPED.get(table.name, ())}
        self.fields = [
            (i, c.key, None if isinstance(c.type, String) else partial(_convert, c.type))
            for i, c in enumerate(columns) if not (c.foreign_keys or c.key in skip)]

        self.row: Callable[[dict[str, Any]], list[Any]] = self._compile()

    def _compile(self) -> Callable[[dict[str, Any]], list[Any]]:
        """``row(data)``: ``_assign(obj, data)`` on a new object, as the row its INSERT would
        write. Generated per table (one straight line per field instead of a loop over the
        fields): it runs some twenty times per listing."""
        env: dict[str, Any] = {"template": self.template, "nested": (list, dict)}
        lines = ["def row(data):", "    get = data.get", "    row = template.copy()"]
        for n, (position, key, convert) in enumerate(self.fields):
            # None or a nested value: the attribute stays unset and the default applies
            lines += [f"    value = get({key!r})",
                      "    if value is not None and not isinstance(value, nested):"]
            if convert is None:
                lines.append(f"        row[{position}] = value")
            else:
                env[f"convert{n}"] = convert
                lines.append(f"        row[{position}] = convert{n}(value)")
        if "id" in self.at:
            lines.append(f"    row[{self.at['id']}] = data['id']")
        lines.append("    return row")
        exec("\n".join(lines), env)  # noqa: S102 (our own column names, not input)
        return env["row"]


class _MemoGazetteer:
    """The gazetteer with its look-ups memoised: a large import asks about the same few
    thousand postcodes and places again and again."""

    def __init__(self, gazetteer) -> None:
        self._gazetteer = gazetteer
        self.by_postcode = lru_cache(maxsize=65536)(gazetteer.by_postcode)
        self.by_place = lru_cache(maxsize=65536)(gazetteer.by_place)
        self.municipality_name = lru_cache(maxsize=65536)(gazetteer.municipality_name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gazetteer, name)


def memoised(geocoder: Geocoder) -> Geocoder:
    """A copy of ``geocoder`` (same settings, same online client) with a memoising
    gazetteer."""
    fast = copy.copy(geocoder)
    fast.gazetteer = _MemoGazetteer(geocoder.gazetteer)
    return fast


class _Address:
    """What ``Geocoder.enrich`` reads of an address, taken from its row."""

    __slots__ = ("address_type", "address_1", "city", "region", "postal_code")

    def __init__(self, plan: TablePlan, row: list[Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, row[plan.at[name]])


class _Location:
    """A stand-in ``Location`` for ``Geocoder.enrich``: its addresses and point in, the kern,
    municipality, point and geocode source out."""

    def __init__(self, addresses: list[_Address], latitude, longitude) -> None:
        self.addresses = addresses
        self.latitude, self.longitude = latitude, longitude
        self.kern = self.municipality = self.geocode_source = None

    physical_address = property(lambda self: next(
        (a for a in self.addresses if a.address_type == "physical"),
        self.addresses[0] if self.addresses else None))
    has_point = property(lambda self: self.latitude is not None and self.longitude is not None)


class RowBuilder:
    """Rows per table for new organizations, locations and listings.

    Rows of one record are staged (``staged``, with the ids they create in ``ids``) until
    ``accept`` moves them to ``tables``, or ``discard`` drops them (the record goes through
    the ORM writer instead).
    """

    def __init__(self, geocoder: Geocoder, term_id: TermLookup, now: datetime) -> None:
        self.geocoder = memoised(geocoder)
        self.term_id = term_id
        self.now = now
        self.plans = {table.name: TablePlan(table, now) for table in Base.metadata.sorted_tables}
        self.tables: dict[str, list[list[Any]]] = {}
        self.staged: list[tuple[str, list[Any]]] = []
        self.ids: list[str] = []
        self._source_name = lru_cache(maxsize=1024)(source_name)  # one file, many records

    # -- staging ------------------------------------------------------------------------------
    def accept(self) -> None:
        tables = self.tables
        for name, row in self.staged:
            rows = tables.get(name)
            if rows is None:
                rows = tables[name] = []
            rows.append(row)
        self.discard()

    def discard(self) -> None:
        self.staged = []
        self.ids = []

    def take(self) -> dict[str, list[list[Any]]]:
        """The accepted rows so far, and start afresh."""
        tables, self.tables = self.tables, {}
        return tables

    #: Every table the builder writes rows to (its ``_add`` calls, the audit and provenance).
    TABLES = ("organization", "organization_identifier", "url", "location", "address",
              "accessibility", "language", "service", "service_area", "cost_option",
              "service_at_location", "phone", "contact", "schedule", "attribute", "metadata",
              "change_record", "service_source")

    def _add(self, table: str, data: dict[str, Any], **links: Any) -> list[Any]:
        plan = self.plans[table]
        row = plan.row(data)
        for key, value in links.items():
            row[plan.at[key]] = value
        self.staged.append((table, row))
        self.ids.append(data["id"])
        return row

    # -- organization and location (``_Writer._organization`` / ``_location``) ----------------
    def organization(self, data: dict[str, Any], source: str, digest: str) -> None:
        org_id = data["id"]
        row = self._add("organization", data, source=source, content_hash=digest)
        row[self.plans["organization"].at["description"]] = data.get("description") or ""
        for phone in data.get("phones", []):
            self._phone(phone, organization_id=org_id)
        for item in data.get("organization_identifiers", []):
            self._add("organization_identifier", item, organization_id=org_id)
        for contact in data.get("contacts", []):
            self._contact(contact, organization_id=org_id)
        for item in data.get("additional_websites", []):
            self._add("url", item, organization_id=org_id)
        self._attributes("organization", org_id, data.get("attributes", []))
        self._metadata("organization", org_id, data.get("metadata", []))

    def location(self, data: dict[str, Any], source: str, digest: str) -> None:
        location_id = data["id"]
        plan = self.plans["location"]
        row = self._add("location", data, source=source, content_hash=digest)
        address_plan = self.plans["address"]
        addresses = [_Address(address_plan, self._add("address", item, location_id=location_id))
                     for item in data.get("addresses", [])]
        for item in data.get("accessibility", []):
            self._add("accessibility", item, location_id=location_id)
        for phone in data.get("phones", []):
            self._phone(phone, location_id=location_id)
        for item in data.get("schedules", []):
            self._schedule(item, location_id=location_id)
        for item in data.get("languages", []):
            self._add("language", item, location_id=location_id)
        for contact in data.get("contacts", []):
            self._contact(contact, location_id=location_id)
        self._attributes("location", location_id, data.get("attributes", []))
        place = _Location(addresses, row[plan.at["latitude"]], row[plan.at["longitude"]])
        self.geocoder.enrich(place)
        for name in ("kern", "municipality", "latitude", "longitude", "geocode_source"):
            row[plan.at[name]] = getattr(place, name)

    # -- the listing (``_Writer.upsert`` for a new service, then audit and provenance) ---------
    def service(self, record: ImportedRecord, digest: str) -> None:
        data = record.service
        service_id = data["id"]
        plan = self.plans["service"]
        row = self._add("service", data, organization_id=data["organization"]["id"],
                        source=record.source, content_hash=digest, version=1)
        assured = data.get("assured_date")
        row[plan.at["assured_date"]] = _convert(Date(), assured) if assured else None
        for sal in data.get("service_at_locations", []):
            self._service_at_location(sal, service_id)
        for phone in data.get("phones", []):
            self._phone(phone, service_id=service_id)
        for item in data.get("schedules", []):
            self._schedule(item, service_id=service_id)
        municipality = self.geocoder.gazetteer.municipality_name
        for item in data.get("service_areas", []):
            self._add("service_area", item, service_id=service_id,
                      municipality=municipality(item.get("name"))
                      or municipality(item.get("description")))
        for item in data.get("languages", []):
            self._add("language", item, service_id=service_id)
        for item in data.get("cost_options", []):
            self._add("cost_option", item, service_id=service_id)
        for contact in data.get("contacts", []):
            self._contact(contact, service_id=service_id)
        for item in data.get("additional_urls", []):
            self._add("url", item, service_id=service_id)
        self._attributes("service", service_id, data.get("attributes", []))
        self._metadata("service", service_id,
                       ordinary_metadata(service_id, data.get("metadata", [])))
        self._change_record(record)
        self._sources(record)

    def _change_record(self, record: ImportedRecord) -> None:
        """``audit.record_import_change`` for a created listing."""
        plan = self.plans["change_record"]
        row = plan.template.copy()
        at = plan.at
        row[at["service_id"]] = record.id
        row[at["source"]] = "import"
        row[at["actor"]] = record.source[:500]
        row[at["action"]] = "create"
        # the very text the ORM stores (its engine's json_serializer)
        row[at["before"]] = Json(None, dumps=json_bytes)
        row[at["after"]] = Json(record.service, dumps=json_bytes)
        self.staged.append(("change_record", row))

    def _sources(self, record: ImportedRecord) -> None:
        """``provenance.note_import`` for a created listing: one row per source and kind (a
        source declared twice updates its row, as ``note_source`` would)."""
        declared = declared_sources(record.id, record.service.get("metadata", []))
        if not declared:
            declared = [(self._source_name(record.source), "import", own_id(record), None)]
        plan = self.plans["service_source"]
        rows: dict[tuple[str, str], list[Any]] = {}
        at = plan.at
        for source, kind, own, day in declared:
            moment = datetime.combine(day, time()) if day else None
            seen = moment or self.now
            row = rows.get((source, kind))
            if row is None:
                row = rows[(source, kind)] = plan.template.copy()
                row[at["service_id"]], row[at["source"]] = record.id, source
                row[at["source_kind"]] = kind
                row[at["first_seen"]], row[at["last_seen"]] = moment or seen, seen
            else:
                if moment is not None and moment < row[at["first_seen"]]:
                    row[at["first_seen"]] = moment
                row[at["last_seen"]] = max(row[at["last_seen"]], seen)
            if own is not None:
                row[at["source_record_id"]] = own
        self.staged.extend(("service_source", row) for row in rows.values())

    # -- children ---------------------------------------------------------------------------
    def _service_at_location(self, data: dict[str, Any], service_id: str) -> None:
        sal_id = data["id"]
        self._add("service_at_location", data, service_id=service_id,
                  location_id=data["location"]["id"])
        for phone in data.get("phones", []):
            self._phone(phone, service_at_location_id=sal_id)
        for item in data.get("schedules", []):
            self._schedule(item, service_at_location_id=sal_id)
        for contact in data.get("contacts", []):
            self._contact(contact, service_at_location_id=sal_id)
        self._attributes("service_at_location", sal_id, data.get("attributes", []))

    def _phone(self, data: dict[str, Any], **parent: str) -> None:
        self._add("phone", data, **parent)
        for item in data.get("languages", []):
            self._add("language", item, phone_id=data["id"])

    def _contact(self, data: dict[str, Any], **parent: str) -> None:
        self._add("contact", data, **parent)
        for phone in data.get("phones", []):
            self._phone(phone, contact_id=data["id"])

    def _schedule(self, data: dict[str, Any], **parent: str) -> None:
        at = self.plans["schedule"].at
        row = self._add("schedule", data, **parent)
        if data.get("notes"):
            match = PLACES_RE.search(data["notes"])
            if match:
                row[at["places"]] = int(match.group(1))
        if data.get("description"):
            match = SESSIONS_RE.search(data["description"])
            if match:
                row[at["session_count"]] = int(match.group(1))

    def _attributes(self, entity: str, link_id: str, items: list[dict[str, Any]]) -> None:
        at = self.plans["attribute"].at
        template = self.plans["attribute"].template
        for item in items:
            row = template.copy()
            row[at["id"]] = item["id"]
            row[at["link_entity"]], row[at["link_id"]] = entity, link_id
            row[at["link_type"]] = item.get("link_type")
            row[at["taxonomy_term_id"]] = self.term_id(item.get("link_type"),
                                                       item["taxonomy_term"])
            row[at["value"]] = None if item.get("value") is None else str(item["value"])
            row[at["label"]] = item.get("label")
            self.staged.append(("attribute", row))
            self.ids.append(item["id"])

    def _metadata(self, resource_type: str, resource_id: str,
                  items: list[dict[str, Any]]) -> None:
        at = self.plans["metadata"].at
        for item in items:
            row = self._add("metadata", item, resource_type=resource_type,
                            resource_id=resource_id)
            for name in ("previous_value", "replacement_value", "updated_by", "field_name",
                         "last_action_type", "last_action_date"):
                if row[at[name]] is None:
                    row[at[name]] = ""


def record_hashes(data: dict[str, Any]) -> tuple[str, str, list[str]]:
    """The content hashes the writer compares: service, organization, each location."""
    return (content_hash(data), content_hash(data["organization"]),
            [content_hash(sal["location"]) for sal in data.get("service_at_locations", [])])
