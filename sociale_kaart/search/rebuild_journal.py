"""Listings changed while the search index is rebuilt, so the rebuild can index them again.

A rebuild reads every listing from the database and swaps the new index in when it is done
(at a million listings on PostgreSQL that takes twenty minutes). Meanwhile every process keeps
writing committed changes to the *live* index, which the swap then replaces: a listing changed
after the rebuild read it would show its old text until its next change, one created after the
rebuild listed the ids would be missing, and one deleted would come back. So:

1. the rebuild registers itself (:meth:`RebuildJournal.begin`) before it reads anything;
2. every process, before it writes changed listings to the index after a commit, notes their
   ids for each running rebuild (:meth:`note`);
3. once the new index is live, the rebuild indexes the noted ids again from the database
   (:meth:`take`, up to the last note made before the swap) and ends (:meth:`end`).

A note made after the swap is harmless: that process writes its change to the new index
itself. Because a note is committed before the process writes to the index, every write that
went to the old index was noted before the swap, so the rebuild sees it.

A rebuild that died (killed, machine lost) leaves its row; rows older than
``STALE_AFTER`` are no longer noted for and are removed by the next rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta

from sqlalchemy import delete, func, insert, select

from ..db import Database, replica_reads
from ..models import SearchRebuild, SearchRebuildChange, utcnow

#: A rebuild still registered after this long died without ending (a million listings on
#: PostgreSQL rebuild in about 25 minutes).
STALE_AFTER = timedelta(hours=12)
#: Ids taken and indexed again per round after the swap.
TAKE_BATCH = 2000


class RebuildJournal:
    def __init__(self, db: Database) -> None:
        self.db = db

    def begin(self) -> int:
        """Register a rebuild that is about to read the listings; returns its id. Forgets
        rebuilds that died without ending."""
        with self.db.session() as session:
            session.execute(delete(SearchRebuild).where(
                SearchRebuild.started_at < utcnow() - STALE_AFTER))
            rebuild = SearchRebuild(started_at=utcnow())
            session.add(rebuild)
            session.flush()
            return rebuild.id

    def note(self, service_ids: Iterable[str]) -> int:
        """Note changed listings for every running rebuild (none: nothing written). Returns
        the number of rows written."""
        ids = sorted(set(service_ids))
        if not ids:
            return 0
        # From the primary even inside a request that may read a replica: a lagging replica
        # would not yet show a rebuild that just started.
        with replica_reads(False), self.db.session() as session:
            running = list(session.scalars(select(SearchRebuild.id).where(
                SearchRebuild.started_at >= utcnow() - STALE_AFTER)))
            if not running:
                return 0
            rows = [{"rebuild_id": rebuild_id, "service_id": service_id}
                    for rebuild_id in running for service_id in ids]
            session.execute(insert(SearchRebuildChange), rows)
            return len(rows)

    def last_note(self, rebuild_id: int) -> int:
        """The id of the newest note for this rebuild so far (0: none)."""
        with self.db.session() as session:
            return session.scalar(select(func.max(SearchRebuildChange.id)).where(
                SearchRebuildChange.rebuild_id == rebuild_id)) or 0

    def take(self, rebuild_id: int, up_to: int) -> Iterator[set[str]]:
        """The noted ids up to note ``up_to``, in batches; each batch is removed from the
        journal as it is handed out."""
        after = 0
        while True:
            with self.db.session() as session:
                rows = session.execute(
                    select(SearchRebuildChange.id, SearchRebuildChange.service_id)
                    .where(SearchRebuildChange.rebuild_id == rebuild_id,
                           SearchRebuildChange.id > after, SearchRebuildChange.id <= up_to)
                    .order_by(SearchRebuildChange.id).limit(TAKE_BATCH)).all()
                if not rows:
                    return
                after = rows[-1][0]
                session.execute(delete(SearchRebuildChange).where(
                    SearchRebuildChange.rebuild_id == rebuild_id,
                    SearchRebuildChange.id <= after))
            yield {service_id for _, service_id in rows}

    def end(self, rebuild_id: int) -> None:
        """The rebuild is over (done or failed): its row and its notes go."""
        with self.db.session() as session:
            session.execute(delete(SearchRebuildChange).where(
                SearchRebuildChange.rebuild_id == rebuild_id))
            session.execute(delete(SearchRebuild).where(SearchRebuild.id == rebuild_id))
