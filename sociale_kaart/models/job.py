"""Background jobs and shared rate-limit counters: the state several web nodes must share.

A web process keeps nothing of its own, so work that outlives a request (reminder e-mails,
embeddings, digests, analytics roll-ups) is a row in ``job``; any node's worker may claim it,
and on PostgreSQL ``FOR UPDATE SKIP LOCKED`` makes sure only one does. ``dedupe_key`` is unique:
enqueueing "the reminders of 2 December" on two nodes at once stores one job, so the e-mails go
out once. Payloads and errors never hold personal data (ids only; see ``sociale_kaart.jobs``).

``ratelimit_counter`` holds Flask-Limiter's fixed-window counters when
``ratelimit_storage_url = database``, so every node counts the same login attempts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

#: queued → running → done | failed (after ``max_attempts``); a failed attempt with attempts
#: left goes back to queued with a later ``run_after``.
JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status_run_after", "status", "run_after"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: Registered handler name (``sociale_kaart.jobs.registry``), e.g. ``reminders``.
    name: Mapped[str] = mapped_column(String(100))
    #: Arguments for the handler: ids and dates only, never personal data.
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    #: Unique when set: the same logical job (e.g. ``reminders:2026-12-02``) is stored once.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    #: Which worker holds it (``host:pid:thread``) and since when (lease for crash recovery).
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    #: Exception class and a short message with e-mail addresses masked.
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RateLimitCounter(Base):
    __tablename__ = "ratelimit_counter"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    #: Unix time at which the window ends and the count starts again.
    expires_at: Mapped[float] = mapped_column(Float)
