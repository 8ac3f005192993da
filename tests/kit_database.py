"""Test kit: look inside an instance's database whatever it is (SQLite file or PostgreSQL).

The suite runs on SQLite and on PostgreSQL (``SOCIALE_KAART_TEST_DATABASE``). Tests that
compared the SQLite file itself use these helpers instead: on SQLite ``digest`` is still the
byte-for-byte ``iterdump`` of the file; on PostgreSQL it is a logical dump (every table's rows,
sorted), which is what "nothing changed" means there.

Not a test module (no ``test_`` prefix); tests import it as ``kit_database``.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from sociale_kaart.config import load_settings


def url_of(instance: Path) -> str:
    return load_settings(instance).database_url


def is_sqlite(instance: Path) -> bool:
    return url_of(instance).startswith("sqlite")


def exists(instance: Path) -> bool:
    """The instance has a database with our schema (SQLite: the file exists)."""
    if is_sqlite(instance):
        return (instance / "sociale-kaart.db").exists()
    engine = create_engine(url_of(instance))
    try:
        return inspect(engine).has_table("service")
    finally:
        engine.dispose()


def rows(instance: Path, query: str) -> list[tuple]:
    """The rows of ``query``, sorted (order-independent comparisons)."""
    engine = create_engine(url_of(instance))
    try:
        with engine.connect() as connection:
            return sorted((tuple(r) for r in connection.execute(text(query))), key=repr)
    finally:
        engine.dispose()


def execute(instance: Path, sql: str, rows_of_params: list[dict]) -> None:
    """Run one statement for each parameter set, in one transaction."""
    engine = create_engine(url_of(instance))
    try:
        with engine.begin() as connection:
            connection.execute(text(sql), rows_of_params)
    finally:
        engine.dispose()


def digest(instance: Path) -> str:
    """A digest of the database's content (SQLite: independent of WAL checkpoints)."""
    return digest_url(url_of(instance))


def digest_of_app(app) -> str:
    return digest_url(app.extensions["sociale_kaart.settings"].database_url)


def digest_url(url: str) -> str:
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.split("///", 1)[-1])
        try:
            dump = "\n".join(connection.iterdump())
        finally:
            connection.close()
        return hashlib.sha256(dump.encode()).hexdigest()
    engine = create_engine(url)
    hasher = hashlib.sha256()
    try:
        with engine.connect() as connection:
            for table in sorted(inspect(connection).get_table_names()):
                hasher.update(f"\n-- {table}\n".encode())
                for row in sorted(repr(tuple(r)) for r in
                                  connection.execute(text(f'SELECT * FROM "{table}"'))):
                    hasher.update(row.encode())
    finally:
        engine.dispose()
    return hasher.hexdigest()


def rows_of_app(app, query: str) -> list[tuple]:
    engine = create_engine(app.extensions["sociale_kaart.settings"].database_url)
    try:
        with engine.connect() as connection:
            return sorted((tuple(r) for r in connection.execute(text(query))), key=repr)
    finally:
        engine.dispose()


def execute_on_app(app, sql: str) -> list[tuple]:
    """Run one statement on the app's database (SQLite or PostgreSQL) in its own transaction
    and return its rows in the order the database gives them (none for DDL/DML)."""
    engine = create_engine(app.extensions["sociale_kaart.settings"].database_url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(sql))
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def tables_of_app(app) -> list[str]:
    engine = create_engine(app.extensions["sociale_kaart.settings"].database_url)
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def columns_of_app(app, table: str) -> set[str]:
    engine = create_engine(app.extensions["sociale_kaart.settings"].database_url)
    try:
        return {column["name"] for column in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def subprocess_env(instance: Path) -> dict[str, str]:
    """Environment for a ``sociale-kaart`` child process on the same database as the tests."""
    url = url_of(instance)
    return {} if url.startswith("sqlite") else {"SOCIALE_KAART_DATABASE_URL": url}
