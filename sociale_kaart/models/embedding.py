"""Embedding vectors of listings, cached by a hash of the text they were made from.

Embedding is slow (about ten listings a second on two cores), so a vector is made once per
distinct text and model: a re-import, an index rebuild or a change that leaves the embedded
fields alone finds the vector by its ``text_hash`` and reuses it. ``service_embedding`` says
which text each published listing has now; a listing whose hash has no vector yet waits for the
background worker (``sociale-kaart index embed`` fills them in the foreground). Plain tables with
portable types (a float16 vector as bytes), so SQLite and PostgreSQL hold them alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import ID, Base, utcnow


class Embedding(Base):
    """One vector per distinct (text, model); the hash covers both."""

    __tablename__ = "embedding"

    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(100))
    dim: Mapped[int] = mapped_column(Integer)
    #: ``dim`` float16 values, little-endian.
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ServiceEmbedding(Base):
    """The text (by hash) a published listing is embedded from now. No foreign key: the row
    goes with the listing through the search's after-commit hook, and a vector may serve
    several listings with the same text."""

    __tablename__ = "service_embedding"
    __table_args__ = (Index("ix_service_embedding_text_hash", "text_hash"),)

    service_id: Mapped[str] = mapped_column(ID, primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
