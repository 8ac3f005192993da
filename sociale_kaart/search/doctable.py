"""Per-segment, in-memory columns of the index's ``meta`` records, for fast filters and facets.

Whoosh scores text well but filtering 100k documents by facets, dates and distance through its
Python query machinery is slow. Index segments never change once written (only their deletions
do), so each segment's columns are decoded once per process and cached by segment id; a new
small segment from an incremental update costs only its own documents. The columns are numpy
arrays where a fixed vocabulary allows (bitmasks for categories, themes and audiences; small
ints for type, access and cost; day ordinals for course dates) and Python lists otherwise.
"""

from __future__ import annotations

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

    def __len__(self) -> int:
        return len(self.ids)


def build_columns(stored: list[dict], deleted: set[int] | None = None) -> Columns:
    """Decode the stored fields of one segment (in docnum order)."""
    n = len(stored)
    metas = [json.loads(doc.get("meta") or "{}") if doc else {} for doc in stored]
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
    )


def join_columns(parts: list[Columns]) -> Columns:
    if len(parts) == 1:
        return parts[0]
    fields = Columns.__dataclass_fields__
    joined = {}
    for name in fields:
        values = [getattr(p, name) for p in parts]
        if isinstance(values[0], np.ndarray):
            joined[name] = np.concatenate(values) if values else np.array([])
        else:
            joined[name] = [item for value in values for item in value]
    return Columns(**joined)


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
                base = build_columns(stored)
                if key is not None:
                    with self._lock:
                        self._by_segment[key] = base
            if sub.has_deletions():
                # Deletions change without a new segment id: apply them to a copy of the mask.
                alive = base.alive.copy()
                for docnum in range(sub.doc_count_all()):
                    if sub.is_deleted(docnum):
                        alive[docnum] = False
                base = Columns(**{**base.__dict__, "alive": alive})
            parts.append(base)
        with self._lock:
            for key in list(self._by_segment):
                if key not in live_keys:
                    del self._by_segment[key]
        if not parts:
            return build_columns([])
        return join_columns(parts)
