"""Fusing the lexical score with the semantic similarity: pure numpy, one rule per line.

Both signals see the same candidates: ``allowed`` already holds every filter, the distance
radius and the rules (inactive listings and ended courses never show). The lexical score is
normalised by its best candidate, the similarity between an effective floor and the best
similarity, and the two are added with named weights (chosen on the public benchmark only; see
docs/semantic-search.md). Two guards keep meaning from inventing results:

* the **similarity floor**: the similarity counts only above an absolute floor and within a
  margin of the best one (e5 rates unrelated texts around 0.75-0.8), and a listing the words
  did not find enters on meaning alone only when it is *very* close to the best (the entry
  margin, narrower than the margin that scales the similarity of the words' matches: with one
  margin for both, a third of every result list was listings that entered on meaning alone,
  almost none of them relevant);
* **lexical gating**: when nothing matches lexically, meaning alone may only answer a query
  whose words a word list recognises (any language); a random string stays at zero results,
  so the zero-result page and "Bedoelde u ...?" keep working.

For a query in another language than Dutch the similarity weighs more (its own words match
little). A stray match on a short foreign word ("the", "is", "dla") cannot outweigh meaning: the
query planner drops the language's function words before anything is matched, and what remains
are content words and the Dutch terms of the multilingual glossary and the bridged thesaurus
phrases, which deserve the full lexical weight (a lower one, 0.3, measured worse on every
language once the glossary covered the domain; see docs/semantic-search.md).

Last, the **neighbour rule** (the cluster hypothesis: listings that answer the same need resemble
each other): among the best fused candidates, a listing whose vector is close to one of the very
best others gains a share of its score. It compares listings with listings, not with the query,
so it helps where the query's own vector is a weak guide (e5 rates many listings alike against a
short query, but tells apart what two listings are about). It needs the candidates' vectors: the
similarities :meth:`SemanticIndex.similarities` returns carry them (``vectors_of``); a plain array
skips the rule. It never adds or removes a candidate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Weight of the (normalised) semantic similarity; the lexical score weighs 1.
SEMANTIC_WEIGHT = 0.2
#: Absolute cosine floor for entering on meaning alone.
SIMILARITY_FLOOR = 0.79
#: ... and at most this far below the best similarity among the candidates.
SIMILARITY_MARGIN = 0.12
#: A listing the words did not find enters on meaning alone only this close to the best
#: similarity (Dutch queries / other languages). Chosen on the public benchmark: 0.12 (the
#: former single margin) let in 1,330 listings over the 40 public queries, 21 of them
#: relevant and none of those in a top ten; 0.02 / 0.03 lets in 57 at the same nDCG@10 and
#: the same per-language ratios (docs/semantic-search.md).
ENTRY_MARGIN = 0.02
FOREIGN_ENTRY_MARGIN = 0.03
#: For a query in another language than Dutch: the weight of the lexical score (content words
#: and the Dutch glossary/bridge terms; function words are already dropped), of the similarity,
#: and the margin. Chosen on the public set (its English queries) with the 425-concept glossary:
#: lexical 1.0 with similarity 0.5 or 1.0 tied at 0.877 overall; 0.5 was kept (0.3 / 1.0, the
#: former values, gave 0.873).
FOREIGN_LEXICAL_WEIGHT = 1.0
FOREIGN_SEMANTIC_WEIGHT = 0.5
FOREIGN_MARGIN = 0.10
#: Thesaurus phrases a query is bridged to: similarity at least BRIDGE_FLOOR, at most
#: BRIDGE_MARGIN below the best, at most BRIDGE_LIMIT of them, searched lexically with this
#: weight (Dutch queries) or the foreign weight (other languages, whose own words say little).
BRIDGE_FLOOR = 0.86
BRIDGE_MARGIN = 0.02
BRIDGE_LIMIT = 3
BRIDGE_WEIGHT = 0.0
BRIDGE_WEIGHT_FOREIGN = 0.8
#: The neighbour rule: each of the best NEIGHBOUR_WINDOW candidates is compared with the best
#: NEIGHBOUR_REFERENCES ones (itself left out); its closest likeness, scaled between the least
#: and the most alike in the window, raises its score by up to NEIGHBOUR_WEIGHT (x 1.8 at 0.8).
#: Chosen on the public benchmark (docs/semantic-search.md): references 3-5 and weights
#: 0.8-1.5 all gained; 0 turns the rule off (setting ``semantic_neighbour_weight``).
NEIGHBOUR_WEIGHT = 0.8
NEIGHBOUR_REFERENCES = 3
NEIGHBOUR_WINDOW = 150


@dataclass(frozen=True)
class FusionConfig:
    semantic_weight: float = SEMANTIC_WEIGHT
    floor: float = SIMILARITY_FLOOR
    margin: float = SIMILARITY_MARGIN
    foreign_lexical_weight: float = FOREIGN_LEXICAL_WEIGHT
    foreign_semantic_weight: float = FOREIGN_SEMANTIC_WEIGHT
    foreign_margin: float = FOREIGN_MARGIN
    entry_margin: float = ENTRY_MARGIN
    foreign_entry_margin: float = FOREIGN_ENTRY_MARGIN
    bridge_floor: float = BRIDGE_FLOOR
    bridge_margin: float = BRIDGE_MARGIN
    bridge_limit: int = BRIDGE_LIMIT
    bridge_weight: float = BRIDGE_WEIGHT
    bridge_weight_foreign: float = BRIDGE_WEIGHT_FOREIGN
    neighbour_weight: float = NEIGHBOUR_WEIGHT
    neighbour_references: int = NEIGHBOUR_REFERENCES
    neighbour_window: int = NEIGHBOUR_WINDOW


#: Vectors of documents by position (one unit-length row per position asked for).
Vectors = Callable[[np.ndarray], np.ndarray]


@dataclass
class Fused:
    scores: np.ndarray        # fused score per document (lexical units; 0 = not a candidate)
    mask: np.ndarray          # candidates after fusion
    semantic: np.ndarray      # normalised similarity in [0, 1] (0 below the floor)
    semantic_only: np.ndarray  # candidates that entered on meaning alone
    floor: float              # the effective similarity floor used


def fuse(lexical: np.ndarray, lexical_mask: np.ndarray, similarity: np.ndarray,
         allowed: np.ndarray, *, trusted: bool, foreign: bool,
         config: FusionConfig = FusionConfig(), vectors: Vectors | None = None) -> Fused:
    """Combine the signals for every document.

    :param lexical: lexical score per document (0 where it did not match).
    :param lexical_mask: documents the lexical side returns (text matches, related needs).
    :param similarity: cosine similarity per document; NaN where a listing has no vector.
    :param allowed: filters, distance and rules; nothing outside it is ever returned.
    :param trusted: the query's words are words of some language (not a random string).
    :param foreign: the query is not Dutch.
    :param vectors: the documents' vectors by position, for the neighbour rule; by default
        the ``vectors_of`` of ``similarity`` when it has one (``SemanticIndex.similarities``).
    """
    if vectors is None:
        vectors = getattr(similarity, "vectors_of", None)
    similarity = np.asarray(similarity)
    n = len(lexical)
    lexical_hits = lexical_mask & allowed
    has_vector = ~np.isnan(similarity) & allowed
    best = float(np.max(similarity[has_vector])) if has_vector.any() else float("nan")
    margin = config.foreign_margin if foreign else config.margin
    entry_margin = config.foreign_entry_margin if foreign else config.entry_margin
    floor = max(config.floor, best - margin) if has_vector.any() else config.floor
    known = np.nan_to_num(similarity, nan=-1.0)
    scored = has_vector & (known >= floor)
    if not lexical_hits.any() and not trusted:
        scored[:] = False  # lexical gating: meaning alone never answers a random string
    # Meaning alone admits only listings very close to the best (see the module docstring).
    entering = scored & ~lexical_hits & (known >= max(floor, best - entry_margin))
    semantic = np.zeros(n, dtype=np.float32)
    if scored.any():
        span = best - floor
        values = (similarity[scored] - floor) / span if span > 1e-6 else 1.0
        semantic[scored] = np.clip(values, 0.0, 1.0)
    top_lexical = float(lexical[lexical_hits].max()) if lexical_hits.any() else 0.0
    lexical_weight = config.foreign_lexical_weight if foreign else 1.0
    semantic_weight = config.foreign_semantic_weight if foreign else config.semantic_weight
    normalised = lexical / top_lexical if top_lexical > 0 else np.zeros(n, dtype=np.float32)
    # Scored first as if every listing above the floor could enter, so the neighbour rule's
    # window and scale do not depend on the entry margin (with a narrower window its scaling
    # turned near-ties around; docs/semantic-search.md); then only the admitted are kept.
    considered = lexical_hits | scored
    fused = np.where(considered, lexical_weight * normalised + semantic_weight * semantic, 0.0)
    # Back to lexical units, so the engine's re-ranking bonuses keep their meaning.
    scale = top_lexical if top_lexical > 0 else 1.0
    # A listing entering on meaning alone keeps a small positive score even at the floor.
    fused = np.where(considered, np.maximum(fused, 1e-3), 0.0) * scale
    if vectors is not None and config.neighbour_weight > 0:
        fused = _neighbour_boost(fused, considered & ~np.isnan(similarity), vectors, config)
    mask = lexical_hits | entering
    fused = np.where(mask, fused, 0.0)
    return Fused(fused.astype(np.float32), mask, semantic, entering, floor)


def _neighbour_boost(scores: np.ndarray, has_vector: np.ndarray, vectors: Vectors,
                     config: FusionConfig) -> np.ndarray:
    """Raise the best candidates that resemble one of the very best others (see the module's
    docstring). Only the window is touched; ties keep document order, so both backends
    agree."""
    candidates = np.nonzero(has_vector)[0]
    if len(candidates) < 2:
        return scores
    window = config.neighbour_window
    if len(candidates) > window:  # the window's cut without sorting every candidate
        cut = np.partition(scores[candidates], len(candidates) - window)[len(candidates) - window]
        candidates = candidates[scores[candidates] >= cut]
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    matrix = np.asarray(vectors(order), dtype=np.float32)
    references = min(config.neighbour_references, len(order))
    likeness = np.einsum("ij,kj->ik", matrix, matrix[:references])
    likeness[np.arange(references), np.arange(references)] = -np.inf  # not itself
    closest = likeness.max(axis=1)
    low, high = float(closest.min(initial=np.inf, where=np.isfinite(closest))), \
        float(closest.max(initial=-np.inf, where=np.isfinite(closest)))
    if not high - low > 1e-6:
        return scores
    share = np.where(np.isfinite(closest), (closest - low) / (high - low), 0.0)
    boosted = scores.copy()
    boosted[order] = scores[order] * (1.0 + config.neighbour_weight * share)
    return boosted
