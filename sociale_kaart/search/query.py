"""From what a person typed to a query plan: words, compound parts, synonyms, typos, places.

Pure functions over small inputs, with the weights as named constants, so relevance tuning is a
reviewable diff (Warehouse ``queries.py``). The plan is backend-neutral; ``whoosh_query`` turns it
into a Whoosh query. Nothing here knows any particular listing or query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from whoosh import query as wq

from ..geo.gazetteer import Gazetteer, Place, fold_name
from .analysis import QueryToken, analyze_query, fold, stem
from .compounds import load_default_splitter
from .glossary import Glossary, load_glossary
from .language import is_function_word
from .thesaurus import DEFAULT_THESAURUS_DIR, Thesaurus, load_section_codes, load_thesaurus

#: How much each text field counts (BM25F field boosts).
FIELD_BOOSTS = {
    "name": 3.0,
    "categories_text": 1.2,
    "organization": 1.0,
    "description": 1.0,
    "details": 0.5,
}
#: Weight of a compound's parts relative to the word itself.
PART_WEIGHT = 0.7
#: Weight of an agentive variant (mantelzorgers -> mantelzorg).
VARIANT_WEIGHT = 0.8
#: Weight of a typo correction relative to a correctly spelled word.
CORRECTION_WEIGHT = 0.9
#: Weight of the Dutch terms a non-Dutch query's words map to in the multilingual glossary.
GLOSSARY_WEIGHT = 0.3
#: Multi-word synonyms/related needs match as a phrase in these fields.
PHRASE_FIELDS = ("name", "description", "organization")
#: Words this common in the Dutch lexicon are never read as a place name on their own
#: ("best", "wijk", "zorg"), unless typed with a capital and local to this installation.
COMMON_WORD_ZIPF = 4.0
#: Everyday words weigh less than rare ones: a word's weight falls linearly from 1 at this
#: Zipf frequency in general Dutch ...
COMMON_FROM_ZIPF = 3.5
#: ... to this weight at Zipf 6 ("zit", "hele", "krijg", "weet"), so a long question is
#: answered by its meaningful words ("aanmaningen") rather than by its filler.
COMMON_MIN_WEIGHT = 0.2


def thesaurus_key(phrase: str) -> str:
    """Key for thesaurus look-ups: folded and stemmed per word, so inflections meet."""
    words = re.findall(r"\w+", fold(phrase.replace("-", " ")))
    return " ".join(stem(w) for w in words)


@cache
def default_thesaurus(extra: Path | None = None) -> Thesaurus:
    paths = [DEFAULT_THESAURUS_DIR] + ([extra] if extra else [])
    return load_thesaurus(paths, key=thesaurus_key, sections=load_section_codes())


@dataclass
class Expansion:
    """Extra terms from the thesaurus, with their weight (< 1) and levensgebied."""

    stems: tuple[str, ...]
    weight: float
    category: str | None
    source: str  # the query words that triggered it
    phrase: str = ""  # the Dutch phrasing as the thesaurus writes it


@dataclass
class QueryPlan:
    text: str
    tokens: list[QueryToken]
    #: Literal word groups (non-stop tokens), each a list of (stem, weight) alternatives.
    groups: list[list[tuple[str, float]]] = field(default_factory=list)
    #: How much each group counts (everyday words count less).
    group_weights: list[float] = field(default_factory=list)
    expansions: list[Expansion] = field(default_factory=list)
    #: levensgebied code -> strength, from the thesaurus sections the query touched.
    categories: dict[str, float] = field(default_factory=dict)
    place: Place | None = None
    place_words: str = ""
    corrections: dict[str, str] = field(default_factory=dict)
    #: The query word behind each group (for "why did this match").
    group_words: list[str] = field(default_factory=list)
    #: Language of the query when it is not Dutch (no stemming, compounds or typo fixes).
    language: str | None = None
    #: Thesaurus phrases the query was bridged to by meaning (``QueryPlanner.bridge``).
    bridged: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.expansions

    @property
    def content_surfaces(self) -> list[str]:
        return [t.surface for t in self.tokens if not t.is_stop]

    def suggestion(self) -> str | None:
        """The query with corrected spellings ("Bedoelde u ...?"), if anything was corrected."""
        if not self.corrections:
            return None
        words = re.findall(r"\S+", self.text)
        fixed = []
        for word in words:
            key = fold(word.strip(".,;:!?"))
            fixed.append(self.corrections.get(key, word))
        return " ".join(fixed)


def word_weight(word: str) -> float:
    """Weight of a query word by how common it is in general Dutch (wordfreq's Zipf scale)."""
    zipf = load_default_splitter().zipf(word)
    if zipf <= COMMON_FROM_ZIPF or word.isdigit():
        return 1.0 if not word.isdigit() else 0.5
    share = min(1.0, (zipf - COMMON_FROM_ZIPF) / (6.0 - COMMON_FROM_ZIPF))
    return 1.0 - share * (1.0 - COMMON_MIN_WEIGHT)


# -- places inside the query text -------------------------------------------------------------

def find_place(text: str, gazetteer: Gazetteer, local: frozenset[str]) -> tuple[Place, str] | None:
    """A place named in the query (PC4, kern or municipality), with the words that named it.

    Longer names win (``Wijk en Aalburg`` over ``Wijk``). A single word that is also a common
    Dutch word only counts when it is a place of this installation's own municipalities and was
    typed with a capital, so "hulp in huis" never becomes a place.
    """
    raw_words = re.findall(r"[\w'’-]+", text)
    folded = [fold_name(w) for w in raw_words]
    splitter = load_default_splitter()
    for size in (4, 3, 2, 1):
        for start in range(0, len(raw_words) - size + 1):
            key = " ".join(folded[start:start + size])
            if not key:
                continue
            words = " ".join(raw_words[start:start + size])
            if size == 1 and re.fullmatch(r"[1-9]\d{3}", key):
                place = gazetteer.by_postcode(key)
                if place:
                    # "5481 AB": swallow the letters too.
                    if start + 1 < len(raw_words) and re.fullmatch(r"[A-Za-z]{2}",
                                                                   raw_words[start + 1]):
                        words += " " + raw_words[start + 1]
                    return place, words
                continue
            if key not in gazetteer.place_keys():
                continue
            place = gazetteer.resolve(key, prefer=local)
            if place is None:
                continue
            if size == 1:
                is_local = place.municipality in local
                common = splitter.zipf(key) >= COMMON_WORD_ZIPF
                if len(key) < 3:
                    continue
                if common and not (is_local and raw_words[start][:1].isupper()):
                    continue
                if not is_local and splitter.zipf(key) >= 2.5:
                    continue
            return place, words
    return None


# -- the plan ----------------------------------------------------------------------------------

class QueryPlanner:
    """Builds plans; holds what is shared between queries (thesaurus, gazetteer, vocabulary)."""

    def __init__(self, gazetteer: Gazetteer, thesaurus: Thesaurus | None = None,
                 glossary: Glossary | None = None) -> None:
        self.gazetteer = gazetteer
        self.thesaurus = thesaurus or default_thesaurus()
        #: Foreign words -> Dutch terms (``search/glossary.py``), for non-Dutch queries only.
        self.glossary = glossary if glossary is not None else load_glossary()
        self.glossary_weight = GLOSSARY_WEIGHT

    def plan(self, text: str, *, local_municipalities: frozenset[str] = frozenset(),
             detect_places: bool = True, vocabulary=None,
             language: str | None = None) -> QueryPlan:
        """:param vocabulary: an object with ``known(stem) -> bool`` and
        ``correct(word) -> str | None`` (the index); None skips typo handling.
        :param language: the query's language when it is not Dutch (``search/language.py``):
        its words are matched as typed (no Dutch stemming, compound parts or typo
        corrections) and its function words ("the", "dla") are left out."""
        foreign = language is not None and language != "nl"
        plan = QueryPlan(text=text, tokens=[], language=language if foreign else None)
        if foreign:
            vocabulary = None
        remaining = text
        if detect_places and text:
            found = find_place(text, self.gazetteer, local_municipalities)
            if found:
                plan.place, plan.place_words = found
                remaining = re.sub(re.escape(plan.place_words), " ", text, count=1)
        plan.tokens = analyze_query(remaining)
        content = [t for t in plan.tokens if not t.is_stop]
        if not content and plan.tokens and plan.place is None:
            # Only stop words ("wat is er"): search them literally rather than nothing.
            content = [t for t in plan.tokens if len(t.surface) > 1]
        if foreign:
            content = [t for t in content if not is_function_word(t.surface, language)]
        for token in content:
            weight = word_weight(token.surface)
            alternatives = [(fold(token.surface), 1.0)] if foreign else \
                self._group(token, plan, vocabulary)
            plan.groups.append([(stem_text, w * weight) for stem_text, w in alternatives])
            plan.group_weights.append(weight)
            plan.group_words.append(token.surface)
        self._expand(plan, content)
        if foreign and self.glossary_weight > 0:
            dutch = self.glossary.dutch_terms(remaining, language)
            if dutch:
                self.bridge(plan, [(term, 1.0) for term in dutch], self.glossary_weight)
        return plan

    def bridge(self, plan: QueryPlan, phrases: list[tuple[str, float]], weight: float) -> None:
        """Add thesaurus phrases close in meaning to the query (found by the embedding, in any
        language) as weighted expansions: their words, and the thesaurus's own expansions of
        them. This is how "my mother forgets everything" reaches *dementie* lexically."""
        seen = {e.stems for e in plan.expansions}
        for phrase, _similarity in phrases:
            sub = self.plan(phrase, detect_places=False)
            stems = tuple(group[0][0] for group in sub.groups if group)
            extra = [Expansion(stems, weight, None, phrase, phrase)] if stems else []
            extra += [Expansion(e.stems, e.weight * weight, e.category, phrase, e.phrase)
                      for e in sub.expansions]
            for expansion in extra:
                if expansion.stems and expansion.stems not in seen:
                    seen.add(expansion.stems)
                    plan.expansions.append(expansion)
            for code, strength in sub.categories.items():
                plan.categories[code] = max(plan.categories.get(code, 0.0), strength * weight)
            plan.bridged.append(phrase)

    def _group(self, token: QueryToken, plan: QueryPlan, vocabulary) -> list[tuple[str, float]]:
        alternatives = [(token.stem, 1.0)]
        alternatives += [(part, PART_WEIGHT) for part in token.parts]
        alternatives += [(variant, VARIANT_WEIGHT) for variant in token.variants]
        # A word the index does not know as a whole may be a typo even when its "parts" are
        # words (budgetcouch = budget + couch; vrijwillgers = vrij + will + gers): try the
        # nearest known spelling of the whole word too.
        if vocabulary is not None and not vocabulary.known(token.stem):
            corrected = vocabulary.correct(token.surface)
            if corrected and corrected != token.surface:
                plan.corrections[token.surface] = corrected
                for fixed in analyze_query(corrected):
                    if not fixed.is_stop:
                        alternatives.append((fixed.stem, CORRECTION_WEIGHT))
                        alternatives += [(p, CORRECTION_WEIGHT * PART_WEIGHT) for p in fixed.parts]
        return alternatives

    def _expand(self, plan: QueryPlan, content: list[QueryToken]) -> None:
        """Thesaurus look-ups on every run of 1..n query words (and on compound parts)."""
        words = [plan.corrections.get(t.surface, t.surface) for t in content]
        longest = max(1, self.thesaurus.max_phrase_words)
        seen: set[tuple[str, ...]] = set()
        probes: list[str] = []
        for size in range(min(longest, len(words)), 0, -1):
            for start in range(0, len(words) - size + 1):
                probes.append(" ".join(words[start:start + size]))
        # Words of a compound the thesaurus may know separately ("schuldhulpmaatje" -> maatje).
        splitter = load_default_splitter()
        for word in words:
            probes += splitter.split(word)
        # Phrases that include stop words ("op recept", "in de put", "even vrij").
        every = [t.surface for t in plan.tokens]
        for size in range(min(longest, len(every)), 1, -1):
            for start in range(0, len(every) - size + 1):
                probes.append(" ".join(every[start:start + size]))
        for probe in probes:
            for code in self.thesaurus.categories(probe):
                plan.categories[code] = max(plan.categories.get(code, 0.0), 1.0)
            for expansion in self.thesaurus.expansions(probe):
                stems = tuple(t.stem for t in analyze_query(expansion.phrase) if not t.is_stop)
                if not stems or stems in seen:
                    continue
                seen.add(stems)
                plan.expansions.append(Expansion(stems, expansion.weight, expansion.category,
                                                 probe, expansion.phrase))
                if expansion.category:
                    plan.categories[expansion.category] = max(
                        plan.categories.get(expansion.category, 0.0), expansion.weight)


# -- to Whoosh -------------------------------------------------------------------------------

def _term_clause(stem_text: str, weight: float) -> list[wq.Query]:
    return [wq.Term(name, stem_text, boost=boost * weight)
            for name, boost in FIELD_BOOSTS.items()]


def group_query(alternatives: list[tuple[str, float]]) -> wq.Query:
    clauses: list[wq.Query] = []
    for stem_text, weight in alternatives:
        clauses += _term_clause(stem_text, weight)
    return wq.Or(clauses)


def expansion_query(expansion: Expansion) -> wq.Query:
    if len(expansion.stems) == 1:
        return wq.Or(_term_clause(expansion.stems[0], expansion.weight))
    phrases = [wq.Phrase(name, list(expansion.stems), slop=2,
                         boost=FIELD_BOOSTS[name] * expansion.weight * 1.5)
               for name in PHRASE_FIELDS]
    # Also all words anywhere in one field (looser than a phrase, weaker).
    loose = [wq.And([wq.Term(name, s) for s in expansion.stems],
                    boost=FIELD_BOOSTS[name] * expansion.weight * 0.6)
             for name in ("name", "categories_text", "description")]
    return wq.Or(phrases + loose)


#: Bonus weight when the query's words stand together (in order, a few words apart at most).
PHRASE_WEIGHT = 1.0
PHRASE_SLOP = 3


def phrase_query(plan: QueryPlan, fields: tuple[str, ...] = ("name", "description")
                 ) -> wq.Query | None:
    """The literal words near each other in the given fields: a phrase and proximity bonus on
    top of the word matches."""
    stems = [group[0][0] for group in plan.groups]
    if len(stems) < 2:
        return None
    return wq.Or([wq.Phrase(name, stems, slop=PHRASE_SLOP,
                            boost=FIELD_BOOSTS[name] * PHRASE_WEIGHT)
                  for name in fields])


def whoosh_query(plan: QueryPlan) -> wq.Query | None:
    clauses = [group_query(g) for g in plan.groups]
    phrase = phrase_query(plan)
    if phrase is not None:
        clauses.append(phrase)
    clauses += [expansion_query(e) for e in plan.expansions]
    if not clauses:
        return None
    return wq.Or(clauses)
