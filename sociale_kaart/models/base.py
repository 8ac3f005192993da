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

ID = String(36)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class HasId:
    id: Mapped[str] = mapped_column(ID, primary_key=True)
