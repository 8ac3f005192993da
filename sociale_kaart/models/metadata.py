"""HSDS ``metadata``: a record of a change to any object, as a publisher sends it."""

from __future__ import annotations

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import ID, Base, HasId


class Metadata(HasId, Base):
    __tablename__ = "metadata"
    __table_args__ = (Index("ix_metadata_resource", "resource_type", "resource_id"),)

    resource_id: Mapped[str] = mapped_column(ID)
    resource_type: Mapped[str] = mapped_column(String(50))
    last_action_date: Mapped[str] = mapped_column(String(40))
    last_action_type: Mapped[str] = mapped_column(String(100))
    field_name: Mapped[str] = mapped_column(String(200))
    previous_value: Mapped[str] = mapped_column(Text)
    replacement_value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(500))
