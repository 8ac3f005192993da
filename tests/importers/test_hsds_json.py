"""The HSDS JSON reader: shapes, broken input, official examples and the sample data."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from importers.base import ImportedRecord, ReadResult, RecordError, UnusableInput
from importers.hsds_json import HsdsJsonImporter
from importers.validation import NAMESPACE

DATA = Path(__file__).resolve().parent / "data"
ORG = {"id": "3a3d000a-4c25-4563-82ed-748d0f0516f4", "name": "Bibliotheek", "description": "Bieb"}


@pytest.fixture
def shared_dir() -> Path:
    return Path(__file__).resolve().parents[2].parent / "shared"


def svc(number: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{number}0b0e9b4-3f4e-4c7e-9a57-3a0b1d2c3e4f"[:36],
        "name": f"Dienst {number}",
        "status": "active",
        "organization": ORG,
        **extra,
    }


def read(path: Path, feed: str | None = None) -> list[ReadResult]:
    return list(HsdsJsonImporter(feed).read(path))


def write(tmp_path: Path, value: Any, name: str = "feed.json") -> Path:
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value, indent=2), "utf-8")
    return path


def line_of(path: Path, line: int | None) -> str:
    assert line is not None
    return path.read_text("utf-8").splitlines()[line - 1].strip()


def imported(results: list[ReadResult]) -> list[ImportedRecord]:
    return [r for r in results if isinstance(r, ImportedRecord)]


def unusable(path: Path) -> UnusableInput:
    with pytest.raises(UnusableInput) as info:
        read(path)
    return info.value


# --- sample data --------------------------------------------------------------------------------


def test_sample_data_imports_all_150_services(shared_dir: Path) -> None:
    path = shared_dir / "sample-data" / "hsds" / "services.json"
    results = read(path)
    assert len(results) == 150 and len(imported(results)) == 150
    assert all(r.warnings == [] for r in imported(results))
    expected = [s["id"] for s in json.loads(path.read_text("utf-8"))]
    assert [r.id for r in imported(results)] == expected  # input order
    lines = [r.line for r in imported(results)]
    assert lines[0] == 2 and lines == sorted(lines)
    text = path.read_text("utf-8").splitlines()
    assert all(text[line - 1].strip() == "{" for line in lines)


def test_worked_example_imports(shared_dir: Path) -> None:
    (record,) = read(shared_dir / "hsds" / "worked-example" / "service_taalcafe.json")
    assert isinstance(record, ImportedRecord) and record.warnings == []
    assert record.service["schedules"][0]["opens_at"] == "19:00:00"  # sorted by id
    term = record.service["attributes"][0]["taxonomy_term"]
    assert term["taxonomy_detail"]["version"] == "2025-1"


# --- sniffing -----------------------------------------------------------------------------------


def test_sniff(tmp_path: Path) -> None:
    assert HsdsJsonImporter.sniff(write(tmp_path, [], "a.json"))
    assert HsdsJsonImporter.sniff(write(tmp_path, "{}\n", "a.ndjson"))
    assert HsdsJsonImporter.sniff(write(tmp_path, "\ufeff  [\n]", "export.txt"))
    assert not HsdsJsonImporter.sniff(write(tmp_path, "id,name\n", "services.csv"))
    assert not HsdsJsonImporter.sniff(write(tmp_path, {"resources": []}, "datapackage.json"))
    assert not HsdsJsonImporter.sniff(tmp_path)


# --- shapes -------------------------------------------------------------------------------------


def test_single_service_object(tmp_path: Path) -> None:
    (record,) = read(write(tmp_path, svc(1)))
    assert isinstance(record, ImportedRecord) and record.line == 1


def test_paged_response(tmp_path: Path) -> None:
    page = {
        "total_items": 2,
        "total_pages": 1,
        "page_number": 1,
        "size": 2,
        "first_page": True,
        "last_page": True,
        "empty": False,
        "contents": [svc(1), svc(2)],
    }
    results = read(write(tmp_path, page))
    assert [r.service["name"] for r in imported(results)] == ["Dienst 1", "Dienst 2"]
    assert results[0].line == 10 and results[1].line > results[0].line


def test_empty_page_and_empty_array_yield_nothing(tmp_path: Path) -> None:
    assert read(write(tmp_path, {"contents": [], "total_items": 0})) == []
    assert read(write(tmp_path, [])) == []


def test_organization_with_services_lends_them_its_organization(tmp_path: Path) -> None:
    organization = {
        **ORG,
        "website": "https://bieb.example",
        "services": [{k: v for k, v in svc(1).items() if k != "organization"}],
    }
    (record,) = read(write(tmp_path, organization))
    assert isinstance(record, ImportedRecord)
    assert record.service["organization"]["website"] == "https://bieb.example"
    assert "services" not in record.service["organization"]


def test_organization_id_only_is_filled_from_another_record(tmp_path: Path) -> None:
    second = {k: v for k, v in svc(2).items() if k != "organization"}
    second["organization_id"] = ORG["id"].upper()
    results = read(write(tmp_path, [svc(1), second]))
    assert [r.service["organization"]["name"] for r in imported(results)] == ["Bibliotheek"] * 2


def test_json_lines_by_suffix_and_by_content(tmp_path: Path) -> None:
    lines = "\n".join(json.dumps(s) for s in (svc(1), svc(2))) + "\n\n"
    for name in ("feed.jsonl", "feed.ndjson", "feed.json"):
        results = read(write(tmp_path, lines, name))
        assert [r.line for r in imported(results)] == [1, 2]


def test_non_object_items_are_record_errors(tmp_path: Path) -> None:
    path = write(tmp_path, [svc(1), 42, "x"])
    results = read(path)
    assert isinstance(results[0], ImportedRecord)
    assert all(
        isinstance(r, RecordError) and "expected a service object" in r.reason for r in results[1:]
    )
    assert line_of(path, results[1].line) == "42,"


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([svc(1)]).encode())
    assert len(imported(read(path))) == 1


# --- broken input -------------------------------------------------------------------------------


def test_latin1_file_is_unusable() -> None:
    error = unusable(DATA / "latin1.json")
    assert "is not UTF-8 (byte offset 60)" in error.reason


def test_empty_file_is_unusable() -> None:
    assert unusable(DATA / "empty.json").reason == "empty file"


def test_truncated_json_names_the_position() -> None:
    error = unusable(DATA / "truncated.json")
    assert error.reason.startswith("not valid JSON") and "line 5, column" in error.reason


def test_non_json_is_unusable() -> None:
    assert "not valid JSON" in unusable(DATA / "not_json.json").reason


def test_scalar_top_level_is_unusable() -> None:
    assert "not an object or array" in unusable(DATA / "scalar.json").reason


def test_nan_is_not_json(tmp_path: Path) -> None:
    assert "NaN" in unusable(write(tmp_path, '[{"id": "x", "minimum_age": NaN}]')).reason


def test_json_lines_with_a_bad_line_is_unusable() -> None:
    error = unusable(DATA / "bad_line.jsonl")
    assert error.reason.startswith("line 2 is not valid JSON")


def test_folder_is_unusable(tmp_path: Path) -> None:
    assert "folder" in unusable(tmp_path).reason


def test_read_raises_before_yielding_anything(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps([svc(1)])[:-1])
    generator = HsdsJsonImporter().read(path)
    with pytest.raises(UnusableInput):
        next(generator)


# --- record errors ------------------------------------------------------------------------------


def test_missing_required_field(tmp_path: Path) -> None:
    broken = svc(2)
    del broken["status"]
    path = write(tmp_path, [svc(1), broken])
    error = read(path)[1]
    assert isinstance(error, RecordError) and error.field == "status"
    assert error.record_id == broken["id"] and error.line == 12
    assert line_of(path, error.line) == "{" and line_of(path, error.line + 1) == (
        f'"id": "{broken["id"]}",'
    )


def test_bad_enum_and_wrong_type(tmp_path: Path) -> None:
    results = read(write(tmp_path, [svc(1, status="open"), svc(2, minimum_age="sixteen")]))
    assert [r.field for r in results] == ["status", "minimum_age"]


def test_duplicate_service_id_names_both_lines(tmp_path: Path) -> None:
    results = read(write(tmp_path, [svc(1), svc(2), svc(1, name="Kopie")]))
    assert isinstance(results[2], RecordError)
    assert (
        results[2].field == "id"
        and ":2 " in results[2].reason
        and str(results[2].line) in (results[2].reason)
    )


def test_huge_field(tmp_path: Path) -> None:
    (error,) = read(write(tmp_path, [svc(1, description="x" * 20_001)]))
    assert isinstance(error, RecordError) and "too long" in error.reason


def test_control_characters(tmp_path: Path) -> None:
    (record,) = read(write(tmp_path, [svc(1, name="Dienst\u0000 1\u0007")]))
    assert isinstance(record, ImportedRecord) and record.service["name"] == "Dienst 1"


def test_non_uuid_ids_are_mapped_consistently() -> None:
    first, second = read(DATA / "non_uuid_ids.json", feed="dorpshuis")
    assert isinstance(first, ImportedRecord) and isinstance(second, ImportedRecord)
    org_id = str(uuid.uuid5(NAMESPACE, "dorpshuis:org-1"))
    assert first.id == str(uuid.uuid5(NAMESPACE, "dorpshuis:svc-1"))
    assert first.service["organization"]["id"] == org_id == second.service["organization_id"]
    assert second.service["organization"]["id"] == org_id
    assert first.service["phones"][0]["id"] == str(uuid.uuid5(NAMESPACE, "dorpshuis:42"))
    assert any("'svc-1' is not a UUID" in w for w in first.warnings)
    default = read(DATA / "non_uuid_ids.json")[0]  # the feed defaults to the file name
    assert default.id == str(uuid.uuid5(NAMESPACE, "non_uuid_ids:svc-1"))


# --- the official examples ----------------------------------------------------------------------

NO_SERVICES = {
    "base.json": "an API root",
    "location.json": "a location",
    "organization_list.json": "an organization without services",
    "tabular.json": "CSV tables written as JSON",
    "taxonomy.json": "a taxonomy",
    "taxonomy_list.json": "a taxonomy",
    "taxonomy_term.json": "a taxonomy term",
    "taxonomy_term_list.json": "a taxonomy term",
}
ONE_SERVICE = [
    "organization_full.json",
    "service_at_location_full.json",
    "service_at_location_list.json",
    "service_full.json",
    "service_list.json",
]


@pytest.mark.parametrize("name", sorted(NO_SERVICES))
def test_official_examples_without_services_are_unusable(shared_dir: Path, name: str) -> None:
    error = unusable(shared_dir / "hsds" / "examples" / name)
    assert error.reason.startswith("no services found") and NO_SERVICES[name] in error.reason


@pytest.mark.parametrize("name", ONE_SERVICE)
def test_official_examples_with_a_service_import(shared_dir: Path, name: str) -> None:
    (record,) = read(shared_dir / "hsds" / "examples" / name)
    assert isinstance(record, ImportedRecord), str(record)
    assert record.id == "ac148810-d857-441c-9679-408f346de14b"
    service = record.service
    assert service["organization"]["id"] == "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
    if name != "service_list.json":
        location = service["service_at_locations"][0]["location"]
        assert "latitude" not in location  # the placeholder 100/101 is out of range
        assert any("out of range" in w for w in record.warnings)
    if name in ("service_full.json", "organization_full.json"):
        attribute = service["attributes"][0]
        assert attribute["link_type"] == "link_type"  # an open codelist: kept as given
        assert attribute["link_entity"] == "service"  # the placeholder is replaced
        assert service["schedules"][0]["opens_at"] == "10:00:00"


def test_all_official_json_examples_are_covered(shared_dir: Path) -> None:
    names = {p.name for p in (shared_dir / "hsds" / "examples").glob("*.json")}
    assert names == set(NO_SERVICES) | set(ONE_SERVICE)


@pytest.mark.parametrize("folder", ["attributes", "metadata", "schedules"])
def test_field_guidance_services_are_rejected_one_by_one(shared_dir: Path, folder: str) -> None:
    (path,) = (shared_dir / "hsds" / "examples" / "field-guidance" / folder).glob("*.json")
    results = read(path)
    assert results and all(isinstance(r, RecordError) for r in results)
    assert all(r.field == "organization" and "no organization" in r.reason for r in results)
