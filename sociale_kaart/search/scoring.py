"""BM25 scoring in numpy over Whoosh's posting lists.

Whoosh stores the index well, but scores one posting at a time in Python, so a query with a
few common words and their synonyms visits hundreds of thousands of postings per search at
100k listings. Here every posting list is read once per index segment (whole blocks at a time),
kept as numpy arrays in a bounded cache, and a query is a handful of vectorised additions.

The model is BM25 per field (k1 = 1.2, b = 0.75), multiplied by the field's boost and the
term's weight in the query plan, summed over fields and terms: the same BM25F family Whoosh
uses, so relevance does not change, only the speed.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

import numpy as np

K1 = 1.2
B = 0.75
CACHE_TERMS = 50_000


def _read_postings(reader, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """All (docnum, frequency) of one term in one segment, as arrays."""
    try:
        matcher = reader.postings(field, text)
    except Exception:  # term not in this segment (Whoosh raises TermNotFound)
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        # Whoosh 3 codec: decode block by block (private, but pinned with whoosh-reloaded).
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.append(np.asarray(matcher._ids, dtype=np.int32))
            weights.append(np.asarray(matcher._weights, dtype=np.float32))
            matcher._next_block()
    else:
        doc_ids, doc_weights = [], []
        while matcher.is_active():
            doc_ids.append(matcher.id())
            doc_weights.append(matcher.weight())
            matcher.next()
        ids.append(np.asarray(doc_ids, dtype=np.int32))
        weights.append(np.asarray(doc_weights, dtype=np.float32))
    if not ids:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
    return np.concatenate(ids), np.concatenate(weights)


class PostingCache:
    """Posting arrays per (segment, field, term), least recently used dropped first."""

    def __init__(self, size: int = CACHE_TERMS) -> None:
        self.size = size
        self._items: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, segid, reader, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        key = (segid, field, text)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        found = _read_postings(reader, field, text)
        if segid is not None:
            with self._lock:
                self._items[key] = found
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return found


class Scorer:
    """BM25 over one searcher's segments; created per search (cheap), sharing the cache."""

    def __init__(self, reader, lengths: dict[str, np.ndarray], cache: PostingCache) -> None:
        self.leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") \
            else [(reader, 0)]
        self.lengths = lengths
        self.cache = cache
        self.doc_count = max(1, reader.doc_count())
        self.size = reader.doc_count_all()
        self._avg: dict[str, float] = {}
        for field, values in lengths.items():
            total = float(values.sum())
            self._avg[field] = total / self.size if self.size and total else 1.0

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Global docnums and frequencies of a term over all segments."""
        all_ids, all_tf = [], []
        for sub, offset in self.leaves:
            segment = sub.segment() if hasattr(sub, "segment") else None
            segid = segment.segid if segment is not None else None
            ids, tf = self.cache.get(segid, sub, field, text)
            if len(ids):
                all_ids.append(ids + offset)
                all_tf.append(tf)
        if not all_ids:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        if len(all_ids) == 1:
            return all_ids[0].astype(np.int64), all_tf[0]
        return np.concatenate(all_ids).astype(np.int64), np.concatenate(all_tf)

    def term(self, field: str, text: str, boost: float) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, BM25 scores × boost) of one term in one field."""
        ids, tf = self.postings(field, text)
        if not len(ids):
            return ids, tf
        df = len(ids)
        idf = math.log(1 + (self.doc_count - df + 0.5) / (df + 0.5))
        lengths = self.lengths[field][ids]
        norm = K1 * (1 - B + B * lengths / self._avg[field])
        scores = idf * tf * (K1 + 1) / (tf + norm)
        return ids, (scores * boost).astype(np.float32)

    def idf(self, field: str, text: str) -> float:
        ids, _ = self.postings(field, text)
        df = len(ids)
        return math.log(1 + (self.doc_count - df + 0.5) / (df + 0.5))
