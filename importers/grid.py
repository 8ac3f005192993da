"""Spreadsheet files (xlsx, ods, csv) → a grid of cell values, with merged cells filled down.

Why one grid for all three formats: the activity-list logic (header row, fill-down, section rows,
notes) must not care where a list came from. Row numbers are kept as a spreadsheet program shows
them (xlsx/ods: the sheet row; csv: the record number ``csv.reader`` yields, header included), so
messages point at the row the beheerder sees.

Merged cells: a value merged *down* over several rows (one activity, several weekdays) is
copied into every row it covers; a value merged *across* (a title over all columns) stays in its
first cell, so a title or a note still looks like a one-cell row.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from xml.etree import ElementTree

from .base import UnusableInput

MAX_BYTES = 100 * 1024 * 1024
MAX_ROWS = 100_000
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ODS_SUFFIXES = (".ods",)
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
Cell = str | None


@dataclass
class Sheet:
    """One sheet as text cells; ``rows[i]`` is spreadsheet row ``i + 1``."""

    name: str
    rows: list[list[Cell]]


def cell_text(value: object) -> Cell:
    """A cell value as the text a person reads (dates ``9-3-2027``, times ``10:00``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return f"{value.day}-{value.month}-{value.year}"
        if value.date() == date(1899, 12, 30) or value.year < 1900:
            return value.strftime("%H:%M")
        return f"{value.day}-{value.month}-{value.year} {value:%H:%M}"
    if isinstance(value, date):
        return f"{value.day}-{value.month}-{value.year}"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    return text if text.strip() else None


def read_sheets(path: Path) -> list[Sheet]:
    """All sheets of ``path``; UnusableInput when it is not a readable spreadsheet."""
    source = str(path)
    if not path.is_file():
        raise UnusableInput(source, "is not a file")
    size = path.stat().st_size
    if size == 0:
        raise UnusableInput(source, "empty file")
    if size > MAX_BYTES:
        raise UnusableInput(source, f"larger than {MAX_BYTES // 2**20} MB")
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path)
    if suffix in ODS_SUFFIXES:
        return _read_ods(path)
    return [_read_csv(path)]


# -- xlsx ------------------------------------------------------------------------------------------

def _read_xlsx(path: Path) -> list[Sheet]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken zip or XML
        raise UnusableInput(str(path), f"not a readable xlsx file ({exc.__class__.__name__})") \
            from None
    sheets = []
    for ws in book.worksheets:
        if ws.max_row > MAX_ROWS:
            raise UnusableInput(str(path), f"sheet '{ws.title}' has more than {MAX_ROWS} rows")
        rows = [[cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        spans = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
        _fill_merged(rows, spans)
        sheets.append(Sheet(ws.title, rows))
    return sheets


def _fill_merged(rows: list[list[Cell]], spans: list[tuple[int, int, int, int]]) -> None:
    """Copy a value merged down into the rows below it (1-based inclusive spans)."""
    for min_row, min_col, max_row, _max_col in spans:
        if max_row <= min_row or min_row > len(rows):
            continue
        top = rows[min_row - 1]
        value = top[min_col - 1] if min_col - 1 < len(top) else None
        for r in range(min_row, min(max_row, len(rows))):
            row = rows[r]
            while len(row) < min_col:
                row.append(None)
            if row[min_col - 1] is None:
                row[min_col - 1] = value


# -- ods -------------------------------------------------------------------------------------------

_NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}


def _q(prefix: str, name: str) -> str:
    return f"{{{_NS[prefix]}}}{name}"


def _read_ods(path: Path) -> list[Sheet]:
    """ODS via zip + XML (no extra dependency): values, repeats, and row spans of merges."""
    try:
        with zipfile.ZipFile(path) as archive:
            content = archive.read("content.xml")
        root = ElementTree.fromstring(content)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise UnusableInput(str(path), f"not a readable ods file ({exc.__class__.__name__})") \
            from None
    sheets = []
    for table in root.iter(_q("table", "table")):
        rows: list[list[Cell]] = []
        spans: list[tuple[int, int, int, int]] = []
        for row in table.iter(_q("table", "table-row")):
            cells = _ods_row(row, len(rows) + 1, spans)
            repeat = int(row.get(_q("table", "number-rows-repeated"), "1"))
            if not any(cells) and repeat > 1000:
                break  # the endless empty tail of a sheet
            for _ in range(repeat):
                rows.append(list(cells))
                if len(rows) > MAX_ROWS:
                    raise UnusableInput(str(path), f"more than {MAX_ROWS} rows")
        while rows and not any(rows[-1]):
            rows.pop()
        _fill_merged(rows, spans)
        sheets.append(Sheet(table.get(_q("table", "name"), f"blad {len(sheets) + 1}"), rows))
    return sheets


def _ods_row(row: ElementTree.Element, row_number: int,
             spans: list[tuple[int, int, int, int]]) -> list[Cell]:
    cells: list[Cell] = []
    for cell in row:
        if cell.tag not in (_q("table", "table-cell"), _q("table", "covered-table-cell")):
            continue
        repeat = int(cell.get(_q("table", "number-columns-repeated"), "1"))
        value = _ods_value(cell) if cell.tag == _q("table", "table-cell") else None
        rows_spanned = int(cell.get(_q("table", "number-rows-spanned"), "1"))
        if rows_spanned > 1:
            spans.append((row_number, len(cells) + 1, row_number + rows_spanned - 1,
                          len(cells) + 1))
        if value is None and repeat > 256:
            repeat = 1
        cells.extend([value] * repeat)
    while cells and cells[-1] is None:
        cells.pop()
    return cells


def _ods_value(cell: ElementTree.Element) -> Cell:
    kind = cell.get(_q("office", "value-type"))
    if kind in ("float", "percentage", "currency"):
        raw = cell.get(_q("office", "value"), "")
        try:
            number = float(raw)
        except ValueError:
            number = None
        if number is not None and kind == "float":
            return cell_text(number)
    if kind == "date":
        raw = cell.get(_q("office", "date-value"), "")
        try:
            return cell_text(datetime.fromisoformat(raw) if "T" in raw else date.fromisoformat(raw))
        except ValueError:
            pass
    if kind == "time":
        match = re.match(r"PT(\d+)H(\d+)M", cell.get(_q("office", "time-value"), ""))
        if match:
            return f"{int(match.group(1)):02d}:{int(match.group(2)):02d}"
    paragraphs = ["".join(p.itertext()) for p in cell.iter(_q("text", "p"))]
    return cell_text("\n".join(paragraphs))


# -- csv -------------------------------------------------------------------------------------------

def decode(data: bytes, source: str) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, the two encodings lists come in."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnusableInput(source, "is neither UTF-8 nor Windows-1252 text")


def _read_csv(path: Path) -> Sheet:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise UnusableInput(str(path), "is a binary file, not CSV text")
    text = decode(data, str(path))
    if not text.strip(" \r\n;,\t"):
        raise UnusableInput(str(path), "empty file (no values)")
    delimiter = _delimiter(text)
    rows = [[cell_text(v) for v in row]
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return Sheet(path.stem, rows)


def _delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:30])
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t|").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ";,\t|"}
        return max(counts, key=lambda d: counts[d])
