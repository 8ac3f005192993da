"""Column mapping: which column of a free-form list holds which field, from the header words.

Municipal lists name their columns as they like (``Naam activiteit``, ``Tel.``, ``Plaats/kern``,
``Aanmelden?``, ``Van``/``Tot``). :func:`propose_mapping` matches each header against Dutch and
English synonyms (exact after folding, then by word, then with small typos), giving each field to
at most one column. The proposal can be saved as a small YAML file, edited by the beheerder, and
is then used as-is for the next import of the same source (:func:`load_mapping`,
:func:`save_mapping`), so a strange header only needs to be explained once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rapidfuzz import fuzz

#: Field → synonyms (folded). The first field listed wins a tie.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("naam activiteit", "naam", "activiteit", "naam aanbod", "aanbod", "titel",
             "naam voorziening", "voorziening", "cursus", "naam cursus", "initiatief",
             "activiteiten", "wat", "name", "activity", "title", "service", "programma"),
    "organization": ("organisatie", "aanbieder", "organisator", "instelling", "naam organisatie",
                     "uitvoerder", "georganiseerd door", "organization", "organisation",
                     "provider", "stichting", "vereniging"),
    "description": ("omschrijving", "beschrijving", "toelichting", "inhoud",
                    "korte omschrijving", "description", "details", "info", "informatie"),
    "audience": ("voor wie", "doelgroep", "doelgroepen", "leeftijd", "leeftijden",
                 "target group", "audience", "for whom", "age"),
    "days": ("dag en", "dag", "dagen", "wanneer", "dag en tijd", "dagen en tijden",
             "frequentie", "weekdag", "day", "days", "when", "schedule", "rooster"),
    "time": ("tijd", "tijden", "tijdstip", "hoe laat", "tijdstippen", "openingsuren",
             "openingstijden", "openingstijd", "uren", "time", "times", "hours",
             "opening hours"),
    "time_from": ("van", "begintijd", "starttijd", "aanvang", "vanaf", "van tijd", "begin",
                  "from", "start time", "opens"),
    "time_to": ("tot", "eindtijd", "tot tijd", "einde", "to", "end time", "until", "closes"),
    "location_name": ("locatie", "locatienaam", "naam locatie", "gebouw", "accommodatie",
                      "waar", "venue", "location"),
    "address": ("adres", "straat", "straat en huisnummer", "straatnaam", "bezoekadres",
                "address", "street", "street address"),
    "house_number": ("huisnummer", "huisnr", "nr", "nummer", "house number"),
    "postcode": ("postcode", "pc", "postal code", "postcode en plaats", "zip", "zipcode"),
    "place": ("plaats kern", "plaats", "kern", "woonplaats", "dorp", "wijk", "plaatsnaam",
              "kern wijk", "city", "town", "village", "place"),
    "phone": ("tel", "telefoon", "telefoonnummer", "telnr", "tel nr", "mobiel", "gsm",
              "telefoonnr", "bellen", "telefonisch", "phone", "telephone", "phone number"),
    "email": ("e mail", "email", "mail", "emailadres", "e mailadres", "mailadres",
              "email address"),
    "website": ("website", "site", "url", "internet", "web", "link", "webadres",
                "internetadres", "homepage"),
    "cost": ("kosten", "prijs", "tarief", "eigen bijdrage", "bijdrage", "kosten deelname",
             "cost", "costs", "price", "fee", "fees"),
    "access": ("aanmelden", "aanmelding", "toegang", "inschrijven", "opgeven", "aanmelden nodig",
               "registration", "access", "sign up"),
    "contact": ("contact", "contactpersoon", "contactpersonen", "contact person", "contact name"),
    "notes": ("opmerkingen", "opmerking", "notities", "notitie", "bijzonderheden", "extra info",
              "notes", "remarks", "comments"),
    "start_date": ("startdatum", "begindatum", "start datum", "datum start", "start date"),
    "end_date": ("einddatum", "eind datum", "datum einde", "end date"),
    "status": ("status", "actief", "active"),
}
FIELDS = tuple(SYNONYMS)
#: Fields a header row must offer at least one of (a list without names is no activity list).
KEY_FIELDS = ("name", "organization", "days", "phone", "address", "postcode", "place")


def fold_header(text: object) -> str:
    """``'Dag(en) '`` → ``'dag en'``; ``'Tel.'`` → ``'tel'``; ``'E-mail'`` → ``'e mail'``."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKD", str(text))
    value = "".join(ch for ch in value if not unicodedata.combining(ch)).lower()
    value = re.sub(r"[^a-z0-9]+", " ", value)
    return " ".join(value.split())


def score_header(header: str, fld: str) -> float:
    """How well a folded header names ``fld``: 100 exact, 90 a synonym as its words, 80+ typos."""
    if not header:
        return 0.0
    best = 0.0
    words = header.split()
    for synonym in SYNONYMS[fld]:
        if header == synonym:
            return 100.0
        syn_words = synonym.split()
        if len(syn_words) <= len(words) and any(
            words[i:i + len(syn_words)] == syn_words for i in range(len(words))
        ):
            # a longer header ("telefoonnummer contactpersoon") names it less surely
            best = max(best, 90.0 - 2 * (len(words) - len(syn_words)))
        elif len(synonym) >= 5 and len(header) >= 5:
            ratio = fuzz.ratio(header, synonym)
            if ratio >= 88:
                best = max(best, ratio - 10)
    return best


@dataclass
class ColumnMapping:
    """Header row (1-based) and column index → field (``None`` = ignored)."""

    header_row: int
    headers: list[str]
    fields: dict[int, str | None] = field(default_factory=dict)
    #: True when read from a saved mapping file rather than proposed.
    saved: bool = False

    def column(self, fld: str) -> int | None:
        for index, name in self.fields.items():
            if name == fld:
                return index
        return None

    def mapped(self) -> dict[str, int]:
        return {name: index for index, name in self.fields.items() if name}


def propose_fields(headers: Sequence[object]) -> dict[int, str | None]:
    """Column index → field, each field to its best-scoring column (greedy on score)."""
    folded = [fold_header(h) for h in headers]
    pairs = sorted(
        ((score_header(h, f), -FIELDS.index(f), i, f) for i, h in enumerate(folded)
         for f in FIELDS),
        reverse=True)
    out: dict[int, str | None] = {i: None for i in range(len(headers))}
    used: set[str] = set()
    for score, _order, index, fld in pairs:
        if score < 75:
            break
        if out[index] is not None or fld in used:
            continue
        out[index] = fld
        used.add(fld)
    return out


def header_score(cells: Sequence[object]) -> int:
    """How many cells of a row look like known headers (used to find the header row)."""
    fields = propose_fields(cells)
    hits = [f for f in fields.values() if f]
    return len(hits) if any(f in KEY_FIELDS for f in hits) else 0


def find_header_row(rows: Sequence[Sequence[object]], look: int = 25) -> int | None:
    """Index (0-based) of the header row: the first of the best-scoring rows, at least 2 hits."""
    best, best_index = 1, None
    for index, row in enumerate(rows[:look]):
        score = header_score(row)
        if score > best:
            best, best_index = score, index
    return best_index


def propose_mapping(rows: Sequence[Sequence[object]]) -> ColumnMapping | None:
    index = find_header_row(rows)
    if index is None:
        return None
    headers = ["" if h is None else str(h) for h in rows[index]]
    return ColumnMapping(index + 1, headers, propose_fields(headers))


# -- the YAML file -----------------------------------------------------------------------------

def save_mapping(mapping: ColumnMapping, path: Path, source: str = "") -> None:
    """Write the mapping as YAML with the field names listed, for the beheerder to edit."""
    columns = {(header.strip() or f"kolom {index + 1}"): mapping.fields.get(index)
               for index, header in enumerate(mapping.headers)}
    text = "\n".join([
        f"# Kolomindeling voor {source or path.stem}: pas de velden aan en importeer opnieuw.",
        "# Velden: " + ", ".join(FIELDS) + "; null = kolom overslaan.",
        "",
    ]) + yaml.safe_dump({"header_row": mapping.header_row, "columns": columns},
                        allow_unicode=True, sort_keys=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


class MappingFileError(ValueError):
    """A saved mapping file that cannot be used."""


def load_mapping(path: Path, rows: Sequence[Sequence[object]]) -> ColumnMapping:
    """Apply a saved mapping to this file's rows; headers are matched by folded text, so moved
    columns still map. Unknown field names are an error (a typo must not drop a column)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise MappingFileError(f"{path}: not readable YAML ({exc})") from None
    header_row = data.get("header_row")
    columns = data.get("columns") or {}
    if not isinstance(header_row, int) or header_row < 1 or not isinstance(columns, dict):
        raise MappingFileError(f"{path}: needs 'header_row' (a row number) and 'columns'")
    if header_row > len(rows):
        raise MappingFileError(f"{path}: header_row {header_row} is beyond the last row")
    bad = sorted(str(v) for v in columns.values() if v is not None and v not in FIELDS)
    if bad:
        raise MappingFileError(f"{path}: unknown field(s) {', '.join(bad)}")
    by_header = {fold_header(k): v for k, v in columns.items()}
    headers = ["" if h is None else str(h) for h in rows[header_row - 1]]
    fields: dict[int, str | None] = {}
    for index, header in enumerate(headers):
        key = fold_header(header) or fold_header(f"kolom {index + 1}")
        fields[index] = by_header.get(key)
    return ColumnMapping(header_row, headers, fields, saved=True)
