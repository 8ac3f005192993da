"""Per-segment, in-memory columns of the index's ``meta`` records, for fast filters and facets.

Whoosh scores text well but filtering 100k documents by facets, dates and distance through its
Python query machinery is slow. Index segments never change once written (only their deletions
do), so each segment's columns are decoded once per process and cached by segment id; a new
small segment from an incremental update costs only its own documents. The columns are numpy
arrays where a fixed vocabulary allows (bitmasks for categories, themes and audiences; small
ints for type, access and cost; day ordinals for course dates) and Python lists otherwise.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
from dataclasses import dataclass
from datetime import date

import numpy as np

from .vocabulary import (
    ACCESS_CODES,
    AUDIENCE_BITS,
    CATEGORY_BITS,
    COST_CODES,
    THEME_BITS,
    TYPE_CODES,
)

NO_DATE = 0
FAR_FUTURE = date(9999, 12, 31).toordinal()
#: Text fields whose lengths BM25 needs (see scoring.py).
TEXT_FIELDS = ("name", "categories_text", "organization", "description", "details")
#: Multi-valued columns keep this many values per listing (more are rare and ignored for
#: filters; the full lists stay in ``metas``).
MAX_PLACES = 6
MAX_LANGUAGES = 8


class CodeRegistry:
    """Small integers for strings (municipalities, kernen, languages), shared by all segments
    of this process, so multi-valued filters and facet counts run as numpy operations."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        self._names: list[str] = []
        self._lock = threading.Lock()

    def code(self, name: str) -> int:
        found = self._codes.get(name)
        if found is not None:
            return found
        with self._lock:
            if name not in self._codes:
                self._codes[name] = len(self._names)
                self._names.append(name)
            return self._codes[name]

    def lookup(self, name: str) -> int | None:
        return self._codes.get(name)

    def name(self, code: int) -> str:
        return self._names[code]

    def __len__(self) -> int:
        return len(self._names)


CODES = CodeRegistry()


def _codes(values: list[str], width: int) -> list[int]:
    codes = [CODES.code(v) for v in values[:width]]
    return codes + [-1] * (width - len(codes))


def _points(points: list, width: int) -> tuple[list[float], list[float]]:
    lats = [float(p[0]) for p in points[:width]]
    lons = [float(p[1]) for p in points[:width]]
    pad = [float("nan")] * (width - len(lats))
    return lats + pad, lons + pad


def _meta(doc: dict) -> dict:
    """A document's meta record: a dict (or JSON text in indexes built before 2026-12)."""
    meta = doc.get("meta") if doc else None
    if isinstance(meta, dict):
        return meta
    return json.loads(meta) if meta else {}


def _fold(text: str) -> str:
    from .analysis import fold

    return fold(text).strip()


def _mask(codes: list[str], bits: dict[str, int]) -> int:
    value = 0
    for code in codes:
        if code in bits:
            value |= 1 << bits[code]
    return value


def _index(codes: list[str], known: list[str]) -> int:
    """Index of the first known code, -1 when none (single-valued facets)."""
    for code in codes:
        if code in known:
            return known.index(code)
    return -1


@dataclass
class Columns:
    """Columns for a run of documents (one segment, or all segments joined)."""

    ids: list[str]
    names: list[str]
    organizations: list[str]
    organization_ids: list[str]
    summaries: list[str]
    metas: list[dict]
    alive: np.ndarray          # bool: not deleted
    active: np.ndarray         # bool: status active
    course_start: np.ndarray   # int32 ordinal, 0 = not a course
    course_end: np.ndarray     # int32 ordinal, 0 = not a course
    categories: np.ndarray     # int64 bitmask
    themes: np.ndarray         # int64 bitmask
    audiences: np.ndarray      # int64 bitmask
    type: np.ndarray           # int8 index into TYPE_CODES, -1 unknown
    access: np.ndarray         # int8
    cost: np.ndarray           # int8
    age_min: np.ndarray        # float32, nan = none
    age_max: np.ndarray        # float32
    has_point: np.ndarray      # bool
    has_area: np.ndarray       # bool
    multi_point: np.ndarray    # bool: more than one location
    municipality_codes: np.ndarray  # int32 (n, MAX_PLACES): locations' municipalities, -1 pad
    serves_codes: np.ndarray   # int32 (n, MAX_PLACES): municipalities of locations + areas
    area_codes: np.ndarray     # int32 (n, MAX_PLACES): service-area municipalities
    kern_codes: np.ndarray     # int32 (n, MAX_PLACES)
    language_codes: np.ndarray  # int32 (n, MAX_LANGUAGES)
    lats: np.ndarray           # float64 (n, MAX_PLACES), nan pad
    lons: np.ndarray           # float64 (n, MAX_PLACES)
    lengths: dict              # text field -> float32 array of token counts (BM25)
    folded_names: list         # names folded for comparisons and sorting

    def __len__(self) -> int:
        return len(self.ids)


def build_columns(stored: list[dict], deleted: set[int] | None = None,
                  lengths: dict | None = None) -> Columns:
    """Decode the stored fields of one segment (in docnum order)."""
    n = len(stored)
    metas = [_meta(doc) for doc in stored]
    alive = np.ones(n, dtype=bool)
    for docnum in deleted or ():
        alive[docnum] = False
    for i, doc in enumerate(stored):
        if not doc:
            alive[i] = False

    def course(meta: dict, index: int) -> int:
        value = (meta.get("course") or [None, None])[index]
        return date.fromisoformat(value).toordinal() if value else NO_DATE

    def age(meta: dict, index: int) -> float:
        value = (meta.get("age") or [None, None])[index]
        return float("nan") if value is None else float(value)

    return Columns(
        ids=[doc.get("id", "") if doc else "" for doc in stored],
        names=[doc.get("name", "") if doc else "" for doc in stored],
        organizations=[doc.get("organization", "") if doc else "" for doc in stored],
        organization_ids=[doc.get("organization_id", "") if doc else "" for doc in stored],
        summaries=[doc.get("summary", "") if doc else "" for doc in stored],
        metas=metas,
        alive=alive,
        active=np.array([bool(m.get("active")) for m in metas], dtype=bool),
        course_start=np.array([course(m, 0) for m in metas], dtype=np.int32),
        course_end=np.array([course(m, 1) for m in metas], dtype=np.int32),
        categories=np.array([_mask(m.get("categories", []), CATEGORY_BITS) for m in metas],
                            dtype=np.int64),
        themes=np.array([_mask(m.get("themes", []), THEME_BITS) for m in metas], dtype=np.int64),
        audiences=np.array([_mask(m.get("audiences", []), AUDIENCE_BITS) for m in metas],
                           dtype=np.int64),
        type=np.array([_index(m.get("types", []), TYPE_CODES) for m in metas], dtype=np.int8),
        access=np.array([_index(m.get("access", []), ACCESS_CODES) for m in metas],
                        dtype=np.int8),
        cost=np.array([_index(m.get("costs", []), COST_CODES) for m in metas], dtype=np.int8),
        age_min=np.array([age(m, 0) for m in metas], dtype=np.float32),
        age_max=np.array([age(m, 1) for m in metas], dtype=np.float32),
        has_point=np.array([bool(m.get("points")) for m in metas], dtype=bool),
        has_area=np.array([bool(m.get("areas")) for m in metas], dtype=bool),
        multi_point=np.array([len(m.get("points") or []) > 1 for m in metas], dtype=bool),
        municipality_codes=np.array([_codes(m.get("municipalities", []), MAX_PLACES)
                                     for m in metas], dtype=np.int32).reshape(n, MAX_PLACES),
        area_codes=np.array([_codes(m.get("areas", []), MAX_PLACES) for m in metas],
                            dtype=np.int32).reshape(n, MAX_PLACES),
        serves_codes=np.array([_codes(sorted(set(m.get("municipalities", [])) |
                                             set(m.get("areas", []))), MAX_PLACES)
                               for m in metas], dtype=np.int32).reshape(n, MAX_PLACES),
        kern_codes=np.array([_codes(m.get("kernen", []), MAX_PLACES) for m in metas],
                            dtype=np.int32).reshape(n, MAX_PLACES),
        language_codes=np.array([_codes(m.get("languages", []), MAX_LANGUAGES) for m in metas],
                                dtype=np.int32).reshape(n, MAX_LANGUAGES),
        lats=np.array([_points(m.get("points") or [], MAX_PLACES)[0] for m in metas],
                      dtype=np.float64).reshape(n, MAX_PLACES),
        lons=np.array([_points(m.get("points") or [], MAX_PLACES)[1] for m in metas],
                      dtype=np.float64).reshape(n, MAX_PLACES),
        lengths=lengths or {name: np.zeros(n, dtype=np.float32) for name in TEXT_FIELDS},
        folded_names=[_fold(doc.get("name", "")) if doc else "" for doc in stored],
    )


def join_columns(parts: list[Columns]) -> Columns:
    if len(parts) == 1:
        return parts[0]
    fields = Columns.__dataclass_fields__
    joined = {}
    for name in fields:
        values = [getattr(p, name) for p in parts]
        if name == "lengths":
            joined[name] = {field: np.concatenate([v[field] for v in values])
                            for field in TEXT_FIELDS}
            continue
        if isinstance(values[0], np.ndarray):
            joined[name] = np.concatenate(values) if values else np.array([])
        else:
            joined[name] = list(itertools.chain.from_iterable(values))
    return Columns(**joined)


def _length_table() -> np.ndarray:
    from whoosh.util.numeric import byte_to_length

    return np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


def _field_lengths(reader) -> dict[str, np.ndarray]:
    """Token count of each text field per document.

    Whoosh keeps them as one byte per document in a column; reading that column in one go
    (through the codec's reader, pinned with whoosh-reloaded) is a hundred times faster than
    asking per document, which matters when a process opens an index of 100k listings.
    """
    count = reader.doc_count_all()
    table = _length_table()
    out = {}
    for field in TEXT_FIELDS:
        out[field] = _bulk_lengths(reader, field, count, table)
    return out


def _bulk_lengths(reader, field: str, count: int, table: np.ndarray) -> np.ndarray:
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        column = reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
        if column is None:
            return np.zeros(count, dtype=np.float32)
        raw = column._dbfile.get(column._basepos, column._count)
        values = np.zeros(count, dtype=np.uint8)
        stored = np.frombuffer(raw, dtype=np.uint8)[:count]
        values[:len(stored)] = stored
        return table[values]
    except (AttributeError, ImportError, TypeError):
        return np.fromiter((reader.doc_field_length(d, field, 0) or 0 for d in range(count)),
                           dtype=np.float32, count=count)


class SegmentCache:
    """Columns per segment id, shared by all searches in this process."""

    def __init__(self) -> None:
        self._by_segment: dict[str, Columns] = {}
        self._lock = threading.Lock()

    def columns_for(self, reader) -> Columns:
        """Columns for a whole (possibly multi-segment) Whoosh reader, in its docnum order."""
        subreaders = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
        parts = []
        live_keys = set()
        for sub, _offset in subreaders:
            segment = sub.segment() if hasattr(sub, "segment") else None
            key = segment.segid if segment is not None else None
            base = None
            if key is not None:
                live_keys.add(key)
                with self._lock:
                    base = self._by_segment.get(key)
            if base is None:
                stored = [sub.stored_fields(docnum) if not sub.is_deleted(docnum) else {}
                          for docnum in range(sub.doc_count_all())]
                base = build_columns(stored, lengths=_field_lengths(sub))
                if key is not None:
                    with self._lock:
                        self._by_segment[key] = base
            if sub.has_deletions():
                # Deletions change without a new segment id: apply them to a copy of the mask.
                alive = base.alive.copy()
                found = sub.deleted_docs_set
                found = found() if callable(found) else found
                deleted = np.fromiter(found, dtype=np.int64)
                alive[deleted[deleted < len(alive)]] = False
                base = dataclasses.replace(base, alive=alive)
            parts.append(base)
        with self._lock:
            for key in list(self._by_segment):
                if key not in live_keys:
                    del self._by_segment[key]
        if not parts:
            return build_columns([])
        return join_columns(parts)
