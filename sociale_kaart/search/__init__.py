"""Search: the seam between the rest of the application and a search backend.

:class:`SearchService` is the only thing outside this package that knows about search. It keeps
the index in step with the database (incremental updates after every commit, a full rebuild on
demand) and answers searches. Today the backend is Whoosh (``engine.WhooshEngine``); a
PostgreSQL backend can take its place behind the same ``SearchBackend`` protocol.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from ..config import Settings
from ..db import Database
from ..geo.gazetteer import default_gazetteer
from .compounds import load_default_splitter
from .documents import documents_for, listing_vocabulary
from .embedder import MODEL_NAME, configure, load_embedder, load_error
from .engine import SearchResult, WhooshEngine
from .fusion import FusionConfig
from .index import IndexStore
from .params import ParamError, SearchParams
from .query import QueryPlanner, default_thesaurus
from .rebuild_journal import RebuildJournal

log = logging.getLogger(__name__)

__all__ = ["ParamError", "SearchParams", "SearchResult", "SearchService"]


def _closing_when_read(session, documents: Iterable) -> Iterator:
    """``documents``, then ``session`` closed as soon as the last one is read. Why: its open
    transaction would hold back what PostgreSQL may regard as visible to all, so the
    ``VACUUM`` that ends a rebuild of the PostgreSQL search tables could not mark the new
    rows so (``PostgresEngine.rebuild``)."""
    try:
        yield from documents
    finally:
        session.close()


class SearchService:
    def __init__(self, settings: Settings, db: Database, *, follow_commits: bool = True) -> None:
        if settings.search_backend not in ("whoosh", "postgres"):
            raise ValueError(f"unknown search backend {settings.search_backend!r}; "
                             "choose whoosh or postgres")
        self.settings = settings
        self.db = db
        gazetteer = default_gazetteer()
        planner = QueryPlanner(gazetteer, default_thesaurus(settings.thesaurus_path))
        if settings.search_backend == "postgres":  # issue 12: search tables in PostgreSQL
            from .pg_backend import postgres_backend

            self.store, pg_engine = postgres_backend(db, gazetteer, planner,
                                                     settings.today_or_now)
        else:
            self.store = IndexStore(settings.resolved_index_path)
        # The listing words saved with the live index join the compound lexicon before any
        # analysis in this process, so queries split like the index did.
        load_default_splitter().add_words(self.store.vocabulary())
        self.semantic = self._semantic_index(settings, db)
        self.engine = WhooshEngine(self.store, gazetteer, planner, settings.today_or_now,
                                   semantic=self.semantic,
                                   fusion=FusionConfig(
                                       semantic_weight=settings.semantic_weight,
                                       neighbour_weight=settings.semantic_neighbour_weight))
        if settings.search_backend == "postgres":
            self.engine = pg_engine.with_semantic(self.semantic, self.engine.fusion)
        self._worker = None
        self.journal = RebuildJournal(db)
        if self.semantic is not None:
            self.semantic.load()
        if follow_commits:
            db.on_commit(self._after_commit)

    @staticmethod
    def _semantic_index(settings: Settings, db: Database):
        """The semantic signal when ``semantic = auto`` and the model loads; else None (the
        search is lexical only; the reason is logged once and on the status page)."""
        if settings.semantic == "off":
            return None
        configure(settings.semantic_engine, settings.instance_path / "engine")
        embedder = load_embedder()
        if embedder is None:
            return None
        from .semantic import SemanticIndex, thesaurus_phrases
        from .thesaurus import DEFAULT_THESAURUS_DIR

        semantic = SemanticIndex(db, embedder.name, embedder.dim, load_embedder,
                                 budget_ms=settings.semantic_budget_ms)
        folders = [DEFAULT_THESAURUS_DIR] + ([settings.thesaurus_path]
                                            if settings.thesaurus_path else [])
        semantic.set_phrases(thesaurus_phrases(folders))
        return semantic

    def _after_commit(self, service_ids: set[str]) -> None:
        try:
            self.reindex(service_ids)
        except Exception:
            # The database is the truth and already committed; a stale index is repaired by
            # the next change or by `sociale-kaart index rebuild`. Never fail the request.
            log.exception("could not update the search index for %d services", len(service_ids))

    def reindex(self, service_ids: Iterable[str]) -> int:
        """Bring these services' documents up to date (or remove them). A rebuild running
        meanwhile (in any process) is told first, so it indexes them again once its new index
        is live (``rebuild_journal``)."""
        service_ids = set(service_ids)
        try:
            self.journal.note(service_ids)
        except Exception:
            # Without the note a rebuild running right now may swap in these listings' older
            # text; never fail the write for it (the next change or rebuild repairs it).
            log.exception("could not note %d changed services for a running rebuild",
                          len(service_ids))
        return self._reindex(service_ids)

    def _reindex(self, service_ids: set[str]) -> int:
        session = self.db.Session()
        try:
            documents = list(documents_for(session, service_ids))
        finally:
            session.close()
        written = self.engine.update(documents)
        if self.semantic is not None:
            try:
                self.semantic.sync([(sid, self.semantic.hash_of(doc)) for sid, doc in documents])
            except Exception:
                # Vectors follow the listings; a failure leaves them to the next change or
                # `index embed`, and the lexical index is already up to date.
                log.exception("could not update the embeddings of %d services", len(documents))
        return written

    def rebuild(self) -> int:
        """A fresh index from the database, built aside and swapped in; then the listings
        changed while it was built are indexed again (``rebuild_journal``)."""
        rebuild_id = self.journal.begin()
        try:
            session = self.db.Session()
            try:
                vocabulary = listing_vocabulary(session)
                documents = _closing_when_read(session, documents_for(session))
                hashes: list[tuple[str, str | None]] = []
                if self.semantic is not None:
                    documents = self.semantic.observe(documents, hashes)
                count = self.engine.rebuild(documents, vocabulary)
            finally:
                session.close()
            if self.semantic is not None:
                # Existing vectors are kept: only texts never embedded before wait for the
                # model.
                self.semantic.sync(hashes, complete=True)
            self._catch_up(rebuild_id)
        finally:
            self.journal.end(rebuild_id)
        return count

    def _catch_up(self, rebuild_id: int) -> int:
        """Index again what was changed while the rebuild ran, now that its index is live.
        Notes made after this point belong to writes that reach the new index themselves."""
        done = 0
        for service_ids in self.journal.take(rebuild_id, self.journal.last_note(rebuild_id)):
            done += self._reindex(service_ids)
        if done:
            log.info("rebuild: %d services changed during the rebuild indexed again", done)
        return done

    def ensure_index(self) -> None:
        """Build the index when it is missing or made by an older schema version."""
        if self.store.needs_rebuild() or not self.store.exists():
            self.rebuild()

    def search(self, params: SearchParams) -> SearchResult:
        return self.engine.search(params)

    def count(self) -> int:
        return self.engine.count()

    # -- semantic search ---------------------------------------------------------------
    def semantic_hashes(self) -> list[tuple[str, str | None]]:
        """Every listing's current text hash (None: not published), read from the database."""
        session = self.db.Session()
        try:
            return [(sid, self.semantic.hash_of(doc)) for sid, doc in documents_for(session)]
        finally:
            session.close()

    def ensure_semantic(self) -> None:
        """Record the text hashes of all listings once (an installation that had semantic
        search off, or existed before it): afterwards commits keep them current."""
        if self.semantic is None:
            return
        embedded, total = self.semantic.counts()
        if total == 0 and self.count() > 0:
            self.semantic.sync(self.semantic_hashes(), complete=True)

    def embed_missing(self, *, recompute: bool = False, progress=None) -> int:
        """Embed every published listing that has no vector (``recompute``: all of them), in
        the foreground. Returns how many texts were embedded."""
        from .embed_worker import fill_missing

        if self.semantic is None:
            return 0
        embedder = load_embedder()
        if embedder is None:
            return 0
        if recompute:
            self.semantic.clear()
        return fill_missing(self.semantic, self.db, embedder, progress=progress)

    def warm_popular_queries(self, embedder=None) -> int:
        """Embed the most frequent searches of the analytics in advance (``query_warmup``);
        returns how many were embedded."""
        from .query_warmup import warm_popular_queries

        embedder = embedder or load_embedder()
        if self.semantic is None or embedder is None or self.settings.semantic_warm_queries <= 0:
            return 0
        return warm_popular_queries(self.semantic, self.db, embedder,
                                    limit=self.settings.semantic_warm_queries,
                                    minimum=self.settings.insight_privacy_threshold,
                                    today=self.settings.today_or_now())

    def start_worker(self):
        """Start the background embedding worker (``serve``); None when semantic is off."""
        from .embed_worker import EmbeddingWorker

        if self.semantic is None:
            return None
        if self._worker is None:
            self._worker = EmbeddingWorker(self.semantic, self.db, load_embedder,
                                           prepare=self.ensure_semantic,
                                           warm=self.warm_popular_queries)
            self._worker.start()
        return self._worker

    def stop_worker(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def semantic_status(self) -> dict:
        """For the beheerder's status page: is semantic search on, and how far along."""
        status = {"setting": self.settings.semantic, "enabled": self.semantic is not None,
                  "model": MODEL_NAME, "error": load_error(), "embedded": 0, "total": 0,
                  "worker": self._worker is not None and self._worker.running,
                  "kernel": None, "engine_error": None}
        embedder = load_embedder() if self.semantic is not None else None
        if embedder is not None:
            status["kernel"] = getattr(embedder, "kernel", None)
            status["engine_error"] = getattr(embedder, "engine_error", None)
        if self.semantic is not None:
            status["embedded"], status["total"] = self.semantic.counts()
        status["pending"] = status["total"] - status["embedded"]
        return status
