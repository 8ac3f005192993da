"""Which language a query is in, offline: the script of its letters and word lists.

Residents may type in English, Turkish, Arabic, Polish, Ukrainian, ... The lexical side of the
search is Dutch (stemming, compounds, typo correction); for a query in another language those
only produce stray matches ("the" corrected to *thee*), so the engine skips them and lets the
multilingual embedding carry the meaning. The word lists are wordfreq's small lists (about 30k
words per language, no network). A query whose words no list knows (a random string, a rare
compound) has no language: the engine then trusts only lexical matches.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

log = logging.getLogger(__name__)

#: Languages we look for, per script. Dutch first: it wins ties.
LATIN = ("nl", "en", "tr", "pl", "de", "fr", "es")
CYRILLIC = ("uk", "ru", "bg")
ARABIC = ("ar", "fa", "ur")
#: A word counts as known in a language from this Zipf frequency (once per 10 million words).
KNOWN_ZIPF = 1.5
#: Dutch is kept unless another language explains the words this much better (mean Zipf) ...
DUTCH_MARGIN = 0.6
#: ... or, when every word is an everyday Dutch word too (loan words: "buddy", "repair cafe"),
#: this much better.
DUTCH_MARGIN_LOANWORDS = 1.0
DUTCH_EVERYDAY_ZIPF = 3.0
#: At least this share of the words must be known in the chosen language.
MIN_KNOWN_SHARE = 0.5
#: Words at least this common in a foreign language are function words there ("the", "is",
#: "for", "dla", "ve"): they never count as lexical evidence.
FOREIGN_FUNCTION_ZIPF = 6.0

WORD_RE = re.compile(r"[^\W\d_]+")
TOKEN_RE = re.compile(r"[\w'’-]+")


@dataclass(frozen=True)
class Detection:
    lang: str | None      # ISO 639-1 code, or None when no word list knows the words
    known_share: float    # share of the words known in that language

    @property
    def is_dutch(self) -> bool:
        return self.lang == "nl"

    @property
    def is_foreign(self) -> bool:
        return self.lang is not None and self.lang != "nl"


@lru_cache(maxsize=1)
def _wordfreq():
    try:
        import wordfreq  # noqa: PLC0415
    except ImportError:  # pragma: no cover - a dependency; the script rule still works
        log.warning("wordfreq is missing: query language detection uses the script only")
        return None
    return wordfreq


@lru_cache(maxsize=200_000)
def zipf(word: str, lang: str) -> float:
    wf = _wordfreq()
    if wf is None:
        return 0.0
    return wf.zipf_frequency(word, lang, wordlist="small")


def _script(word: str) -> str:
    for char in word:
        name = unicodedata.name(char, "")
        if name.startswith("ARABIC"):
            return "arabic"
        if name.startswith("CYRILLIC"):
            return "cyrillic"
    return "latin"


def words_of(text: str) -> list[str]:
    """The words of a text: runs of letters between spaces. A token that mixes in digits
    ("7f3k9x2q") and single letters are not words of any language."""
    words = []
    for token in TOKEN_RE.findall(text or ""):
        parts = WORD_RE.findall(token)
        if any(ch.isdigit() for ch in token) and len(parts) > 1:
            continue
        words += [p.lower() for p in parts if len(p) > 1]
    return words


@lru_cache(maxsize=4096)
def detect(text: str) -> Detection:
    """The language of a (short) query, by script and by how common its words are."""
    words = words_of(text)
    if not words:
        return Detection(None, 0.0)
    scripts = {_script(w) for w in words}
    if "arabic" in scripts:
        candidates = ARABIC
    elif "cyrillic" in scripts:
        candidates = CYRILLIC
    else:
        candidates = LATIN
    scores: dict[str, tuple[float, float]] = {}
    for lang in candidates:
        values = [zipf(w, lang) for w in words]
        known = sum(1 for v in values if v >= KNOWN_ZIPF) / len(words)
        scores[lang] = (sum(values) / len(words), known)
    best = max(candidates, key=lambda lang: scores[lang][0])
    if "nl" in scores and best != "nl":
        everyday = all(zipf(w, "nl") >= DUTCH_EVERYDAY_ZIPF for w in words)
        margin = DUTCH_MARGIN_LOANWORDS if everyday else DUTCH_MARGIN
        if scores[best][0] - scores["nl"][0] < margin:
            best = "nl"
    if scores[best][1] < MIN_KNOWN_SHARE:
        if candidates is not LATIN and scores[best][1] > 0:
            return Detection(best, scores[best][1])  # a non-Latin script is never Dutch
        return Detection(None, scores[best][1])
    return Detection(best, scores[best][1])


def is_function_word(word: str, lang: str) -> bool:
    """A word so common in ``lang`` that a lexical match on it says nothing."""
    return zipf(word.lower(), lang) >= FOREIGN_FUNCTION_ZIPF
