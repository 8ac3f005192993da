"""Locations (where), their addresses and accessibility, and the service-at-location join."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, HasId, utcnow

LOCATION_TYPES = ("physical", "postal", "virtual")


class Location(HasId, Base):
    __tablename__ = "location"

    location_type: Mapped[str] = mapped_column(String(20), default="physical")
    url: Mapped[str | None] = mapped_column(String(2000))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(500))
    alternate_name: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    transportation: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    external_identifier: Mapped[str | None] = mapped_column(String(200))
    external_identifier_type: Mapped[str | None] = mapped_column(String(100))
    #: Extensions: the kern (village/town) and municipality, from the address or the gazetteer,
    #: and where the coordinates came from (source, pc4, place, nominatim).
    kern: Mapped[str | None] = mapped_column(String(200), index=True)
    municipality: Mapped[str | None] = mapped_column(String(200), index=True)
    geocode_source: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(500))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    addresses: Mapped[list[Address]] = relationship(cascade="all, delete-orphan")
    accessibility: Mapped[list[Accessibility]] = relationship(cascade="all, delete-orphan")
    phones: Mapped[list[Phone]] = relationship(cascade="all, delete-orphan")  # noqa: F821
    schedules: Mapped[list[Schedule]] = relationship(cascade="all, delete-orphan")  # noqa: F821
    languages: Mapped[list[Language]] = relationship(cascade="all, delete-orphan")  # noqa: F821
    contacts: Mapped[list[Contact]] = relationship(cascade="all, delete-orphan")  # noqa: F821

    @property
    def physical_address(self) -> Address | None:
        for address in self.addresses:
            if address.address_type == "physical":
                return address
        return self.addresses[0] if self.addresses else None

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class Address(HasId, Base):
    __tablename__ = "address"

    location_id: Mapped[str] = mapped_column(ForeignKey("location.id"), index=True)
    attention: Mapped[str | None] = mapped_column(String(500))
    address_1: Mapped[str] = mapped_column(String(500))
    address_2: Mapped[str | None] = mapped_column(String(500))
    city: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))
    state_province: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    address_type: Mapped[str] = mapped_column(String(20))


class Accessibility(HasId, Base):
    __tablename__ = "accessibility"

    location_id: Mapped[str] = mapped_column(ForeignKey("location.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))


class ServiceAtLocation(HasId, Base):
    __tablename__ = "service_at_location"

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)

    location: Mapped[Location] = relationship(lazy="joined")
    phones: Mapped[list[Phone]] = relationship(cascade="all, delete-orphan")  # noqa: F821
    schedules: Mapped[list[Schedule]] = relationship(cascade="all, delete-orphan")  # noqa: F821
    contacts: Mapped[list[Contact]] = relationship(cascade="all, delete-orphan")  # noqa: F821
