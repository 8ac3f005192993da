"""Costs as lists write them → our ``kosten`` facet (gratis, eigen_bijdrage, betaald) + amount.

``gratis``, ``kosteloos``, ``geen kosten``, ``0``, ``€ 0,-`` and ``gratis (vrijwillige bijdrage)``
are free. An amount is kept only when the cell states one plain price (``€ 6,00 p.p.``, ``6.00``,
``€2,50``, ``7,50 euro``, ``€ 125,-``); a price with conditions (``€ 2 per middag, inclusief
koffie``, ``€ 20 voor 10 lessen``) sets the category but no amount, because ``amount`` would then
claim more than the text says. Small amounts are an ``eigen_bijdrage``; above
:data:`PAID_ABOVE` euro it is ``betaald`` (a market price). Text with no price and no "free"
word is unreadable and kept as text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Above this amount (euro) a price is a market price, not a small contribution.
PAID_ABOVE = 50.0

_FREE = re.compile(
    r"\b(?:gratis|kosteloos|kostenloos|geen kosten|geen eigen bijdrage|zonder kosten|free|"
    r"vrijwillige bijdrage|vrije gift|nvt|n\.v\.t\.?)\b")
_VOLUNTARY = re.compile(r"\b(?:bijdrage|gift|donatie|fooienpot|pot)\b")
_COVERED = re.compile(r"\b(?:vergoed|zorgverzekering|basisverzekering|verzekerd)\b")
_AMOUNT = re.compile(r"(?:€|eur(?:o)?\b)?\s*(\d{1,5})(?:[.,](\d{1,2}|-{1,2}))?\s*(?:€|euro|eur)?")
#: What may stand beside a plain price: currency, "p.p.", "per persoon", "per keer".
_PLAIN_EXTRA = re.compile(
    r"^(?:€|eur|euro|,-|\.-|-|p\.?\s?p\.?|pp|per persoon|per keer|per bezoek|p\.?\s?k\.?|"
    r"per deelnemer|\s|[.,:;()]|\bca\b|\bcirca\b|\bkosten\b|\bprijs\b)*$")


@dataclass(frozen=True)
class CostResult:
    category: str | None  # gratis | eigen_bijdrage | betaald | vergoed
    amount: float | None
    readable: bool = True


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("\u20ac", "€")
    return " ".join(text.split())


def parse_cost(text: object) -> CostResult:
    """Read a costs cell; ``None``/empty → no statement (category ``None``, readable)."""
    if text is None:
        return CostResult(None, None)
    if isinstance(text, int | float) and not isinstance(text, bool):
        return _from_amount(float(text), plain=True)
    folded = _fold(str(text))
    if not folded:
        return CostResult(None, None)
    amounts = [(m, _amount(m)) for m in _AMOUNT.finditer(folded) if m.group(1)]
    amounts = [(m, a) for m, a in amounts if a is not None]
    if _FREE.search(folded) and not any(a > 0 for _, a in amounts):
        # free is amount 0 (GUIDE), unless a voluntary contribution is asked
        return CostResult("gratis", None if _VOLUNTARY.search(folded) else 0.0)
    if _COVERED.search(folded) and not amounts:
        return CostResult("vergoed", None)
    if not amounts:
        return CostResult(None, None, readable=False)
    plain = len(amounts) == 1 and _is_plain(folded, amounts)
    largest = max(a for _, a in amounts)
    if largest == 0 and len(amounts) == 1:
        return CostResult("gratis", 0.0 if plain else None)
    return _from_amount(amounts[0][1] if plain else largest, plain)


def _amount(match: re.Match[str]) -> float | None:
    whole, cents = match.group(1), match.group(2)
    if cents and not cents.startswith("-"):
        return float(f"{whole}.{cents.ljust(2, '0')}")
    return float(whole)


def _is_plain(folded: str, amounts: list[tuple[re.Match[str], float | None]]) -> bool:
    rest = folded
    for match, _ in reversed(amounts):
        rest = rest[:match.start()] + " " + rest[match.end():]
    return bool(_PLAIN_EXTRA.match(rest))


def _from_amount(amount: float, plain: bool) -> CostResult:
    if amount == 0:
        return CostResult("gratis", 0.0)
    category = "betaald" if amount > PAID_ABOVE else "eigen_bijdrage"
    return CostResult(category, amount if plain else None)
