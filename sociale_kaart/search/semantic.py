"""The semantic signal: one embedding vector per published listing, cached by text hash.

Vectors live in the database (``embedding``: text hash -> float16 vector, ``service_embedding``:
listing -> text hash, see ``models/embedding.py``) and, for searching, in one float32 matrix in
this process. Keeping them in step is cheap and never waits for the model: after every commit
(and at an index rebuild) :meth:`SemanticIndex.sync` hashes the changed listings' text and
records it; a listing whose text was embedded before (a re-import, an unchanged listing, a
rebuild) gets its vector back at once. New texts are embedded later by the background worker
(:mod:`embed_worker`) or ``sociale-kaart index embed``; until then the listing is found
lexically only.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from ..db import Database
from ..models import Embedding, ServiceEmbedding
from .embedder import Embedder

log = logging.getLogger(__name__)

#: Embed the organization's name with the listing. The public benchmark preferred without it
#: (see docs/semantic-search.md); kept as a constant so the choice is one line.
INCLUDE_ORGANIZATION = False
#: Longest text embedded per listing (characters); e5 reads 512 tokens at most anyway.
MAX_TEXT_CHARS = 1500
#: Repeated queries (paging, facets, the map) reuse their vector.
QUERY_CACHE_SIZE = 2048
#: Queries waiting to be embedded at most; beyond this a new query is answered lexically at once
#: (under heavy load a queue of embeddings would only make every later query late as well).
MAX_PENDING_QUERIES = 4
#: Below 1/GATHER_SHARE of the rows the candidates' vectors are gathered and only those
#: multiplied; above it one contiguous pass over the matrix is cheaper (measured: gathering
#: 8,000 of 10,000 rows costs ~12 ms, the full pass ~1 ms).
GATHER_SHARE = 4
#: Listings embedded per call to the model; the worker checks for a stop between batches.
BATCH_SIZE = 8
#: A search waits this long (ms) at most for its query's embedding to start. Without it the
#: embedding thread waits for the GIL until the search thread's Python work is done (measured:
#: 12-15 ms of a 12 ms lexical part), which undoes the overlap; once the model runs it holds no
#: GIL. The wait itself is a thread switch (~0.1 ms).
START_WAIT_MS = 2.0


def embedding_text(document: dict, include_organization: bool = INCLUDE_ORGANIZATION) -> str:
    """The text a listing is embedded from: the lexical index's main fields."""
    parts = [document.get("name") or ""]
    if include_organization and document.get("organization"):
        parts.append(document["organization"])
    parts += [document.get("categories_text") or "", document.get("description") or "",
              document.get("places_text") or ""]
    text = ". ".join(" ".join(p.split()) for p in parts if p and p.strip())
    return text[:MAX_TEXT_CHARS]


def thesaurus_phrases(folders: Iterable[Path]) -> list[str]:
    """Every term of the thesaurus files (both sides of ``=>``): the Dutch phrasings a query
    in any language can be bridged to (see :meth:`SemanticIndex.nearest_phrases`)."""
    phrases: set[str] = set()
    for folder in folders:
        for path in sorted(Path(folder).glob("*.txt")):
            for line in path.read_text(encoding="utf-8").splitlines():
                line = line.split("#", 1)[0].strip()
                if not line or line.startswith("["):
                    continue
                for side in line.split("=>"):
                    phrases.update(" ".join(t.split()).lower() for t in side.split(",")
                                   if t.strip())
    return sorted(phrases)


def phrase_hash(phrase: str, model: str) -> str:
    """Thesaurus phrases are embedded as queries: a key apart from listing texts."""
    return text_hash(f"query: {phrase}", model)


def text_hash(text: str, model: str) -> str:
    """The cache key: the same text embedded by another model is another vector."""
    return hashlib.sha256(f"{model}\n{text}".encode()).hexdigest()


def is_published(document: dict | None) -> bool:
    """Listings the public can find get a vector; deleted and inactive ones lose it."""
    return document is not None and bool(document.get("meta", {}).get("active"))


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f2").tobytes()


def from_bytes(data: bytes, dim: int) -> np.ndarray:
    return np.frombuffer(data, dtype="<f2", count=dim).astype(np.float32)


class SemanticIndex:
    """Vectors of the published listings, in the database and in memory."""

    def __init__(self, db: Database, model_name: str, dim: int,
                 embedder_factory: Callable[[], Embedder | None],
                 budget_ms: float | None = None) -> None:
        """:param budget_ms: how long a search may wait for a query's vector that is not cached,
        counted from :meth:`start_query` (None: as long as it takes, for the CLI and
        benchmarks). When the budget runs out the search answers lexically and the embedding
        finishes in the background, so the same query is hybrid next time."""
        self.db = db
        self.budget_ms = budget_ms
        self._pending: dict[str, Future] = {}
        self._executor: ThreadPoolExecutor | None = None
        self.model = model_name
        self.dim = dim
        self._embedder_factory = embedder_factory
        self._lock = threading.RLock()
        self._matrix = np.zeros((0, dim), dtype=np.float32)
        self._row_of: dict[str, int] = {}
        self._free: list[int] = []
        self._used = 0
        self.version = 0
        self._aligned: tuple[object, int, np.ndarray] | None = None
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._db_mark: tuple | None = None
        #: Set whenever listings wait for a vector; the worker waits on it.
        self.pending = threading.Event()
        self._phrases: list[str] = []
        self._phrase_list: list[str] = []
        self._phrase_matrix = np.zeros((0, dim), dtype=np.float32)

    # -- thesaurus phrases -----------------------------------------------------------------
    def set_phrases(self, phrases: list[str]) -> None:
        """The phrases queries may be bridged to; their vectors load when they exist."""
        self._phrases = list(phrases)
        self.load_phrases()

    def load_phrases(self) -> int:
        hashes = {phrase_hash(p, self.model): p for p in self._phrases}
        session = self.db.Session()
        try:
            vectors = self._vectors(session, set(hashes))
        except SQLAlchemyError:  # a database without the tables yet (before `init`)
            log.warning("no embedding tables yet; semantic search starts empty")
            return 0
        finally:
            session.close()
        names = [hashes[h] for h in sorted(vectors)]
        matrix = np.stack([vectors[h] for h in sorted(vectors)]) if vectors else \
            np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            self._phrase_list, self._phrase_matrix = names, matrix
        return len(names)

    def missing_phrases(self) -> dict[str, str]:
        """Hash -> phrase of the thesaurus phrases without a vector yet."""
        hashes = {phrase_hash(p, self.model): p for p in self._phrases}
        session = self.db.Session()
        try:
            have = set()
            keys = list(hashes)
            for start in range(0, len(keys), 500):
                have.update(session.scalars(select(Embedding.text_hash).where(
                    Embedding.text_hash.in_(keys[start:start + 500]))))
        finally:
            session.close()
        return {h: p for h, p in hashes.items() if h not in have}

    def nearest_phrases(self, query: np.ndarray, *, floor: float, margin: float,
                        limit: int) -> list[tuple[str, float]]:
        """The thesaurus phrases closest in meaning to the query (at least ``floor`` and at
        most ``margin`` below the best), best first."""
        with self._lock:
            names, matrix = self._phrase_list, self._phrase_matrix
        if not len(names):
            return []
        sims = matrix @ query.astype(np.float32)
        best = float(sims.max())
        cut = max(floor, best - margin)
        order = np.argsort(-sims)[:limit]
        return [(names[i], float(sims[i])) for i in order if sims[i] >= cut]

    # -- keeping the database in step ----------------------------------------------------
    def observe(self, documents: Iterable[tuple[str, dict | None]],
                into: list[tuple[str, str | None]]) -> Iterator[tuple[str, dict | None]]:
        """Pass documents through (to the lexical index) while noting each one's text hash,
        so a rebuild reads the database only once."""
        for service_id, document in documents:
            into.append((service_id, self.hash_of(document)))
            yield service_id, document

    def hash_of(self, document: dict | None) -> str | None:
        if not is_published(document):
            return None
        return text_hash(embedding_text(document), self.model)

    def sync(self, hashes: Iterable[tuple[str, str | None]], *, complete: bool = False) -> int:
        """Record each listing's text hash (None: no vector wanted). ``complete``: these are
        all listings, so any other row goes. Returns how many listings wait for a vector."""
        wanted = dict(hashes)
        session = self.db.Session()
        try:
            if complete:
                current = dict(session.execute(select(ServiceEmbedding.service_id,
                                                      ServiceEmbedding.text_hash)).all())
            else:
                current = {}
                ids = list(wanted)
                for start in range(0, len(ids), 500):
                    current.update(session.execute(
                        select(ServiceEmbedding.service_id, ServiceEmbedding.text_hash)
                        .where(ServiceEmbedding.service_id.in_(ids[start:start + 500]))).all())
            gone = [sid for sid, h in wanted.items() if h is None and sid in current]
            if complete:
                gone += [sid for sid in current if sid not in wanted]
            changed = {sid: h for sid, h in wanted.items()
                       if h is not None and current.get(sid) != h}
            for start in range(0, len(gone), 500):
                session.execute(delete(ServiceEmbedding).where(
                    ServiceEmbedding.service_id.in_(gone[start:start + 500])))
            for sid, h in changed.items():
                if sid in current:
                    row = session.get(ServiceEmbedding, sid)
                    row.text_hash = h
                else:
                    session.add(ServiceEmbedding(service_id=sid, text_hash=h))
            session.commit()
            vectors = self._vectors(session, set(changed.values()))
        finally:
            session.close()
        missing = 0
        with self._lock:
            for sid in gone:
                self._remove(sid)
            for sid, h in changed.items():
                vector = vectors.get(h)
                if vector is None:
                    self._remove(sid)  # the old text's vector no longer describes it
                    missing += 1
                else:
                    self._put(sid, vector)
            if gone or changed:
                self.version += 1
        if missing:
            self.pending.set()
        return missing

    def _vectors(self, session, hashes: set[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        wanted = sorted(hashes)
        for start in range(0, len(wanted), 500):
            for h, data, dim in session.execute(
                    select(Embedding.text_hash, Embedding.vector, Embedding.dim)
                    .where(Embedding.text_hash.in_(wanted[start:start + 500]),
                           Embedding.model == self.model)):
                if dim == self.dim:
                    found[h] = from_bytes(data, dim)
        return found

    def load(self) -> int:
        """(Re)load every published listing's vector from the database into memory."""
        session = self.db.Session()
        try:
            rows = session.execute(
                select(ServiceEmbedding.service_id, Embedding.vector)
                .join(Embedding, Embedding.text_hash == ServiceEmbedding.text_hash)
                .where(Embedding.model == self.model, Embedding.dim == self.dim)).all()
            mark = self._mark(session)
        except SQLAlchemyError:  # a database without the tables yet (before `init`)
            log.warning("no embedding tables yet; semantic search starts empty")
            return 0
        finally:
            session.close()
        matrix = np.zeros((max(16, len(rows)), self.dim), dtype=np.float32)
        row_of = {}
        for i, (sid, data) in enumerate(rows):
            matrix[i] = from_bytes(data, self.dim)
            row_of[sid] = i
        with self._lock:
            self._matrix, self._row_of, self._free, self._used = matrix, row_of, [], len(rows)
            self.version += 1
            self._db_mark = mark
        return len(rows)

    def _mark(self, session) -> tuple:
        """A cheap fingerprint of the tables: another process (an import on the command line,
        a second web worker) changed them when it differs."""
        return (session.scalar(select(func.count()).select_from(ServiceEmbedding)),
                session.scalar(select(func.max(ServiceEmbedding.updated_at))),
                session.scalar(select(func.count()).select_from(Embedding)))

    def reload_if_changed(self) -> bool:
        session = self.db.Session()
        try:
            mark = self._mark(session)
        finally:
            session.close()
        if mark == self._db_mark:
            return False
        self.load()
        return True

    # -- filling in missing vectors ------------------------------------------------------
    def missing(self, limit: int | None = None) -> list[tuple[str, str]]:
        """(service id, text hash) of listings whose text has no vector yet."""
        session = self.db.Session()
        try:
            query = (select(ServiceEmbedding.service_id, ServiceEmbedding.text_hash)
                     .outerjoin(Embedding, Embedding.text_hash == ServiceEmbedding.text_hash)
                     .where(Embedding.text_hash.is_(None))
                     .order_by(ServiceEmbedding.service_id))
            if limit:
                query = query.limit(limit)
            return [tuple(row) for row in session.execute(query).all()]
        finally:
            session.close()

    def store(self, texts: dict[str, str], vectors: np.ndarray) -> None:
        """Save new vectors (text hash -> vector) and give them to the listings that use them."""
        hashes = list(texts)
        session = self.db.Session()
        try:
            existing = set(session.scalars(select(Embedding.text_hash)
                                           .where(Embedding.text_hash.in_(hashes))))
            for h, vector in zip(hashes, vectors, strict=True):
                if h not in existing:
                    session.add(Embedding(text_hash=h, model=self.model, dim=self.dim,
                                          vector=to_bytes(vector)))
            session.commit()
            users = session.execute(select(ServiceEmbedding.service_id,
                                           ServiceEmbedding.text_hash)
                                    .where(ServiceEmbedding.text_hash.in_(hashes))).all()
            mark = self._mark(session)
        finally:
            session.close()
        by_hash = {h: np.asarray(v, dtype=np.float16).astype(np.float32)
                   for h, v in zip(hashes, vectors, strict=True)}
        with self._lock:
            for sid, h in users:
                self._put(sid, by_hash[h])
            self.version += 1
            self._db_mark = mark

    def clear(self) -> None:
        """Forget every vector (``index embed --all`` recomputes them)."""
        with self.db.session() as session:
            session.execute(delete(Embedding).where(Embedding.model == self.model))
        self.load()

    # -- the in-memory matrix ------------------------------------------------------------
    def _put(self, service_id: str, vector: np.ndarray) -> None:
        row = self._row_of.get(service_id)
        if row is None:
            if self._free:
                row = self._free.pop()
            else:
                if self._used == len(self._matrix):
                    grown = np.zeros((max(16, 2 * len(self._matrix)), self.dim),
                                     dtype=np.float32)
                    grown[:self._used] = self._matrix[:self._used]
                    self._matrix = grown
                row = self._used
                self._used += 1
            self._row_of[service_id] = row
        self._matrix[row] = vector

    def _remove(self, service_id: str) -> None:
        row = self._row_of.pop(service_id, None)
        if row is not None:
            self._matrix[row] = 0.0
            self._free.append(row)

    def has_vector(self, service_id: str) -> bool:
        return service_id in self._row_of

    def __len__(self) -> int:
        return len(self._row_of)

    def similarities(self, ids: list[str], columns_key: object,
                     query: np.ndarray, within: np.ndarray | None = None) -> np.ndarray:
        """Cosine similarity of the query to each listing of ``ids`` (the index's documents,
        in document order); NaN where a listing has no vector (yet) or lies outside ``within``
        (a boolean mask of the filtered candidates: only those are computed, which keeps the
        cost proportional to what the filters leave). The result also hands out the listings'
        vectors (:class:`Similarities`), for the neighbour rule of the fusion.

        The products are taken with ``einsum`` rather than a BLAS matrix-vector product:
        single-threaded, so a busy server is not made busier by BLAS threads competing for
        the same cores."""
        with self._lock:
            aligned = self._aligned
            if aligned is None or aligned[0] is not columns_key or aligned[1] != self.version:
                rows = np.fromiter((self._row_of.get(i, -1) for i in ids), dtype=np.int64,
                                   count=len(ids))
                aligned = self._aligned = (columns_key, self.version, rows)
            matrix = self._matrix[:self._used]
        rows = aligned[2]
        result = np.full(len(ids), np.nan, dtype=np.float32)
        has = rows >= 0
        if within is not None:
            has &= within
        docs = np.nonzero(has)[0]
        query = np.asarray(query, dtype=np.float32)
        if len(docs) * GATHER_SHARE < len(matrix):
            # Few candidates: copying their rows costs less than one pass over all of them.
            result[docs] = np.einsum("ij,j->i", matrix[rows[docs]], query)
        elif len(docs):
            result[docs] = np.einsum("ij,j->i", matrix, query)[rows[docs]]
        return Similarities.of(result, matrix, rows)

    # -- queries ---------------------------------------------------------------------------
    def query_vector(self, text: str, budget_ms: float | None | object = ...
                     ) -> np.ndarray | None:
        """The query's vector (cached); None when the model is not available or, with a
        budget (default: the index's ``budget_ms``), when it is not ready in time. Then the
        embedding goes on in the background and is cached, so a repeated query gets it."""
        return self.start_query(text, budget_ms).result()

    def start_query(self, text: str, budget_ms: float | None | object = ...) -> PendingQuery:
        """Start embedding the query in the background and return at once; the search does
        its lexical work meanwhile and asks :meth:`PendingQuery.result` when it needs the
        vector. The budget counts from this call: the search never waits for the model
        longer than before, and usually not at all (the lexical part takes about as long)."""
        begun = time.perf_counter()
        key = _query_key(text)
        with self._lock:
            cached = self._queries.get(key)
            if cached is not None:
                self._queries.move_to_end(key)
                return PendingQuery(cached)
        embedder = self._embedder_factory()
        if embedder is None:
            return PendingQuery(None)
        budget = self.budget_ms if budget_ms is ... else budget_ms
        alone = False
        with self._lock:
            future = self._pending.get(key)
            if future is None:
                if budget is not None and len(self._pending) >= MAX_PENDING_QUERIES:
                    return PendingQuery(None)  # the model is busy enough: lexical now
                if self._executor is None:
                    # One thread: the query model embeds one text at a time anyway.
                    self._executor = ThreadPoolExecutor(1, thread_name_prefix="query-embed")
                running = threading.Event()
                future = self._executor.submit(self._embed_query, embedder, key, running)
                self._pending[key] = future
                future.add_done_callback(lambda _f, k=key: self._forget_pending(k))
                alone = len(self._pending) == 1
        if alone:  # not queued behind another query: it starts at once
            running.wait(START_WAIT_MS / 1000.0)
        deadline = None if budget is None else begun + max(float(budget), 0.0) / 1000.0
        return PendingQuery(None, future, deadline)

    def _embed_query(self, embedder: Embedder, key: str,
                     started: threading.Event | None = None) -> np.ndarray:
        if started is not None:
            started.set()
        vector = np.asarray(embedder.embed_query(key), dtype=np.float32)
        with self._lock:
            self._queries[key] = vector
            while len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return vector

    def has_query(self, text: str) -> bool:
        """Whether the query's vector is cached."""
        with self._lock:
            return _query_key(text) in self._queries

    def remember_queries(self, texts: list[str], vectors: np.ndarray) -> None:
        """Cache vectors made elsewhere (the worker embeds popular searches in advance: see
        ``query_warmup``), as the least recently used entries: a query a resident typed
        matters more than one expected."""
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                key = _query_key(text)
                if key in self._queries or len(self._queries) >= QUERY_CACHE_SIZE:
                    continue
                self._queries[key] = np.asarray(vector, dtype=np.float32)
                self._queries.move_to_end(key, last=False)

    def _forget_pending(self, key: str) -> None:
        with self._lock:
            self._pending.pop(key, None)

    def pending_queries(self) -> int:
        """Query embeddings still running or queued (for tests and the status page)."""
        with self._lock:
            return len(self._pending)

    def forget_queries(self) -> None:
        """Empty the cache of query vectors (the benchmark times queries seen for the first
        time this way)."""
        with self._lock:
            self._queries.clear()

    def counts(self) -> tuple[int, int]:
        """(listings with a vector, published listings) according to the database."""
        session = self.db.Session()
        try:
            total = session.scalar(select(func.count()).select_from(ServiceEmbedding)) or 0
            embedded = session.scalar(
                select(func.count()).select_from(ServiceEmbedding)
                .join(Embedding, Embedding.text_hash == ServiceEmbedding.text_hash)
                .where(Embedding.model == self.model)) or 0
        finally:
            session.close()
        return int(embedded), int(total)


class Similarities(np.ndarray):
    """Similarities per document (a float32 array) that can also give the documents' vectors:
    the fusion's neighbour rule compares the best candidates with each other
    (``fusion.fuse``). Every backend that fuses gets them this way, without another argument.
    Arrays derived from it (slices, arithmetic) are ordinary: ``vectors_of`` is None there,
    since their positions no longer match."""

    vectors_of: Callable[[np.ndarray], np.ndarray] | None

    @classmethod
    def of(cls, values: np.ndarray, matrix: np.ndarray, rows: np.ndarray) -> Similarities:
        """``values`` per document; ``rows[i]``: the row of document ``i`` in ``matrix``."""
        result = values.view(cls)

        def vectors_of(docs: np.ndarray) -> np.ndarray:
            """Vectors of documents (by position) that have one."""
            return matrix[rows[np.asarray(docs, dtype=np.int64)]]

        result.vectors_of = vectors_of
        return result

    def __array_finalize__(self, obj) -> None:
        self.vectors_of = None


def _query_key(text: str) -> str:
    """Queries that differ only in case and spacing share a vector."""
    return " ".join(text.lower().split())


class PendingQuery:
    """A query's vector: ready (cached), coming (embedded in the background) or never."""

    def __init__(self, vector: np.ndarray | None, future: Future | None = None,
                 deadline: float | None = None) -> None:
        """:param deadline: ``time.perf_counter()`` after which the search stops waiting
        (None: wait as long as it takes)."""
        self._vector = vector
        self._future = future
        self._deadline = deadline

    def result(self) -> np.ndarray | None:
        """The vector, waiting for it until the deadline at most; None when it is not there
        in time (it is cached for the next search all the same) or the model failed."""
        if self._future is None:
            return self._vector
        timeout = None if self._deadline is None else \
            max(0.0, self._deadline - time.perf_counter())
        try:
            return self._future.result(timeout=timeout)
        except FutureTimeout:
            return None
        except Exception as error:  # a failing model must never fail the search
            log.warning("query embedding failed (%s: %s); answering lexically",
                        type(error).__name__, error)
            return None
