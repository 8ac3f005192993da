"""The switch that runs the whole suite on PostgreSQL (``SOCIALE_KAART_TEST_DATABASE``):
each instance folder gets its own fresh database, as each has its own SQLite file."""

from __future__ import annotations

from conftest import ON_POSTGRES
from sqlalchemy import inspect

from sociale_kaart.config import load_settings
from sociale_kaart.db import Database


def test_the_test_database_follows_the_switch(settings, db):
    expected = "postgresql" if ON_POSTGRES else "sqlite"
    assert db.dialect == expected
    assert settings.database_url.startswith(expected)
    assert db.current_revision() == db.head_revision()


def test_each_instance_folder_has_its_own_fresh_database(tmp_path, monkeypatch):
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    first = load_settings(tmp_path / "een")
    second = load_settings(tmp_path / "twee")
    assert first.database_url != second.database_url
    assert load_settings(tmp_path / "een").database_url == first.database_url  # stable
    fresh = Database(second.database_url)
    assert not inspect(fresh.engine).has_table("service")  # empty until migrated
    fresh.dispose()
