"""A listing from the database as a canonical HSDS 3.0 service (the shape importers produce).

One function serves the provider portal (the version an edit starts from), the audit trail
(before/after snapshots) and, later, the HSDS API and exports. The output is run through the
importers' own cleaning, so an export imports back without a single change.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.base import ImportedRecord
from importers.validation import KINDS, Origin, clean_service

from ..models import Attribute, Metadata, Service, Taxonomy, TaxonomyTerm

EXPORT_SOURCE = "sociale-kaart"


class ExportError(RuntimeError):
    pass


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _scalars(kind: str, obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    spec = KINDS[kind]
    out: dict[str, Any] = {}
    for name in spec.fields:
        if name in spec.parent_keys or name in skip:
            continue
        value = getattr(obj, name, None)
        if value is None or value == "":
            continue
        out[name] = _value(value)
    return out


class _Exporter:
    def __init__(self, session: Session, *, provenance: bool = False) -> None:
        self.session = session
        self.provenance = provenance

    def attributes(self, entity: str, link_id: str) -> list[dict[str, Any]]:
        rows = self.session.scalars(select(Attribute).where(
            Attribute.link_entity == entity, Attribute.link_id == link_id)
            .order_by(Attribute.id))
        out = []
        for attribute in rows:
            item = _scalars("attribute", attribute)
            item["link_entity"] = entity
            item["taxonomy_term"] = self.term(attribute.taxonomy_term)
            out.append(item)
        return out

    def term(self, term: TaxonomyTerm) -> dict[str, Any]:
        item = _scalars("taxonomy_term", term)
        if term.taxonomy_id:
            taxonomy = self.session.get(Taxonomy, term.taxonomy_id)
            if taxonomy is not None:
                item["taxonomy_detail"] = _scalars("taxonomy", taxonomy)
        return item

    def metadata(self, resource_type: str, resource_id: str) -> list[dict[str, Any]]:
        rows = self.session.scalars(select(Metadata).where(
            Metadata.resource_type == resource_type, Metadata.resource_id == resource_id)
            .order_by(Metadata.id))
        return [_scalars("metadata", row) for row in rows]

    def phones(self, phones) -> list[dict[str, Any]]:
        return [{**_scalars("phone", p),
                 "languages": [_scalars("language", lang) for lang in p.languages]}
                for p in phones]

    def contacts(self, contacts) -> list[dict[str, Any]]:
        return [{**_scalars("contact", c), "phones": self.phones(c.phones)} for c in contacts]

    def organization(self, org) -> dict[str, Any]:
        return {
            **_scalars("organization", org),
            "phones": self.phones(org.phones),
            "contacts": self.contacts(org.contacts),
            "organization_identifiers": [_scalars("organization_identifier", i)
                                         for i in org.identifiers],
            "additional_websites": [_scalars("url", u) for u in org.urls],
            "attributes": self.attributes("organization", org.id),
            "metadata": self.metadata("organization", org.id),
        }

    def location(self, loc) -> dict[str, Any]:
        return {
            **_scalars("location", loc),
            "addresses": [_scalars("address", a) for a in loc.addresses],
            "accessibility": [_scalars("accessibility", a) for a in loc.accessibility],
            "phones": self.phones(loc.phones),
            "schedules": [_scalars("schedule", s) for s in loc.schedules],
            "languages": [_scalars("language", lang) for lang in loc.languages],
            "contacts": self.contacts(loc.contacts),
            "attributes": self.attributes("location", loc.id),
        }

    def service(self, service: Service) -> dict[str, Any]:
        return {
            **_scalars("service", service),
            "organization_id": service.organization_id,
            "organization": self.organization(service.organization),
            "phones": self.phones(service.phones),
            "schedules": [_scalars("schedule", s) for s in service.schedules],
            "service_areas": [_scalars("service_area", a) for a in service.service_areas],
            "service_at_locations": [{
                **_scalars("service_at_location", sal),
                "location_id": sal.location_id,
                "location": self.location(sal.location),
                "phones": self.phones(sal.phones),
                "schedules": [_scalars("schedule", s) for s in sal.schedules],
                "contacts": self.contacts(sal.contacts),
                "attributes": self.attributes("service_at_location", sal.id),
            } for sal in service.service_at_locations],
            "languages": [_scalars("language", lang) for lang in service.languages],
            "cost_options": [_scalars("cost_option", c) for c in service.cost_options],
            "contacts": self.contacts(service.contacts),
            "additional_urls": [_scalars("url", u) for u in service.urls],
            "attributes": self.attributes("service", service.id),
            "metadata": self.metadata("service", service.id) + self.sources(service.id),
        }

    def sources(self, service_id: str) -> list[dict[str, Any]]:
        """Provenance as metadata entries: in published output only, never in the canonical
        record the writer compares (see ``services/provenance.py``)."""
        if not self.provenance:
            return []
        from .provenance import provenance_metadata

        return [{k: v for k, v in item.items() if k != "resource_id"}
                for item in provenance_metadata(self.session, service_id)]


def service_to_hsds(session: Session, service: Service, *,
                    provenance: bool = False) -> dict[str, Any]:
    """The canonical HSDS 3.0 form of one service, as the importers would produce it; with
    ``provenance`` its sources are added as ``metadata`` entries (published output)."""
    raw = _Exporter(session, provenance=provenance).service(service)
    result = clean_service(raw, Origin(EXPORT_SOURCE), EXPORT_SOURCE)
    if not isinstance(result, ImportedRecord):
        raise ExportError(f"service {service.id} does not export cleanly: {result}")
    return result.service
