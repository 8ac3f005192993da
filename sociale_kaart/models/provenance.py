"""Provenance: where a listing came from, source by source.

A listing can reach us through several channels: an HSDS feed or file, a spreadsheet of a
welzijnsorganisatie, the provider portal, a beheerder merging a duplicate. ``ServiceSource``
keeps one row per listing and source (and kind of source), with the source's own id for the
record (the publisher's id before we mapped it to a UUID, or the spreadsheet row numbers) and
when we saw it first and last. ``Service.source`` only holds the most recent one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

#: ``import``: a file or feed; the others: the portal, by the account's role.
SOURCE_KINDS = ("import", "provider", "moderator", "beheerder")


class ServiceSource(Base):
    __tablename__ = "service_source"
    __table_args__ = (UniqueConstraint("service_id", "source", "source_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"),
                                            index=True)
    #: The file or feed name (without folder), or ``portal``.
    source: Mapped[str] = mapped_column(String(500))
    source_kind: Mapped[str] = mapped_column(String(20))
    #: The source's own id for this record, when it differs from ours (a non-UUID publisher
    #: id, an iCalendar UID, spreadsheet row numbers).
    source_record_id: Mapped[str | None] = mapped_column(String(500))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
