"""Exporting a listing gives the canonical record it was imported from."""

from __future__ import annotations

import json

from conftest import SAMPLE_JSON
from sqlalchemy import select

from importers.hsds_json import HsdsJsonImporter
from sociale_kaart.models import Service
from sociale_kaart.services.hsds_export import service_to_hsds
from sociale_kaart.services.imports import import_paths, read_sources, write_records


def _without_taxonomy_detail(record: dict) -> str:
    """Our own terms carry their taxonomy on export; the sample data leaves it out."""
    text = json.dumps(record, sort_keys=True)
    data = json.loads(text)
    for attribute in data["attributes"]:
        attribute["taxonomy_term"].pop("taxonomy_detail", None)
    return json.dumps(data, sort_keys=True)


def test_every_sample_service_exports_to_what_was_imported(db):
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    imported = {r.id: r.service for r in HsdsJsonImporter().read(SAMPLE_JSON)}
    session = db.Session()
    try:
        for service in session.scalars(select(Service)):
            exported = service_to_hsds(session, service)
            assert _without_taxonomy_detail(exported) == \
                _without_taxonomy_detail(imported[service.id]), service.id
    finally:
        session.close()


def _export(db) -> list[dict]:
    session = db.Session()
    try:
        return [service_to_hsds(session, s)
                for s in session.scalars(select(Service).order_by(Service.id))]
    finally:
        session.close()


def test_export_import_export_is_stable(db, tmp_path):
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    first = _export(db)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(first), encoding="utf-8")
    records, errors = read_sources([path], load_plugins=False)
    assert not errors and all(not r.warnings for r in records)
    write_records(db, records, errors)
    assert _export(db) == first
    again = write_records(db, *read_sources([path], load_plugins=False))
    assert len(again.unchanged) == 150
