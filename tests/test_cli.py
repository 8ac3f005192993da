"""The ``sociale-kaart`` command, end to end, through its public interface."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import kit_database
import pytest
from conftest import SAMPLE_CSV, SAMPLE_JSON

from sociale_kaart.cli import main
from sociale_kaart.services.content_hash import legacy_content_hash
from sociale_kaart.services.imports import read_sources


def run(runner, instance: Path, *args: str):
    return runner.invoke(main, ["--instance", str(instance), *args], catch_exceptions=False)


def db_digest(instance: Path) -> str:
    """A digest of the database's content (SQLite: the file's dump; PostgreSQL: a logical dump;
    see tests/kit_database.py)."""
    return kit_database.digest(instance)


def table_rows(instance: Path, query: str) -> list[tuple]:
    return kit_database.rows(instance, query)


@pytest.mark.parametrize("command", [[], ["init"], ["import"], ["index"], ["index", "rebuild"],
                                     ["serve"], ["demo"]])
def test_every_command_has_help(runner, command):
    result = runner.invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 3


def test_init_creates_the_instance(runner, instance):
    result = run(runner, instance, "init")
    assert result.exit_code == 0, result.output
    assert kit_database.exists(instance)
    assert table_rows(instance, "select count(*) from taxonomy_term")[0][0] >= 40
    again = run(runner, instance, "init")  # an upgrade of an up-to-date schema is a no-op
    assert again.exit_code == 0


def test_import_sample_json_then_reimport_is_unchanged(runner, instance):
    first = run(runner, instance, "import", str(SAMPLE_JSON))
    assert first.exit_code == 0, first.output
    assert "150 nieuw" in first.output
    digest = db_digest(instance)
    second = run(runner, instance, "import", str(SAMPLE_JSON))
    assert second.exit_code == 0
    assert "0 nieuw, 0 bijgewerkt, 150 ongewijzigd, 0 afgewezen" in second.output
    assert db_digest(instance) == digest


def test_hashes_stored_in_the_former_form_still_mean_unchanged(runner, instance):
    """Installations stored content hashes of the standard library's JSON until December 2026:
    after an upgrade, a re-import of the same file must not see every listing as changed."""
    assert run(runner, instance, "import", str(SAMPLE_JSON)).exit_code == 0
    records, _errors = read_sources([SAMPLE_JSON], None, False)
    former: dict[str, list[dict]] = {"service": [], "organization": [], "location": []}
    for record in records:
        former["service"].append({"id": record.id, "h": legacy_content_hash(record.service)})
        organization = record.service["organization"]
        former["organization"].append({"id": organization["id"],
                                       "h": legacy_content_hash(organization)})
        for sal in record.service.get("service_at_locations", []):
            former["location"].append({"id": sal["location"]["id"],
                                       "h": legacy_content_hash(sal["location"])})
    for table, params in former.items():
        kit_database.execute(instance, f"UPDATE {table} SET content_hash = :h WHERE id = :id",
                             params)
    digest = db_digest(instance)
    again = run(runner, instance, "import", str(SAMPLE_JSON))
    assert again.exit_code == 0
    assert "0 nieuw, 0 bijgewerkt, 150 ongewijzigd, 0 afgewezen" in again.output
    assert db_digest(instance) == digest
    assert table_rows(instance, "select max(version) from service") == [(1,)]


COMPARE = {
    "services": "select id, organization_id, name, description, status, minimum_age, "
                "maximum_age, application_process from service",
    "locations": "select id, name, latitude, longitude, kern, municipality from location",
    "addresses": "select id, location_id, address_1, city, postal_code from address",
    "phones": "select id, organization_id, service_id, location_id, number from phone",
    "schedules": "select id, service_id, freq, byday, opens_at, closes_at, dtstart, until, "
                 "places, session_count from schedule",
    "terms": "select a.link_id, a.link_type, t.code from attribute a join taxonomy_term t "
             "on t.id = a.taxonomy_term_id",
    "areas": "select id, service_id, name, municipality from service_area",
}


def test_csv_package_gives_the_same_data_as_json(runner, tmp_path):
    from_json, from_csv = tmp_path / "a", tmp_path / "b"
    assert run(runner, from_json, "import", str(SAMPLE_JSON)).exit_code == 0
    result = run(runner, from_csv, "import", str(SAMPLE_CSV))
    assert result.exit_code == 0, result.output
    for name, query in COMPARE.items():
        assert table_rows(from_json, query) == table_rows(from_csv, query), name
    assert len(table_rows(from_csv, COMPARE["services"])) == 150


def _sample_records() -> list[dict]:
    return json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))


def test_one_invalid_record_exits_1_and_names_it(runner, instance, tmp_path):
    records = _sample_records()[:5]
    bad_id = records[2]["id"]
    records[2]["status"] = "open"
    path = tmp_path / "some.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    result = run(runner, instance, "import", str(path))
    assert result.exit_code == 1
    assert bad_id in result.output
    assert "status" in result.output
    assert "4 nieuw" in result.output
    names = {row[0] for row in table_rows(instance, "select id from service")}
    assert bad_id not in names and len(names) == 4


def test_strict_stores_nothing_when_one_record_is_invalid(runner, instance, tmp_path):
    run(runner, instance, "init")
    digest = db_digest(instance)
    records = _sample_records()[:5]
    del records[1]["name"]
    path = tmp_path / "some.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    result = run(runner, instance, "import", "--strict", str(path))
    assert result.exit_code == 1
    assert db_digest(instance) == digest


def test_dry_run_stores_nothing(runner, instance):
    run(runner, instance, "init")
    digest = db_digest(instance)
    result = run(runner, instance, "import", "--dry-run", str(SAMPLE_JSON))
    assert result.exit_code == 0
    assert "150 nieuw" in result.output and "niets opgeslagen" in result.output
    assert db_digest(instance) == digest


@pytest.mark.parametrize("content", [
    b'[{"id": "c13c8baa-b5f5-44cf-a15a-041df09b46d8", "name": "Afgebro',  # truncated
    b"this is not json at all",
    b"",
    "[{\"name\": \"caf\xe9\"}]".encode("latin-1"),  # not UTF-8
])
def test_unusable_input_exits_2_and_changes_nothing(runner, instance, tmp_path, content):
    assert run(runner, instance, "import", str(SAMPLE_JSON)).exit_code == 0
    sqlite = kit_database.is_sqlite(instance)  # PostgreSQL: the logical dump below instead
    before = (instance / "sociale-kaart.db").read_bytes() if sqlite else None
    digest = db_digest(instance)
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    result = run(runner, instance, "import", str(path))
    assert result.exit_code == 2
    assert "Niets geïmporteerd" in result.output
    if sqlite:
        assert (instance / "sociale-kaart.db").read_bytes() == before
    assert db_digest(instance) == digest


def test_missing_file_exits_2(runner, instance, tmp_path):
    result = run(runner, instance, "import", str(tmp_path / "nope.json"))
    assert result.exit_code == 2


def test_index_rebuild_keeps_search_working(runner, instance, settings):
    assert run(runner, instance, "import", str(SAMPLE_JSON)).exit_code == 0
    result = run(runner, instance, "index", "rebuild")
    assert result.exit_code == 0, result.output
    assert "150 diensten" in result.output
    assert (instance / "index").is_symlink()


def _big_input(tmp_path: Path, copies: int) -> Path:
    """Many distinct services (new ids everywhere) so an import takes a few seconds."""
    import uuid

    base = _sample_records()
    text = json.dumps(base)
    ids = set()
    for record in base:
        for match in __import__("re").findall(r'"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-'
                                                r'[0-9a-f]{4}-[0-9a-f]{12})"', json.dumps(record)):
            ids.add(match)
    out = []
    for n in range(copies):
        copy = text
        for old in ids:
            copy = copy.replace(old, str(uuid.uuid5(uuid.NAMESPACE_URL, f"{n}:{old}")))
        out.extend(json.loads(copy))
    path = tmp_path / "big.json"
    path.write_text(json.dumps(out), encoding="utf-8")
    return path


@pytest.mark.slow
def test_kill_during_import_leaves_the_database_as_it_was(tmp_path):
    instance = tmp_path / "instance"
    env = {**os.environ, "SOCIALE_KAART_INSTANCE": str(instance),
           **kit_database.subprocess_env(instance)}
    cli = [sys.executable, "-m", "sociale_kaart.cli"]
    subprocess.run([*cli, "import", str(SAMPLE_JSON)], env=env, check=True,
                   capture_output=True)
    before = db_digest(instance)
    big = _big_input(tmp_path, 12)

    def held() -> int:
        """Records of the database: listings, and those held back as likely duplicates (the
        big file's copies of the sample listings may all become merge proposals)."""
        return (table_rows(instance, "select count(*) from service")[0][0]
                + table_rows(instance, "select count(*) from merge_proposal")[0][0])

    start = held()
    outcomes = set()
    for delay in (2.0, 3.5, 5.0):
        process = subprocess.Popen([*cli, "import", str(big)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        finished = process.poll() is not None
        if not finished:
            process.send_signal(signal.SIGKILL)
        process.wait()
        # Never half-imported: either nothing of the big file or all of it.
        imported = held() - start
        assert imported in (0, 150 * 12)
        outcomes.add(imported)
        if imported == 0:
            assert db_digest(instance) == before
        else:
            break  # all of it: a later run would start from another database
    assert 0 in outcomes, "the import finished before it could be killed; make it bigger"


def test_instance_option_after_the_command(runner, tmp_path):
    instance = tmp_path / "after"
    result = runner.invoke(main, ["init", "--instance", str(instance)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert kit_database.exists(instance)


def test_instance_from_the_environment(runner, tmp_path, monkeypatch):
    instance = tmp_path / "env"
    monkeypatch.setenv("SOCIALE_KAART_INSTANCE", str(instance))
    assert runner.invoke(main, ["init"], catch_exceptions=False).exit_code == 0
    assert kit_database.exists(instance)
