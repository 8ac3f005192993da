"""The spreadsheet importer on lists made here, with the mess real lists have."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from importers.base import ImportedRecord, RecordError, UnusableInput
from importers.registry import detect
from importers.spreadsheet import SkippedRow, SpreadsheetImporter, SpreadsheetRecord

TODAY = date(2026, 12, 1)
HEADERS = ["Wat", "Aanbieder", "Wanneer", "Hoe laat", "Straat", "PC", "Dorp", "Bellen",
           "Mail", "Prijs", "Opgeven?", "Bijzonderheden"]


def _xlsx(path: Path, rows: list[list[object]], merges: tuple[str, ...] = ()) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Lijst"
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    book.save(path)
    return path


def _read(path: Path) -> list:
    return list(SpreadsheetImporter(today=TODAY).read(path))


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    rows = [
        ["Activiteitenlijst Dorpsraad 2027"] + [None] * 11,
        [None] * 12,
        HEADERS,
        ["Kern Werkendam"] + [None] * 11,
        ["Taalcafé  ", "Bibliotheek", "di + do", "14.00–16.00 u.", "Hoogstraat 12", "4251xw",
         None, "tel. 0183-502460", "info@bieb.example", "gratis", "Nee", None],
        ["Huiskamer", "St. Welzijn", "dinsdags", "'s ochtends", "Kerkstraat 1", "4251 AB",
         "Werkendam", "0183 612 480", None, "€ 1,00", "nee", None],
        [None, "Stichting Welzijn", "vrijdag", "13:30-16:00 uur", "Kerkstraat 1", "4251 AB",
         '"', "0183612480", None, "€ 1,00", "nee", None],
        ["Klaverjassen", "Buurtvereniging", "2e donderdag v/d maand", "19.30-22.00",
         "Dorpsstraat 3", "4255 AK", "Nieuwendijk", "12345", None, "€ 2 inclusief koffie",
         "ja", "GESTOPT"],
        [None] * 12,
        ["Bijgewerkt door de redactie op 1-12-2026, wijzigingen graag doorgeven."] + [None] * 11,
    ]
    return _xlsx(tmp_path / "lijst.xlsx", rows, ("A6:A7",))


def test_messy_list(messy: Path):
    results = _read(messy)
    records = [r for r in results if isinstance(r, SpreadsheetRecord)]
    skipped = {r.line: r.reason for r in results if isinstance(r, SkippedRow)}
    assert skipped == {4: "kop: kern Werkendam", 9: "lege rij", 10: "notitie, geen activiteit"}
    assert [[row.row for row in r.rows] for r in records] == [[5], [6, 7], [8]]
    taalcafe, huiskamer, klaverjas = records
    # the section row supplies the kern; the name is whitespace-collapsed
    assert taalcafe.service["name"] == "Taalcafé"
    address = taalcafe.service["service_at_locations"][0]["location"]["addresses"][0]
    assert (address["city"], address["postal_code"]) == ("Werkendam", "4251 XW")
    assert taalcafe.service["phones"][0]["number"] == "+31183502460"
    schedule = taalcafe.service["schedules"][0]
    assert (schedule["byday"], schedule["opens_at"], schedule["closes_at"]) == \
        ("TU,TH", "14:00:00", "16:00:00")
    # a merged name over two rows: one listing with two schedules
    assert sorted(s["byday"] for s in huiskamer.service["schedules"]) == ["FR", "TU"]
    assert huiskamer.rows[1].place == "Werkendam"  # ditto mark
    # stopped, unreadable phone kept as text and flagged with row and column
    assert klaverjas.service["status"] == "inactive"
    assert {"number": "12345"}.items() <= klaverjas.service["phones"][0].items()
    assert any("rij 8, kolom 'Bellen': '12345'" in w for w in klaverjas.warnings)
    assert klaverjas.rows[0].schedules[0].byday == "2TH"


def test_facets_and_costs(messy: Path):
    record = next(r for r in _read(messy) if isinstance(r, SpreadsheetRecord))
    facets = {(a["link_type"], a["value"]) for a in record.service["attributes"]}
    assert {("toegang", "vrij"), ("kosten", "gratis")} <= facets
    assert record.service["cost_options"][0]["option"] == "gratis"


def test_rows_without_a_name_are_rejected_with_row_and_column(tmp_path: Path):
    path = tmp_path / "lijst.csv"
    path.write_text("Naam;Dag;Telefoon\n;dinsdag;0183-612480\nTaalcafé;woensdag;0183-612480\n",
                    encoding="utf-8")
    results = _read(path)
    errors = [r for r in results if type(r) is RecordError]
    assert [(e.line, e.field) for e in errors] == [(2, "Naam")]
    assert sum(isinstance(r, ImportedRecord) for r in results) == 1


def test_csv_windows_1252_with_van_tot_columns(tmp_path: Path):
    path = tmp_path / "inloop.csv"
    text = "Activiteit;Dag;Van;Tot;Postcode;Plaats;Kosten\r\n" \
           "Koffie & praat;maandags;9u30;11.00;5461 LD;Veghel;€ 0,-\r\n"
    path.write_bytes(text.encode("cp1252"))
    assert detect(path, load_plugins=False) is SpreadsheetImporter
    [record] = _read(path)
    schedule = record.rows[0].schedules[0]
    assert (schedule.byday, schedule.opens_at, schedule.closes_at) == ("MO", "09:30", "11:00")
    assert record.rows[0].cost == "gratis"


def test_ods(tmp_path: Path):
    import zipfile

    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
        '<office:spreadsheet><table:table table:name="Blad1">'
        '<table:table-row><table:table-cell><text:p>Naam</text:p></table:table-cell>'
        '<table:table-cell><text:p>Dag</text:p></table:table-cell>'
        '<table:table-cell><text:p>Plaats</text:p></table:table-cell></table:table-row>'
        '<table:table-row><table:table-cell table:number-rows-spanned="2"><text:p>Soos</text:p>'
        '</table:table-cell><table:table-cell><text:p>ma</text:p></table:table-cell>'
        '<table:table-cell><text:p>Hank</text:p></table:table-cell></table:table-row>'
        '<table:table-row><table:covered-table-cell/><table:table-cell><text:p>do</text:p>'
        '</table:table-cell><table:table-cell><text:p>Hank</text:p></table:table-cell>'
        '</table:table-row><table:table-row table:number-rows-repeated="1048000">'
        '<table:table-cell/></table:table-row>'
        '</table:table></office:spreadsheet></office:body></office:document-content>')
    path = tmp_path / "lijst.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    [record] = _read(path)
    assert sorted(s["byday"] for s in record.service["schedules"]) == ["MO", "TH"]


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf;;;\r\n;;\r\n", b"just some words\n",
                                     b"Naam;Dag\n"])
def test_bad_or_empty_csv_is_unusable(tmp_path: Path, content: bytes):
    path = tmp_path / "lijst.csv"
    path.write_bytes(content)
    with pytest.raises(UnusableInput):
        _read(path)


def test_broken_xlsx_is_unusable(tmp_path: Path):
    path = tmp_path / "kapot.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(UnusableInput, match="xlsx"):
        _read(path)


def test_saved_mapping_is_used(tmp_path: Path):
    path = _xlsx(tmp_path / "raar.xlsx", [["Ding", "Moment"], ["Soos", "elke maandag"]])
    with pytest.raises(UnusableInput, match="header"):
        _read(path)
    (tmp_path / "raar.mapping.yaml").write_text(
        "header_row: 1\ncolumns:\n  Ding: name\n  Moment: days\n", encoding="utf-8")
    [record] = _read(path)
    assert record.rows[0].schedules[0].byday == "MO"


def test_proposal_is_saved_for_next_time(tmp_path: Path, messy: Path):
    importer = SpreadsheetImporter(mapping_dir=tmp_path / "kolommen", save_proposal=True,
                                   today=TODAY)
    list(importer.read(messy))
    saved = (tmp_path / "kolommen" / "lijst.yaml").read_text(encoding="utf-8")
    assert "Bellen: phone" in saved and "header_row: 3" in saved


def test_same_ids_on_reimport(messy: Path):
    first = [r.id for r in _read(messy) if isinstance(r, ImportedRecord)]
    assert first == [r.id for r in _read(messy) if isinstance(r, ImportedRecord)]
