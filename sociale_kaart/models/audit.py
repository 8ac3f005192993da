"""Every change to a listing, and changes that wait for a moderator.

``ChangeRecord`` is the audit trail: who (an account, or an import source), when, through
which channel, and the listing's complete state before and after, so any earlier version can
be shown and restored. ``PendingChange`` holds a provider's proposed version until a
moderator publishes or rejects it; residents only ever see the published ``service`` rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import ID, Base, utcnow

CHANGE_SOURCES = ("import", "provider", "moderator", "beheerder", "system")
#: ``superseded``: the same listing got a newer proposal before a moderator decided.
PENDING_STATUSES = ("pending", "published", "rejected", "superseded")


class ChangeRecord(Base):
    __tablename__ = "change_record"
    __table_args__ = (Index("ix_change_record_service", "service_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(ID)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(20))
    #: The account that made the change, if any (imports have none).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id",
                                                           ondelete="SET NULL"))
    #: Who, in words: an e-mail address or an import file name.
    actor: Mapped[str] = mapped_column(String(500))
    action: Mapped[str] = mapped_column(String(30))  # create, update, revert, publish, ...
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


class PendingChange(Base):
    __tablename__ = "pending_change"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    #: The listing it changes; for a new listing, the id it will get.
    service_id: Mapped[str] = mapped_column(ID, index=True)
    organization_id: Mapped[str] = mapped_column(ID, index=True)
    is_new: Mapped[bool] = mapped_column(default=False)
    #: The listing's version the provider started from (for conflict detection).
    base_version: Mapped[int | None] = mapped_column(Integer)
    proposed: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id",
                                                                ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id",
                                                              ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
