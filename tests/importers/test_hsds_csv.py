"""The HSDS CSV package reader: joining, broken packages, zips, examples, and JSON ≡ CSV."""

from __future__ import annotations

import json
import shutil
import textwrap
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

from importers import hsds_csv
from importers.base import ImportedRecord, ReadResult, RecordError, UnusableInput
from importers.hsds_csv import HsdsCsvImporter
from importers.hsds_json import HsdsJsonImporter
from importers.validation import NAMESPACE

DATA = Path(__file__).resolve().parent / "data"
ORG = "3a3d000a-4c25-4563-82ed-748d0f0516f4"
SVC = "ee995653-e44c-4787-aae1-f7c5090e766f"
SVC2 = "0b0e9b4c-3f4e-4c7e-9a57-3a0b1d2c3e4f"
LOC = "79568570-4f0a-4d81-8dc2-bcf19111cf67"
SAL = "73a457b7-5668-449c-ab3c-4ce8390cfeb6"
TERM = "90f73fa9-adaa-4cd0-bf73-d458d25b0675"
TAX = "e3a22498-129d-401d-bb88-ded678447dcb"

BASE = {
    "organizations.csv": f"""
        id,name,description
        {ORG},Bibliotheek Werkendam,Openbare bibliotheek
    """,
    "services.csv": f"""
        id,organization_id,name,status,minimum_age
        {SVC},{ORG},Taalcafé,active,16
        {SVC2},{ORG},Voorleesuur,active,
    """,
    "locations.csv": f"""
        id,location_type,organization_id,name,latitude,longitude
        {LOC},physical,{ORG},Bibliotheek,51.8103,4.8942
    """,
    "service_at_location.csv": f"""
        id,service_id,location_id,description
        {SAL},{SVC},{LOC},In de leeszaal
    """,
    "taxonomies.csv": f"""
        id,name,description,uri,version
        {TAX},Thema's,Lokale thema's,https://sociale-kaart.example/themas,1
    """,
    "taxonomy_terms.csv": f"""
        id,code,name,description,taxonomy_id
        {TERM},TAAL,Taal en lezen,Taal,{TAX}
    """,
    "attributes.csv": f"""
        id,link_id,taxonomy_term_id,link_type,link_entity,value
        3c50e003-acd2-4c92-8a85-8cfc3849e6c4,{SVC},{TERM},levensgebied,service,
    """,
}


@pytest.fixture
def shared_dir() -> Path:
    return Path(__file__).resolve().parents[2].parent / "shared"


def package(tmp_path: Path, **changes: str | None) -> Path:
    """The BASE package in a folder; ``services_csv="..."`` replaces a file, None removes it."""
    folder = tmp_path / "pakket"
    folder.mkdir(exist_ok=True)
    files: dict[str, str | None] = {**BASE}
    files.update({name.replace("_csv", ".csv"): text for name, text in changes.items()})
    for name, text in files.items():
        if text is not None:
            (folder / name).write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
    return folder


def read(path: Path, feed: str | None = None) -> list[ReadResult]:
    return list(HsdsCsvImporter(feed).read(path))


def services(results: list[ReadResult]) -> dict[str, dict[str, Any]]:
    return {r.id: r.service for r in results if isinstance(r, ImportedRecord)}


def errors(results: list[ReadResult]) -> list[RecordError]:
    return [r for r in results if isinstance(r, RecordError)]


def unusable(path: Path) -> UnusableInput:
    with pytest.raises(UnusableInput) as info:
        read(path)
    return info.value


def without_taxonomy_detail(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_taxonomy_detail(v) for k, v in value.items() if k != "taxonomy_detail"}
    if isinstance(value, list):
        return [without_taxonomy_detail(v) for v in value]
    return value


# --- JSON ≡ CSV ---------------------------------------------------------------------------------


def test_sample_csv_and_json_give_identical_services(shared_dir: Path) -> None:
    """All 150 sample services. The only difference allowed: the sample JSON does not embed
    taxonomy_detail, while the CSV package has taxonomies.csv, so CSV terms carry it."""
    sample = shared_dir / "sample-data" / "hsds"
    from_json = list(HsdsJsonImporter().read(sample / "services.json"))
    from_csv = read(sample / "csv")
    assert len(from_json) == len(from_csv) == 150
    assert all(isinstance(r, ImportedRecord) for r in from_json + from_csv)
    assert [r.id for r in from_json] == [r.id for r in from_csv]  # the same input order
    for a, b in zip(from_json, from_csv, strict=True):
        assert isinstance(a, ImportedRecord) and isinstance(b, ImportedRecord)
        assert a.service == without_taxonomy_detail(b.service), a.id
        assert b.warnings == []
    terms = [a["taxonomy_term"] for r in from_csv for a in r.service["attributes"]]
    assert terms and all(t["taxonomy_detail"]["id"] == t["taxonomy_id"] for t in terms)


def test_worked_example_csv_and_json_are_identical(shared_dir: Path) -> None:
    folder = shared_dir / "hsds" / "worked-example"
    (from_json,) = HsdsJsonImporter().read(folder / "service_taalcafe.json")
    (from_csv,) = read(folder / "csv")
    assert isinstance(from_json, ImportedRecord) and isinstance(from_csv, ImportedRecord)
    assert from_json.service == from_csv.service  # taxonomy_detail included
    assert from_csv.service["schedules"][0]["opens_at"] == "19:00:00"  # children sorted by id
    assert from_csv.service["service_at_locations"][0]["location"]["schedules"]


# --- joining ------------------------------------------------------------------------------------


def test_base_package_is_joined(tmp_path: Path) -> None:
    results = read(package(tmp_path))
    found = services(results)
    assert list(found) == [SVC, SVC2] and errors(results) == []
    service = found[SVC]
    assert service["minimum_age"] == 16 and service["organization"]["name"] == (
        "Bibliotheek Werkendam"
    )
    sal = service["service_at_locations"][0]
    assert sal["location"]["latitude"] == 51.8103 and "service_id" not in sal
    assert "organization_id" not in sal["location"]
    term = service["attributes"][0]["taxonomy_term"]
    assert term["taxonomy_detail"]["uri"] == "https://sociale-kaart.example/themas"
    assert found[SVC2]["service_at_locations"] == [] and found[SVC2]["attributes"] == []
    assert results[0].source.endswith("pakket/services.csv") and results[0].line == 2


def test_most_specific_parent_wins(tmp_path: Path) -> None:
    phones = f"""
        id,location_id,service_id,organization_id,contact_id,service_at_location_id,number
        e72aa93d-f54c-50eb-841b-c4c9bc3bfc6b,,{SVC},{ORG},,,0183-000001
        672077b3-7bca-5d84-99e6-81483d94a1ea,,,{ORG},,,0183-000002
        fab455dc-5c70-4887-b7a9-6f567aa5c3fa,{LOC},{SVC},,,{SAL},0183-000003
    """
    service = services(read(package(tmp_path, phones_csv=phones)))[SVC]
    assert [p["number"] for p in service["phones"]] == ["0183-000001"]
    assert [p["number"] for p in service["organization"]["phones"]] == ["0183-000002"]
    assert [p["number"] for p in service["service_at_locations"][0]["phones"]] == ["0183-000003"]
    assert "service_id" not in service["phones"][0]


def test_attributes_and_metadata_on_any_table(tmp_path: Path) -> None:
    attributes = f"""
        id,link_id,taxonomy_term_id,link_type,link_entity,value
        3c50e003-acd2-4c92-8a85-8cfc3849e6c4,{LOC},{TERM},toegankelijkheid,location,
        4d61f114-bde3-4da3-9b96-9d0d4a5b7f75,{ORG},{TERM},soort,organizations,
        5e72a225-cef4-4eb4-8ca7-ae1e5b6c8a86,{SAL},{TERM},soort,service_at_location,
    """
    metadata = f"""
        id,resource_id,resource_type,last_action_date,last_action_type,field_name,previous_value,replacement_value,updated_by
        7672951b-93b6-4707-ae5b-195bfe0a68b1,{SVC},service,2025-06-01,update,name,Oud,Nieuw,Redactie
    """
    service = services(read(package(tmp_path, attributes_csv=attributes, metadata_csv=metadata)))[
        SVC
    ]
    sal = service["service_at_locations"][0]
    assert sal["location"]["attributes"][0]["link_entity"] == "location"
    assert service["organization"]["attributes"][0]["link_entity"] == "organization"
    assert sal["attributes"][0]["link_type"] == "soort"
    assert service["metadata"][0]["resource_type"] == "service"
    assert "resource_id" not in service["metadata"][0]


def test_program_is_embedded(tmp_path: Path) -> None:
    programs = f"""
        id,organization_id,name,description
        e7ec2e57-4540-43fa-b2c7-6be5a0ef7f42,{ORG},Taalhuis,Alles over taal
    """
    services_csv = f"""
        id,organization_id,program_id,name,status
        {SVC},{ORG},e7ec2e57-4540-43fa-b2c7-6be5a0ef7f42,Taalcafé,active
    """
    service = services(read(package(tmp_path, programs_csv=programs, services_csv=services_csv)))[
        SVC
    ]
    assert service["program"]["name"] == "Taalhuis" and service["program_id"] == (
        "e7ec2e57-4540-43fa-b2c7-6be5a0ef7f42"
    )
    assert service["organization"]["programs"][0]["id"] == service["program_id"]


def test_non_uuid_ids_are_mapped_consistently(tmp_path: Path) -> None:
    folder = package(
        tmp_path,
        organizations_csv="id,name,description\norg-1,Dorpshuis,Dorpshuis\n",
        services_csv="id,organization_id,name,status\nsvc-1,org-1,Koffie,active\n",
        service_at_location_csv=None,
        attributes_csv=None,
    )
    (record,) = read(folder, feed="dorpshuis")
    assert isinstance(record, ImportedRecord)
    assert record.id == str(uuid.uuid5(NAMESPACE, "dorpshuis:svc-1"))
    org_id = str(uuid.uuid5(NAMESPACE, "dorpshuis:org-1"))
    assert record.service["organization_id"] == record.service["organization"]["id"] == org_id


def test_quoted_multiline_cells_keep_line_numbers(tmp_path: Path) -> None:
    services_csv = f"""
        id,organization_id,name,description,status
        {SVC},{ORG},Taalcafé,"Regel een
        regel twee",active
        {SVC2},{ORG},Voorleesuur,,open
    """
    results = read(package(tmp_path, services_csv=services_csv))
    assert results[0].line == 2
    assert isinstance(results[1], RecordError) and results[1].line == 4
    assert results[1].field == "status"


def test_null_text_cells_count_as_empty(tmp_path: Path) -> None:
    services_csv = f"id,organization_id,name,status,minimum_age\n{SVC},{ORG},T,active,null\n"
    (record,) = [r for r in read(package(tmp_path, services_csv=services_csv))]
    assert isinstance(record, ImportedRecord) and "minimum_age" not in record.service


def test_control_characters_are_stripped(tmp_path: Path) -> None:
    services_csv = f"id,organization_id,name,status\n{SVC},{ORG},Taal\x01café\x7f,active\n"
    (record,) = read(package(tmp_path, services_csv=services_csv))
    assert isinstance(record, ImportedRecord) and record.service["name"] == "Taalcafé"


def test_datapackage_resource_paths_are_used(tmp_path: Path) -> None:
    folder = package(tmp_path)
    (folder / "data").mkdir()
    (folder / "services.csv").rename(folder / "data" / "diensten.csv")
    descriptor = {"resources": [{"name": "service", "path": "data/diensten.csv"}]}
    (folder / "datapackage.json").write_text(json.dumps(descriptor), "utf-8")
    assert list(services(read(folder))) == [SVC, SVC2]
    assert HsdsCsvImporter.sniff(folder / "datapackage.json")


def test_empty_optional_table_is_no_rows(tmp_path: Path) -> None:
    assert len(services(read(package(tmp_path, phones_csv="")))) == 2


# --- record errors ------------------------------------------------------------------------------


def test_missing_required_field_and_wrong_type(tmp_path: Path) -> None:
    services_csv = f"""
        id,organization_id,name,status,minimum_age
        {SVC},{ORG},,active,
        {SVC2},{ORG},Voorleesuur,active,sixteen
    """
    first, second = errors(read(package(tmp_path, services_csv=services_csv)))
    assert (first.field, first.line, first.record_id) == ("name", 2, SVC)
    assert (second.field, second.line) == ("minimum_age", 3)
    assert "'sixteen'" in second.reason


def test_bad_enum_in_a_child_row_names_its_file_and_line(tmp_path: Path) -> None:
    schedules = f"""
        id,service_id,freq,byday,opens_at,closes_at
        d3064a90-b3ff-4fe5-9733-3ef12374fb5b,{SVC},WEEKLY,TU,10:00:00,11:30:00
        282d4147-1324-4906-92a5-10bdd26a257f,{SVC},DAILY,,25:00,
    """
    results = read(package(tmp_path, schedules_csv=schedules))
    (error,) = errors(results)
    assert error.source.endswith("schedules.csv") and error.line == 3
    assert error.record_id == SVC and error.field == "schedules[1].freq"
    assert "schedule 282d4147-1324-4906-92a5-10bdd26a257f" in error.reason
    assert "opens_at" in error.reason  # the second problem is summarised too
    assert SVC2 in services(results)


def test_service_with_dangling_organization_is_rejected(tmp_path: Path) -> None:
    other = "11111111-1111-4111-8111-111111111111"
    services_csv = f"id,organization_id,name,status\n{SVC},{other},Taalcafé,active\n"
    (error,) = read(
        package(
            tmp_path, services_csv=services_csv, attributes_csv=None, service_at_location_csv=None
        )
    )
    assert isinstance(error, RecordError) and error.field == "organization_id"
    assert "has no row in organizations.csv" in error.reason and error.line == 2


def test_sal_with_dangling_location_rejects_the_service(tmp_path: Path) -> None:
    sal = f"id,service_id,location_id\n{SAL},{SVC},11111111-1111-4111-8111-111111111111\n"
    results = read(package(tmp_path, service_at_location_csv=sal))
    (error,) = errors(results)
    assert error.source.endswith("service_at_location.csv") and error.line == 2
    assert error.record_id == SVC and "has no row in locations.csv" in error.reason


def test_attribute_with_dangling_term_rejects_the_service(tmp_path: Path) -> None:
    attributes = (
        f"id,link_id,taxonomy_term_id,link_entity\n"
        f"3c50e003-acd2-4c92-8a85-8cfc3849e6c4,{SVC},{SAL},service\n"
    )
    (error,) = errors(read(package(tmp_path, attributes_csv=attributes)))
    assert error.source.endswith("attributes.csv") and error.record_id == SVC
    assert "has no row in taxonomy_terms.csv" in error.reason


def test_child_row_without_parent_is_its_own_error(tmp_path: Path) -> None:
    phones = "id,service_id,number\ne72aa93d-f54c-50eb-841b-c4c9bc3bfc6b,svc-x,0183\n"
    results = read(package(tmp_path, phones_csv=phones))
    (error,) = errors(results)
    assert (error.record_type, error.line, error.field) == ("phone", 2, "service_id")
    assert error.record_id == "e72aa93d-f54c-50eb-841b-c4c9bc3bfc6b"
    assert "phones.csv:2: phone e72aa93d" in str(error)
    assert len(services(results)) == 2


def test_attribute_with_unknown_link_entity(tmp_path: Path) -> None:
    attributes = (
        f"id,link_id,taxonomy_term_id,link_entity\n"
        f"3c50e003-acd2-4c92-8a85-8cfc3849e6c4,{SVC},{TERM},dienst\n"
    )
    (error,) = errors(read(package(tmp_path, attributes_csv=attributes)))
    assert error.record_type == "attribute" and error.field == "link_entity"


def test_duplicate_service_id_names_both_lines(tmp_path: Path) -> None:
    services_csv = f"""
        id,organization_id,name,status
        {SVC},{ORG},Taalcafé,active
        {SVC2},{ORG},Voorleesuur,active
        {SVC.upper()},{ORG},Taalcafé (kopie),active
    """
    results = read(package(tmp_path, services_csv=services_csv))
    assert isinstance(results[2], RecordError) and results[2].line == 4
    assert "services.csv:2" in results[2].reason and "services.csv:4" in results[2].reason


def test_duplicate_child_id_keeps_the_first(tmp_path: Path) -> None:
    locations = f"""
        id,location_type,name
        {LOC},physical,Eerste
        {LOC},physical,Tweede
    """
    results = read(package(tmp_path, locations_csv=locations))
    (error,) = errors(results)
    assert (error.record_type, error.line, error.field) == ("location", 3, "id")
    assert services(results)[SVC]["service_at_locations"][0]["location"]["name"] == "Eerste"


def test_row_with_too_many_fields_rejects_its_service(tmp_path: Path) -> None:
    services_csv = f"id,organization_id,name,status\n{SVC},{ORG},Taal,café,active\n"
    (error,) = errors(read(package(tmp_path, services_csv=services_csv)))
    assert "5 fields but the header has 4" in error.reason


def test_huge_field(tmp_path: Path) -> None:
    services_csv = f"id,organization_id,name,status\n{SVC},{ORG},{'x' * 501},active\n"
    (error,) = errors(read(package(tmp_path, services_csv=services_csv)))
    assert error.field == "name" and "too long" in error.reason


# --- unusable packages --------------------------------------------------------------------------


def test_missing_services_csv(tmp_path: Path) -> None:
    assert "no services.csv" in unusable(package(tmp_path, services_csv=None)).reason


def test_header_without_id_names_the_file() -> None:
    error = unusable(DATA / "no_id_header")
    assert error.source.endswith("no_id_header/services.csv") and "no 'id' column" in error.reason


def test_semicolon_csv_is_unusable() -> None:
    error = unusable(DATA / "semicolon")
    assert error.source.endswith("services.csv") and "semicolons" in error.reason


def test_latin1_csv_is_unusable_naming_the_file(tmp_path: Path) -> None:
    folder = package(tmp_path)
    (folder / "organizations.csv").write_bytes(
        f"id,name,description\n{ORG},Caf\xe9 De Linde,Dorpshuis\n".encode("latin-1")
    )
    error = unusable(folder)
    assert error.source.endswith("organizations.csv") and "not UTF-8 (byte offset 60)" in (
        error.reason
    )


def test_read_raises_before_yielding_anything(tmp_path: Path) -> None:
    generator = HsdsCsvImporter().read(package(tmp_path, services_csv=None))
    with pytest.raises(UnusableInput):
        next(generator)


# --- zip packages -------------------------------------------------------------------------------


def zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return target


def test_zip_package_reads_like_the_folder(tmp_path: Path, shared_dir: Path) -> None:
    sample = shared_dir / "sample-data" / "hsds" / "csv"
    archive = zip_folder(sample, tmp_path / "sample.zip", prefix="export-2025/")
    assert HsdsCsvImporter.sniff(archive)
    from_zip = read(archive, feed="f")
    from_folder = read(sample, feed="f")
    assert [r.service for r in from_zip] == [r.service for r in from_folder]  # type: ignore[union-attr]
    assert from_zip[0].source == f"{archive}/export-2025/services.csv"


def test_zip_with_path_traversal_is_unusable(tmp_path: Path) -> None:
    archive = zip_folder(package(tmp_path), tmp_path / "evil.zip")
    with zipfile.ZipFile(archive, "a") as handle:
        handle.writestr("../../etc/cron.d/evil", "* * * * * root rm -rf /\n")
    assert "unsafe path in zip" in unusable(archive).reason


def test_zip_that_unpacks_too_large_is_unusable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = zip_folder(package(tmp_path), tmp_path / "big.zip")
    monkeypatch.setattr(hsds_csv, "MAX_TOTAL_BYTES", 200)
    assert "more than" in unusable(archive).reason


def test_corrupt_zip_is_unusable(tmp_path: Path) -> None:
    archive = zip_folder(package(tmp_path), tmp_path / "kapot.zip")
    archive.write_bytes(archive.read_bytes()[:100])
    assert not HsdsCsvImporter.sniff(archive)
    with pytest.raises(UnusableInput):
        read(archive)


def test_zip_without_package_is_unusable(tmp_path: Path) -> None:
    archive = tmp_path / "foto.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("foto.jpg", b"\xff\xd8")
    assert not HsdsCsvImporter.sniff(archive)
    assert "no services.csv" in unusable(archive).reason


# --- sniffing and official examples -------------------------------------------------------------


def test_sniff(tmp_path: Path) -> None:
    folder = package(tmp_path)
    assert HsdsCsvImporter.sniff(folder) and HsdsCsvImporter.sniff(folder / "services.csv")
    assert not HsdsCsvImporter.sniff(tmp_path / "nothing-here")
    assert not HsdsCsvImporter.sniff(folder / "organizations.csv")
    empty = tmp_path / "leeg"
    empty.mkdir()
    assert not HsdsCsvImporter.sniff(empty)


def test_official_csv_example(shared_dir: Path, tmp_path: Path) -> None:
    """One service imports; the upstream dangling keys are reported row by row (GUIDE §15)."""
    results = read(shared_dir / "hsds" / "examples" / "csv")
    (record,) = [r for r in results if isinstance(r, ImportedRecord)]
    assert record.id == "ac148810-d857-441c-9679-408f346de14b"
    service = record.service
    assert service["program"]["name"] == "Community Mental Health Support"
    assert service["organization"]["organization_identifiers"][0]["identifier"] == "1234567"
    assert service["cost_options"][0]["currency"] == "GBP"
    assert service["service_at_locations"][0]["schedules"][0]["byday"] == "TH,FR"
    assert [(e.record_type, e.field) for e in errors(results)] == [
        ("contact", "service_at_location_id"),
        ("attribute", "link_entity"),
        ("metadata", "resource_id"),
    ]


@pytest.mark.parametrize("folder", ["attributes", "metadata", "schedules"])
def test_field_guidance_packages_are_rejected_one_by_one(shared_dir: Path, folder: str) -> None:
    results = read(shared_dir / "hsds" / "examples" / "field-guidance" / folder)
    assert results and all(isinstance(r, RecordError) for r in results)
    assert all(r.field == "organization_id" for r in results)


def test_field_guidance_package_with_an_organization_imports(
    shared_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "attributes"
    shutil.copytree(shared_dir / "hsds" / "examples" / "field-guidance" / "attributes", folder)
    lines = (folder / "services.csv").read_text("utf-8").splitlines()
    rows = [lines[0] + ",organization_id"] + [line + f",{ORG}" for line in lines[1:]]
    (folder / "services.csv").write_text("\n".join(rows) + "\n", "utf-8")
    (folder / "organizations.csv").write_text(f"id,name,description\n{ORG},Org,Org\n", "utf-8")
    found = services(read(folder))
    assert len(found) == 2
    names = sorted(
        a["taxonomy_term"]["taxonomy_detail"]["name"]
        for s in found.values()
        for a in s["attributes"]
    )
    assert names[0] == "Fictional Health Service Taxonomy"


def test_empty_services_csv_is_unusable(tmp_path: Path) -> None:
    assert "is empty" in unusable(package(tmp_path, services_csv="")).reason


def test_private_looking_columns_are_ignored(tmp_path: Path) -> None:
    services_csv = f"id,organization_id,name,status,_skip,_origin\n{SVC},{ORG},T,active,1,x\n"
    (record,) = read(package(tmp_path, services_csv=services_csv))
    assert isinstance(record, ImportedRecord) and record.line == 2
