"""Access answers and the column mapping of free-form headers (with its YAML file)."""

from __future__ import annotations

import pytest

from importers.normalize.access import parse_access
from importers.normalize.headers import (
    MappingFileError,
    find_header_row,
    load_mapping,
    propose_fields,
    propose_mapping,
    save_mapping,
)
from importers.normalize.web import normalize_email, normalize_website


@pytest.mark.parametrize(("text", "expected"), [
    ("aanmelden: ja", "aanmelden"),
    ("ja", "aanmelden"),
    ("Ja (vol = vol)", "aanmelden"),
    ("ja, vooraf bellen", "aanmelden"),
    ("graag aanmelden", "aanmelden"),
    ("opgeven via mail of telefoon", "aanmelden"),
    ("Nee", "vrij"),
    ("nee, vrije inloop", "vrij"),
    ("Nee, gewoon binnenlopen", "vrij"),
    ("niet nodig", "vrij"),
    ("vrije inloop", "vrij"),
    ("via huisarts of hulpverlener", "verwijzing"),
    ("alleen met indicatie", "verwijzing"),
    (None, None),
    ("", None),
])
def test_access(text, expected):
    assert parse_access(text).access == expected


def test_unknown_access_text_is_flagged():
    assert not parse_access("zie folder").readable


@pytest.mark.parametrize(("headers", "expected"), [
    (["Naam activiteit", "Dag(en)", "Tijd ", "Tel.", "Plaats/kern", "Aanmelden?", "Kosten "],
     ["name", "days", "time", "phone", "place", "access", "cost"]),
    (["Locatie", "Activiteit", "Dag", "Van", "Tot", "Telefoonnummer", "E-mail", ""],
     ["location_name", "name", "days", "time_from", "time_to", "phone", "email", None]),
    (["Activity", "Organisation", "When", "Phone", "Postal code", "Town", "Price"],
     ["name", "organization", "days", "phone", "postcode", "place", "cost"]),
    (["Titel", "Aanbieder", "Wanneer", "Telefoonnr", "Woonplaats", "Prijs"],
     ["name", "organization", "days", "phone", "place", "cost"]),
])
def test_header_synonyms(headers, expected):
    assert list(propose_fields(headers).values()) == expected


def test_header_row_below_title_rows():
    rows = [["Overzicht activiteiten 2026", None, None], [None, None, None],
            ["Naam", "Dag", "Telefoon"], ["Taalcafé", "dinsdag", "0183-612480"]]
    assert find_header_row(rows) == 2


def test_mapping_round_trip_and_moved_columns(tmp_path):
    rows = [["Wat", "Wanneer", "Bellen"], ["Taalcafé", "di", "0183-612480"]]
    mapping = propose_mapping([["Naam", "Wanneer", "Bellen"], *rows[1:]])
    assert mapping is not None
    mapping.fields[2] = "phone"  # the beheerder explains the odd header
    path = tmp_path / "lijst.yaml"
    save_mapping(mapping, path)
    text = path.read_text(encoding="utf-8").replace("Naam:", "Wat:")
    path.write_text(text, encoding="utf-8")
    moved = [["Bellen", "Wat", "Wanneer"], ["0183-612480", "Taalcafé", "di"]]
    loaded = load_mapping(path, moved)
    assert loaded.saved and loaded.mapped() == {"phone": 0, "name": 1, "days": 2}


def test_mapping_with_unknown_field_is_an_error(tmp_path):
    path = tmp_path / "lijst.yaml"
    path.write_text("header_row: 1\ncolumns:\n  Naam: naam\n", encoding="utf-8")
    with pytest.raises(MappingFileError, match="unknown field"):
        load_mapping(path, [["Naam"]])


@pytest.mark.parametrize(("text", "expected"), [
    ("info@x.example", "info@x.example"),
    ("mailto:Info@X.example", "info@x.example"),
    ("Info@x.example (secretariaat)", "info@x.example"),
])
def test_email(text, expected):
    assert normalize_email(text) == (expected, True)


@pytest.mark.parametrize(("text", "expected"), [
    ("www.x.example", "https://www.x.example"),
    ("https://www.X.example/aanbod", "https://www.x.example/aanbod"),
    ("x.example", "https://x.example"),
])
def test_website(text, expected):
    assert normalize_website(text) == (expected, True)


def test_email_is_no_website():
    assert normalize_website("info@x.example") == (None, False)
