"""Organizations: who provides services."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import ID, Base, HasId, utcnow


class Organization(HasId, Base):
    __tablename__ = "organization"

    name: Mapped[str] = mapped_column(String(500))
    alternate_name: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(500))
    website: Mapped[str | None] = mapped_column(String(2000))
    year_incorporated: Mapped[int | None] = mapped_column(Integer)
    legal_status: Mapped[str | None] = mapped_column(String(200))
    logo: Mapped[str | None] = mapped_column(String(2000))
    uri: Mapped[str | None] = mapped_column(String(2000))
    parent_organization_id: Mapped[str | None] = mapped_column(ID)
    #: Extension: where the record came from (file name or feed) and a hash of its content as
    #: imported, so a re-import of the same record changes nothing.
    source: Mapped[str | None] = mapped_column(String(500))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    services: Mapped[list[Service]] = relationship(back_populates="organization")  # noqa: F821
    phones: Mapped[list[Phone]] = relationship(cascade="all, delete-orphan")  # noqa: F821
    identifiers: Mapped[list[OrganizationIdentifier]] = relationship(
        cascade="all, delete-orphan"
    )
    urls: Mapped[list[Url]] = relationship(cascade="all, delete-orphan")  # noqa: F821
    contacts: Mapped[list[Contact]] = relationship(cascade="all, delete-orphan")  # noqa: F821


class OrganizationIdentifier(HasId, Base):
    __tablename__ = "organization_identifier"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), index=True)
    identifier_scheme: Mapped[str | None] = mapped_column(String(100))
    identifier_type: Mapped[str] = mapped_column(String(200))
    identifier: Mapped[str] = mapped_column(String(200))
