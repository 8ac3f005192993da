"""How people get in → our ``toegang`` facet: ``vrij``, ``aanmelden`` or ``verwijzing``.

Answers to an "Aanmelden?" column (``ja``, ``Nee, gewoon binnenlopen``, ``Ja (vol = vol)``,
``niet nodig``) and free text (``vrije inloop``, ``opgeven via mail``, ``via huisarts``,
``met indicatie``). A referral wins over registration, registration over walk-in, because the
stricter condition is the one a resident must know about.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_REFERRAL = re.compile(
    r"\b(?:verwijzing|verwezen|doorverwijzing|indicatie|beschikking|via (?:de |uw |je )?"
    r"(?:huisarts|hulpverlener|wijkteam|gemeente|praktijkondersteuner|poh|consulent|"
    r"sociaal team|casemanager)|referral)\b")
_REGISTER = re.compile(
    r"\b(?:aanmelden|aanmelding|opgeven|opgave|inschrijven|inschrijving|reserveren|"
    r"vooraf (?:bellen|mailen|melden)|registration|register|vol ?= ?vol|ja|yes|verplicht|"
    r"noodzakelijk|nodig)\b")
_WALK_IN = re.compile(
    r"\b(?:nee|no|niet nodig|geen aanmelding|vrije inloop|vrij toegankelijk|inloop|"
    r"binnenlopen|binnen lopen|walk[- ]in|zonder aanmelding|vrij)\b")
_NOT_NEEDED = re.compile(r"\b(?:niet nodig|niet verplicht|geen aanmelding|hoeft niet|"
                         r"zonder aanmelding|not needed|nee)\b")


@dataclass(frozen=True)
class AccessResult:
    access: str | None  # vrij | aanmelden | verwijzing
    readable: bool = True


def parse_access(text: object) -> AccessResult:
    """Read an access cell; empty → no statement."""
    if text is None or isinstance(text, bool) and not text:
        return AccessResult(None)
    if isinstance(text, bool):
        return AccessResult("aanmelden")
    folded = unicodedata.normalize("NFKD", str(text))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower().strip()
    if not folded:
        return AccessResult(None)
    if _REFERRAL.search(folded):
        return AccessResult("verwijzing")
    if _NOT_NEEDED.search(folded):
        return AccessResult("vrij")
    if _REGISTER.search(folded):
        return AccessResult("aanmelden")
    if _WALK_IN.search(folded):
        return AccessResult("vrij")
    return AccessResult(None, readable=False)
