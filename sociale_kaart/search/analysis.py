"""Dutch text analysis for the Sociale Kaart search index and for query parsing.

Why one module for both sides
-----------------------------
The index analyzer (:func:`build_analyzer`, a Whoosh analyzer) and the query-side analysis
(:func:`analyze_query`) share every step - folding, tokenizing, stop words, compound splitting,
the agentive ``-er`` rule and stemming - so a word typed by a resident always produces the same
terms as the same word written by a provider.

Pipeline (index side)::

    DutchTokenizer | FoldFilter | StopFilter | CompoundFilter | AgentiveFilter | DutchStemFilter

* :func:`fold` - lower-case (``casefold``: ß -> ss) + NFKD with combining marks removed
  (café -> cafe, cliënt -> client, ĳ/ligatures -> ij/fi). Digits are kept.
* :class:`DutchTokenizer` - tokens are runs of letters/digits. Punctuation splits.
  *Hyphens*: "poh-ggz" gives ``poh`` (pos n), ``ggz`` (pos n+1) **and** the joined form
  ``pohggz`` at pos n, so "POH GGZ", "poh-ggz" and "pohggz" all meet in the index and a phrase
  query "poh ggz" still matches. The joined form is not compound-split (its parts are already
  there). *Apostrophes*: a single letter glued to an apostrophe is a clitic or a genitive/plural
  marker and is dropped: "'s avonds"/"s'avonds" -> ``avonds``, "cafe's"/"auto's" -> ``cafe``,
  ``auto``; "'t", "m'n", "zo'n" lose the single letters. Other single letters ("e" in e-mail)
  are treated as stop words; single digits are kept ("groep 8").
* :class:`StopFilter` - the list in ``data/stopwords-nl.txt`` (function words only; see the
  header of that file). Positions are renumbered after removing stop words (Whoosh's default
  behaviour, so "cafe voor mantelzorgers" is a phrase match for "cafe mantelzorgers"), keeping
  tokens that shared a position together.
* :class:`CompoundFilter` - emits the whole word and then its compound parts
  (:mod:`sociale_kaart.search.compounds`) at the *same* position. Parts that are stop words are
  dropped.
* :class:`AgentiveFilter` - Snowball Dutch does not remove the agentive/comparative ``-er``
  (mantelzorger, vrijwilliger). For a word of >= 9 letters ending in ``er``/``ers`` whose
  remainder is a known word of >= 6 letters, the remainder is emitted too (mantelzorgers ->
  mantelzorger + mantelzorg; belangrijker -> belangrijk). Short words (moeder, ouders,
  computer) never qualify.
* :class:`DutchStemFilter` - Snowball "dutch" via PyStemmer (Snowball 3 algorithm, which
  handles diminutives and plurals well: maatjes -> maat, lessen -> les). That algorithm also
  strips the participle prefix ``ge-`` (gezin -> zin, gezondheid -> zon, gemeente -> meen,
  begeleiding -> beleid), which would conflate unrelated words that matter on a social map
  (gezin/zin, begeleiding/beleid); :func:`stem` puts a removed ``ge`` back (gezin -> gezin,
  begeleiding -> begeleid). Duplicate terms at one position are dropped.

In Whoosh ``mode="query"`` (Whoosh's own QueryParser) the compound and agentive filters emit
only the word itself, because Whoosh would AND all same-position tokens together. The search
engine should use :func:`analyze_query`, which returns the decomposition explicitly.

Pickling: Whoosh pickles field analyzers into the index TOC. All classes here are module-level
and hold no large data: the stop list and the default compound splitter are referenced lazily
(``None`` means "the shipped resource") and are loaded on first use after unpickling.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import Stemmer
from whoosh.analysis import Analyzer, Filter, Token, Tokenizer

from sociale_kaart.search.compounds import CompoundSplitter, load_default_splitter

__all__ = [
    "STOPWORDS_PATH",
    "AgentiveFilter",
    "CompoundFilter",
    "DutchStemFilter",
    "DutchFilter",
    "DutchTokenizer",
    "FoldFilter",
    "QueryToken",
    "StopFilter",
    "agentive_base",
    "analyze_query",
    "build_analyzer",
    "build_chain_analyzer",
    "fold",
    "is_stopword",
    "load_stopwords",
    "stem",
    "tokenize",
]

STOPWORDS_PATH = Path(__file__).resolve().parents[2] / "data" / "stopwords-nl.txt"

_CACHE_LIMIT = 500_000  # entries per memo dict before it is reset (bounded memory)

# --------------------------------------------------------------------------------------------
# Folding
# --------------------------------------------------------------------------------------------

_fold_cache: dict[str, str] = {}


def _fold_uncached(text: str) -> str:
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lower-case and strip diacritics: ``"Cliënt Café ß ﬁ"`` -> ``"client cafe ss fi"``.

    Uses ``casefold`` + NFKD (so ligatures and ß are expanded); digits are kept. Short inputs
    (tokens) are memoised.
    """
    if len(text) > 64:
        return _fold_uncached(text)
    folded = _fold_cache.get(text)
    if folded is None:
        if len(_fold_cache) >= _CACHE_LIMIT:
            _fold_cache.clear()
        folded = _fold_cache[text] = _fold_uncached(text)
    return folded


# --------------------------------------------------------------------------------------------
# Tokenizing
# --------------------------------------------------------------------------------------------

_APOSTROPHES = frozenset("'\u2019\u2018`\u00b4\u02bc")
_WORD = r"(?:[^\W_]|[\u0300-\u036f])+"  # letters/digits, plus combining marks (decomposed input)
_HYPHEN = "[-\u2010\u2011]"
_GROUP_RE = re.compile(f"{_WORD}(?:{_HYPHEN}{_WORD})*")
_HYPHEN_RE = re.compile(_HYPHEN)


def _split_group(text: str, word: str, start: int) -> list[tuple[str, int, int]]:
    """Slow path of :func:`_groups` for hyphenated words and single letters."""
    if "-" in word or "\u2010" in word or "\u2011" in word:
        segs: list[tuple[str, int, int]] = []
        offset = start
        for seg in _HYPHEN_RE.split(word):
            segs.append((seg, offset, offset + len(seg)))
            offset += len(seg) + 1
    else:
        segs = [(word, start, start + len(word))]
    n = len(text)
    return [
        s
        for s in segs
        if not (
            len(s[0]) == 1
            and s[0].isalpha()
            and (
                (s[1] > 0 and text[s[1] - 1] in _APOSTROPHES)
                or (s[2] < n and text[s[2]] in _APOSTROPHES)
            )
        )
    ]


def _groups(text: str) -> Iterator[list[tuple[str, int, int]]]:
    """Yield hyphen groups as lists of ``(segment, startchar, endchar)`` (raw, unfolded).

    Single letters glued to an apostrophe ('s, 't, cafe's, m'n) are dropped; a group whose
    segments were all dropped is skipped.
    """
    for m in _GROUP_RE.finditer(text):
        word = m.group()
        if len(word) > 1 and word.isalnum():  # fast path: a plain word (no hyphen)
            start = m.start()
            yield [(word, start, start + len(word))]
        else:
            kept = _split_group(text, word, m.start())
            if kept:
                yield kept


def tokenize(text: str) -> list[tuple[str, int, int, int, bool]]:
    """Plain tokenizer: ``(raw_text, position, startchar, endchar, joined)`` tuples.

    ``joined`` is True for the extra joined form of a hyphenated word, which shares the
    position of the first segment. Text is *not* folded here.
    """
    out: list[tuple[str, int, int, int, bool]] = []
    pos = 0
    for segs in _groups(text):
        first, s0, e0 = segs[0]
        out.append((first, pos, s0, e0, False))
        if len(segs) > 1:
            out.append(("".join(s[0] for s in segs), pos, s0, segs[-1][2], True))
            for seg, s, e in segs[1:]:
                pos += 1
                out.append((seg, pos, s, e, False))
        pos += 1
    return out


class DutchTokenizer(Tokenizer):
    """Whoosh tokenizer implementing the rules of :func:`tokenize` (see module docstring).

    Tokens carry an extra boolean attribute ``joined`` (the joined form of a hyphenated word).
    ``pos`` is always set (also without ``positions=True``) so later filters can group tokens.
    """

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__

    def __hash__(self) -> int:
        return hash(self.__class__)

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            t.joined = False
            t.pos = start_pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char + len(value)
            yield t
            return
        pos = start_pos
        for m in _GROUP_RE.finditer(value):
            word = m.group()
            if len(word) > 1 and word.isalnum():  # fast path: a plain word
                t.text = word
                t.boost = 1.0
                t.stopped = False
                t.joined = False
                t.pos = pos
                if keeporiginal:
                    t.original = word
                if chars:
                    t.startchar = start_char + m.start()
                    t.endchar = start_char + m.end()
                yield t
                pos += 1
                continue
            segs = _split_group(value, word, m.start())
            group_pos = pos
            for i, (seg, s, e) in enumerate(segs):
                t.text = seg
                t.boost = 1.0
                t.stopped = False
                t.joined = False
                t.pos = pos
                if keeporiginal:
                    t.original = seg
                if chars:
                    t.startchar = start_char + s
                    t.endchar = start_char + e
                yield t
                if i == 0 and len(segs) > 1:
                    joined = "".join(x[0] for x in segs)
                    t.text = joined
                    t.boost = 1.0
                    t.stopped = False
                    t.joined = True
                    t.pos = group_pos
                    if keeporiginal:
                        t.original = value[segs[0][1] : segs[-1][2]]
                    if chars:
                        t.startchar = start_char + segs[0][1]
                        t.endchar = start_char + segs[-1][2]
                    yield t
                pos += 1


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------


class FoldFilter(Filter):
    """Lower-case + diacritic folding of every token (see :func:`fold`)."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        cache = _fold_cache
        for t in tokens:
            text = t.text
            folded = cache.get(text)
            t.text = folded if folded is not None else fold(text)
            yield t


@lru_cache(maxsize=8)
def load_stopwords(path: str | Path | None = None) -> frozenset[str]:
    """Stop words from ``data/stopwords-nl.txt`` (or ``path``), folded; cached per path."""
    lines = Path(path or STOPWORDS_PATH).read_text(encoding="utf-8").splitlines()
    words = (line.split("#", 1)[0].strip() for line in lines)
    return frozenset(fold(w) for w in words if w)


def is_stopword(word: str, stoplist: frozenset[str] | None = None) -> bool:
    """True if the folded ``word`` is a stop word or a single letter."""
    stops = load_stopwords() if stoplist is None else stoplist
    return word in stops or (len(word) == 1 and not word.isdigit())


class StopFilter(Filter):
    """Removes (or, with ``removestops=False``, marks) stop words and single letters.

    :param stoplist: words to stop; ``None`` (default) = the shipped list, loaded lazily so the
        pickled analyzer stays small and always uses the current list.
    :param renumber: close the position gaps left by removed stop words (Whoosh default).
        Tokens that shared a position (hyphen joined forms) keep sharing it.
    """

    def __init__(self, stoplist: Iterable[str] | None = None, renumber: bool = True) -> None:
        self.stoplist = None if stoplist is None else frozenset(fold(w) for w in stoplist)
        self.renumber = renumber

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        stops = load_stopwords() if self.stoplist is None else self.stoplist
        renumber = self.renumber
        newpos: int | None = None
        lastold: int | None = None
        for t in tokens:
            text = t.text
            if newpos is None and renumber and t.positions:
                # Number from the stream's first position (start_pos), stopped or not, so
                # "ik zoek hulp" puts "hulp" at 0 - the same numbering analyze_query uses.
                newpos = t.pos - 1
            if text in stops or (len(text) == 1 and not text.isdigit()):
                if not t.removestops:
                    t.stopped = True
                    yield t
                continue
            t.stopped = False
            if renumber and t.positions:
                old = t.pos
                if old != lastold:
                    newpos += 1  # type: ignore[operator]
                    lastold = old
                t.pos = newpos
            yield t


def _resolve_splitter(splitter: CompoundSplitter | None) -> CompoundSplitter:
    return load_default_splitter() if splitter is None else splitter


class CompoundFilter(Filter):
    """Emits compound parts at the position of the compound (see module docstring).

    :param splitter: a :class:`CompoundSplitter`; ``None`` = the shared default splitter,
        resolved lazily at analysis time (and therefore cheap to pickle).
    :param keep_compound: also keep the whole word (before its parts). Default True.
    :param stoplist: parts in this set are not emitted; ``None`` = the shipped stop list.
    """

    is_morph = True

    def __init__(
        self,
        splitter: CompoundSplitter | None = None,
        keep_compound: bool = True,
        stoplist: Iterable[str] | None = None,
    ) -> None:
        self.splitter = splitter
        self.keep_compound = keep_compound
        self.stoplist = None if stoplist is None else frozenset(fold(w) for w in stoplist)

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        split = _resolve_splitter(self.splitter).split
        stops = load_stopwords() if self.stoplist is None else self.stoplist
        keep = self.keep_compound
        for t in tokens:
            text = t.text
            if len(text) < 7 or t.stopped or t.mode == "query" or getattr(t, "joined", False):
                yield t
                continue
            parts = split(text)
            if not parts:
                yield t
                continue
            if keep:
                yield t
            for part in parts:
                if part not in stops:
                    t.text = part
                    yield t


_VOWELS = frozenset("aeiouy")
#: The base must be at least this frequent (web-list noise such as "septemb" is rarer); words
#: added to the splitter with ``add_words`` get ``ADDED_WORD_ZIPF`` (2.0) and qualify.
AGENTIVE_MIN_ZIPF = 2.0


def agentive_base(word: str, splitter: CompoundSplitter | None = None) -> str | None:
    """The base of an agentive/comparative ``-er(s)`` word, or None.

    ``mantelzorgers`` -> ``mantelzorg``; ``moeder``/``ouders``/``computer`` -> None (too
    short); the remainder must be a known word (lexicon or added vocabulary) of >= 6 letters
    and Zipf >= ``AGENTIVE_MIN_ZIPF`` that ends in a consonant. Known false friends that still
    pass: schilders -> schild, kalenders -> kalend (harmless extra terms at the same position).
    """
    if len(word) < 9:
        return None
    if word.endswith("ers"):
        base = word[:-3]
    elif word.endswith("er"):
        base = word[:-2]
    else:
        return None
    if (
        len(base) >= 6
        and base.isalpha()
        and base[-1] not in _VOWELS  # financi-ers, programme-er, controle-er: not agentive
        and _resolve_splitter(splitter).zipf(base) >= AGENTIVE_MIN_ZIPF
    ):
        return base
    return None


class AgentiveFilter(Filter):
    """Adds the ``-er(s)``-less base at the same position (see :func:`agentive_base`)."""

    is_morph = True

    def __init__(self, splitter: CompoundSplitter | None = None) -> None:
        self.splitter = splitter

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        splitter = _resolve_splitter(self.splitter)
        for t in tokens:
            text = t.text
            if (
                len(text) < 9
                or text[-1] not in "rs"
                or t.stopped
                or t.mode == "query"
                or getattr(t, "joined", False)
            ):
                yield t
                continue
            base = agentive_base(text, splitter)
            yield t
            if base is not None:
                t.text = base
                yield t


_STEMMER = Stemmer.Stemmer("dutch")
_stem_cache: dict[str, str] = {}


def _stem_uncached(word: str) -> str:
    stemmed = _STEMMER.stemWord(word)
    # Snowball 3 Dutch strips a participle prefix "ge" (also after be-/ver-/...). Put it back:
    # find where word and stem diverge; if the word has "ge" there and continues with the
    # stem's remainder, the prefix was removed.
    n = min(len(word), len(stemmed))
    i = 0
    while i < n and word[i] == stemmed[i]:
        i += 1
    if i < len(stemmed) and word.startswith("ge", i) and word.startswith(stemmed[i : i + 3], i + 2):
        stemmed = stemmed[:i] + "ge" + stemmed[i:]
    return stemmed


def stem(word: str) -> str:
    """Snowball Dutch stem of a folded word (memoised), keeping a ``ge-`` prefix."""
    result = _stem_cache.get(word)
    if result is None:
        if len(_stem_cache) >= _CACHE_LIMIT:
            _stem_cache.clear()
        result = _stem_cache[word] = _stem_uncached(word)
    return result


class DutchStemFilter(Filter):
    """Stems token texts with :func:`stem`; drops duplicate terms at the same position."""

    is_morph = True

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        cache = _stem_cache
        lastpos: int | None = None
        seen: set[str] = set()
        for t in tokens:
            text = t.text
            stemmed = cache.get(text)
            if stemmed is None:
                stemmed = stem(text)
            pos = getattr(t, "pos", None)
            if pos != lastpos:
                lastpos = pos
                seen = {stemmed}
            elif stemmed in seen:
                continue
            else:
                seen.add(stemmed)
            t.text = stemmed
            yield t


class DutchFilter(Filter):
    """``FoldFilter | StopFilter | CompoundFilter | AgentiveFilter | DutchStemFilter`` in one
    memoised pass - the same output, about twice as fast.

    Indexing 100k listings runs the same few tens of thousands of words through the analyzer
    millions of times; this filter computes the terms of each distinct raw word once
    (``raw word -> (is_stop, terms)``) and then only renumbers positions. The memo is bounded
    and is reset when the splitter's vocabulary changes (``CompoundSplitter.version``). The
    separate filters remain available for custom chains; a test asserts both give identical
    tokens.
    """

    is_morph = True

    def __init__(
        self,
        splitter: CompoundSplitter | None = None,
        *,
        split: bool = True,
        stem: bool = True,
        stopwords: bool = True,
        keep_compound: bool = True,
        renumber: bool = True,
    ) -> None:
        self.splitter = splitter
        self.split = split
        self.stem = stem
        self.stopwords = stopwords
        self.keep_compound = keep_compound
        self.renumber = renumber
        self._memo: dict[tuple[str, bool], tuple[bool, tuple[str, ...]]] = {}
        self._memo_key: tuple[int, int] | None = None

    def _config(self) -> tuple[Any, ...]:
        return (
            self.splitter, self.split, self.stem, self.stopwords, self.keep_compound,
            self.renumber,
        )

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__ and self._config() == other._config()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self.__class__)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_memo"] = {}
        state["_memo_key"] = None
        return state

    def _terms(
        self, raw: str, plain: bool, splitter: CompoundSplitter | None, stops: frozenset[str]
    ) -> tuple[bool, tuple[str, ...]]:
        folded = fold(raw)
        do_stem = self.stem
        if self.stopwords and (folded in stops or (len(folded) == 1 and not folded.isdigit())):
            return True, (stem(folded) if do_stem else folded,)
        words: list[str] = [folded]
        if splitter is not None and not plain:
            if len(folded) >= 7:
                parts = [p for p in splitter.split(folded) if p not in stops]
                if parts:
                    words = [folded, *parts] if self.keep_compound else parts
            expanded: list[str] = []
            for w in words:
                expanded.append(w)
                base = agentive_base(w, splitter)
                if base is not None:
                    expanded.append(base)
            words = expanded
        if do_stem:
            words = [stem(w) for w in words]
        return False, tuple(dict.fromkeys(words))

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        splitter = _resolve_splitter(self.splitter) if self.split else None
        stops = load_stopwords() if self.stopwords else frozenset()
        key = (id(splitter), splitter.version if splitter is not None else 0)
        if key != self._memo_key or len(self._memo) >= _CACHE_LIMIT:
            self._memo = {}
            self._memo_key = key
        memo = self._memo
        terms_of = self._terms
        renumber = self.renumber
        newpos: int | None = None
        lastold: int | None = None
        lastpos: int | None = None
        seen: set[str] = set()
        for t in tokens:
            plain = t.mode == "query" or getattr(t, "joined", False)
            entry = memo.get((t.text, plain))
            if entry is None:
                entry = memo[(t.text, plain)] = terms_of(t.text, plain, splitter, stops)
            is_stop, terms = entry
            if newpos is None and renumber and t.positions:
                newpos = t.pos - 1
            if is_stop:
                if not t.removestops:
                    t.stopped = True
                    t.text = terms[0]
                    if t.pos != lastpos:
                        lastpos = t.pos
                        seen = set(terms)
                    yield t
                continue
            t.stopped = False
            if renumber and t.positions:
                old = t.pos
                if old != lastold:
                    newpos += 1  # type: ignore[operator]
                    lastold = old
                t.pos = newpos
            pos = getattr(t, "pos", None)
            if pos != lastpos:
                lastpos = pos
                seen = set()
            for term in terms:
                if term not in seen:
                    seen.add(term)
                    t.text = term
                    yield t


# --------------------------------------------------------------------------------------------
# Analyzer factory
# --------------------------------------------------------------------------------------------


def build_analyzer(
    *,
    splitter: CompoundSplitter | Literal["default"] | None = "default",
    stem: bool = True,
    stopwords: bool = True,
) -> Analyzer:
    """The index analyzer: tokenizer | fold | stop | compound | agentive | stem.

    Built as ``DutchTokenizer() | DutchFilter(...)``, the fused and memoised equivalent of
    :func:`build_chain_analyzer`.

    :param splitter: ``"default"`` (the shared splitter over the shipped lexicon, loaded lazily
        on first use), a custom :class:`CompoundSplitter`, or ``None`` to disable compound
        splitting and the agentive rule.
    :param stem: apply Snowball Dutch stemming.
    :param stopwords: remove stop words (off e.g. for organisation names).

    The analyzer is picklable and small when pickled (Whoosh stores it in the index TOC).
    """
    sp = None if splitter is None or isinstance(splitter, str) else splitter
    return DutchTokenizer() | DutchFilter(
        sp, split=splitter is not None, stem=stem, stopwords=stopwords
    )


def build_chain_analyzer(
    *,
    splitter: CompoundSplitter | Literal["default"] | None = "default",
    stem: bool = True,
    stopwords: bool = True,
) -> Analyzer:
    """The same analysis as :func:`build_analyzer`, as a chain of the separate filters.

    Slower; useful for custom chains (e.g. inserting a filter between steps) and as the
    reference implementation the fused :class:`DutchFilter` is tested against.
    """
    analyzer: Analyzer = DutchTokenizer() | FoldFilter()
    if stopwords:
        analyzer = analyzer | StopFilter()
    if splitter is not None:
        sp = None if isinstance(splitter, str) else splitter
        analyzer = analyzer | CompoundFilter(sp) | AgentiveFilter(sp)
    if stem:
        analyzer = analyzer | DutchStemFilter()
    return analyzer


# --------------------------------------------------------------------------------------------
# Query side
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryToken:
    """One word of a query, as the engine needs it.

    :ivar surface: the folded word as typed; for a hyphenated word the joined form
        ("poh-ggz" -> ``pohggz``).
    :ivar stem: stem of ``surface`` (the term the index holds for that exact word).
    :ivar parts: stems of the compound parts (top-level parts each followed by their
        sub-parts; for a hyphenated word: each segment and its parts), without duplicates and
        without ``stem`` itself; empty if the word is not a compound. Every part is also
        indexed at the compound's position, so ``Or(stem, And(parts))`` matches both the
        compound and the words written separately.
    :ivar position: index position, counting non-stop words only (the index renumbers
        positions after removing stop words); a hyphenated word occupies one position per
        non-stop segment. A stop word gets the position the next non-stop word will get.
    :ivar is_stop: True for stop words (use in phrase / name matching, never as a required
        term).
    :ivar variants: extra same-position stems that are not compound parts (the agentive
        ``-er`` base: mantelzorgers -> ``mantelzorg``), including those of the parts.
    """

    surface: str
    stem: str
    parts: tuple[str, ...]
    position: int
    is_stop: bool
    variants: tuple[str, ...] = ()


def analyze_query(
    text: str,
    *,
    splitter: CompoundSplitter | Literal["default"] | None = "default",
    stoplist: frozenset[str] | None = None,
) -> list[QueryToken]:
    """Analyze a query string into :class:`QueryToken` objects (same rules as the index).

    :param splitter: as in :func:`build_analyzer` (``None``: no compound parts / variants).
    :param stoplist: folded stop words; ``None`` = the shipped list.
    """
    stops = load_stopwords() if stoplist is None else stoplist
    sp: CompoundSplitter | None = None
    if splitter is not None:
        sp = load_default_splitter() if isinstance(splitter, str) else splitter
    out: list[QueryToken] = []
    pos = 0
    for segs in _groups(text):
        words = [fold(s[0]) for s in segs]
        content = [w for w in words if not (w in stops or (len(w) == 1 and not w.isdigit()))]
        surface = "".join(words)
        word_stem = stem(surface)
        if not content:
            out.append(QueryToken(surface, word_stem, (), pos, True))
            continue
        parts: list[str] = []
        variants: list[str] = []
        seen = {word_stem}

        def add(target: list[str], stemmed: str, seen: set[str] = seen) -> None:
            if stemmed not in seen:
                seen.add(stemmed)
                target.append(stemmed)

        # The word itself (or each hyphen segment) and its compound parts.
        pieces = content if len(words) > 1 else []
        if sp is not None:
            base = agentive_base(surface, sp) if len(words) == 1 else None
            if base is not None:
                add(variants, stem(base))
        for piece in pieces:
            add(parts, stem(piece))
        if sp is not None:
            for piece in content:
                for part in sp.split(piece):
                    if part not in stops:
                        add(parts, stem(part))
            for piece in [*pieces, *(p for c in content for p in sp.split(c))]:
                base = agentive_base(piece, sp)
                if base is not None:
                    add(variants, stem(base))
        out.append(QueryToken(surface, word_stem, tuple(parts), pos, False, tuple(variants)))
        pos += len(content)
    return out
