"""Activity lists kept in spreadsheets (xlsx, ods, csv) → HSDS services.

The lists municipalities and welzijnsorganisaties keep have one row per activity (often one per
weekday or location), Dutch free-form headers, title rows above the header, merged cells and ditto
marks, section rows naming a kern, and notes at the bottom. This importer

1. reads the grid (:mod:`importers.grid`) and finds the header row and column mapping
   (:mod:`importers.normalize.headers`; a saved YAML mapping for the source wins);
2. reads every row below it: empty rows, notes and section rows are *skipped* (reported, never
   imported; a section row naming a kern supplies the kern for the rows under it); ditto marks and
   empty name cells of a continuation row are filled from the row above;
3. normalises each value (phones, e-mail, website, postcode, kern, days and times, costs, access);
   a value it cannot read is kept as text and flagged as a warning with row and column, never
   guessed;
4. joins the rows of one activity (same name and organisation, or a near-identical name at the
   same address or phone) into one service with several schedules and locations, and validates it
   with :func:`importers.validation.clean_service`, exactly like HSDS input.

Every :class:`SpreadsheetRecord` carries its :class:`RowData` (what each row said), so reports
can speak per row.
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from sociale_kaart.geo.gazetteer import default_gazetteer, fold_name

from .base import ImportedRecord, Importer, ReadResult, RecordError, UnusableInput
from .grid import CSV_SUFFIXES, ODS_SUFFIXES, XLSX_SUFFIXES, Cell, Sheet, decode, read_sheets
from .normalize.access import parse_access
from .normalize.costs import parse_cost
from .normalize.headers import (
    ColumnMapping,
    MappingFileError,
    header_score,
    load_mapping,
    propose_mapping,
    save_mapping,
)
from .normalize.phones import parse_phones
from .normalize.places import KernResult, normalize_postcode, resolve_kern, split_address
from .normalize.schedules import ParsedSchedule, parse_schedule
from .normalize.web import normalize_email, normalize_website
from .validation import NAMESPACE, Origin, clean_service

#: Where saved column mappings live (``<source stem>.yaml``), unless given to the importer.
MAPPING_DIR_ENV = "SOCIALE_KAART_MAPPING_DIR"
#: Cells that mean "same as above".
DITTO = re.compile(r'^\s*(?:"|\'\'|〃|,,|„|idem|id\.|dito|ditto|zda|zie boven|")\s*$', re.I)
#: Words saying an activity has stopped.
STOPPED = re.compile(r"\b(?:gestopt|gestaakt|opgeheven|vervallen|ligt stil|bestaat niet meer|"
                     r"stopt|niet meer actief|geannuleerd|vervalt)\b", re.I)
_SECTION_PREFIX = re.compile(r"^\s*(?:kern|dorp|plaats|wijk|locatie|gemeente)\s*[:\-–]?\s*", re.I)
_ORG_NOISE = re.compile(r"\b(?:stichting|vereniging|vzw|bv|b v|de|het|en)\b")
_COURSE = re.compile(r"\b(?:cursus|training|workshop|workshopreeks|lessen|les|leergang)\b", re.I)
_AUDIENCE = {
    "kinderen": r"kind|kinderen|peuter|kleuter|basisschool|0-4|6-12",
    "jeugd": r"jongere|jongeren|jeugd|tiener|puber|meiden|jongens|12-18",
    "ouders": r"ouder(?:s)?\b|opvoeder|gezin",
    "volwassenen": r"volwassen|iedereen|alle inwoners",
    "ouderen": r"oudere|ouderen|senior|55\+|60\+|65\+|75\+|plusser",
    "mantelzorgers": r"mantelzorg",
    "met_beperking": r"beperking|handicap|nah\b|dementie|reuma",
    "nieuwkomers": r"nieuwkomer|statushouder|vluchteling|migrant|anderstalig",
    "vrijwilligers": r"vrijwilliger",
}


@dataclass
class RowData:
    """What one row says, normalised; the benchmark and the report read these."""

    row: int
    name: str
    organization: str | None = None
    description: str | None = None
    audience: str | None = None
    phones: tuple[str, ...] = ()
    #: Phone text that is no valid number, kept as written.
    unread_phones: tuple[str, ...] = ()
    email: str | None = None
    website: str | None = None
    street: str | None = None
    location_name: str | None = None
    postcode: str | None = None
    #: A postcode cell that is no postcode, kept as written.
    unread_postcode: str | None = None
    kern: KernResult | None = None
    no_address: bool = False
    schedules: tuple[ParsedSchedule, ...] = ()
    schedule_text: str | None = None
    cost: str | None = None
    cost_amount: float | None = None
    cost_text: str | None = None
    access: str | None = None
    access_text: str | None = None
    contact: str | None = None
    inactive: bool = False
    flags: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def phone(self) -> str | None:
        return self.phones[0] if self.phones else None

    @property
    def place(self) -> str | None:
        return self.kern.kern if self.kern else None


@dataclass
class SpreadsheetRecord(ImportedRecord):
    """One service made from one or more rows."""

    rows: list[RowData] = field(default_factory=list)


@dataclass(frozen=True)
class SkippedRow(RecordError):
    """A row below the header that is no activity (empty, a note, a section heading)."""

    record_type: str = "rij"


class SpreadsheetImporter(Importer):
    name = "spreadsheet"
    description = "Activity lists in xlsx, ods or csv with free-form Dutch headers"

    def __init__(self, feed: str | None = None, mapping_dir: Path | None = None,
                 today: date | None = None, save_proposal: bool = False) -> None:
        self.feed = feed
        env = os.environ.get(MAPPING_DIR_ENV)
        self.mapping_dir = mapping_dir or (Path(env) if env else None)
        self.today = today or date.today()
        self.save_proposal = save_proposal
        #: The mapping used per sheet, after :meth:`read` (for showing and saving).
        self.mappings: dict[str, ColumnMapping] = {}

    @classmethod
    def sniff(cls, path: Path) -> bool:
        if not path.is_file():
            return False
        suffix = path.suffix.lower()
        if suffix in XLSX_SUFFIXES + ODS_SUFFIXES:
            return True
        if suffix not in CSV_SUFFIXES:
            return False
        if (path.parent / "datapackage.json").exists():
            return False  # an HSDS CSV package
        with path.open("rb") as handle:
            head = handle.read(8192)
        try:
            text = decode(head, str(path))
        except UnusableInput:
            return False
        first = [line for line in text.splitlines()[:25] if line.strip(" ;,\t")]
        return any(header_score(re.split(r"[;,\t]", line)) >= 3 for line in first)

    # -- reading ---------------------------------------------------------------------------
    def read(self, path: Path) -> Iterator[ReadResult]:
        sheets = read_sheets(path)
        self._single = len(sheets) == 1
        usable = [(sheet, self._mapping(path, sheet)) for sheet in sheets]
        usable = [(sheet, mapping) for sheet, mapping in usable if mapping is not None]
        if not usable:
            raise UnusableInput(str(path), "no header row found: none of the first rows names "
                                "columns such as 'Naam', 'Dag', 'Adres' or 'Telefoon'; save a "
                                "column mapping (YAML) for this file")
        results: list[ReadResult] = []
        for sheet, mapping in usable:
            if mapping.column("name") is None:
                raise UnusableInput(str(path), f"sheet '{sheet.name}': no column holds the name "
                                    "of the activity (e.g. 'Naam' or 'Activiteit')")
            source = str(path) if len(usable) == 1 else f"{path}#{sheet.name}"
            self.mappings[sheet.name] = mapping
            results.extend(self._read_sheet(source, path, sheet, mapping))
        if not any(isinstance(r, ImportedRecord) or not isinstance(r, SkippedRow)
                   for r in results):
            raise UnusableInput(str(path), "no activities found below the header row")
        yield from results

    def _mapping_path(self, path: Path, sheet: Sheet) -> list[Path]:
        single = getattr(self, "_single", True)
        stem = path.stem if single or sheet.name in (path.stem, "") else \
            f"{path.stem}.{sheet.name}"
        candidates = [path.with_name(f"{stem}.mapping.yaml")]
        if self.mapping_dir:
            candidates.append(self.mapping_dir / f"{stem}.yaml")
        return candidates

    def _mapping(self, path: Path, sheet: Sheet) -> ColumnMapping | None:
        for candidate in self._mapping_path(path, sheet):
            if candidate.is_file():
                try:
                    return load_mapping(candidate, sheet.rows)
                except MappingFileError as exc:
                    raise UnusableInput(str(path), str(exc)) from None
        mapping = propose_mapping(sheet.rows)
        if mapping is not None and self.save_proposal and self.mapping_dir:
            save_mapping(mapping, self._mapping_path(path, sheet)[-1], path.name)
        return mapping

    def _read_sheet(self, source: str, path: Path, sheet: Sheet,
                    mapping: ColumnMapping) -> list[ReadResult]:
        reader = _RowReader(source, mapping, self.today)
        results: list[ReadResult] = []
        rows: list[RowData] = []
        for index in range(mapping.header_row, len(sheet.rows)):
            outcome = reader.read(index + 1, sheet.rows[index])
            if isinstance(outcome, RowData):
                rows.append(outcome)
            elif outcome is not None:
                results.append(outcome)
        reader.resolve_places(rows)
        feed = self.feed or "spreadsheet"
        for group in _group(rows):
            results.append(_service(source, feed, group))
        return sorted(results, key=_row_of)


def _row_of(result: ReadResult) -> int:
    if isinstance(result, SpreadsheetRecord):
        return result.rows[0].row
    return getattr(result, "line", None) or 0


# -- rows --------------------------------------------------------------------------------------

def _clean(value: Cell, multiline: bool = False) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFC", value)
    if multiline:
        lines = [" ".join(line.split()) for line in text.split("\n")]
        text = "\n".join(line for line in lines if line)
    else:
        text = " ".join(text.split())
    return text or None


class _RowReader:
    """Reads rows one by one, remembering the row above (ditto, continuation) and the section."""

    def __init__(self, source: str, mapping: ColumnMapping, today: date) -> None:
        self.source = source
        self.mapping = mapping
        self.columns = mapping.mapped()
        self.today = today
        self.previous: list[Cell] | None = None
        self.previous_row: RowData | None = None
        self.section_kern: str | None = None
        self.gazetteer = default_gazetteer()

    def header(self, fld: str) -> str:
        index = self.columns.get(fld)
        if index is None or index >= len(self.mapping.headers):
            return fld
        return self.mapping.headers[index].strip() or fld

    def read(self, number: int, raw: list[Cell]) -> RowData | RecordError | None:
        cells = list(raw)
        filled = [c for c in cells if c is not None and str(c).strip()]
        if not filled:
            return SkippedRow(self.source, "lege rij", line=number)
        if self.previous is not None:
            for i, value in enumerate(cells):
                if value is not None and DITTO.match(value) and i < len(self.previous):
                    cells[i] = self.previous[i]
        if len(filled) == 1:
            return self._single_cell(number, _clean(filled[0]) or "")
        get = self._getter(cells)
        name = get("name")
        continuation = False
        if not name and self.previous_row is not None:
            name = self.previous_row.name
            continuation = True
        if not name:
            return RecordError(self.source, "de rij heeft geen naam van een activiteit",
                               line=number, field=self.header("name"))
        row = self._row(number, name, get)
        if continuation:
            row.organization = row.organization or self.previous_row.organization
            row.warnings.append(f"rij {number}: naam overgenomen van de rij erboven "
                                f"({self.previous_row.row})")
        self.previous = cells
        self.previous_row = row
        return row

    def _single_cell(self, number: int, text: str) -> SkippedRow:
        """A one-cell row: a section heading naming a kern, or a note."""
        candidate = _SECTION_PREFIX.sub("", text).strip(" :")
        if candidate and len(candidate.split()) <= 4:
            place = self.gazetteer.by_place(candidate)
            if place is not None:
                self.section_kern = place.name
                return SkippedRow(self.source, f"kop: kern {place.name}", line=number)
        return SkippedRow(self.source, "notitie, geen activiteit", line=number)

    def _getter(self, cells: list[Cell]):
        def get(fld: str, multiline: bool = False) -> str | None:
            index = self.columns.get(fld)
            if index is None or index >= len(cells):
                return None
            return _clean(cells[index], multiline)
        return get

    def _warn(self, row: RowData, fld: str, value: str, what: str) -> None:
        row.warnings.append(f"rij {row.row}, kolom '{self.header(fld)}': '{value}' {what}; "
                            "als tekst bewaard")

    def _row(self, number: int, name: str, get) -> RowData:
        row = RowData(number, name, get("organization"), get("description", True), get("audience"))
        row.contact = get("contact")
        self._contacts(row, get)
        self._address(row, get)
        self._schedule(row, get)
        cost_text = get("cost")
        cost = parse_cost(cost_text)
        row.cost, row.cost_amount, row.cost_text = cost.category, cost.amount, cost_text
        if not cost.readable:
            self._warn(row, "cost", cost_text or "", "is geen bedrag of 'gratis'")
        access_text = get("access")
        access = parse_access(access_text)
        row.access, row.access_text = access.access, access_text
        if not access.readable:
            self._warn(row, "access", access_text or "", "zegt niet of aanmelden nodig is")
        texts = [name, get("notes"), get("status"), get("days")]
        if any(t and STOPPED.search(t) for t in texts):
            row.inactive = True
            row.flags.append("inactief")
            row.warnings.append(f"rij {number}: de activiteit is gestopt; als inactief ingelezen")
        return row

    def _contacts(self, row: RowData, get) -> None:
        phone_text = get("phone")
        phones = parse_phones(phone_text)
        row.phones, row.unread_phones = phones.numbers, phones.unreadable
        for bad in phones.unreadable:
            self._warn(row, "phone", bad, "is geen geldig telefoonnummer")
        email_text = get("email")
        row.email, ok = normalize_email(email_text)
        if not ok:
            self._warn(row, "email", email_text or "", "is geen e-mailadres")
        site_text = get("website")
        row.website, ok = normalize_website(site_text)
        if not ok:
            self._warn(row, "website", site_text or "", "is geen website")

    def _address(self, row: RowData, get) -> None:
        address = split_address(get("address", True))
        number = get("house_number")
        street = address.street
        if street is None and address.location_name and number:
            street, address_name = f"{address.location_name} {number}", None
        else:
            address_name = address.location_name
        row.street = street
        row.location_name = get("location_name") or address_name
        row.no_address = address.no_address
        postcode_text = get("postcode")
        postcode = normalize_postcode(postcode_text)
        if not postcode.readable:
            self._warn(row, "postcode", postcode_text or "", "is geen postcode")
            row.unread_postcode = postcode_text
        row.postcode = postcode.value or address.postcode
        place_text = get("place")
        if place_text is None and self.section_kern:
            place_text = self.section_kern
            row.flags.append("kern_uit_kop")
        row.kern = KernResult(place_text, None, None, "pending") if place_text else None

    def _schedule(self, row: RowData, get) -> None:
        days, time_text = get("days"), get("time")
        start, end = get("time_from"), get("time_to")
        if start or end:
            extra = f"{start or ''} - {end}" if end and start else (start or f"tot {end} uur")
            time_text = f"{time_text} {extra}" if time_text else extra
        for fld, prefix in (("start_date", "vanaf"), ("end_date", "t/m")):
            value = get(fld)
            if value:
                days = f"{days or ''} {prefix} {value}".strip()
        result = parse_schedule(days, time_text, self.today)
        row.schedules = result.schedules
        row.schedule_text = " ".join(t for t in (days, time_text) if t) or None
        for problem in result.problems:
            row.warnings.append(f"rij {row.row}, kolom '{self.header('days')}': {problem}")
        if result.unreadable and not result.problems:
            self._warn(row, "days", row.schedule_text or "", "is geen dag of tijd")

    def resolve_places(self, rows: list[RowData]) -> None:
        """Kernen, once all rows are read: the list's municipalities (from the postcodes) are the
        pool for misspellings and homonyms."""
        municipalities = Counter()
        for row in rows:
            place = self.gazetteer.by_postcode(row.postcode) if row.postcode else None
            if place:
                municipalities[place.municipality] += 1
        prefer = frozenset(m for m, _ in municipalities.most_common(3))
        for row in rows:
            typed = row.kern.kern if row.kern else None
            result = resolve_kern(typed, row.postcode, prefer, self.gazetteer)
            row.kern = result
            row.flags.extend(f for f in result.notes if f not in row.flags)
            if result.how == "unknown":
                self._warn(row, "place", typed or "", "is geen bekende kern")
            elif result.how == "postcode" and typed:
                row.warnings.append(f"rij {row.row}, kolom '{self.header('place')}': '{typed}' "
                                    f"niet gevonden; kern {result.kern} uit de postcode")
            elif result.how == "postcode":
                row.warnings.append(f"rij {row.row}: geen plaats; kern {result.kern} uit de "
                                    "postcode")


# -- grouping rows into services -----------------------------------------------------------------

def _org_key(name: str | None) -> str:
    """``St. Mens & Meierij`` = ``Stichting Mens en Meierij`` = ``Mens & Meierij``."""
    text = re.sub(r"^\s*st\.?\s", "stichting ", (name or "").lower()).replace("&", " en ")
    return " ".join(_ORG_NOISE.sub(" ", fold_name(text)).split())


def _same_activity(a: RowData, b: RowData) -> bool:
    """Two rows describe one activity: same name and organisation, or a near-identical name of the
    same organisation at the same address or phone (one row per weekday or location)."""
    if fold_name(a.name) == fold_name(b.name):
        return _org_key(a.organization) == _org_key(b.organization) or \
            not a.organization or not b.organization
    if fuzz.token_set_ratio(fold_name(a.name), fold_name(b.name)) < 95:
        return False
    if fuzz.ratio(_org_key(a.organization), _org_key(b.organization)) < 85:
        return False
    same_place = bool(a.street and a.street == b.street and a.postcode == b.postcode)
    return same_place or bool(set(a.phones) & set(b.phones))


def _group(rows: list[RowData]) -> list[list[RowData]]:
    groups: list[list[RowData]] = []
    for row in rows:
        for group in groups:
            if _same_activity(group[0], row):
                group.append(row)
                break
        else:
            groups.append([row])
    return groups


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def _service(source: str, feed: str, rows: list[RowData]) -> ReadResult:
    """One HSDS service from the rows of one activity, validated like any HSDS input."""
    first = rows[0]
    municipality = next((r.kern.municipality for r in rows if r.kern and r.kern.municipality), "")
    key = f"{fold_name(first.name)}|{_org_key(first.organization)}"
    service_id = _uuid(feed, "service", municipality or "", key)
    org_name = max((r.organization for r in rows if r.organization), key=len,
                   default=first.organization) or first.name
    org_id = _uuid("spreadsheet", "organization", _org_key(org_name) or fold_name(org_name))
    phones = list(dict.fromkeys(p for r in rows for p in r.phones))
    unread = [p for p in dict.fromkeys(p for r in rows for p in r.unread_phones)
              if p not in phones]
    service: dict[str, Any] = {
        "id": service_id,
        "name": first.name,
        "description": next((r.description for r in rows if r.description), None),
        "email": next((r.email for r in rows if r.email), None),
        "url": next((r.website for r in rows if r.website), None),
        "status": "inactive" if any(r.inactive for r in rows) else "active",
        "fees_description": next((r.cost_text for r in rows if r.cost_text), None),
        "application_process": next((r.access_text for r in rows if r.access_text), None),
        "eligibility_description": next((r.audience for r in rows if r.audience), None),
        "organization": {"id": org_id, "name": org_name},
        "phones": [{"id": _uuid(service_id, "phone", p), "number": p, "type": "voice"}
                   for p in phones] + [
            {"id": _uuid(service_id, "phone", p), "number": p,
             "description": "niet herkend als telefoonnummer; controleren"} for p in unread],
        "contacts": [{"id": _uuid(service_id, "contact", c), "title": c}
                     for c in dict.fromkeys(r.contact for r in rows if r.contact)],
    }
    sals, schedules = _locations(service_id, rows)
    service["service_at_locations"] = sals
    service["schedules"] = schedules
    service["service_areas"] = _areas(service_id, rows, sals)
    service["cost_options"] = _costs(service_id, rows)
    service["attributes"] = _attributes(service_id, rows)
    origin = Origin(source, first.row)
    result = clean_service({k: v for k, v in service.items() if v not in (None, "")}, origin,
                           feed, text_values=True)
    row_warnings = [w for r in rows for w in r.warnings]
    if isinstance(result, RecordError):
        return result
    return SpreadsheetRecord(result.service, source, first.row,
                             [*row_warnings, *_quiet(result.warnings)], rows=rows)


def _quiet(warnings: list[str]) -> list[str]:
    """Validation warnings a list can never avoid (it has no organisation description) are
    noise in a per-row report."""
    return [w for w in warnings if "organization" not in w or "description" not in w]


def _schedule_dict(owner: str, index: int, schedule: ParsedSchedule) -> dict[str, Any]:
    data = schedule.to_hsds()
    data["id"] = _uuid(owner, "schedule", str(index), schedule.byday, schedule.opens_at or "")
    return data


def _row_schedules(owner: str, rows: list[RowData]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        if row.schedules:
            for schedule in row.schedules:
                key = (schedule.freq, schedule.byday, schedule.interval, schedule.opens_at,
                       schedule.closes_at, schedule.dtstart, schedule.daypart)
                if key not in seen:
                    seen.add(key)
                    out.append(_schedule_dict(owner, len(out), schedule))
        elif row.schedule_text and row.schedule_text not in seen:
            seen.add((row.schedule_text,))
            out.append({"id": _uuid(owner, "schedule-text", row.schedule_text),
                        "description": row.schedule_text})
    return out


def _locations(service_id: str, rows: list[RowData]) -> tuple[list[dict[str, Any]],
                                                               list[dict[str, Any]]]:
    """Service_at_locations (one per distinct address) and the service's own schedules. With one
    location the schedules belong to the service; with several, each to its location."""
    by_address: dict[str, list[RowData]] = {}
    homeless: list[RowData] = []
    for row in rows:
        if row.street and row.kern and row.kern.kern:
            key = f"{fold_name(row.street)}|{(row.postcode or '').replace(' ', '')}"
            by_address.setdefault(key, []).append(row)
        else:
            homeless.append(row)
    sals = []
    for key, members in by_address.items():
        first = members[0]
        location_id = _uuid("spreadsheet", "location", key, fold_name(first.kern.kern))
        address = {
            "id": _uuid(location_id, "address"), "address_1": first.street,
            "city": first.kern.kern, "region": first.kern.municipality,
            "state_province": first.kern.province,
            "postal_code": first.postcode or first.unread_postcode,
            "country": "NL", "address_type": "physical",
        }
        location = {"id": location_id, "location_type": "physical",
                    "name": first.location_name or first.street,
                    "addresses": [{k: v for k, v in address.items() if v}]}
        sal: dict[str, Any] = {"id": _uuid(service_id, "sal", location_id), "location": location}
        if len(by_address) > 1:
            sal["schedules"] = _row_schedules(sal["id"], members)
        sals.append(sal)
    schedules = _row_schedules(service_id, rows if len(by_address) <= 1 else homeless)
    return sals, schedules


def _areas(service_id: str, rows: list[RowData], sals: list[dict[str, Any]]) -> list[dict]:
    """A service without an address (home visits, by phone) serves its municipality."""
    if sals:
        return []
    names = list(dict.fromkeys(r.kern.municipality for r in rows if r.kern and
                               r.kern.municipality))
    return [{"id": _uuid(service_id, "area", n), "name": n, "extent_type": "text"} for n in names]


def _costs(service_id: str, rows: list[RowData]) -> list[dict[str, Any]]:
    row = next((r for r in rows if r.cost), None)
    if row is None:
        return []
    option: dict[str, Any] = {"id": _uuid(service_id, "cost"), "option": row.cost,
                              "currency": "EUR", "amount_description": row.cost_text}
    if row.cost_amount is not None:
        option["amount"] = row.cost_amount
    return [option]


def _attributes(service_id: str, rows: list[RowData]) -> list[dict[str, Any]]:
    """Our facets: toegang, kosten, soort (cursus when it has a start date or says so),
    doelgroep (from the 'voor wie' text)."""
    from sociale_kaart.services.taxonomy import terms_by_facet

    wanted: list[tuple[str, str]] = []
    access = next((r.access for r in rows if r.access), None)
    if access:
        wanted.append(("toegang", access))
    cost = next((r.cost for r in rows if r.cost), None)
    if cost:
        wanted.append(("kosten", cost))
    if any(s.dtstart for r in rows for s in r.schedules) or _COURSE.search(rows[0].name):
        wanted.append(("soort", "cursus"))
    audience = " ".join(r.audience for r in rows if r.audience).lower()
    for code, pattern in _AUDIENCE.items():
        if audience and re.search(pattern, audience):
            wanted.append(("doelgroep", code))
    out = []
    terms = terms_by_facet()
    for facet, code in wanted:
        term = terms.get(facet, {}).get(code)
        if term is None:
            continue
        out.append({"id": _uuid(service_id, "attribute", facet, code), "link_type": facet,
                    "value": code, "taxonomy_term": {"id": term.id, "code": term.code,
                                                     "name": term.name,
                                                     "description": term.description
                                                     or term.name}})
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m importers.spreadsheet FILE [--save DIR]``: show (and save) the column mapping
    the importer proposes, so the beheerder can correct it before importing."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--save", type=Path, help="folder to save the mapping YAML in")
    args = parser.parse_args(argv)
    importer = SpreadsheetImporter(mapping_dir=args.save, save_proposal=bool(args.save))
    try:
        list(importer.read(args.file))
    except UnusableInput as exc:
        print(f"Fout: {exc}")
        return 2
    for sheet, mapping in importer.mappings.items():
        print(f"{sheet}: kopregel {mapping.header_row}")
        for index, header in enumerate(mapping.headers):
            print(f"  {header.strip() or f'kolom {index + 1}'!s:30} → "
                  f"{mapping.fields.get(index) or '(overslaan)'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
