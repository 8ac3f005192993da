"""Listings changed while the search index was being rebuilt.

A rebuild reads every listing and then swaps the new index in. A change committed after its
listing was read is written to the *old* index by the committing process and would be gone at
the swap (a deleted listing would even come back). So each rebuild has a row in
``search_rebuild`` while it runs, every process that updates the index after a commit first
notes the changed ids in ``search_rebuild_change``, and the rebuild indexes those again once
its index is live (``sociale_kaart.search.rebuild_journal``). Ids only: no personal data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from .base import ID, Base, utcnow


class SearchRebuild(Base):
    """A rebuild of the search index that is running (the row goes when it ends)."""

    __tablename__ = "search_rebuild"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchRebuildChange(Base):
    """A listing changed (or deleted) while that rebuild ran."""

    __tablename__ = "search_rebuild_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rebuild_id: Mapped[int] = mapped_column(
        ForeignKey("search_rebuild.id", ondelete="CASCADE"), index=True)
    #: Not a foreign key: the listing may have been deleted, which is what must be replayed.
    service_id: Mapped[str] = mapped_column(ID)
