"""Insight for the municipality: anonymous search analytics, the opgaven table and the
participants providers enter for a held course session.

Privacy by design (AVG): a search row holds only what was asked and how it went, by *day*.
There is no IP address, cookie, session id, user agent, account or time of day, so two
searches can never be tied to one person. A click names the search it came from through
``search_id`` only; the opaque ``token`` in the result links is random per search, so it links
a click to that one search and nothing else. Query text that looks like personal data never
reaches this table (see :mod:`sociale_kaart.insight.analytics`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import ID, Base, utcnow

#: Where a search came from: the residents' pages or the JSON API.
SEARCH_SOURCES = ("web", "api")


class SearchEvent(Base):
    """One search: one row, written with a single INSERT."""

    __tablename__ = "search_event"
    __table_args__ = (Index("ix_search_event_day_source", "day", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    #: Random, per search; only the result links carry it (to record a click).
    token: Mapped[str] = mapped_column(String(32), unique=True)
    day: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(10), default="web")
    #: Normalised query text (lower case, single spaces); None when empty or dropped.
    query: Mapped[str | None] = mapped_column(String(200), index=True)
    #: True when the text looked like personal data and was not stored.
    query_dropped: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The filters used, as {name: [values]} (facet codes, free, age ...; never ``near``).
    filters: Mapped[dict | None] = mapped_column(JSON)
    #: Levensgebied codes of the search (chosen filters and the thesaurus's reading of the
    #: text), comma-separated with surrounding commas (",geld,wonen,") for a cheap LIKE.
    categories: Mapped[str] = mapped_column(String(400), default="")
    #: Whether the search used a place (the ``near`` field or a place in the text), and the
    #: gazetteer's name for it (a kern or municipality, never what was typed).
    place_used: Mapped[bool] = mapped_column(Boolean, default=False)
    place: Mapped[str | None] = mapped_column(String(200))
    result_count: Mapped[int] = mapped_column(Integer, default=0)
    page: Mapped[int] = mapped_column(Integer, default=1)
    #: Clicks on this search's results (kept here too, so the dashboard needs no join).
    clicks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SearchClick(Base):
    """A click on a result of one search, with its rank (1 = first result)."""

    __tablename__ = "search_click"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    search_id: Mapped[int] = mapped_column(
        ForeignKey("search_event.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    rank: Mapped[int] = mapped_column(Integer)
    service_id: Mapped[str] = mapped_column(ID, index=True)


class Opgave(Base):
    """One of the municipality's opgaven (policy tasks) and the taxonomy terms that count
    for it. ``terms`` is a list of ``"facet:code"`` (e.g. ``"levensgebied:mantelzorg"``);
    a listing counts for the opgave when it has any of them."""

    __tablename__ = "opgave"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    terms: Mapped[list] = mapped_column(JSON, default=list)


class CourseParticipation(Base):
    """How many people took part in a held course session, as the provider entered it.

    Keyed by the schedule's id without a foreign key: a listing save rewrites its schedules,
    and the figure must survive that."""

    __tablename__ = "course_participation"

    schedule_id: Mapped[str] = mapped_column(ID, primary_key=True)
    service_id: Mapped[str] = mapped_column(ID, index=True)
    participants: Mapped[int] = mapped_column(Integer)
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
