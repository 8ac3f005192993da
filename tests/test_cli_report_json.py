"""``sociale-kaart import PATH [--dry-run] --report-json OUT``: one entry per source record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLE, SAMPLE_JSON

from sociale_kaart.cli import main

SPREADSHEETS = SAMPLE / "spreadsheets"
KEYS = {"source", "row", "source_id", "status", "id", "duplicate_of", "record", "errors",
        "warnings"}


def _run(runner, instance: Path, *args: str):
    return runner.invoke(main, ["--instance", str(instance), "import", *args])


def test_hsds_report(runner, instance: Path, tmp_path: Path):
    out = tmp_path / "report.json"
    result = _run(runner, instance, str(SAMPLE_JSON), "--report-json", str(out))
    assert result.exit_code == 0, result.output
    entries = json.loads(out.read_text(encoding="utf-8"))
    assert len(entries) == 150
    assert all(set(e) == KEYS and e["status"] == "created" for e in entries)
    assert entries[0]["record"]["id"] == entries[0]["id"] == entries[0]["source_id"]


def test_spreadsheet_dry_run_report(runner, instance: Path, tmp_path: Path):
    assert _run(runner, instance, str(SAMPLE_JSON)).exit_code == 0
    out = tmp_path / "report.json"
    csv_file = SPREADSHEETS / "inloop-meierijstad.csv"
    result = _run(runner, instance, str(csv_file), "--dry-run", "--report-json", str(out))
    assert result.exit_code == 0, result.output
    entries = json.loads(out.read_text(encoding="utf-8"))
    statuses = {e["status"] for e in entries}
    assert statuses <= {"created", "duplicate", "skipped"} and "duplicate" in statuses
    skipped = [e for e in entries if e["status"] == "skipped"]
    assert skipped and all(e["record"] is None and e["row"] for e in skipped)
    duplicate = next(e for e in entries if e["status"] == "duplicate")
    assert duplicate["duplicate_of"] and duplicate["record"]["name"]
    # dry run: nothing stored, so a real run still creates and proposes
    again = _run(runner, instance, str(csv_file), "--report-json", str(out))
    assert again.exit_code == 0
    created = [e for e in json.loads(out.read_text()) if e["status"] == "created"]
    assert created and "nieuw" in again.output


def test_rejected_rows_have_errors(runner, instance: Path, tmp_path: Path):
    path = tmp_path / "lijst.csv"
    path.write_text("Naam;Dag;Telefoon\n;dinsdag;0183-612480\nTaalcafé;woensdag;0183-612480\n",
                    encoding="utf-8")
    out = tmp_path / "report.json"
    result = _run(runner, instance, str(path), "--report-json", str(out))
    assert result.exit_code == 1
    rejected = [e for e in json.loads(out.read_text()) if e["status"] == "rejected"]
    assert rejected == [{"source": str(path), "row": 2, "source_id": None, "status": "rejected",
                         "id": None, "duplicate_of": None, "record": None,
                         "errors": [{"field": "Naam",
                                     "message": "de rij heeft geen naam van een activiteit"}],
                         "warnings": []}]


@pytest.mark.parametrize(("name", "content"), [
    ("leeg.csv", b""),
    ("kapot.xlsx", b"PK\x03\x04 broken"),
    ("geen-lijst.csv", b"dit is geen lijst\nmaar een briefje\n"),
    ("leeg.ics", b""),
])
def test_bad_or_empty_file_exits_2_and_changes_nothing(runner, instance: Path, tmp_path: Path,
                                                       name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    out = tmp_path / "report.json"
    result = _run(runner, instance, str(path), "--report-json", str(out))
    assert result.exit_code == 2
    assert "Fout:" in result.output and "niet veranderd" in result.output
    assert not instance.exists() and not out.exists()
