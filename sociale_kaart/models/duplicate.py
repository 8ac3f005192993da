"""Duplicates across sources: proposed merges and the beheerder's remembered decisions.

An imported record that describes a listing we already hold is not created twice: it becomes a
:class:`MergeProposal` (the incoming record as it would be stored, beside the existing listing).
The beheerder merges it (picking per field), or keeps both; that choice is stored as a
:class:`SourceDecision` keyed by source and incoming record id, so the next import of the same
source applies it instead of asking again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import ID, Base, utcnow

MERGE_STATUSES = ("open", "merged", "kept_both", "dismissed")
DECISIONS = ("merge", "keep_both")


class MergeProposal(Base):
    __tablename__ = "merge_proposal"
    __table_args__ = (Index("ix_merge_proposal_source_incoming", "source", "incoming_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    #: The source as the importer names it (file name without folder).
    source: Mapped[str] = mapped_column(String(500))
    #: The id the incoming record would get if it were kept as a listing of its own.
    incoming_id: Mapped[str] = mapped_column(ID)
    existing_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"),
                                             index=True)
    #: The incoming HSDS service object, exactly as it would be stored.
    record: Mapped[dict] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    reasons: Mapped[str] = mapped_column(Text, default="")
    rows: Mapped[str | None] = mapped_column(String(200))
    #: The source's own id for the record (see ``ServiceSource.source_record_id``).
    source_record_id: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    #: Field → "incoming" or "existing", as the beheerder picked them.
    choices: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(200))


class SourceDecision(Base):
    """What to do with this source's record next time: merge into ``existing_id`` or keep both."""

    __tablename__ = "source_decision"
    __table_args__ = (UniqueConstraint("source", "incoming_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(500))
    incoming_id: Mapped[str] = mapped_column(ID)
    existing_id: Mapped[str | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(String(20))
    choices: Mapped[dict | None] = mapped_column(JSON)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(200))
