"""The municipality's opgaven and the taxonomy terms that count for each (the beheerder's
editable table), and choosing listings by levensgebied, thema or opgave.

A term is written ``facet:code`` (``levensgebied:mantelzorg``, ``doelgroep:mantelzorgers``,
``thema:wonen``, ``soort:cursus``); a listing counts for an opgave when it has any of its terms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Opgave
from ..services.taxonomy import terms_by_facet
from .listings import ListingFacts

#: Facets an opgave may map (the taxonomy facets of a listing).
MAPPABLE_FACETS = ("levensgebied", "thema", "soort", "doelgroep")
MAX_NAME = 200


class OpgaveError(ValueError):
    """A row of the opgaven table that cannot be saved; names the row, field and reason."""

    def __init__(self, row: int, field, message) -> None:
        super().__init__(f"rij {row}, {field}: {message}")
        self.row = row
        self.field = field
        self.message = message


@dataclass
class OpgaveRow:
    id: int | None
    name: str
    terms: list[str]


def load_opgaven(session: Session) -> list[Opgave]:
    return list(session.scalars(select(Opgave).order_by(Opgave.position, Opgave.id)))


def valid_terms() -> dict[str, str]:
    """Every mappable ``facet:code`` with its Dutch label."""
    terms = terms_by_facet()
    return {f"{facet}:{code}": term.name for facet in MAPPABLE_FACETS
            for code, term in terms[facet].items()}


def parse_terms(text: str, row: int) -> list[str]:
    """``"levensgebied:geld, doelgroep:ouderen"`` → a checked list; unknown terms are an error
    that names them."""
    known = valid_terms()
    terms = []
    for part in text.replace(";", ",").replace("\n", ",").split(","):
        term = part.strip().lower().replace(" ", "")
        if not term:
            continue
        if term not in known:
            raise OpgaveError(row, _l("onderwerpen"), _l(
                "onbekende term ‘%(term)s’; gebruik facet:code, bijvoorbeeld "
                "levensgebied:mantelzorg", term=part.strip()))
        if term not in terms:
            terms.append(term)
    return terms


def save_opgaven(session: Session, rows: list[OpgaveRow]) -> None:
    """Replace the table by ``rows`` (in this order). Raises :class:`OpgaveError` before
    changing anything when a row is invalid."""
    names = set()
    for number, row in enumerate(rows, start=1):
        name = row.name.strip()
        if not name:
            raise OpgaveError(number, _l("naam"), _l("vul een naam in"))
        if len(name) > MAX_NAME:
            raise OpgaveError(number, _l("naam"), _l("hoogstens %(n)s tekens", n=MAX_NAME))
        if name.lower() in names:
            raise OpgaveError(number, _l("naam"), _l("de naam ‘%(name)s’ staat er al",
                                                      name=name))
        names.add(name.lower())
        if not row.terms:
            raise OpgaveError(number, _l("onderwerpen"), _l("kies minstens één onderwerp"))
    existing = {o.id: o for o in load_opgaven(session)}
    keep = {row.id for row in rows if row.id in existing}
    for opgave_id, opgave in existing.items():
        if opgave_id not in keep:
            session.delete(opgave)
    session.flush()
    # Rename in two steps so swapping two names does not trip the unique constraint.
    for opgave_id in keep:
        existing[opgave_id].name = f"~{opgave_id}"
    session.flush()
    for position, row in enumerate(rows, start=1):
        opgave = existing.get(row.id) if row.id in keep else None
        if opgave is None:
            opgave = Opgave(name=row.name.strip(), position=position, terms=row.terms)
            session.add(opgave)
        else:
            opgave.name, opgave.position, opgave.terms = row.name.strip(), position, row.terms
    session.flush()


def opgave_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Opgave)) or 0)


def matches_terms(terms: list[str]) -> Callable[[ListingFacts], bool]:
    wanted = set(terms)
    return lambda listing: bool(listing.terms() & wanted)


def categories_of_terms(terms: list[str]) -> set[str]:
    """The levensgebieden an opgave covers (directly, or through its thema): used to count
    searches about the opgave."""
    codes = set()
    levensgebieden = terms_by_facet()["levensgebied"]
    for term in terms:
        facet, _, code = term.partition(":")
        if facet == "levensgebied":
            codes.add(code)
        elif facet == "thema":
            codes |= {c for c, t in levensgebieden.items() if t.theme == code}
    return codes


def selector(kind: str, code: str, opgaven: list[Opgave]
             ) -> tuple[Callable[[ListingFacts], bool], str] | None:
    """A listing filter and its label for ``kind`` (alles, levensgebied, thema, opgave) and
    ``code``; None when the code is unknown."""
    terms = terms_by_facet()
    if kind in ("", "alles"):
        return (lambda _listing: True), "Alle aanbod"
    if kind in ("levensgebied", "thema") and code in terms[kind]:
        return matches_terms([f"{kind}:{code}"]), terms[kind][code].name
    if kind == "opgave":
        for opgave in opgaven:
            if str(opgave.id) == code:
                return matches_terms(list(opgave.terms or [])), opgave.name
    return None
