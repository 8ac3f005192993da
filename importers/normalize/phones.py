"""Phone numbers as people write them → E.164 (``+31183612480``), with the ``phonenumbers`` package.

Lists carry every spelling: ``0183-612480``, ``(0183) 612480``, ``+31 (0)183 612 480``,
``0031 183 612480``, ``tel. 0183-612480``, ``06 12345678``, and, after a round-trip through Excel,
``183612480`` without the leading zero. A cell may hold two numbers (``0183-612480 / 06-1234..``).
What cannot be parsed into a valid number is returned as ``None`` so the caller keeps the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

#: Words in front of a number: "tel.", "telefoon:", "mobiel", "bel".
_PREFIX = re.compile(r"^\s*(?:tel(?:efoon)?(?:nummer)?|mob(?:iel)?|gsm|bel|t|m)\b\.?\s*:?\s*", re.I)
#: "+31 (0)183" → "+31 183": the trunk zero in brackets is not dialled after the country code.
_TRUNK = re.compile(r"\(\s*0\s*\)")
_SPLIT = re.compile(r"\s*(?:/|\bof\b|;|,|\ben\b|\n)\s*", re.I)
_DIGITS = re.compile(r"\d")


@dataclass(frozen=True)
class PhoneResult:
    """The numbers found in a cell, in E.164, and the text that could not be read."""

    numbers: tuple[str, ...]
    unreadable: tuple[str, ...] = ()

    @property
    def first(self) -> str | None:
        return self.numbers[0] if self.numbers else None


def normalize_phone(text: object, region: str = "NL") -> str | None:
    """One number → E.164, or None when it is not a valid number."""
    if text is None:
        return None
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = str(int(text))  # a number cell: Excel dropped the leading zero
    raw = _PREFIX.sub("", str(text)).strip()
    raw = _TRUNK.sub(" ", raw)
    raw = raw.replace("\u2013", "-").replace("\u2011", "-")
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    digits = "".join(_DIGITS.findall(raw))
    if not digits:
        return None
    if not raw.lstrip().startswith("+") and len(digits) == 9 and digits[0] != "0":
        raw = "0" + digits  # Excel or a database stored it as a number
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_phones(text: object, region: str = "NL") -> PhoneResult:
    """All numbers in a cell. A cell that is one valid number is read as a whole first, so
    spaces inside the number never split it."""
    if text is None or str(text).strip() == "":
        return PhoneResult(())
    whole = normalize_phone(text, region)
    if whole:
        return PhoneResult((whole,))
    numbers: list[str] = []
    unreadable: list[str] = []
    for part in _SPLIT.split(str(text)):
        if not part.strip():
            continue
        number = normalize_phone(part, region)
        if number:
            if number not in numbers:
                numbers.append(number)
        elif _DIGITS.search(part):
            unreadable.append(part.strip())
    if not numbers and not unreadable:
        unreadable.append(str(text).strip())
    return PhoneResult(tuple(numbers), tuple(unreadable))
