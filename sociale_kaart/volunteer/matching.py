"""Matching ("Voor u gevonden"): which listings suit a volunteer, and the reverse.

Why plain dataclasses
---------------------
Matching runs on every "Voor u gevonden" page, in the weekly digest and in the coordinator's
"wie kan dit doen?" list. It must be fast (goal: p95 <= 100 ms at 5,000 volunteers x 1,000
listings) and it must be measurable without a database, so it works on two small frozen
dataclasses, :class:`VolunteerProfile` and :class:`ListingFacts`. Small adapters
(``sociale_kaart.volunteer.match_adapters``) build them from the ORM; the benchmark
(``benchmarks/matching.py``) builds them from a synthetic population.

How a suggestion is made
------------------------
1. **Hard filters** first, so nothing unsuitable is ever suggested: the listing is active and
   listed today; it is online, or within the volunteer's travel distance (in their own kern when
   no coordinates are known); a VOG requirement is met only by a VOG that is ``verified`` or
   ``in_progress`` and not expired; a car requirement by a car, a licence requirement by a licence
   (or a car); a minimum age by a known age at least that high.
2. A **score** of five named parts (weights below are constants, so tuning is a reviewable diff):
   tag overlap *with synonyms* (the kaart's thesaurus plus the volunteer themes, so "chauffeur"
   meets "vervoer" and "automaatje"), distance, schedule fit (dagdelen), freshness, and an
   **equity** term that lifts listings nobody has responded to yet, so a few popular listings do
   not take every response (a known failure of volunteer platforms).
3. **Reasons** for the top suggestions, as codes with parameters (:class:`Reason`); the web layer
   turns them into Dutch B1 sentences ("in uw kern", "past bij dinsdagochtend", "u heeft een
   auto") with :func:`reason_text`, so this module stays free of Flask.

Vectorised with numpy: a :class:`ListingMatcher` keeps the listings as arrays (coordinates,
requirement flags, a dagdeel matrix, a concept matrix) and scores all of them for one volunteer
in a few array operations; :class:`VolunteerMatcher` does the reverse for one listing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache

import numpy as np

__all__ = [
    "DAGDELEN",
    "DAYS",
    "PARTS",
    "THEME_TERMS",
    "ConceptSpace",
    "ListingFacts",
    "ListingMatcher",
    "Reason",
    "Suggestion",
    "VolunteerMatcher",
    "VolunteerProfile",
    "dagdeel_label",
    "reason_text",
]

#: Days and parts of the day; a dagdeel code is ``"<day>-<part>"``, e.g. ``"di-ochtend"``.
DAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
PARTS = ("ochtend", "middag", "avond")
DAGDELEN = tuple(f"{day}-{part}" for day in DAYS for part in PARTS)
_DAGDEEL_INDEX = {code: i for i, code in enumerate(DAGDELEN)}
_DAY_NAMES = {"ma": "maandag", "di": "dinsdag", "wo": "woensdag", "do": "donderdag",
              "vr": "vrijdag", "za": "zaterdag", "zo": "zondag"}

#: VOG statuses that open a listing that needs a VOG (``requested`` alone does not).
VOG_OK = frozenset({"verified", "in_progress"})

#: Volunteer themes and the everyday words that belong to them. A volunteer who writes "auto
#: rijden" and a vacancy tagged "vervoer" meet through the theme concept. The thesaurus adds the
#: synonyms of each word on top.
THEME_TERMS: dict[str, tuple[str, ...]] = {
    "vervoer": ("vervoer", "chauffeur", "rijden", "autorijden", "automaatje", "rit",
                "vrijwillige chauffeur", "begeleiding ziekenhuis", "buurtbus"),
    "boodschappen": ("boodschappen", "boodschappenhulp", "winkelen", "supermarkt",
                     "apotheek ophalen"),
    "klussen": ("klussen", "klusjes", "kleine klussen", "reparatie", "repareren", "schilderen",
                "timmeren", "fietsreparatie"),
    "gezelschap": ("gezelschap", "maatje", "bezoek", "buddy", "wandelen", "koffie drinken",
                   "eenzaamheid", "praatje"),
    "administratie": ("administratie", "formulieren", "post", "thuisadministratie",
                      "belastingaangifte", "ordenen"),
    "computerhulp": ("computerhulp", "computer", "digitale hulp", "tablet", "smartphone",
                     "internet", "digid"),
    "tuin": ("tuin", "tuinieren", "tuinonderhoud", "gras maaien", "snoeien", "moestuin"),
    "koken": ("koken", "maaltijd", "maaltijden", "eten koken", "samen eten", "bakken"),
    "taal": ("taal", "taalmaatje", "nederlands leren", "voorlezen", "taalles",
             "huiswerkbegeleiding"),
    "bestuur": ("bestuur", "bestuurslid", "penningmeester", "secretaris", "voorzitter"),
    "evenement": ("evenement", "evenementen", "activiteit organiseren", "festival", "feest",
                  "opbouwen", "kraam"),
    "sport": ("sport", "trainer", "begeleider sport", "bewegen", "zwemmen", "scheidsrechter"),
    "zorg": ("zorg", "mantelzorg", "respijtzorg", "verpleeghuis", "dagbesteding"),
    "dieren": ("dieren", "hond uitlaten", "dierenopvang", "huisdier"),
    "jeugd": ("jeugd", "kinderen", "jeugdwerk", "scouting", "speeltuin"),
    "natuur": ("natuur", "natuurbeheer", "natuurwerkdag", "zwerfafval", "wandelpad"),
    "cultuur": ("cultuur", "museum", "muziek", "theater", "bibliotheek", "erfgoed"),
}

# -- weights (named constants, so a change of ranking is a one-line diff) -----------------------
#: Tag overlap (cosine of the concept vectors): what the work is about matters most.
W_TAGS = 0.45
#: Distance inside the travel range: nearer is better, 0 at the edge of the range.
W_DISTANCE = 0.15
#: Schedule fit: share of the listing's dagdelen the volunteer is available for.
W_SCHEDULE = 0.25
#: Freshness: new listings first, halving every ``FRESH_HALF_LIFE_DAYS``.
W_FRESH = 0.05
#: Equity: a listing without any response gets the full term, one with n responses 1/(1+n).
W_EQUITY = 0.10
FRESH_HALF_LIFE_DAYS = 30.0
#: Weights of concept kinds. The volunteer theme a word belongs to weighs most: what the work
#: is about ("vervoer") matters more than the word chosen for it ("chauffeur", "ritjes"). A
#: word that belongs to no theme ("buurt", "gezellig") says little about the work, so it weighs
#: least; otherwise two profiles that share only "buurt" would beat a real theme match.
#: Thesaurus synonyms and related needs come in at the thesaurus's own weights (0.6, 0.4).
THEME_WEIGHT = 1.0
EXACT_WEIGHT = 0.7
UNTHEMED_WEIGHT = 0.4
#: A shared concept this strong is named as a reason ("past bij uw interesse: vervoer").
REASON_WEIGHT = 0.7
#: Penalty when both sides name dagdelen and none overlap: the volunteer can never come then.
#: Not a hard filter, because people forget to tick a dagdeel; such listings come last.
SCHEDULE_MISMATCH_PENALTY = 0.3
#: A listing is only suggested when its tags overlap the volunteer's at least this much; without
#: it, a near listing with a fitting schedule would be suggested for work they never asked for
#: (sharing only a word like "buurt" scores about 0.07, sharing a theme 0.3 or more).
MIN_TAG_SCORE = 0.15
#: Schedule fit when either side has no dagdelen (flexible): neither good nor bad.
NEUTRAL_SCHEDULE = 0.5
EARTH_RADIUS_KM = 6371.0088


# -- the two plain records ----------------------------------------------------------------------

@dataclass(frozen=True)
class VolunteerProfile:
    """What matching may know about a volunteer (never name, phone or address).

    ``interests`` are free words and theme codes (interests and skills together); ``lat``/``lon``
    are the centre of their kern or PC4 area, never a house.
    """

    id: int
    interests: frozenset[str] = frozenset()
    dagdelen: frozenset[str] = frozenset()
    kern: str | None = None
    lat: float | None = None
    lon: float | None = None
    travel_km: float = 5.0
    has_car: bool = False
    has_licence: bool = False
    vog_status: str = "none"
    vog_expires: date | None = None
    age: int | None = None
    active: bool = True
    #: Opted in to be asked by organisations and the coordinator (the reverse matching).
    open_to_requests: bool = False


@dataclass(frozen=True)
class ListingFacts:
    """What matching needs of a listing (vacature, hulpvraag or hulpaanbod)."""

    id: int
    kind: str = "vacature"
    tags: frozenset[str] = frozenset()
    dagdelen: frozenset[str] = frozenset()
    kern: str | None = None
    lat: float | None = None
    lon: float | None = None
    online: bool = False
    requires_vog: bool = False
    requires_car: bool = False
    requires_licence: bool = False
    min_age: int | None = None
    active: bool = True
    published: date | None = None
    list_until: date | None = None
    responses: int = 0
    #: The account that owns it (a volunteer is never suggested their own listing).
    owner_id: int | None = None


@dataclass(frozen=True)
class Reason:
    """Why something was suggested: a code with parameters, turned into text by the web layer."""

    code: str
    value: str = ""


@dataclass
class Suggestion:
    """One ranked suggestion: the listing (or volunteer) id, its score and its reasons."""

    id: int
    score: float
    reasons: list[Reason] = field(default_factory=list)
    distance_km: float | None = None


# -- text ---------------------------------------------------------------------------------------

def dagdeel_label(code: str) -> str:
    """``"di-ochtend"`` -> ``"dinsdagochtend"`` (Dutch, untranslated; see :func:`reason_text`)."""
    day, _, part = code.partition("-")
    return f"{_DAY_NAMES.get(day, day)}{part}"


def reason_text(reason: Reason, gettext: Callable[[str], str] | None = None) -> str:
    """A reason as a short Dutch B1 sentence part; pass Flask-Babel's ``gettext`` in a request."""
    tr = gettext or (lambda text: text)
    messages = {
        "same_kern": tr("in uw kern"),
        "near": tr("op %(value)s km van u"),
        "online": tr("kan vanuit huis"),
        "schedule": tr("past bij %(value)s"),
        "car": tr("u heeft een auto"),
        "licence": tr("u heeft een rijbewijs"),
        "vog": tr("u heeft een VOG"),
        "interest": tr("past bij uw interesse: %(value)s"),
        "no_response": tr("nog niemand heeft gereageerd"),
        "new": tr("nieuw"),
        # The reverse: why a volunteer suits a listing (for the organisation or coordinator).
        "v_same_kern": tr("woont in dezelfde kern"),
        "v_near": tr("woont op %(value)s km"),
        "v_schedule": tr("kan op %(value)s"),
        "v_interest": tr("interesse in %(value)s"),
        "v_car": tr("heeft een auto"),
        "v_vog": tr("heeft een VOG"),
    }
    text = messages.get(reason.code, reason.code)
    if "%(value)s" in text:
        value = dagdeel_label(reason.value) if reason.code in {"schedule", "v_schedule"} \
            else reason.value
        return text % {"value": value}
    return text


# -- concepts: words, their synonyms and their themes -------------------------------------------

_WORD_RE = re.compile(r"\w+")


def _fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.lower().replace("-", " "))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def _default_key() -> Callable[[str], str]:
    """The search engine's thesaurus key (folded and stemmed), or plain folding without it."""
    try:
        from ..search.query import thesaurus_key
    except ImportError:  # pragma: no cover - the search package is always installed
        return lambda phrase: " ".join(_WORD_RE.findall(_fold(phrase)))
    return thesaurus_key


@cache
def _default_thesaurus():
    from ..search.query import default_thesaurus

    return default_thesaurus()


class ConceptSpace:
    """Turns a set of tags into a weighted concept vector (word + theme + thesaurus synonyms).

    Expansions are memoised per tag, so building 5,000 profiles costs one thesaurus look-up per
    distinct word. ``thesaurus=None`` uses the kaart's shipped thesaurus; pass an empty
    ``Thesaurus()`` to switch synonyms off.
    """

    def __init__(self, thesaurus=None, themes: Mapping[str, Sequence[str]] = THEME_TERMS,
                 key: Callable[[str], str] | None = None) -> None:
        self.thesaurus = _default_thesaurus() if thesaurus is None else thesaurus
        self.key = key or _default_key()
        self._theme_of: dict[str, set[str]] = {}
        self.theme_labels: dict[str, str] = {}
        for code, words in themes.items():
            self._theme_of.setdefault(self.key(code), set()).add(code)
            self.theme_labels[f"thema:{code}"] = code
            for word in words:
                self._theme_of.setdefault(self.key(word), set()).add(code)
        self._memo: dict[str, dict[str, float]] = {}
        self.index: dict[str, int] = {}

    def expand(self, tag: str) -> dict[str, float]:
        """Concepts of one tag with their weights (the tag's own key weighs 1)."""
        found = self._memo.get(tag)
        if found is not None:
            return found
        key = self.key(tag)
        concepts: dict[str, float] = {}
        if key:
            themes = self._theme_of.get(key, ())
            concepts[key] = EXACT_WEIGHT if themes else UNTHEMED_WEIGHT
            for code in themes:
                concepts[f"thema:{code}"] = THEME_WEIGHT
            for expansion in self.thesaurus.expansions_by_key(key):
                target = self.key(expansion.phrase)
                if target and expansion.weight > concepts.get(target, 0.0):
                    concepts[target] = expansion.weight
                for code in self._theme_of.get(target, ()):
                    weight = THEME_WEIGHT * expansion.weight
                    if weight > concepts.get(f"thema:{code}", 0.0):
                        concepts[f"thema:{code}"] = weight
        self._memo[tag] = concepts
        return concepts

    def vector(self, tags: Iterable[str]) -> dict[str, float]:
        """The concepts of all tags, each at its highest weight."""
        merged: dict[str, float] = {}
        for tag in tags:
            for concept, weight in self.expand(tag).items():
                if weight > merged.get(concept, 0.0):
                    merged[concept] = weight
        return merged

    def column(self, concept: str, grow: bool) -> int | None:
        index = self.index.get(concept)
        if index is None and grow:
            index = self.index[concept] = len(self.index)
        return index

    def dense(self, vectors: Sequence[Mapping[str, float]]) -> np.ndarray:
        """Rows of concept vectors as one L2-normalised float32 matrix (the index grows)."""
        for vector in vectors:
            for concept in vector:
                self.column(concept, grow=True)
        matrix = np.zeros((len(vectors), len(self.index)), dtype=np.float32)
        for row, vector in enumerate(vectors):
            for concept, weight in vector.items():
                matrix[row, self.index[concept]] = weight
        norms = np.linalg.norm(matrix, axis=1)
        norms[norms == 0] = 1.0
        return matrix / norms[:, None]

    def query(self, vector: Mapping[str, float], width: int) -> np.ndarray:
        """One concept vector as a normalised array over the first ``width`` columns.

        Concepts no row has are left out of the array but still count in the norm, so a
        volunteer with many unmatched interests is not overrated by the few that match.
        """
        out = np.zeros(width, dtype=np.float32)
        total = 0.0
        for concept, weight in vector.items():
            total += weight * weight
            index = self.index.get(concept)
            if index is not None and index < width:
                out[index] = weight
        if total > 0:
            out /= math.sqrt(total)
        return out

    def label(self, concept: str) -> str:
        return self.theme_labels.get(concept, concept)


def _dagdeel_row(codes: Iterable[str]) -> np.ndarray:
    row = np.zeros(len(DAGDELEN), dtype=np.float32)
    for code in codes:
        index = _DAGDEEL_INDEX.get(code)
        if index is not None:
            row[index] = 1.0
    return row


def _haversine(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    phi1 = math.radians(lat)
    phi2 = np.radians(lats)
    a = (np.sin((phi2 - phi1) / 2) ** 2
         + math.cos(phi1) * np.cos(phi2) * np.sin(np.radians(lons - lon) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _dot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` over the vector's non-zero columns only, without BLAS.

    Why: a query has a handful of concepts out of hundreds, and a multi-threaded BLAS call for
    such a small product is slower than the arithmetic (on a busy 2-core server it cost 25 ms
    per call; this takes well under 1 ms).
    """
    columns = np.flatnonzero(vector)
    if not len(columns):
        return np.zeros(matrix.shape[0], dtype=np.float32)
    return np.einsum("ij,j->i", matrix[:, columns], vector[columns])


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _kern_key(kern: str | None) -> str:
    return _fold(kern or "").strip()


# -- listings for a volunteer -------------------------------------------------------------------

class ListingMatcher:
    """All current listings as arrays; :meth:`suggest` ranks them for one volunteer.

    Build it once per request batch (the digest builds one for all volunteers). ``today`` decides
    what is active, fresh and which VOG has expired.
    """

    def __init__(self, listings: Sequence[ListingFacts], today: date,
                 concepts: ConceptSpace | None = None,
                 kinds: frozenset[str] = frozenset({"vacature", "hulpvraag"})) -> None:
        self.today = today
        self.concepts = concepts or ConceptSpace()
        self.listings = [item for item in listings if item.kind in kinds]
        items = self.listings
        self.ids = np.array([item.id for item in items], dtype=np.int64)
        self.tag_vectors = [self.concepts.vector(item.tags) for item in items]
        self.tags = self.concepts.dense(self.tag_vectors)
        self.width = self.tags.shape[1]
        self.lat = np.array([_nan(item.lat) for item in items], dtype=np.float64)
        self.lon = np.array([_nan(item.lon) for item in items], dtype=np.float64)
        self.kern = np.array([_kern_key(item.kern) for item in items], dtype=object)
        self.online = np.array([item.online for item in items], dtype=bool)
        self.vog = np.array([item.requires_vog for item in items], dtype=bool)
        self.car = np.array([item.requires_car for item in items], dtype=bool)
        self.licence = np.array([item.requires_licence for item in items], dtype=bool)
        self.min_age = np.array([item.min_age or 0 for item in items], dtype=np.int32)
        self.owner = np.array([item.owner_id or -1 for item in items], dtype=np.int64)
        listed = np.array([item.active and (item.list_until is None or item.list_until >= today)
                           for item in items], dtype=bool)
        self.listed = listed
        self.dagdelen = np.stack([_dagdeel_row(item.dagdelen) for item in items]) if items \
            else np.zeros((0, len(DAGDELEN)), dtype=np.float32)
        self.dagdeel_count = self.dagdelen.sum(axis=1)
        age_days = np.array([(today - item.published).days if item.published else 365
                             for item in items], dtype=np.float64)
        self.fresh = np.exp2(-np.maximum(age_days, 0) / FRESH_HALF_LIFE_DAYS)
        self.responses = np.array([item.responses for item in items], dtype=np.float64)
        self.equity = 1.0 / (1.0 + self.responses)

    def __len__(self) -> int:
        return len(self.listings)

    def eligible(self, profile: VolunteerProfile) -> tuple[np.ndarray, np.ndarray]:
        """The hard filters: a boolean mask over the listings, and the distances in km."""
        if not profile.active or not len(self.listings):
            return np.zeros(len(self.listings), dtype=bool), np.full(len(self.listings), np.nan)
        mask = self.listed & (self.owner != profile.id)
        vog_ok = profile.vog_status in VOG_OK and (
            profile.vog_expires is None or profile.vog_expires >= self.today)
        if not vog_ok:
            mask &= ~self.vog
        if not profile.has_car:
            mask &= ~self.car
        if not (profile.has_licence or profile.has_car):
            mask &= ~self.licence
        if profile.age is None:
            mask &= self.min_age == 0
        else:
            mask &= self.min_age <= profile.age
        if profile.lat is not None and profile.lon is not None:
            distance = _haversine(profile.lat, profile.lon, self.lat, self.lon)
            near = distance <= profile.travel_km
        else:
            distance = np.full(len(self.listings), np.nan)
            near = np.zeros(len(self.listings), dtype=bool)
        same_kern = (self.kern == _kern_key(profile.kern)) if profile.kern else \
            np.zeros(len(self.listings), dtype=bool)
        mask &= self.online | np.nan_to_num(near, nan=0).astype(bool) | same_kern
        return mask, distance

    def scores(self, profile: VolunteerProfile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Score every listing for ``profile``: (total, tag score, distance); -inf = filtered."""
        mask, distance = self.eligible(profile)
        query = self.concepts.query(self.concepts.vector(profile.interests), self.width)
        tag = _dot(self.tags, query)
        travel = max(profile.travel_km, 0.5)
        near_score = np.where(self.online, 0.5,
                              np.clip(1.0 - np.nan_to_num(distance, nan=travel) / travel, 0, 1))
        available = _dagdeel_row(profile.dagdelen)
        if available.any():
            overlap = _dot(self.dagdelen, available)
            schedule = np.where(self.dagdeel_count > 0,
                                overlap / np.maximum(self.dagdeel_count, 1), NEUTRAL_SCHEDULE)
            schedule = np.where((self.dagdeel_count > 0) & (overlap == 0),
                                -SCHEDULE_MISMATCH_PENALTY / W_SCHEDULE, schedule)
        else:
            schedule = np.full(len(self.listings), NEUTRAL_SCHEDULE)
        total = (W_TAGS * tag + W_DISTANCE * near_score + W_SCHEDULE * schedule
                 + W_FRESH * self.fresh + W_EQUITY * self.equity)
        total = np.where(mask & (tag >= MIN_TAG_SCORE), total, -np.inf)
        return total, tag, distance

    def suggest(self, profile: VolunteerProfile, limit: int = 5,
                with_reasons: bool = True) -> list[Suggestion]:
        """The best ``limit`` listings for ``profile``, best first, each with its reasons."""
        if not len(self.listings):
            return []
        total, tag, distance = self.scores(profile)
        finite = np.nonzero(np.isfinite(total))[0]
        if not len(finite):
            return []
        k = min(limit, len(finite))
        top = finite[np.argpartition(-total[finite], k - 1)[:k]]
        # Ties (equal scores) break on the id, so the order is stable between runs.
        top = sorted(top, key=lambda i: (-total[i], self.ids[i]))
        out = []
        for i in top:
            dist = None if math.isnan(distance[i]) else round(float(distance[i]), 1)
            reasons = self._reasons(profile, int(i), dist) if with_reasons else []
            out.append(Suggestion(int(self.ids[i]), float(total[i]), reasons, dist))
        return out

    def _reasons(self, profile: VolunteerProfile, i: int, dist: float | None) -> list[Reason]:
        item = self.listings[i]
        reasons: list[Reason] = []
        mine = self.concepts.vector(profile.interests)
        shared = [c for c in self.tag_vectors[i] if c in mine and mine[c] >= REASON_WEIGHT
                  and self.tag_vectors[i][c] >= REASON_WEIGHT]
        theme = next((c for c in shared if c.startswith("thema:")), None)
        if theme or shared:
            reasons.append(Reason("interest", self.concepts.label(theme or shared[0])))
        if item.online:
            reasons.append(Reason("online"))
        elif profile.kern and _kern_key(profile.kern) == _kern_key(item.kern):
            reasons.append(Reason("same_kern"))
        elif dist is not None:
            reasons.append(Reason("near", f"{dist:g}".replace(".", ",")))
        fits = [code for code in DAGDELEN if code in item.dagdelen and code in profile.dagdelen]
        if fits:
            reasons.append(Reason("schedule", fits[0]))
        if item.requires_car and profile.has_car:
            reasons.append(Reason("car"))
        elif item.requires_licence and (profile.has_licence or profile.has_car):
            reasons.append(Reason("licence"))
        if item.requires_vog:
            reasons.append(Reason("vog"))
        if item.responses == 0:
            reasons.append(Reason("no_response"))
        return reasons


# -- volunteers for a listing (the reverse) -----------------------------------------------------

class VolunteerMatcher:
    """Volunteers who opted in to be asked, as arrays; :meth:`rank` orders them for a listing.

    Used by organisations and the coordinator ("wie kan dit doen?"). Only volunteers with
    ``open_to_requests`` are kept: nobody is proposed who did not say yes to that.
    """

    def __init__(self, volunteers: Sequence[VolunteerProfile], today: date,
                 concepts: ConceptSpace | None = None) -> None:
        self.today = today
        self.concepts = concepts or ConceptSpace()
        self.people = [p for p in volunteers if p.active and p.open_to_requests]
        people = self.people
        self.ids = np.array([p.id for p in people], dtype=np.int64)
        self.vectors = [self.concepts.vector(p.interests) for p in people]
        self.tags = self.concepts.dense(self.vectors)
        self.width = self.tags.shape[1]
        self.lat = np.array([_nan(p.lat) for p in people], dtype=np.float64)
        self.lon = np.array([_nan(p.lon) for p in people], dtype=np.float64)
        self.kern = np.array([_kern_key(p.kern) for p in people], dtype=object)
        self.travel = np.array([p.travel_km for p in people], dtype=np.float64)
        self.car = np.array([p.has_car for p in people], dtype=bool)
        self.licence = np.array([p.has_licence or p.has_car for p in people], dtype=bool)
        self.vog = np.array([p.vog_status in VOG_OK and (p.vog_expires is None
                                                         or p.vog_expires >= today)
                             for p in people], dtype=bool)
        self.age = np.array([-1 if p.age is None else p.age for p in people], dtype=np.int32)
        self.dagdelen = np.stack([_dagdeel_row(p.dagdelen) for p in people]) if people \
            else np.zeros((0, len(DAGDELEN)), dtype=np.float32)
        self.has_dagdelen = self.dagdelen.sum(axis=1) > 0

    def rank(self, listing: ListingFacts, limit: int = 20) -> list[Suggestion]:
        """The best ``limit`` volunteers for ``listing``, best first, with reasons."""
        n = len(self.people)
        if not n:
            return []
        mask = self.ids != (listing.owner_id or -1)
        if listing.requires_vog:
            mask &= self.vog
        if listing.requires_car:
            mask &= self.car
        if listing.requires_licence:
            mask &= self.licence
        if listing.min_age:
            mask &= self.age >= listing.min_age
        if listing.online:
            distance = np.full(n, np.nan)
        else:
            if listing.lat is not None and listing.lon is not None:
                distance = _haversine(listing.lat, listing.lon, self.lat, self.lon)
                near = np.nan_to_num(distance, nan=np.inf) <= self.travel
            else:
                distance = np.full(n, np.nan)
                near = np.zeros(n, dtype=bool)
            same = self.kern == _kern_key(listing.kern) if listing.kern else np.zeros(n, bool)
            mask &= near | same
        wanted = self.concepts.vector(listing.tags)
        tag = _dot(self.tags, self.concepts.query(wanted, self.width))
        travel = np.maximum(self.travel, 0.5)
        near_score = 0.5 if listing.online else np.clip(
            1.0 - np.nan_to_num(distance, nan=0.0) / travel, 0, 1)
        needed = _dagdeel_row(listing.dagdelen)
        if needed.any():
            overlap = _dot(self.dagdelen, needed)
            schedule = np.where(self.has_dagdelen, overlap / needed.sum(), NEUTRAL_SCHEDULE)
            schedule = np.where(self.has_dagdelen & (overlap == 0),
                                -SCHEDULE_MISMATCH_PENALTY / W_SCHEDULE, schedule)
        else:
            schedule = np.full(n, NEUTRAL_SCHEDULE)
        total = W_TAGS * tag + W_DISTANCE * near_score + W_SCHEDULE * schedule
        total = np.where(mask & (tag >= MIN_TAG_SCORE), total, -np.inf)
        finite = np.nonzero(np.isfinite(total))[0]
        if not len(finite):
            return []
        k = min(limit, len(finite))
        top = finite[np.argpartition(-total[finite], k - 1)[:k]]
        top = sorted(top, key=lambda i: (-total[i], self.ids[i]))
        out = []
        for i in top:
            dist = None if math.isnan(distance[i]) else round(float(distance[i]), 1)
            out.append(Suggestion(int(self.ids[i]), float(total[i]),
                                  self._reasons(listing, wanted, int(i), dist), dist))
        return out

    def _reasons(self, listing: ListingFacts, wanted: Mapping[str, float], i: int,
                 dist: float | None) -> list[Reason]:
        person = self.people[i]
        reasons: list[Reason] = []
        shared = [c for c in self.vectors[i] if wanted.get(c, 0) >= REASON_WEIGHT
                  and self.vectors[i][c] >= REASON_WEIGHT]
        theme = next((c for c in shared if c.startswith("thema:")), None)
        if theme or shared:
            reasons.append(Reason("v_interest", self.concepts.label(theme or shared[0])))
        if listing.kern and _kern_key(person.kern) == _kern_key(listing.kern):
            reasons.append(Reason("v_same_kern"))
        elif dist is not None:
            reasons.append(Reason("v_near", f"{dist:g}".replace(".", ",")))
        fits = [code for code in DAGDELEN if code in listing.dagdelen and code in person.dagdelen]
        if fits:
            reasons.append(Reason("v_schedule", fits[0]))
        if listing.requires_car and person.has_car:
            reasons.append(Reason("v_car"))
        if listing.requires_vog:
            reasons.append(Reason("v_vog"))
        return reasons
