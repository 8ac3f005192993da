"""Open-data files: export → import into an empty instance → export gives identical bytes (JSON,
CSV, zip); the CSV package passes ``frictionless validate`` including foreign keys; the shipped
copies of the official HSDS files are unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REFERENCE_DATE, SHARED
from frictionless import validate

from sociale_kaart.config import DATA_DIR, load_settings
from sociale_kaart.db import Database
from sociale_kaart.search import SearchService
from sociale_kaart.services.hsds_files import published_services, render, resources
from sociale_kaart.services.imports import import_paths


def _export(instance: Path, target: Path) -> Path:
    """All three formats from one export run: json, csv/ and hsds.zip under ``target``."""
    database = Database(load_settings(instance, today=REFERENCE_DATE).database_url)
    try:
        with database.session() as session:
            services = published_services(session)
    finally:
        database.dispose()
    target.mkdir(parents=True, exist_ok=True)
    (target / "services.json").write_bytes(render(services, "hsds-json"))
    (target / "csv").mkdir()
    for name, data in render(services, "hsds-csv").items():
        (target / "csv" / name).write_bytes(data)
    (target / "hsds.zip").write_bytes(render(services, "hsds-zip"))
    return target


def _import_into_new(tmp_path: Path, source: Path) -> Path:
    instance = tmp_path / "second"
    settings = load_settings(instance, today=REFERENCE_DATE)
    database = Database(settings.database_url)
    database.upgrade()
    SearchService(settings, database)
    report = import_paths(database, [source], load_plugins=False)
    database.dispose()
    assert not report.rejected and not report.warnings, report.summary()
    return instance


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def first(sample_instance, tmp_path_factory) -> Path:
    """The sample instance exported once in every format."""
    return _export(sample_instance, tmp_path_factory.mktemp("export") / "first")


def test_json_round_trip_is_identical(first, tmp_path):
    second = _import_into_new(tmp_path, first / "services.json")
    again = _export(second, tmp_path / "again")
    assert (again / "services.json").read_bytes() == (first / "services.json").read_bytes()
    assert len(json.loads((again / "services.json").read_text("utf-8"))) == 150


def test_csv_round_trip_is_identical_and_zip_too(first, tmp_path):
    second = _import_into_new(tmp_path, first / "csv")
    again = _export(second, tmp_path / "again")
    assert _tree(again / "csv") == _tree(first / "csv")
    assert (again / "hsds.zip").read_bytes() == (first / "hsds.zip").read_bytes()
    # and the JSON of the CSV-imported instance says exactly what the first JSON export says
    assert (again / "services.json").read_bytes() == (first / "services.json").read_bytes()


def test_csv_package_passes_frictionless_with_foreign_keys(first):
    report = validate(str(first / "csv" / "datapackage.json"))
    errors = [f"{task.name}: {error.message}" for task in report.tasks for error in task.errors]
    assert report.valid, errors[:10]
    assert len(report.tasks) == len(resources())


def test_every_csv_has_its_header_in_descriptor_order(first):
    for path, columns in resources().values():
        lines = (first / "csv" / path).read_text("utf-8").splitlines()
        assert lines[0] == ",".join(columns), path


def test_one_parent_column_per_row_and_times_with_seconds(first):
    import csv

    parents = {"phones.csv": ("location_id", "service_id", "organization_id", "contact_id",
                              "service_at_location_id"),
               "schedules.csv": ("service_id", "location_id", "service_at_location_id"),
               "languages.csv": ("service_id", "location_id", "phone_id")}
    for name, columns in parents.items():
        with open(first / "csv" / name, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                assert sum(bool(row[c]) for c in columns) == 1, (name, row["id"])
    with open(first / "csv" / "schedules.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for column in ("opens_at", "closes_at"):
                assert row[column] == "" or len(row[column]) == 8, row


def test_shipped_hsds_files_are_the_official_ones():
    ours = DATA_DIR / "hsds"
    official = SHARED / "hsds"
    assert (ours / "datapackage.json").read_bytes() == \
        (official / "tabular" / "datapackage.json").read_bytes()
    for path in (ours / "schema").rglob("*.json"):
        relative = path.relative_to(ours / "schema")
        assert path.read_bytes() == (official / "schema" / relative).read_bytes(), relative


def test_pending_changes_are_not_exported(sample_instance, first):
    from sociale_kaart.models import PendingChange

    database = Database(load_settings(sample_instance, today=REFERENCE_DATE).database_url)
    service = json.loads((first / "services.json").read_text("utf-8"))[0]
    try:
        with database.session() as session:
            pending = PendingChange(service_id=service["id"],
                                    organization_id=service["organization_id"],
                                    proposed={**service, "name": "Nog niet gepubliceerd"})
            session.add(pending)
            session.flush()
            pending_id = pending.id
        with database.session() as session:
            again = render(published_services(session), "hsds-json")
        assert again == (first / "services.json").read_bytes()
        with database.session() as session:
            session.delete(session.get(PendingChange, pending_id))
    finally:
        database.dispose()
