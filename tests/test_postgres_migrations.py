"""The same Alembic migrations on SQLite and PostgreSQL give the schema the models describe,
and the shared rate-limit storage (``ratelimit_storage_url = database``) counts across nodes."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from sociale_kaart.db import Database
from sociale_kaart.models import Base
from sociale_kaart.models.base import ID
from sociale_kaart.web.ratelimit_storage import DatabaseStorage, storage_uri


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kaart.db'}"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    name = f"mig_{uuid.uuid4().hex[:10]}"
    yield cluster.create_database(name)
    cluster.drop_database(name)


def test_migrations_give_the_models_schema(database_url):
    db = Database(database_url)
    db.upgrade()
    assert db.current_revision() == db.head_revision() == "0014"
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    # the rebuild journal, the id collation and the job queue go back
    command.downgrade(db.alembic_config(), "0011")
    assert db.current_revision() == "0011"
    db.upgrade()
    assert db.current_revision() == "0014"
    db.dispose()


def test_database_rate_limit_storage_is_shared_by_two_nodes(database_url):
    first, second = Database(database_url), Database(database_url)
    first.upgrade()
    node_a = DatabaseStorage(storage_uri("database", first))
    node_b = DatabaseStorage(storage_uri("database", second))
    assert storage_uri("memory://", first) == "memory://"
    key = "LIMITER/login/192.0.2.1"
    assert node_a.incr(key, 60) == 1
    assert node_b.incr(key, 60) == 2  # the other node sees the same counter
    assert node_a.get(key) == 2 and node_b.get_expiry(key) > 0
    assert node_a.incr(key, 60, amount=3) == 5
    node_b.clear(key)
    assert node_a.get(key) == 0
    assert node_a.incr("other", -1) == 1  # an expired window starts again
    assert node_b.incr("other", 60) == 1
    assert node_a.check() and node_b.reset() >= 1
    first.dispose()
    second.dispose()


def _id_collations(db: Database) -> dict[tuple[str, str], str | None]:
    with db.engine.connect() as connection:
        return {(table, column): collation for table, column, collation in connection.execute(
            text("SELECT table_name, column_name, collation_name FROM information_schema.columns "
                 "WHERE table_schema = 'public' AND character_maximum_length = 36"))}


def test_ids_are_compared_byte_by_byte_on_postgresql(postgres_cluster):  # noqa: F811
    """Every id column of the models has the "C" collation after the migrations (the
    autogenerate comparison above does not look at collations), and back to the database's
    own after a downgrade."""
    db = Database(postgres_cluster.create_database(f"mig_{uuid.uuid4().hex[:10]}"))
    db.upgrade()
    id_columns = {(table.name, column.name) for table in Base.metadata.sorted_tables
                  for column in table.columns if column.type is ID}
    assert len(id_columns) >= 70
    assert _id_collations(db) == dict.fromkeys(id_columns, "C")
    command.downgrade(db.alembic_config(), "0012")
    assert set(_id_collations(db).values()) == {None}
    db.upgrade()
    assert _id_collations(db) == dict.fromkeys(id_columns, "C")
    db.dispose()
