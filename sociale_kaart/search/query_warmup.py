"""Popular searches get their vectors before anyone types them again.

A query the semantic search has not seen waits for the model (a few milliseconds with the
faster engine, more on a busy server), and every web process starts with an empty cache of
query vectors. Residents type the same few hundred things again and again ("voedselbank",
"hulp bij schulden", "mantelzorg"), and the anonymous search analytics (issue 10) know which.
The background embedding worker of ``serve`` embeds the most frequent ones, at low priority and
on the batch model instance, once the listings all have their vectors, and then about once an
hour. Only texts the analytics already keep (query text that looks like personal data is never
stored) and that were searched at least ``insight_privacy_threshold`` times are used; the
vectors stay in this process's memory.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import func, select

from ..db import Database
from ..models import SearchEvent
from .embedder import Embedder
from .semantic import SemanticIndex

log = logging.getLogger(__name__)

#: How far back popularity is counted.
WINDOW_DAYS = 90
#: Queries embedded per call to the model.
WARM_BATCH = 16


def popular_queries(db: Database, *, limit: int, minimum: int, today: date) -> list[str]:
    """The ``limit`` most searched query texts of the last :data:`WINDOW_DAYS` days that were
    searched at least ``minimum`` times, most frequent first."""
    if limit <= 0:
        return []
    count = func.count(SearchEvent.id)
    statement = (select(SearchEvent.query)
                 .where(SearchEvent.query.is_not(None), SearchEvent.query != "",
                        SearchEvent.day >= today - timedelta(days=WINDOW_DAYS))
                 .group_by(SearchEvent.query)
                 .having(count >= max(minimum, 1))
                 .order_by(count.desc(), SearchEvent.query)
                 .limit(limit))
    with db.session() as session:
        return [text for text in session.scalars(statement) if text.strip()]


def warm_popular_queries(semantic: SemanticIndex, db: Database, embedder: Embedder, *,
                         limit: int, minimum: int, today: date) -> int:
    """Embed the popular queries that have no cached vector; returns how many were embedded."""
    waiting = [text for text in popular_queries(db, limit=limit, minimum=minimum, today=today)
               if not semantic.has_query(text)]
    for start in range(0, len(waiting), WARM_BATCH):
        batch = waiting[start:start + WARM_BATCH]
        semantic.remember_queries(batch, embedder.embed_queries(batch))
    if waiting:
        log.info("embedded %d popular searches in advance", len(waiting))
    return len(waiting)
