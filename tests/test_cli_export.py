"""``sociale-kaart export``, through its command-line interface."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from conftest import SAMPLE_JSON

from sociale_kaart.cli import Context, main
from sociale_kaart.cli_export import export


def run_export(runner, instance: Path, *args: str):
    return runner.invoke(export, [*args, "--instance", str(instance)], obj=Context(None),
                         catch_exceptions=False)


def test_help(runner):
    result = runner.invoke(export, ["--help"])
    assert result.exit_code == 0
    assert "hsds-json" in result.output and "hsds-zip" in result.output


def test_export_needs_a_format(runner, tmp_path):
    result = runner.invoke(export, [str(tmp_path / "x.json")], obj=Context(None))
    assert result.exit_code == 2


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    from click.testing import CliRunner

    instance = tmp_path_factory.mktemp("cli") / "instance"
    data = json.loads(SAMPLE_JSON.read_text("utf-8"))[:5]
    source = instance.parent / "five.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["--instance", str(instance), "import", str(source)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return instance


def test_export_json(runner, imported, tmp_path):
    target = tmp_path / "out" / "services.json"
    result = run_export(runner, imported, "--format", "hsds-json", str(target))
    assert result.exit_code == 0, result.output
    assert "5 diensten" in result.output
    assert len(json.loads(target.read_text("utf-8"))) == 5


def test_export_csv_folder_and_zip(runner, imported, tmp_path):
    folder = tmp_path / "csv"
    assert run_export(runner, imported, "--format", "hsds-csv", str(folder)).exit_code == 0
    assert (folder / "datapackage.json").is_file() and (folder / "services.csv").is_file()
    target = tmp_path / "hsds.zip"
    assert run_export(runner, imported, "--format", "hsds-zip", str(target)).exit_code == 0
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
    assert {p.name for p in folder.iterdir()} == names
    # the zip imports into an empty instance and exports to the same bytes
    second = tmp_path / "second"
    result = runner.invoke(main, ["--instance", str(second), "import", str(target)],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    again = tmp_path / "again.zip"
    assert run_export(runner, second, "--format", "hsds-zip", str(again)).exit_code == 0
    assert again.read_bytes() == target.read_bytes()


def test_export_refuses_a_folder_for_a_file_format(runner, imported, tmp_path):
    result = run_export(runner, imported, "--format", "hsds-json", str(tmp_path))
    assert result.exit_code == 2
    assert "map" in result.output


def test_export_of_an_empty_instance_is_an_empty_list(runner, tmp_path):
    target = tmp_path / "empty.json"
    result = run_export(runner, tmp_path / "new", "--format", "hsds-json", str(target))
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text("utf-8")) == []
