"""The fixed codes of our facets, read from the shipped taxonomy (one source of truth)."""

from __future__ import annotations

from ..services.taxonomy import terms_by_facet

_TERMS = terms_by_facet()
CATEGORIES = frozenset(_TERMS["levensgebied"])
THEMES = frozenset(_TERMS["thema"])
TYPES = frozenset(_TERMS["soort"])
ACCESS = frozenset(_TERMS["toegang"])
COSTS = frozenset(_TERMS["kosten"])
AUDIENCES = frozenset(_TERMS["doelgroep"])

#: Stable bit positions for bitmask filters, in the order of the taxonomy files.
CATEGORY_BITS = {code: i for i, code in enumerate(_TERMS["levensgebied"])}
THEME_BITS = {code: i for i, code in enumerate(_TERMS["thema"])}
AUDIENCE_BITS = {code: i for i, code in enumerate(_TERMS["doelgroep"])}
TYPE_CODES = list(_TERMS["soort"])
ACCESS_CODES = list(_TERMS["toegang"])
COST_CODES = list(_TERMS["kosten"])
