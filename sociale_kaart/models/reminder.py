"""Reminders sent to providers about listings nobody confirmed for a long time.

One row per listing per account per reminder e-mail. ``sociale-kaart remind`` runs from a
scheduler, maybe daily, maybe twice by mistake; the rows let it skip listings it mentioned to
that account recently, so nobody gets the same reminder twice on one day. A table of its own
(instead of a column on ``service``) keeps the history of reminders and leaves the HSDS tables
alone.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class Reminder(Base):
    __tablename__ = "reminder"
    __table_args__ = (Index("ix_reminder_service_sent", "service_id", "sent_on"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    #: The day (in the installation's calendar, ``Settings.today_or_now``) it was sent.
    sent_on: Mapped[date] = mapped_column(Date)
    #: The account it went to; the row stays when the account goes, so the history is complete.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id",
                                                           ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
