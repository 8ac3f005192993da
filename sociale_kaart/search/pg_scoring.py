"""Scoring for the PostgreSQL backend: collection statistics, BM25 over fetched candidates, and
the planner's vocabulary questions, all answered from the ``search`` tables.

Why separate: these are the pieces that must agree with the Whoosh backend number for number
(``scoring.Scorer`` and ``engine.PgVocabulary``); keeping them together makes that comparison a
short read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import numpy as np

from .engine import _edit_distance
from .pg_schema import FIELD_CODES, LIVE, TEXT_FIELDS
from .scoring import K1, B

TRIGRAM_THRESHOLD = 0.3
_TSV_ITEM = re.compile(r"'((?:[^']|'')*)'(?::([0-9A-D,]+))?")


class IndexStats:
    def __init__(self, row) -> None:
        self.version, self.generation, self.docs = int(row[0]), int(row[1]), int(row[2])
        totals = row[3:8]
        self.avg = {field: (float(total) / self.docs if self.docs and total else 1.0)
                    for field, total in zip(TEXT_FIELDS, totals, strict=True)}


class CandidateScorer:
    """BM25 over the candidates fetched from PostgreSQL, with the collection's statistics:
    the same formula and inputs as ``scoring.Scorer`` (term frequency, quantised field length,
    average length, document frequency), in the candidates' own numbering."""

    def __init__(self, postings: dict[str, tuple[list[int], list[int]]],
                 lengths: dict[str, np.ndarray], stats: IndexStats, df: dict[str, int]) -> None:
        self.postings_by_lexeme = postings
        self.lengths = lengths
        self.stats = stats
        self.df = df
        self.doc_count = max(1, stats.docs)

    def _idf(self, lexeme: str) -> float:
        df = self.df.get(lexeme, 0)
        return math.log(1 + (self.doc_count - df + 0.5) / (df + 0.5))

    def term(self, field: str, text: str, boost: float) -> tuple[np.ndarray, np.ndarray]:
        lexeme = f"{FIELD_CODES[field]}:{text}"
        found = self.postings_by_lexeme.get(lexeme)
        if not found:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        ids = np.asarray(found[0], dtype=np.int64)
        tf = np.asarray(found[1], dtype=np.float32)
        lengths = self.lengths[field][ids]
        norm = K1 * (1 - B + B * lengths / self.stats.avg[field])
        scores = self._idf(lexeme) * tf * (K1 + 1) / (tf + norm)
        return ids, (scores * boost).astype(np.float32)

    def idf(self, field: str, text: str) -> float:
        return self._idf(f"{FIELD_CODES[field]}:{text}")


class PgVocabulary:
    """The planner's questions (is this stem indexed? the nearest known spelling?) answered by
    ``search.term``; the same rules as the Whoosh backend's vocabulary."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def known(self, stem_text: str) -> bool:
        lexemes = [f"{code}:{stem_text}" for code in FIELD_CODES.values()]
        row = self.conn.execute(f"SELECT 1 FROM {LIVE}.term WHERE term = ANY(%s) AND df > 0 "
                                "LIMIT 1", (lexemes,)).fetchone()
        return row is not None

    def correct(self, word: str) -> str | None:
        if len(word) < 4 or not word.isalpha():
            return None
        if self.conn.execute(f"SELECT 1 FROM {LIVE}.term WHERE term = %s AND df > 0",
                             (f"s:{word}",)).fetchone():
            return None
        maxdist = 1 if len(word) <= 5 else 2
        self.conn.execute(f"SET LOCAL pg_trgm.similarity_threshold = {TRIGRAM_THRESHOLD}")
        rows = self.conn.execute(
            f"SELECT substr(term, 3), df FROM {LIVE}.term "
            "WHERE left(term, 2) = 's:' AND substr(term, 3) %% %s AND df > 0 "
            "AND substr(term, 3, 2) = %s AND length(term) - 2 BETWEEN %s AND %s",
            (word, word[:2], len(word) - maxdist, len(word) + maxdist)).fetchall()
        best: tuple[float, str] | None = None
        for candidate, freq in sorted(rows):
            distance = _edit_distance(word, candidate)
            if distance > maxdist:
                continue
            rank = freq / (1 + 4 * distance)
            if best is None or rank > best[0]:
                best = (rank, candidate)
        return best[1] if best else None



def parse_tsvector(text: str) -> Iterator[tuple[str, int]]:
    for match in _TSV_ITEM.finditer(text):
        positions = match.group(2)
        yield match.group(1).replace("''", "'"), (positions.count(",") + 1 if positions else 1)
