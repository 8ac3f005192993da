"""A search document as a row of ``search.document``: our analysis, stored as PostgreSQL values.

Why our analysis and not only PostgreSQL's: the Whoosh backend's relevance comes from our Dutch
analyzer (folding, compounds, agentive forms, Snowball stems) and thesaurus. Running the very
same analyzer (the Whoosh schema's field analyzers, so tokens and field lengths are identical)
and storing its output as ``tsvector`` lexemes ``<field>:<stem>`` lets PostgreSQL find
candidates with a GIN index while the BM25 scores match the Whoosh backend. PostgreSQL's own
``dutch`` + ``unaccent`` vector is stored beside it (see ``pg_schema``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import cache

from ..geo.gazetteer import fold_name
from .analysis import fold
from .pg_schema import FIELD_CODES
from .vocabulary import ACCESS_CODES, COST_CODES, TYPE_CODES

MAX_POSITIONS = 256  # PostgreSQL keeps at most 256 positions per lexeme


@cache
def _schema():
    from .schema import make_schema

    return make_schema()


def quantize(length: int) -> float:
    """Whoosh stores field lengths in one byte; use the same rounding so BM25 agrees."""
    from whoosh.util.numeric import byte_to_length, length_to_byte

    return float(byte_to_length(length_to_byte(length)))


def quote_lexeme(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _first_known(codes: list[str], known: list[str]) -> str | None:
    for code in codes:
        if code in known:
            return code
    return None


def _date(value) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass
class DocumentRow:
    """One row for ``search.document`` plus the lexemes counted in ``search.term``."""

    values: tuple
    lexemes: set[str]          # n:/c:/o:/d:/x: stems, s: spell words, m: municipalities
    lengths: dict[str, float]  # quantised token count per text field


def field_terms(field: str, text: str) -> tuple[Counter, int]:
    """Term frequencies and token count of one field, exactly as the Whoosh index sees it."""
    counts: Counter = Counter()
    length = 0
    if text:
        # What ``field.index()`` counts (whoosh.formats.tokens: analyzer, minus stopped
        # tokens), without encoding the positions Whoosh would store.
        for token in _schema()[field].analyzer(text, positions=True, mode="index"):
            if not token.stopped:
                counts[token.text] += 1
        length = sum(counts.values())
    return counts, length


def spell_words(document: dict) -> list[str]:
    text = " ".join(document.get(name, "") for name in
                    ("name", "categories_text", "organization", "description"))
    words, _ = field_terms("spell", text)
    return sorted(words)


def to_row(document: dict) -> DocumentRow:
    meta = document.get("meta") or {}
    pieces = []
    lexemes: set[str] = set()
    lengths: dict[str, float] = {}
    for field, code in FIELD_CODES.items():
        counts, length = field_terms(field, document.get(field, ""))
        lengths[field] = quantize(length)
        for word, freq in counts.items():
            lexeme = f"{code}:{word}"
            lexemes.add(lexeme)
            positions = ",".join(str(p) for p in range(1, min(freq, MAX_POSITIONS) + 1))
            pieces.append(f"{quote_lexeme(lexeme)}:{positions}")
    spell = spell_words(document)
    lexemes.update(f"s:{w}" for w in spell)
    municipalities = list(meta.get("municipalities") or [])
    areas = list(meta.get("areas") or [])
    serves = sorted(set(municipalities) | set(areas))
    lexemes.update(f"m:{m}" for m in serves)
    points = meta.get("points") or []
    geog = None
    if points:
        geog = "SRID=4326;MULTIPOINT(" + ",".join(
            f"({float(p[1])!r} {float(p[0])!r})" for p in points) + ")"
    course = meta.get("course") or [None, None]
    age = meta.get("age") or [None, None]
    kernen = list(meta.get("kernen") or [])
    values = (
        document["id"], document.get("name", ""), document.get("organization", ""),
        document.get("organization_id"), document.get("summary", ""), meta,
        fold(document.get("name", "")).strip(),
        bool(meta.get("active")), _date(course[0]), _date(course[1]),
        list(meta.get("categories") or []), list(meta.get("themes") or []),
        list(meta.get("audiences") or []),
        _first_known(meta.get("types") or [], TYPE_CODES),
        _first_known(meta.get("access") or [], ACCESS_CODES),
        _first_known(meta.get("costs") or [], COST_CODES),
        None if age[0] is None else float(age[0]), None if age[1] is None else float(age[1]),
        municipalities, areas, serves, kernen, sorted({fold_name(k) for k in kernen}),
        list(meta.get("languages") or []), bool(points), geog,
        lengths["name"], lengths["categories_text"], lengths["organization"],
        lengths["description"], lengths["details"],
        " ".join(pieces), spell,
        " ".join(document.get(name, "") for name in ("name", "organization", "categories_text",
                                                     "summary")),
    )
    return DocumentRow(values, lexemes, lengths)
