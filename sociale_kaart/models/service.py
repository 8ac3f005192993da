"""Services (what is offered) and the details that hang off a service only."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import ID, Base, HasId, utcnow

STATUSES = ("active", "inactive", "defunct", "temporarily closed")


class Service(HasId, Base):
    __tablename__ = "service"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), index=True)
    program_id: Mapped[str | None] = mapped_column(ID)
    name: Mapped[str] = mapped_column(String(500))
    alternate_name: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    email: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(30), default="active", index=True)
    interpretation_services: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)
    fees_description: Mapped[str | None] = mapped_column(Text)
    accreditations: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[float | None] = mapped_column(Float)
    maximum_age: Mapped[float | None] = mapped_column(Float)
    #: HSDS ``assured_date``: when a person last confirmed the listing is right. Shown to
    #: residents as "laatst gecontroleerd". An import only copies the publisher's value; it never
    #: sets it to today, and neither does a save without changes.
    assured_date: Mapped[date | None] = mapped_column(Date)
    assurer_email: Mapped[str | None] = mapped_column(String(500))
    #: A short notice shown as a banner, e.g. "tijdelijk gesloten wegens verbouwing".
    alert: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[datetime | None] = mapped_column(DateTime)
    #: Extensions: source bookkeeping for idempotent imports.
    source: Mapped[str | None] = mapped_column(String(500))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: Incremented on every saved change; an editor's save must name the version it started
    #: from, so a second editor gets a conflict instead of silently overwriting (optimistic
    #: locking).
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    organization: Mapped[Organization] = relationship(  # noqa: F821
        back_populates="services", lazy="joined"
    )
    service_at_locations: Mapped[list[ServiceAtLocation]] = relationship(  # noqa: F821
        cascade="all, delete-orphan"
    )
    phones: Mapped[list[Phone]] = relationship(cascade="all, delete-orphan")  # noqa: F821
    schedules: Mapped[list[Schedule]] = relationship(cascade="all, delete-orphan")  # noqa: F821
    service_areas: Mapped[list[ServiceArea]] = relationship(cascade="all, delete-orphan")
    languages: Mapped[list[Language]] = relationship(cascade="all, delete-orphan")
    cost_options: Mapped[list[CostOption]] = relationship(cascade="all, delete-orphan")
    contacts: Mapped[list[Contact]] = relationship(cascade="all, delete-orphan")  # noqa: F821
    urls: Mapped[list[Url]] = relationship(cascade="all, delete-orphan")  # noqa: F821

    @property
    def locations(self) -> list[Location]:  # noqa: F821
        return [sal.location for sal in self.service_at_locations]

    @property
    def is_active(self) -> bool:
        return self.status == "active"


class ServiceArea(HasId, Base):
    __tablename__ = "service_area"

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    extent: Mapped[str | None] = mapped_column(Text)
    extent_type: Mapped[str | None] = mapped_column(String(20))
    uri: Mapped[str | None] = mapped_column(String(2000))
    #: Extension: the CBS municipality this area names, when it names one.
    municipality: Mapped[str | None] = mapped_column(String(200), index=True)


class Language(HasId, Base):
    __tablename__ = "language"

    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id"), index=True)
    phone_id: Mapped[str | None] = mapped_column(ForeignKey("phone.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)


class CostOption(HasId, Base):
    __tablename__ = "cost_option"

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    option: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(String(3))
    amount: Mapped[float | None] = mapped_column(Float)
    amount_description: Mapped[str | None] = mapped_column(Text)


