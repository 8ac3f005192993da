"""Declarative base shared by all models.

Model and column names follow HSDS 3.0 so that import and export map almost one to one; our own
additions (kern, municipality, course places, source bookkeeping) are marked as extensions.
Every HSDS object keeps its publisher's UUID as primary key, so ``/services/{id}`` stays stable.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Constraint names are spelled out so Alembic migrations behave the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Ids (HSDS UUIDs) and the columns that refer to them. On PostgreSQL with the "C" collation
#: (migration 0013): an id is compared byte by byte, never by a language's sorting rules, so
#: its keys and indexes build about twice as fast (abbreviated keys instead of ``strcoll``)
#: and ids sort the same as in SQLite and in Python.
ID = String(36).with_variant(String(36, collation="C"), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class HasId:
    id: Mapped[str] = mapped_column(ID, primary_key=True)
