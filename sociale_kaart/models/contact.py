"""Phones, contacts and links. Each hangs off exactly one parent (our convention, GUIDE §7.2)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, HasId


class Phone(HasId, Base):
    __tablename__ = "phone"

    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"), index=True)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id"), index=True)
    service_at_location_id: Mapped[str | None] = mapped_column(
        ForeignKey("service_at_location.id"), index=True
    )
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contact.id"), index=True)
    number: Mapped[str] = mapped_column(String(100))
    extension: Mapped[int | None] = mapped_column(Integer)
    type: Mapped[str | None] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)

    languages: Mapped[list[Language]] = relationship(cascade="all, delete-orphan")  # noqa: F821


class Contact(HasId, Base):
    __tablename__ = "contact"

    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"), index=True)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id"), index=True)
    service_at_location_id: Mapped[str | None] = mapped_column(
        ForeignKey("service_at_location.id"), index=True
    )
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(500))
    title: Mapped[str | None] = mapped_column(String(500))
    department: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(500))

    phones: Mapped[list[Phone]] = relationship(cascade="all, delete-orphan")


class Url(HasId, Base):
    """A web link of an organization or service (HSDS 3.1 ``url``; 3.0 data has none)."""

    __tablename__ = "url"

    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"), index=True)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id"), index=True)
    label: Mapped[str | None] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(2000))
