"""Shared test kit: settings per test in a temporary instance, the app, a client, the CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from sociale_kaart import create_app
from sociale_kaart.config import load_settings
from sociale_kaart.db import Database

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SAMPLE = SHARED / "sample-data"
SAMPLE_JSON = SAMPLE / "hsds" / "services.json"
SAMPLE_CSV = SAMPLE / "hsds" / "csv"
#: The sample data's reference date: courses that ended before it are over.
REFERENCE_DATE = date(2026, 11, 22)


@pytest.fixture
def shared_dir() -> Path:
    return SHARED


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


@pytest.fixture
def settings(instance: Path, monkeypatch):
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    return load_settings(instance, today=REFERENCE_DATE, flask={"TESTING": True})


@pytest.fixture
def db(settings):
    database = Database(settings.database_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def sample_instance(tmp_path_factory) -> Path:
    """One instance with the sample data imported, shared (read-only) by many tests."""
    from sociale_kaart.search import SearchService
    from sociale_kaart.services.imports import import_paths

    folder = tmp_path_factory.mktemp("sample") / "instance"
    settings = load_settings(folder, today=REFERENCE_DATE)
    database = Database(settings.database_url)
    database.upgrade()
    SearchService(settings, database)
    report = import_paths(database, [SAMPLE_JSON], load_plugins=False)
    assert len(report.created) == 150
    database.dispose()
    return folder


@pytest.fixture(scope="session")
def sample_app(sample_instance):
    settings = load_settings(sample_instance, today=REFERENCE_DATE, flask={"TESTING": True})
    return create_app(settings)


@pytest.fixture
def sample_client(sample_app):
    return sample_app.test_client()
