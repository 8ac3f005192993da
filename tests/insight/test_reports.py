"""The report downloads: the spreadsheet opens with openpyxl and holds the dashboard's figures,
the PDF renders (pdftoppm) and its text (pdftotext) holds the headline figures, the CSV too."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest
from kit_insight import ANALIST, build, client_for, parse, period_args, table, text
from openpyxl import load_workbook


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build(tmp_path_factory.mktemp("reports"))


@pytest.fixture(scope="module")
def client(world):
    return client_for(world.app, ANALIST)


def sheet_tables(sheet) -> dict[str, list[list]]:
    """Tables of a sheet by title: the rows after the header, up to the next empty row."""
    tables: dict[str, list[list]] = {}
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    index = 1
    while index < len(rows):
        if rows[index] and rows[index][0] and all(v is None for v in rows[index][1:]) \
                and index + 1 < len(rows) and rows[index + 1] and rows[index + 1][0]:
            title = rows[index][0]
            body = []
            index += 2
            while index < len(rows) and any(v is not None for v in rows[index]):
                body.append([v for v in rows[index]])
                index += 1
            tables[title] = body
        index += 1
    return tables


def dashboard(client, path: str = "/inzicht/") -> str:
    return client.get(path, query_string=period_args()).get_data(as_text=True)


def test_xlsx_has_one_sheet_per_part_and_the_dashboard_figures(client, tmp_path):
    response = client.get("/inzicht/rapport.xlsx", query_string=period_args())
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    path = tmp_path / "rapport.xlsx"
    path.write_bytes(response.data)
    book = load_workbook(path)
    assert book.sheetnames == ["Overzicht", "Zoekgedrag", "Dekking", "Indicatoren",
                               "Datakwaliteit"]
    page = dashboard(client)
    searches = sheet_tables(book["Zoekgedrag"])
    figures = {row[0]: row[1] for row in searches["Kerncijfers"]}
    assert figures["Zoekopdrachten"] == int(text(page, "cijfer-zoekopdrachten"))
    assert figures["Zonder resultaat"] == int(text(page, "cijfer-zonder-resultaat"))
    assert figures["Met resultaat maar zonder klik"] == int(text(page, "cijfer-zonder-klik"))
    assert figures["Kliks op aanbod"] == int(text(page, "cijfer-kliks"))
    assert figures["Aandeel met een plaats"] == text(page, "cijfer-plaats")
    top = next(rows for title, rows in searches.items() if title.startswith("Meest gezocht"))
    assert [[str(v) for v in row] for row in top] == table(page, "tabel-top")

    indicators_page = dashboard(client, "/inzicht/opgaven")
    sheet = sheet_tables(book["Indicatoren"])["Cijfers per opgave"]
    tables = parse(indicators_page).tables
    first = {r[0]: [int(v) for v in r[1:]] for r in tables["indicatoren-4"][1:]}
    care = {row[1]: row[2:] for row in sheet if row[0] == "Mantelzorgondersteuning"}
    assert care == first

    quality_page = dashboard(client, "/inzicht/kwaliteit")
    quality = {row[0]: row[1] for row in sheet_tables(book["Datakwaliteit"])["Kerncijfers"]}
    assert quality["Actief aanbod"] == int(text(quality_page, "cijfer-actief"))
    assert quality["Open meldingen"] == int(text(quality_page, "cijfer-open-meldingen"))
    assert quality["Zonder telefoon of e-mail"] == int(text(quality_page, "cijfer-contact"))
    assert quality["Vermoedelijk dubbel (paren)"] == 1

    coverage_page = client.get("/inzicht/dekking").get_data(as_text=True)
    coverage = next(iter(sheet_tables(book["Dekking"]).values()))
    assert [[str(r[1]), str(r[3]), str(r[4])] for r in coverage] == \
        [[r[0], r[2], r[3]] for r in table(coverage_page, "tabel-dekking")]


def test_pdf_renders_and_holds_the_headline_figures(client, tmp_path):
    if not shutil.which("pdftoppm") or not shutil.which("pdftotext"):
        pytest.fail("poppler-utils (pdftoppm, pdftotext) are needed: apt-get install "
                    "poppler-utils")
    response = client.get("/inzicht/rapport.pdf", query_string=period_args())
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    pdf = tmp_path / "rapport.pdf"
    pdf.write_bytes(response.data)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    assert list(tmp_path.glob("page*.png"))
    words = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True, timeout=60).stdout
    page = dashboard(client)
    quality_page = dashboard(client, "/inzicht/kwaliteit")
    lines = {" ".join(line.split()) for line in words.splitlines()}
    assert f"Zoekopdrachten {text(page, 'cijfer-zoekopdrachten')}" in lines
    assert f"Zonder resultaat {text(page, 'cijfer-zonder-resultaat')}" in lines
    assert f"Zonder klik {text(page, 'cijfer-zonder-klik')}" in lines
    assert f"Met een plaats {text(page, 'cijfer-plaats')}" in lines
    assert f"Actief aanbod {text(quality_page, 'cijfer-actief')}" in lines
    assert "Indicatoren per opgave" in words and "Mantelzorgondersteuning" in words


def test_csv_holds_every_table(client):
    response = client.get("/inzicht/rapport.csv", query_string=period_args())
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    page = dashboard(client)
    assert ["Zoekopdrachten", text(page, "cijfer-zoekopdrachten")] in rows
    titles = [r[0] for r in rows if len(r) == 1]
    for title in ("Zoekgedrag van inwoners: Kerncijfers", "Dekking per kern: Alle aanbod",
                  "Indicatoren per opgave: Cijfers per opgave", "Datakwaliteit: Kerncijfers"):
        assert any(t.startswith(title) for t in titles), title


def test_unknown_format_and_bad_period(client):
    assert client.get("/inzicht/rapport.doc").status_code == 404
    assert client.get("/inzicht/rapport.xlsx?van=morgen").status_code == 400
