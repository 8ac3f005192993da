"""Dutch compound splitting for the social-map search index.

Why
---
Dutch writes compounds as one word ("huiswerkbegeleiding", "mantelzorgtraining",
"schuldhulpmaatje"). A resident who types "huiswerk" must find a listing that only says
"huiswerkbegeleiding", and a listing about "rolstoel vervoer" must be found by
"rolstoelvervoer". The analyzer therefore indexes (and queries) a compound *and* its parts at
the same position. This module decides what the parts are.

How
---
The splitter is lexicon-based (no machine learning, no network): a word -> Zipf-frequency map
built offline from ``wordfreq`` (``scripts/build_lexicon.py``), extended at run time with the
vocabulary of the indexed listings (:meth:`CompoundSplitter.add_words`), so local words such as
"schuldhulp" or "repaircafe" become usable parts.

``split(word)`` runs a dynamic programme over split points. For every number of parts
``k`` (2..``MAX_PARTS``) it finds the segmentation with the highest summed Zipf frequency, where

* every part is a known word of length >= ``MIN_PART_LEN`` (3) and Zipf >= ``MIN_PART_ZIPF``,
  and not an affix-like fragment or separable particle (``ing``, ``heid``, ``lijk``, ``aan``,
  ``op``, ...; see ``BLOCKED_PARTS``). 3-letter parts come only from a curated list
  (``SHORT_PARTS``: dag, les, wmo, ggz, ...), because short "words" in a web word list are
  mostly fragments (plan+eet, pro+test, ken+merken);
* between two parts a Dutch linking morpheme ``s``, ``e`` or ``en`` may be skipped
  (vrijwilliger+s+steunpunt, boek+en+club), with a small score penalty.

Then the *fewest* parts win: the smallest ``k`` with any segmentation is taken, and among those
the most frequent one (mantelzorg+training, not man+tel+zorg+training). It is accepted only if
the mean Zipf of its parts (Koehn & Knight 2003: geometric mean of part frequencies) beats the
whole word's own Zipf by ``SPLIT_MARGIN``. That rule keeps lexicalised words intact
("verkeerd" = ver+keerd scores 3.2 against 4.8 for the word itself) while splitting
established compounds whose parts are much more frequent than the compound ("voedselbank"
3.2 -> voedsel 4.7 + bank 5.0). An established word (Zipf >= ``ESTABLISHED_ZIPF``) is only
split into established parts ("evenwicht" is not even+wicht). Words shorter than
``MIN_WORD_LEN`` (7) are never split.

The output of ``split`` is a flat list of unique parts in reading order: each top-level part
followed by its own sub-parts (recursively split with the same rule), e.g.
``schuldhulpmaatje -> [schuldhulp, schuld, hulp, maatje]``. Emitting both levels maximises
recall: a query for "schuldhulp" and one for "hulp" both reach the listing. Results are cached
per word; the cache is cleared when words are added.

Pickling: Whoosh pickles field analyzers into the index's table of contents. The shared default
splitter (:func:`load_default_splitter`) therefore pickles as a *reference* to
``load_default_splitter`` and is re-created lazily on unpickle, so the 145k-word lexicon (and
the indexed vocabulary added with ``add_words``) is never written into the index. Words added
to the default splitter live only in the process: the search engine must call
``load_default_splitter().add_words(...)`` again after start-up (before indexing or querying).
Custom splitters (e.g. in tests) pickle their full state.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

__all__ = [
    "BLOCKED_PARTS",
    "CompoundSplitter",
    "DEFAULT_LEXICON_PATH",
    "load_default_splitter",
    "load_lexicon",
]

_DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "lexicon"
#: Default location of the shipped lexicon; ``.txt.gz`` is preferred over ``.txt``.
DEFAULT_LEXICON_PATH = _DATA_DIR / "nl-words.txt.gz"

#: Fragments that are frequent "words" in a web word list but in a compound are almost always
#: a derivational affix or an inflection, never a meaningful part; plus the separable verb
#: particles (aan+passing, op+vang, uit+leg are derivations, not compounds).
BLOCKED_PARTS: frozenset[str] = frozenset(
    """
    aar aars achtig achtige atie aties baar bare be dom eer eren erij erijen ers ge heid
    heden her ier iers ig ige ing ingen isch ische isme ist isten iteit iteiten lijk lijke
    lijkheid loos loze ont schap schappen sel ster sters tje tjes tie ties ver
    aan af bij door in mee na om onder op over toe uit voor tegen name ling ende
    """.split()
)


#: Three-letter words that really occur as compound parts (dagbesteding, zwemles, wmoloket).
#: Any other 3-letter "word" of a web word list is far more often a fragment (plan+eet,
#: pro+test, ken+merken, ben+den), so short parts come only from this list.
SHORT_PARTS: frozenset[str] = frozenset(
    """
    app bad bal bed bos bso bus cjg dag dak dal dam ggd ggz gym hal hek hof ict ijs kat kdv
    kip koe kop lam les lid lot mes net oog oor oud pak pan pas pgb pil poh pop pot rij rug
    sap spa svb tas uwv vak val vet vis web weg wet wmo wol zak zee zon
    """.split()
)


def _read_lexicon_lines(lines: Iterable[str]) -> dict[str, float]:
    lexicon: dict[str, float] = {}
    for line in lines:
        word, _, zipf = line.rstrip("\n").partition("\t")
        if word:
            lexicon[word] = float(zipf) if zipf else 0.0
    return lexicon


def load_lexicon(path: str | Path | None = None) -> dict[str, float]:
    """Read a ``word<TAB>zipf`` file (plain or gzip). Default: the shipped lexicon.

    If ``path`` is None, ``nl-words.txt.gz`` is used, falling back to ``nl-words.txt``.
    """
    if path is None:
        path = DEFAULT_LEXICON_PATH
        if not path.exists():
            path = path.with_suffix("")  # nl-words.txt
    path = Path(path)
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return _read_lexicon_lines(fh)
    with open(path, encoding="utf-8") as fh:
        return _read_lexicon_lines(fh)


class CompoundSplitter:
    """Lexicon-based Dutch compound splitter (see module docstring for the algorithm).

    :param lexicon: folded word -> Zipf frequency (0..~8). Words must already be folded
        (lower-case, no diacritics), as produced by ``analysis.fold``.
    """

    MIN_WORD_LEN = 7  #: words shorter than this are never split
    MIN_PART_LEN = 3  #: every part (first, middle, last) has at least this many letters
    MAX_PARTS = 4  #: at most this many top-level parts
    MIN_PART_ZIPF = 1.5  #: parts rarer than this are ignored (web-list noise)
    ESTABLISHED_ZIPF = 3.0  #: a word at least this frequent is "established" ...
    ESTABLISHED_PART_ZIPF = 3.0  #: ... and is only split into parts at least this frequent
    RECURSE_MAX_ZIPF = 3.0  #: parts at least this frequent are not split further
    LINK_PENALTY = 0.1  #: score penalty per linking morpheme used (prefer plain parts)
    SPLIT_MARGIN = 0.3  #: split only if mean part Zipf > whole-word Zipf + margin
    ADDED_WORD_ZIPF = 2.0  #: frequency assumed for words added via ``add_words``
    LINKS = ("", "s", "en", "e")  #: Dutch linking morphemes (tussenklanken)

    def __init__(self, lexicon: Mapping[str, float] | None = None) -> None:
        self._lexicon: dict[str, float] = dict(lexicon or {})
        self._added: set[str] = set()
        self._cache: dict[str, tuple[str, ...]] = {}
        self._top_cache: dict[str, tuple[str, ...]] = {}
        self._is_default = False
        #: Incremented whenever the vocabulary changes; analyzers key their memos on it.
        self.version = 0
        self._lock = threading.Lock()

    # -- lexicon -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._lexicon)

    def __contains__(self, word: object) -> bool:
        return word in self._lexicon

    def is_shipped(self, word: str) -> bool:
        """Whether ``word`` is in the shipped lexicon (not merely added from listings)."""
        return word in self._lexicon and word not in self._added

    def zipf(self, word: str) -> float:
        """Zipf frequency of ``word`` (0.0 if unknown)."""
        return self._lexicon.get(word, 0.0)

    def add_words(self, words: Iterable[str], zipf: float | None = None) -> int:
        """Make ``words`` usable as compound parts; returns how many were new.

        Intended for the vocabulary of the indexed listings, so local words ("schuldhulp",
        "repaircafe") become parts. Words are folded; only alphabetic words of >= 4 letters
        that are not blocked affixes are accepted. Words already in the lexicon keep their
        (higher) lexicon frequency. Clears the split cache.
        """
        from sociale_kaart.search.analysis import fold  # local import: avoid import cycle

        value = self.ADDED_WORD_ZIPF if zipf is None else zipf
        added = 0
        with self._lock:
            for raw in words:
                word = fold(raw)
                if len(word) < 4 or not word.isalpha() or word in BLOCKED_PARTS:
                    continue
                if word not in self._lexicon:
                    self._lexicon[word] = value
                    self._added.add(word)
                    added += 1
            if added:
                self.version += 1
                self._cache.clear()
                self._top_cache.clear()
        return added

    # -- splitting ------------------------------------------------------------------------

    def _part_zipf(self, part: str) -> float:
        """Zipf of ``part`` if it may be a compound part, else 0.0."""
        z = self._lexicon.get(part)
        if z is None or z < self.MIN_PART_ZIPF or part in BLOCKED_PARTS:
            return 0.0
        if len(part) == 3 and part not in SHORT_PARTS:
            return 0.0
        return z

    def _best_segmentation(self, word: str) -> tuple[str, ...]:
        """Top-level parts of ``word`` (empty tuple if it should not be split)."""
        n = len(word)
        min_len = self.MIN_PART_LEN
        max_parts = self.MAX_PARTS
        links = self.LINKS
        part_zipf = self._part_zipf
        whole = self._lexicon.get(word, 0.0)
        # Established words (e.g. "evenwicht", "magazijn") only split into established parts.
        min_z = self.ESTABLISHED_PART_ZIPF if whole >= self.ESTABLISHED_ZIPF else 0.0

        # best[i][k]: (score, parts) for splitting word[i:] into exactly k parts, where the
        # score is the summed part Zipf minus link penalties. Filled right to left.
        best: list[list[tuple[float, tuple[str, ...]] | None]] = [
            [None] * (max_parts + 1) for _ in range(n + 1)
        ]
        best[n][0] = (0.0, ())
        for i in range(n - min_len, -1, -1):
            row = best[i]
            for j in range(i + min_len, n + 1):
                z = part_zipf(word[i:j])
                if not z or z < min_z:
                    continue
                part = word[i:j]
                for link in links:
                    end = j + len(link)
                    if link:
                        if end >= n or not word.startswith(link, j):
                            continue
                    rest = best[end]
                    penalty = self.LINK_PENALTY if link else 0.0
                    for k in range(1, max_parts + 1):
                        sub = rest[k - 1]
                        if sub is None:
                            continue
                        if k - 1 == 0 and end != n:
                            continue
                        score = z - penalty + sub[0]
                        cur = row[k]
                        if cur is None or score > cur[0]:
                            row[k] = (score, (part, *sub[1]))

        # Fewest parts first: take the smallest k for which any segmentation exists, and the
        # best-scoring segmentation for that k. Splitting into more, shorter parts only because
        # they are individually more frequent gives man+tel+zorg; fewest-first gives
        # mantelzorg+training.
        whole = self._lexicon.get(word, 0.0)
        for k in range(2, max_parts + 1):
            cand = best[0][k]
            if cand is None:
                continue
            if cand[0] / k > whole + self.SPLIT_MARGIN:
                return cand[1]
            return ()
        return ()

    def split_top(self, word: str) -> list[str]:
        """Top-level parts only (no recursive sub-parts); empty list if not a compound."""
        if len(word) < self.MIN_WORD_LEN:
            return []
        cached = self._top_cache.get(word)
        if cached is None:
            cached = self._best_segmentation(word)
            self._top_cache[word] = cached
        return list(cached)

    def split(self, word: str) -> list[str]:
        """Parts of the folded ``word``: top-level parts, each followed by its sub-parts.

        Returns an empty list if ``word`` is not a (known) compound. The result never contains
        ``word`` itself and has no duplicates.
        """
        if len(word) < self.MIN_WORD_LEN:
            return []
        cached = self._cache.get(word)
        if cached is None:
            out: list[str] = []
            seen = {word}
            self._flatten(word, out, seen, depth=0)
            cached = tuple(out)
            self._cache[word] = cached
        return list(cached)

    def _flatten(self, word: str, out: list[str], seen: set[str], depth: int) -> None:
        if depth > 3:
            return
        for part in self.split_top(word):
            if part not in seen:
                seen.add(part)
                out.append(part)
            # Only rare parts are split further (schuldhulp -> schuld+hulp); established words
            # such as huiswerk or lotgenoten stay whole inside a larger compound.
            if self._lexicon.get(part, 0.0) < self.RECURSE_MAX_ZIPF:
                self._flatten(part, out, seen, depth + 1)

    def cache_clear(self) -> None:
        """Forget cached splits (done automatically by :meth:`add_words`)."""
        self.version += 1
        self._cache.clear()
        self._top_cache.clear()

    # -- pickling (Whoosh stores analyzers in the index TOC) ------------------------------

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        if self._is_default:
            # Never pickle the 145k-word lexicon into a Whoosh index: refer to the shared one.
            return (load_default_splitter, ())
        return (_rebuild_splitter, (self._lexicon,))

    def __repr__(self) -> str:
        kind = "default" if self._is_default else "custom"
        return f"<CompoundSplitter {kind} words={len(self._lexicon)} added={len(self._added)}>"


def _rebuild_splitter(lexicon: dict[str, float]) -> CompoundSplitter:
    return CompoundSplitter(lexicon)


@lru_cache(maxsize=1)
def load_default_splitter() -> CompoundSplitter:
    """The shared splitter over the shipped lexicon (loaded once, on first use)."""
    splitter = CompoundSplitter(load_lexicon())
    splitter._is_default = True
    return splitter
