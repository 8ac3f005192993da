"""Schedules: opening hours, recurring activities and course sessions.

A course session is a schedule of a service of type ``cursus`` with a ``dtstart`` and an
``until`` (HSDS has no course object). The number of places and sessions travel in the
schedule's ``notes`` and ``description`` in HSDS; here they also have columns of their own so
providers can keep "places left" current and the search can show upcoming starts.
"""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, HasId

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class Schedule(HasId, Base):
    __tablename__ = "schedule"

    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id"), index=True)
    service_at_location_id: Mapped[str | None] = mapped_column(
        ForeignKey("service_at_location.id"), index=True
    )
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    dtstart: Mapped[date | None] = mapped_column(Date)
    timezone: Mapped[int | None] = mapped_column(Integer)
    until: Mapped[date | None] = mapped_column(Date)
    count: Mapped[int | None] = mapped_column(Integer)
    wkst: Mapped[str | None] = mapped_column(String(2))
    freq: Mapped[str | None] = mapped_column(String(10))
    interval: Mapped[int | None] = mapped_column(Integer)
    byday: Mapped[str | None] = mapped_column(String(100))
    byweekno: Mapped[str | None] = mapped_column(String(200))
    bymonthday: Mapped[str | None] = mapped_column(String(200))
    byyearday: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    opens_at: Mapped[time | None] = mapped_column(Time)
    closes_at: Mapped[time | None] = mapped_column(Time)
    schedule_link: Mapped[str | None] = mapped_column(String(2000))
    attending_type: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    #: Extensions for course sessions.
    places: Mapped[int | None] = mapped_column(Integer)
    places_left: Mapped[int | None] = mapped_column(Integer)
    session_count: Mapped[int | None] = mapped_column(Integer)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def weekdays(self) -> list[str]:
        """The plain weekday codes of ``byday`` (an ordinal such as ``3TU`` gives ``TU``)."""
        days = []
        for part in (self.byday or "").split(","):
            code = part.strip().upper()[-2:]
            if code in WEEKDAYS:
                days.append(code)
        return days

    @property
    def last_date(self) -> date | None:
        """The last day this schedule applies, if it has an end."""
        return self.until or self.valid_to

    @property
    def is_course_session(self) -> bool:
        return self.dtstart is not None and self.until is not None
