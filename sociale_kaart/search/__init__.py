"""Search: the seam between the rest of the application and a search backend.

:class:`SearchService` is the only thing outside this package that knows about search. It keeps
the index in step with the database (incremental updates after every commit, a full rebuild on
demand) and answers searches. Today the backend is Whoosh (``engine.WhooshEngine``); a
PostgreSQL backend can take its place behind the same ``SearchBackend`` protocol.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ..config import Settings
from ..db import Database
from ..geo.gazetteer import default_gazetteer
from .compounds import load_default_splitter
from .documents import documents_for, listing_vocabulary
from .engine import SearchResult, WhooshEngine
from .index import IndexStore
from .params import ParamError, SearchParams
from .query import QueryPlanner, default_thesaurus

log = logging.getLogger(__name__)

__all__ = ["ParamError", "SearchParams", "SearchResult", "SearchService"]


class SearchService:
    def __init__(self, settings: Settings, db: Database, *, follow_commits: bool = True) -> None:
        if settings.search_backend != "whoosh":
            raise ValueError(f"unknown search backend {settings.search_backend!r}; "
                             "this installation supports: whoosh")
        self.settings = settings
        self.db = db
        gazetteer = default_gazetteer()
        planner = QueryPlanner(gazetteer, default_thesaurus(settings.thesaurus_path))
        self.store = IndexStore(settings.resolved_index_path)
        # The listing words saved with the live index join the compound lexicon before any
        # analysis in this process, so queries split like the index did.
        load_default_splitter().add_words(self.store.vocabulary())
        self.engine = WhooshEngine(self.store, gazetteer, planner, settings.today_or_now)
        if follow_commits:
            db.on_commit(self._after_commit)

    def _after_commit(self, service_ids: set[str]) -> None:
        try:
            self.reindex(service_ids)
        except Exception:
            # The database is the truth and already committed; a stale index is repaired by
            # the next change or by `sociale-kaart index rebuild`. Never fail the request.
            log.exception("could not update the search index for %d services", len(service_ids))

    def reindex(self, service_ids: Iterable[str]) -> int:
        """Bring these services' documents up to date (or remove them)."""
        session = self.db.Session()
        try:
            documents = list(documents_for(session, service_ids))
        finally:
            session.close()
        return self.engine.update(documents)

    def rebuild(self) -> int:
        """A fresh index from the database, built aside and swapped in."""
        session = self.db.Session()
        try:
            vocabulary = listing_vocabulary(session)
            return self.engine.rebuild(documents_for(session), vocabulary)
        finally:
            session.close()

    def ensure_index(self) -> None:
        """Build the index when it is missing or made by an older schema version."""
        if self.store.needs_rebuild() or not self.store.exists():
            self.rebuild()

    def search(self, params: SearchParams) -> SearchResult:
        return self.engine.search(params)

    def count(self) -> int:
        return self.engine.count()
