"""Our own taxonomies (levensgebieden, thema's, facets) and how imported terms map onto them.

The shipped CSVs in ``data/taxonomy/`` carry stable ids, the same ids our HSDS data sets use, so
a term imported from our own exports lands on the same row. A term from another source is
mapped onto ours when its code or name matches within the same facet; unknown terms are kept as
they are, in their own taxonomy.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import DATA_DIR
from ..geo.gazetteer import fold_name
from ..models import Taxonomy, TaxonomyTerm

TAXONOMY_DIR = DATA_DIR / "taxonomy"
#: The facets we use, in the order the UI shows them. ``levensgebied`` is the main category.
FACETS = ("levensgebied", "thema", "soort", "toegang", "kosten", "doelgroep")


@dataclass(frozen=True)
class OurTerm:
    id: str
    facet: str
    code: str
    name: str
    name_en: str
    description: str
    parent: str | None = None
    theme: str | None = None


@dataclass(frozen=True)
class OurTaxonomy:
    id: str
    facet: str
    name: str
    description: str


def _read(name: str) -> list[dict[str, str]]:
    with open(TAXONOMY_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def our_taxonomies() -> dict[str, OurTaxonomy]:
    return {row["facet"]: OurTaxonomy(row["id"], row["facet"], row["name"], row["description"])
            for row in _read("taxonomies.csv")}


@cache
def our_terms() -> tuple[OurTerm, ...]:
    terms: list[OurTerm] = []
    for row in _read("levensgebieden.csv"):
        terms.append(OurTerm(row["id"], "levensgebied", row["code"], row["naam"], row["name_en"],
                             row["omschrijving"], row["parent"] or None, row["thema"] or None))
    for row in _read("themas.csv"):
        terms.append(OurTerm(row["id"], "thema", row["code"], row["naam"], row["name_en"],
                             row["ambitie"]))
    for row in _read("facetten.csv"):
        terms.append(OurTerm(row["id"], row["facet"], row["code"], row["naam"], row["name_en"],
                             row["omschrijving"]))
    return tuple(terms)


@cache
def terms_by_facet() -> dict[str, dict[str, OurTerm]]:
    result: dict[str, dict[str, OurTerm]] = {facet: {} for facet in FACETS}
    for term in our_terms():
        result[term.facet][term.code] = term
    return result


@cache
def term_by_id() -> dict[str, OurTerm]:
    return {term.id: term for term in our_terms()}


def match_term(link_type: str | None, code: str | None, name: str | None) -> OurTerm | None:
    """Our term that an imported term stands for, if any.

    Within the attribute's facet (``link_type``) a code or name match is enough. Without a
    facet we know, the code or name must identify exactly one of our terms.
    """
    code_key = fold_name(code or "").replace(" ", "_")
    name_key = fold_name(name or "")
    facets = [link_type] if link_type in FACETS else list(FACETS)
    hits = {
        term for facet in facets for term in terms_by_facet()[facet].values()
        if (code_key and term.code == code_key) or (name_key and fold_name(term.name) == name_key)
    }
    return hits.pop() if len(hits) == 1 else None


def ensure_taxonomies(session: Session) -> int:
    """Create or update our taxonomies and terms; returns how many rows were added."""
    added = 0
    taxonomy_ids = {}
    for tax in our_taxonomies().values():
        row = session.get(Taxonomy, tax.id)
        if row is None:
            row = Taxonomy(id=tax.id)
            session.add(row)
            added += 1
        row.name, row.description, row.facet = tax.name, tax.description, tax.facet
        taxonomy_ids[tax.facet] = tax.id
    existing = {t.id: t for t in session.scalars(select(TaxonomyTerm).where(
        TaxonomyTerm.id.in_([term.id for term in our_terms()])))}
    for term in our_terms():
        row = existing.get(term.id)
        if row is None:
            row = TaxonomyTerm(id=term.id)
            session.add(row)
            added += 1
        row.code, row.name, row.name_en = term.code, term.name, term.name_en
        row.description = term.description or term.name  # HSDS requires a description
        row.taxonomy_id = taxonomy_ids[term.facet]
        row.taxonomy = our_taxonomies()[term.facet].name
        row.language = "nl"
        row.parent_id = terms_by_facet()["levensgebied"][term.parent].id if term.parent else None
    return added
