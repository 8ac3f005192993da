"""Reports that a listing is wrong ("Klopt er iets niet?"), from anyone, without an account.

No personal data: no name, e-mail, IP address or session is stored with a report, only what
is wrong and an optional comment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

REPORT_REASONS = {
    "adres": "Het adres klopt niet",
    "contact": "Telefoon of e-mail klopt niet",
    "tijden": "De tijden kloppen niet",
    "bestaat_niet": "Bestaat niet meer",
    "anders": "Iets anders",
}
REPORT_STATUSES = ("open", "handled")


class Report(Base):
    __tablename__ = "report"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"),
                                            index=True)
    reason: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column()
