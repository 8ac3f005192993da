"""What only professionals see about a service: a direct line, intake criteria, waiting time.

A table of its own (one row per service, ``service_id`` is the key), with no relationship from
:class:`~sociale_kaart.models.service.Service`: the public pages, the search index, the HSDS
API, the exports and the feeds all start from ``Service`` and its relationships, so they cannot
reach these fields by construction. Only the workspace (``web/workspace.py``), the detail page
for signed-in consultants and the provider portal read or write them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import ID, Base, utcnow

#: The fields a provider fills in, in the order the form and the detail page show them.
PROFESSIONAL_FIELDS = ("phone", "email", "intake_criteria", "waiting_weeks", "how_to_refer",
                       "notes")


class ServiceProfessional(Base):
    __tablename__ = "service_professional"

    service_id: Mapped[str] = mapped_column(
        ID, ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    #: Direct line and e-mail address for professionals (not for residents).
    phone: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(500))
    #: Who is admitted (indication, age, municipality, ...).
    intake_criteria: Mapped[str | None] = mapped_column(Text)
    #: Current waiting time in weeks (0: none); None when unknown.
    waiting_weeks: Mapped[int | None] = mapped_column(Integer, index=True)
    #: How a professional refers someone (form, phone call, Zorgdomein, ...).
    how_to_refer: Mapped[str | None] = mapped_column(Text)
    #: Anything else professionals should know.
    notes: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(Integer)

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, name) in (None, "") for name in PROFESSIONAL_FIELDS)
