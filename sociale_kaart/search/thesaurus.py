"""The curated search thesaurus: synonyms and related needs of the Dutch social domain.

Why a thesaurus
---------------
Residents describe a *need* in their own words ("ik krijg steeds aanmaningen", "help for
carers"), consultants use jargon and abbreviations ("amw", "poh-ggz"), and listings are written by
providers in yet other words. No stemmer bridges "aanmaning" and "schuldhulpverlening", so a
small, reviewable word list does it at query time.

Why plain text
--------------
The lists live in ``data/thesaurus/*.txt`` so that a beheerder (not a developer) can read, review
and extend them in a pull request; ``docs/thesaurus.md`` explains the format. One line is one
entry::

    [geld]                                          # section: a levensgebied code or "algemeen"
    schulden, schuld, geldzorgen                    # synonym group: every member <-> every other
    aanmaning, deurwaarder => schulden, incasso     # related need: left -> right, never back

The section tells the engine which levensgebied a term belongs to, so services of that
levensgebied can get a small boost.

Why a key function
------------------
Look-ups must not depend on case, diacritics or hyphen spelling ("Café", "cafe"; "poh-ggz",
"POH GGZ"). Entries are therefore stored under ``key(term)`` and looked up with ``key(phrase)``.
The search engine passes its own key that also stems each word, so "schulden" and "schuld" meet;
:func:`default_key` only folds.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

__all__ = [
    "ALGEMEEN",
    "DEFAULT_TAXONOMY_CSV",
    "DEFAULT_THESAURUS_DIR",
    "LOCAL_THESAURUS_FILE",
    "RELATED_WEIGHT",
    "SYNONYM_WEIGHT",
    "Expansion",
    "Thesaurus",
    "ThesaurusError",
    "default_key",
    "load_section_codes",
    "load_thesaurus",
]

#: The shipped thesaurus folder; every ``*.txt`` in it is loaded, sorted by file name.
DEFAULT_THESAURUS_DIR = Path(__file__).resolve().parents[2] / "data" / "thesaurus"
#: The levensgebieden taxonomy; its ``code`` column lists the valid section codes.
DEFAULT_TAXONOMY_CSV = DEFAULT_THESAURUS_DIR.parent / "taxonomy" / "levensgebieden.csv"
#: Section for entries that belong to no single levensgebied (they give no category boost).
ALGEMEEN = "algemeen"
#: File in the instance folder where a beheerder's additions from the insight dashboard go
#: ("Synoniem toevoegen", see docs/insight.md); loaded after the shipped and the
#: ``THESAURUS_PATH`` files, in the same format.
LOCAL_THESAURUS_FILE = "thesaurus-lokaal.txt"
#: Weight of a synonym-group member: "means the same", but not literally what was typed.
SYNONYM_WEIGHT = 0.6
#: Weight of a related need (``=>`` target): broader, narrower or associated, so weaker.
RELATED_WEIGHT = 0.4

_RELATED_ARROW = "=>"
_SECTION_RE = re.compile(r"^\[\s*([^\[\]]*?)\s*\]$")
_SECTION_CODE_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
# Letters (any script, with diacritics), digits, spaces and the punctuation that occurs in real
# terms: hyphen (poh-ggz), apostrophe (men's shed, zzp'er), plus (lhbti+, 65+), ampersand and dot.
# Anything else (=, >, /, ;, brackets...) is almost always a typo in the file, so it is an error.
_TERM_RE = re.compile(r"^[\w\s'’+&.-]+$")
_HYPHENS_RE = re.compile(r"[-‐‑‒–—]")  # ASCII hyphen-minus and Unicode hyphens/dashes
_SPACE_RE = re.compile(r"\s+")


class ThesaurusError(ValueError):
    """A problem in a thesaurus file, with the file and line so a beheerder can fix it.

    ``str(error)`` reads like a compiler message: ``"nl.txt:12: reason"`` (no line number when the
    problem is with the file as a whole).
    """

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = reason
        where = self.path.name if line is None else f"{self.path.name}:{line}"
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class Expansion:
    """One extra phrase to search for when a query contains a thesaurus term.

    ``phrase`` is the term as written in the file (lower-cased), so the engine analyses it with
    its own pipeline; ``weight`` is :data:`SYNONYM_WEIGHT` or :data:`RELATED_WEIGHT`;
    ``category`` is the levensgebied code of the line's section (``None`` for ``algemeen``).
    """

    phrase: str
    weight: float
    category: str | None


def default_key(phrase: str) -> str:
    """Normalise a phrase for look-ups: lower-case, diacritics folded, hyphens as spaces.

    Why: residents type "Cafe", "café" and "CAFÉ"; files say "poh-ggz" where a query says
    "poh ggz". NFKD splits "é" into "e" + a combining accent, which is then dropped
    (café -> cafe, cliënt -> client, ĳ -> ij). Whitespace runs collapse to one space.
    """
    decomposed = unicodedata.normalize("NFKD", phrase.lower())
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = _HYPHENS_RE.sub(" ", folded)
    return _SPACE_RE.sub(" ", folded).strip()


def load_section_codes(taxonomy_csv: Path = DEFAULT_TAXONOMY_CSV) -> frozenset[str]:
    """The allowed section codes: every levensgebied ``code`` in the taxonomy plus ``algemeen``.

    Why: passing these as ``sections`` to :func:`load_thesaurus` turns a typo such as
    ``[schulden]`` into an error instead of a silently useless category.
    """
    with taxonomy_csv.open(encoding="utf-8", newline="") as handle:
        codes = {row["code"].strip() for row in csv.DictReader(handle) if row.get("code")}
    return frozenset(codes | {ALGEMEEN})


class Thesaurus:
    """Synonym groups and related needs, indexed by normalised key.

    Build one with :func:`load_thesaurus`; an empty ``Thesaurus()`` is valid and expands nothing
    (handy when the engine runs without a thesaurus). Expansion is one hop: a synonym group
    expands to its members and a related line to its right side, never transitively, so one
    entry can never drag in half the file.
    """

    def __init__(self, key: Callable[[str], str] = default_key) -> None:
        self._key = key
        # source key -> target key -> Expansion (highest weight kept)
        self._expansions: dict[str, dict[str, Expansion]] = {}
        # key -> levensgebied codes of the sections it occurs in (member or left side)
        self._categories: dict[str, set[str]] = {}
        self._section_counts: dict[str, int] = {}
        self._entries = 0
        self._max_words = 0

    # -- building ------------------------------------------------------------------------------

    def _register(self, term_key: str, section: str) -> None:
        self._expansions.setdefault(term_key, {})
        if section != ALGEMEEN:
            self._categories.setdefault(term_key, set()).add(section)
        else:
            self._categories.setdefault(term_key, set())
        self._max_words = max(self._max_words, len(term_key.split()))

    def _link(self, source_key: str, target_key: str, expansion: Expansion) -> None:
        if source_key == target_key:
            return  # never expand a phrase to itself (e.g. two inflections under a stemming key)
        targets = self._expansions.setdefault(source_key, {})
        current = targets.get(target_key)
        if current is None or expansion.weight > current.weight:
            targets[target_key] = expansion

    def _add_synonyms(self, terms: list[str], section: str) -> None:
        category = None if section == ALGEMEEN else section
        keyed = [(self._key(term), term) for term in terms]
        for source_key, _ in keyed:
            self._register(source_key, section)
        for source_key, _ in keyed:
            for target_key, target in keyed:
                self._link(source_key, target_key, Expansion(target, SYNONYM_WEIGHT, category))

    def _add_related(self, left: list[str], right: list[str], section: str) -> None:
        category = None if section == ALGEMEEN else section
        right_keyed = [(self._key(term), term) for term in right]
        for term in left:
            source_key = self._key(term)
            self._register(source_key, section)
            for target_key, target in right_keyed:
                self._link(source_key, target_key, Expansion(target, RELATED_WEIGHT, category))

    def _count(self, section: str) -> None:
        self._entries += 1
        self._section_counts[section] = self._section_counts.get(section, 0) + 1

    # -- look-ups ------------------------------------------------------------------------------

    @property
    def key(self) -> Callable[[str], str]:
        """The key function entries were stored under (the engine may want to reuse it)."""
        return self._key

    def expansions(self, phrase: str) -> list[Expansion]:
        """All expansions of ``phrase``, strongest first; never the phrase itself.

        Duplicates (the same target reached through several lines) are merged, keeping the
        highest weight, so a term that is both a synonym and a related need counts once.
        """
        return self.expansions_by_key(self._key(phrase))

    def expansions_by_key(self, phrase_key: str) -> list[Expansion]:
        """Like :meth:`expansions` for an already normalised key (avoids keying twice)."""
        targets = self._expansions.get(phrase_key)
        if not targets:
            return []
        # Stable sort: equal weights keep file order, which is the order a reviewer reads.
        return sorted(targets.values(), key=lambda expansion: -expansion.weight)

    def categories(self, phrase: str) -> set[str]:
        """Levensgebied codes of the sections in which ``phrase`` occurs as a member or left side.

        ``algemeen`` is not a levensgebied and is never returned.
        """
        return set(self._categories.get(self._key(phrase), ()))

    @property
    def max_phrase_words(self) -> int:
        """Length in words of the longest key, so a caller knows which query n-grams to probe."""
        return self._max_words

    @property
    def section_counts(self) -> Mapping[str, int]:
        """Number of entry lines per section code (including ``algemeen``), for coverage checks."""
        return dict(self._section_counts)

    def __len__(self) -> int:
        """Number of entry lines (synonym groups plus related lines) loaded."""
        return self._entries

    def __contains__(self, phrase: object) -> bool:
        """Whether ``phrase`` is a synonym-group member or a related left side."""
        return isinstance(phrase, str) and self._key(phrase) in self._expansions

    def __iter__(self) -> Iterator[str]:
        """The keys that have expansions or categories (for diagnostics and tooling)."""
        return iter(self._expansions)

    def __repr__(self) -> str:
        return f"<Thesaurus {self._entries} entries, {len(self._expansions)} keys>"


# -- parsing -----------------------------------------------------------------------------------

def _strip_comment(line: str) -> str:
    # '#' never occurs in a term, so everything from the first '#' on is a comment.
    return line.split("#", 1)[0].strip()


def _parse_terms(text: str, path: Path, lineno: int, what: str) -> list[str]:
    """Split a comma list into lower-cased terms, rejecting empty or malformed ones."""
    terms: list[str] = []
    seen: set[str] = set()
    for raw in text.split(","):
        term = _SPACE_RE.sub(" ", raw.strip().lower())
        if not term:
            raise ThesaurusError(path, lineno, f"empty term in {what} (stray or double comma?)")
        if not _TERM_RE.match(term):
            bad = next(ch for ch in term if not _TERM_RE.match(ch))
            raise ThesaurusError(path, lineno, f"invalid character {bad!r} in term {term!r}")
        folded = default_key(term)
        if not folded or not any(ch.isalnum() for ch in folded):
            raise ThesaurusError(path, lineno, f"term {term!r} has no letters or digits")
        if folded in seen:
            raise ThesaurusError(path, lineno, f"duplicate term {term!r} in {what}")
        seen.add(folded)
        terms.append(term)
    return terms


def _parse_file(
    path: Path,
    thesaurus: Thesaurus,
    sections: Collection[str] | None,
) -> None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ThesaurusError(path, None, f"not valid UTF-8 ({exc.reason})") from exc
    section: str | None = None
    for lineno, raw_line in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw_line)
        if not line:
            continue
        if line.startswith("["):
            match = _SECTION_RE.match(line)
            if not match:
                raise ThesaurusError(path, lineno, f"malformed section header {line!r}")
            code = match.group(1).lower()
            if not _SECTION_CODE_RE.match(code):
                raise ThesaurusError(path, lineno, f"invalid section code {code!r}")
            if sections is not None and code not in sections:
                allowed = ", ".join(sorted(sections))
                raise ThesaurusError(
                    path, lineno, f"unknown section [{code}] (allowed: {allowed})")
            section = code
            continue
        if section is None:
            raise ThesaurusError(path, lineno, "entry before any [section] header")
        if "]" in line:
            raise ThesaurusError(path, lineno, f"unexpected ']' in entry {line!r}")
        arrows = line.count(_RELATED_ARROW)
        if arrows > 1:
            raise ThesaurusError(path, lineno, "more than one '=>' on a line")
        if arrows == 1:
            left_text, right_text = line.split(_RELATED_ARROW)
            if not left_text.strip():
                raise ThesaurusError(path, lineno, "related line has nothing left of '=>'")
            if not right_text.strip():
                raise ThesaurusError(path, lineno, "related line has nothing right of '=>'")
            left = _parse_terms(left_text, path, lineno, "left side")
            right = _parse_terms(right_text, path, lineno, "right side")
            overlap = {default_key(t) for t in left} & {default_key(t) for t in right}
            if overlap:
                raise ThesaurusError(
                    path, lineno, f"term on both sides of '=>': {sorted(overlap)[0]!r}")
            _check_keys(left + right, thesaurus, path, lineno)
            thesaurus._add_related(left, right, section)
        else:
            terms = _parse_terms(line, path, lineno, "synonym group")
            if len(terms) < 2:
                raise ThesaurusError(
                    path, lineno,
                    f"synonym group with a single term {terms[0]!r} (add synonyms or use '=>')")
            _check_keys(terms, thesaurus, path, lineno)
            thesaurus._add_synonyms(terms, section)
        thesaurus._count(section)


def _check_keys(terms: list[str], thesaurus: Thesaurus, path: Path, lineno: int) -> None:
    # A custom key (e.g. a stemmer) could map a term to nothing; that term could never match.
    for term in terms:
        if not thesaurus.key(term).strip():
            raise ThesaurusError(path, lineno, f"term {term!r} has an empty key")


def _expand_paths(paths: Iterable[Path | str | PathLike[str]] | Path | str) -> list[Path]:
    items = [paths] if isinstance(paths, (str, PathLike)) else list(paths)
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.txt") if p.is_file())
            if not found:
                raise ThesaurusError(path, None, "no *.txt thesaurus files in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise ThesaurusError(path, None, "no such thesaurus file or folder")
    return files


def load_thesaurus(
    paths: Iterable[Path] | Path = DEFAULT_THESAURUS_DIR,
    key: Callable[[str], str] = default_key,
    sections: Collection[str] | None = None,
) -> Thesaurus:
    """Load thesaurus files into one :class:`Thesaurus`.

    ``paths`` is a file, a folder (all ``*.txt`` in it, sorted by name) or a list of those, so an
    installation can add its own folder after the shipped one. ``key`` normalises terms on both
    sides (see the module docstring). ``sections`` lists the allowed section codes
    (:func:`load_section_codes` gives the levensgebieden plus ``algemeen``); ``None`` accepts any
    well-formed code.

    Raises :class:`ThesaurusError` (with file and line) for an unknown or malformed section, an
    entry before any section, an empty or malformed term, a duplicate term on one line, a line
    with more than one ``=>``, a related line with an empty side, or a synonym group with a single
    term.
    """
    allowed = None if sections is None else frozenset(sections)
    thesaurus = Thesaurus(key)
    for path in _expand_paths(paths):
        _parse_file(path, thesaurus, allowed)
    return thesaurus
