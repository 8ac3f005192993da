"""A small multilingual glossary: words a resident types in English, Turkish, Arabic, Polish or
Ukrainian, mapped to the Dutch words the listings use.

Why: the listings are Dutch, so a foreign query's own words rarely match lexically, and the
embedding bridge alone misses some plain everyday words ("borç", "długi", "ديون"). A hand-written
list of about 425 social-domain concepts (``data/thesaurus/multilingual/glossary.txt``)
turns them into Dutch expansions at a modest weight. It is used only for queries detected as
non-Dutch, so Dutch queries are never changed.

Inflection is handled cheaply rather than with a stemmer per language: Arabic is normalised
(diacritics, tatweel, alef/ya/ta-marbuta forms) and a glossary word's core (without article
and feminine ending) is looked for inside the typed word, which carries clitics such as
wa-, bi-, al- and possessive endings; Polish, Ukrainian and Turkish words match by prefix of
the base form (its final vowel dropped: *rodzina* finds *rodziny*, *borç* finds *borçlarım*);
English adds plural s/es/ies.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DEFAULT_GLOSSARY = (Path(__file__).resolve().parents[2] / "data" / "thesaurus" / "multilingual"
                    / "glossary.txt")
LANGUAGES = ("en", "tr", "ar", "pl", "uk")
#: Inflecting languages matched by prefix: at most this many letters after the base form.
MAX_ENDING = {"pl": 5, "uk": 5, "tr": 6}
#: A base form shorter than this (after dropping its final vowel) must match exactly.
MIN_PREFIX = 4
VOWELS = {"pl": "aeiouyąęó", "uk": "аеиіїоуюяєьй", "tr": "aeıioöuü"}

_ARABIC_MARKS = re.compile("[\u064b-\u0652\u0670\u0640]")  # harakat, dagger alef, tatweel
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def normalize(word: str, lang: str) -> str:
    """Lower case, NFKC and, for Arabic, without diacritics, tatweel or letter variants."""
    word = unicodedata.normalize("NFKC", word).replace("’", "'")
    if lang == "tr":
        word = word.replace("I", "ı").replace("İ", "i")
    word = word.lower()
    if lang == "ar":
        word = _ARABIC_MARKS.sub("", word)
        word = re.sub("[أإآ]", "ا", word).replace("ى", "ي").replace("ة", "ه")
    return word


def arabic_core(word: str) -> str:
    """A glossary word without its article and feminine ending (at least 3 letters left)."""
    if word.startswith("ال") and len(word) >= 5:
        word = word[2:]
    if word.endswith("ه") and len(word) >= 4:
        word = word[:-1]
    return word


def words(text: str, lang: str) -> list[str]:
    return _WORD.findall(normalize(text, lang))  # marks first: they would split a word


def _base(word: str, lang: str) -> str:
    """The part of a glossary word every inflected form starts with."""
    if lang == "ar":
        return arabic_core(word)
    if lang in VOWELS:
        stripped = word.rstrip(VOWELS[lang])
        return stripped if len(stripped) >= MIN_PREFIX else word
    return word


def word_matches(query_word: str, glossary_word: str, lang: str) -> bool:
    """Whether a (normalised) query word is a form of a (normalised) glossary word."""
    if query_word == glossary_word:
        return True
    if lang == "en":
        if glossary_word.endswith("y") and query_word == glossary_word[:-1] + "ies":
            return True
        return query_word in (glossary_word + "s", glossary_word + "es")
    if lang == "ar":
        # Clitics and suffixes (bi-l-wahda, duyun-i) wrap the core: find it inside the word.
        core = _base(glossary_word, lang)
        return len(core) >= 3 and core in query_word and len(query_word) - len(core) <= 4
    base = _base(glossary_word, lang)
    if len(base) < MIN_PREFIX:
        return False
    return (query_word.startswith(base)
            and len(query_word) - len(base) <= MAX_ENDING.get(lang, 0))


@dataclass
class Glossary:
    """Per language: (words of a foreign term, Dutch terms of its concept)."""

    entries: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = field(
        default_factory=dict)

    def dutch_terms(self, text: str, lang: str | None) -> list[str]:
        """The Dutch terms of every concept whose foreign term occurs in ``text`` (all of a
        phrase's words, in any order); empty for Dutch or unknown languages."""
        if lang not in self.entries:
            return []
        typed = words(text, lang)
        if not typed:
            return []
        found: list[str] = []
        for term, dutch in self.entries[lang]:
            if all(any(word_matches(w, t, lang) for w in typed) for t in term):
                found.extend(d for d in dutch if d not in found)
        return found

    def __len__(self) -> int:
        return sum(len(v) for v in self.entries.values())


def parse(text: str, source: str = "glossary") -> Glossary:
    """Read the glossary format (see the file's header); a bad line names its line number."""
    glossary = Glossary({lang: [] for lang in LANGUAGES})
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        dutch_part, *languages = (p.strip() for p in line.split("|"))
        dutch = tuple(d.strip().lower() for d in dutch_part.split(",") if d.strip())
        if not dutch or not languages:
            raise ValueError(f"{source}:{number}: expected 'dutch terms | en: ... | tr: ...'")
        for part in languages:
            lang, sep, terms = part.partition(":")
            lang = lang.strip()
            if not sep or lang not in LANGUAGES:
                raise ValueError(f"{source}:{number}: unknown language part {part[:30]!r} "
                                 f"(expected one of {', '.join(LANGUAGES)})")
            for term in terms.split(","):
                term_words = tuple(words(term, lang))
                if term_words:
                    glossary.entries[lang].append((term_words, dutch))
    return glossary


@lru_cache(maxsize=4)
def load_glossary(path: Path = DEFAULT_GLOSSARY) -> Glossary:
    """The glossary file (read once per process); an empty glossary when it is missing."""
    if not path.is_file():
        return Glossary()
    return parse(path.read_text(encoding="utf-8"), str(path))
