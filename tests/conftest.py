"""Shared test kit: settings per test in a temporary instance, the app, a client, the CLI."""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from kit_fault import (  # noqa: F401 (fixtures of tests/fault, issue 12)
    fault_cluster_fixture,
    sample_site_fixture,
    site_fixture,
)
from kit_postgres import postgres_cluster, postgres_url  # noqa: F401 (fixtures, issue 12)

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
#: Which database every test runs on: ``sqlite`` (default) or ``postgresql`` (a private
#: cluster from tests/kit_postgres.py; every instance folder gets its own fresh database).
TEST_DATABASE = os.environ.get("SOCIALE_KAART_TEST_DATABASE", "sqlite").strip().lower()
ON_POSTGRES = TEST_DATABASE in {"postgresql", "postgres", "pg"}


def pytest_report_header(config):
    return f"sociale-kaart test database: {'postgresql' if ON_POSTGRES else 'sqlite'}"


class _PostgresPerInstance:
    """Gives each instance folder its own empty PostgreSQL database (created on first use),
    the way each instance folder has its own SQLite file; dropped after the test made it."""

    def __init__(self) -> None:
        self.cluster = None
        self.created: dict[str, Path] = {}

    def name_for(self, instance: Path) -> str:
        return "t_" + hashlib.sha1(str(instance).encode()).hexdigest()[:20]

    def __call__(self, settings) -> str:
        from kit_postgres import shared_cluster

        if self.cluster is None:
            self.cluster = shared_cluster()
        name = self.name_for(settings.instance_path)
        if name not in self.created:
            self.cluster.create_database(name)
            self.created[name] = settings.instance_path
        return self.cluster.url(name)

    def drop_under(self, folder: Path) -> None:
        for name, path in list(self.created.items()):
            if path.is_relative_to(folder):
                self.cluster.drop_database(name)
                del self.created[name]

    def stop(self) -> None:
        from kit_postgres import stop_shared_cluster

        stop_shared_cluster()


_POSTGRES = _PostgresPerInstance() if ON_POSTGRES else None


def pytest_configure(config):
    if _POSTGRES is not None:
        from sociale_kaart import config as config_module

        config_module.default_database_url = _POSTGRES


def pytest_unconfigure(config):
    if _POSTGRES is not None:
        _POSTGRES.stop()


@pytest.fixture(autouse=True)
def _drop_test_databases(request):
    """On PostgreSQL: drop the databases of this test's own instance folders afterwards."""
    yield
    if _POSTGRES is not None and _POSTGRES.created:
        tmp = request.node.funcargs.get("tmp_path")
        if tmp is not None:
            _POSTGRES.drop_under(Path(tmp))


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
