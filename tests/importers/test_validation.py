"""Record validation and cleaning (importers/validation.py), on raw dicts without any file."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importers.base import ImportedRecord, RecordError
from importers.validation import (
    NAMESPACE,
    Origin,
    RawService,
    clean_service,
    map_id,
    validate_services,
)

SERVICE_ID = "ee995653-e44c-4787-aae1-f7c5090e766f"
ORG_ID = "3a3d000a-4c25-4563-82ed-748d0f0516f4"
LOC_ID = "79568570-4f0a-4d81-8dc2-bcf19111cf67"
ORIGIN = Origin("feed.json", 7)


def service(**changes: Any) -> dict[str, Any]:
    """A small valid raw service; keyword arguments replace (or, with None, remove) keys."""
    raw: dict[str, Any] = {
        "id": SERVICE_ID,
        "name": "Taalcafé Werkendam",
        "status": "active",
        "organization": {"id": ORG_ID, "name": "Bibliotheek Werkendam", "description": "Bieb"},
        "service_at_locations": [
            {
                "id": "73a457b7-5668-449c-ab3c-4ce8390cfeb6",
                "location": {
                    "id": LOC_ID,
                    "location_type": "physical",
                    "addresses": [
                        {
                            "id": "29974495-f861-41db-9b38-f621d4acc074",
                            "address_1": "Voorbeeldstraat 1",
                            "city": "Werkendam",
                            "state_province": "Noord-Brabant",
                            "postal_code": "4251 AA",
                            "country": "NL",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ],
        "schedules": [
            {
                "id": "d3064a90-b3ff-4fe5-9733-3ef12374fb5b",
                "freq": "WEEKLY",
                "byday": "TU",
                "opens_at": "10:00:00",
                "closes_at": "11:30:00",
            }
        ],
    }
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return raw


def ok(raw: Any, text_values: bool = False) -> ImportedRecord:
    result = clean_service(raw, ORIGIN, feed="test", text_values=text_values)
    assert isinstance(result, ImportedRecord), str(result)
    return result


def rejected(raw: Any, text_values: bool = False) -> RecordError:
    result = clean_service(raw, ORIGIN, feed="test", text_values=text_values)
    assert isinstance(result, RecordError), f"expected a rejection, got {result}"
    return result


def schedule(**fields: Any) -> dict[str, Any]:
    return service(schedules=[{"id": "d3064a90-b3ff-4fe5-9733-3ef12374fb5b", **fields}])


def location(**changes: Any) -> dict[str, Any]:
    raw = service()
    loc = raw["service_at_locations"][0]["location"]
    for key, value in changes.items():
        if value is None:
            loc.pop(key, None)
        else:
            loc[key] = value
    return raw


def address(**changes: Any) -> dict[str, Any]:
    raw = service()
    addr = raw["service_at_locations"][0]["location"]["addresses"][0]
    for key, value in changes.items():
        if value is None:
            addr.pop(key, None)
        else:
            addr[key] = value
    return raw


def first_schedule(record: ImportedRecord) -> dict[str, Any]:
    return record.service["schedules"][0]


# --- the canonical shape ------------------------------------------------------------------------


def test_canonical_shape_of_a_small_service() -> None:
    record = ok(service())
    svc = record.service
    assert record.source == "feed.json" and record.line == 7 and record.warnings == []
    assert svc["organization_id"] == ORG_ID == svc["organization"]["id"]
    for key in (
        "phones",
        "schedules",
        "service_areas",
        "languages",
        "cost_options",
        "contacts",
        "attributes",
        "metadata",
        "service_at_locations",
        "funding",
        "required_documents",
        "additional_urls",
    ):
        assert isinstance(svc[key], list), key
    sal = svc["service_at_locations"][0]
    assert sal["location_id"] == LOC_ID and "service_id" not in sal
    location_keys = {
        "addresses",
        "phones",
        "schedules",
        "accessibility",
        "languages",
        "contacts",
        "attributes",
    }
    assert location_keys <= set(sal["location"])
    assert "attributes" not in svc["schedules"][0]  # detail objects only carry non-empty lists


def test_unknown_keys_are_dropped_and_empty_values_left_out() -> None:
    svc = ok(service(x_internal="secret", alternate_name="", url=None, email="  ")).service
    assert "x_internal" not in svc and "alternate_name" not in svc and "email" not in svc


def test_parent_fk_is_dropped_and_positional_fields_are_set() -> None:
    raw = service(
        phones=[
            {
                "id": "e72aa93d-f54c-50eb-841b-c4c9bc3bfc6b",
                "number": "0183",
                "service_id": SERVICE_ID,
            }
        ]
    )
    raw["attributes"] = [
        {
            "id": "3c50e003-acd2-4c92-8a85-8cfc3849e6c4",
            "link_id": SERVICE_ID,
            "link_type": "levensgebied",
            "taxonomy_term": {
                "id": "90f73fa9-adaa-4cd0-bf73-d458d25b0675",
                "name": "Taal",
                "description": "Taal en lezen",
            },
        }
    ]
    svc = ok(raw).service
    assert "service_id" not in svc["phones"][0]
    attribute = svc["attributes"][0]
    assert attribute["link_entity"] == "service" and "link_id" not in attribute
    assert attribute["taxonomy_term_id"] == attribute["taxonomy_term"]["id"]
    assert attribute["link_type"] == "levensgebied"


def test_child_lists_are_sorted_by_id() -> None:
    phones = [
        {"id": f"{n}0000000-0000-4000-8000-000000000000", "number": str(n)} for n in (3, 1, 2)
    ]
    svc = ok(service(phones=phones)).service
    assert [p["number"] for p in svc["phones"]] == ["1", "2", "3"]


def test_taxonomy_details_spelling_is_accepted() -> None:
    raw = service(
        attributes=[
            {
                "id": "3c50e003-acd2-4c92-8a85-8cfc3849e6c4",
                "taxonomy_term": {
                    "id": "90f73fa9-adaa-4cd0-bf73-d458d25b0675",
                    "name": "stress",
                    "description": "d",
                    "taxonomy_details": {
                        "id": "34027579-8e06-4440-94d3-ea9fccf10d3f",
                        "name": "Fictional",
                        "description": "d",
                    },
                },
            }
        ]
    )
    term = ok(raw).service["attributes"][0]["taxonomy_term"]
    assert term["taxonomy_detail"]["name"] == "Fictional"
    assert term["taxonomy_id"] == "34027579-8e06-4440-94d3-ea9fccf10d3f"


# --- required fields ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["id", "name", "status"])
def test_missing_required_service_field_rejects(key: str) -> None:
    error = rejected(service(**{key: None}))
    assert error.field == key and "required" in error.reason
    assert error.source == "feed.json" and error.line == 7


def test_empty_id_is_an_error_not_a_derived_id() -> None:
    assert rejected(service(id="   ")).field == "id"


def test_service_without_organization_is_rejected() -> None:
    error = rejected(service(organization=None, organization_id=ORG_ID))
    assert error.field == "organization" and ORG_ID in error.reason


def test_organization_without_description_is_accepted_with_a_warning() -> None:
    record = ok(service(organization={"id": ORG_ID, "name": "Bibliotheek"}))
    assert "description" not in record.service["organization"]
    assert any("description is missing" in w for w in record.warnings)


def test_organization_id_must_match_the_embedded_organization() -> None:
    error = rejected(service(organization_id="11111111-1111-4111-8111-111111111111"))
    assert error.field == "organization_id" and "does not match" in error.reason


def test_location_type_defaults_to_physical_when_there_is_an_address() -> None:
    record = ok(location(location_type=None))
    assert record.service["service_at_locations"][0]["location"]["location_type"] == "physical"
    assert any("'physical' assumed" in w for w in record.warnings)


def test_location_type_missing_without_address_rejects() -> None:
    error = rejected(location(location_type=None, addresses=None))
    assert error.field == "service_at_locations[0].location.location_type"
    assert error.reason.startswith(f"location {LOC_ID}: ")


def test_address_without_city_rejects_without_postcode_warns() -> None:
    assert rejected(address(city=None)).field.endswith("addresses[0].city")
    record = ok(address(postal_code=None, address_type=None))
    assert any("postal_code is missing" in w for w in record.warnings)
    assert any("address_type missing" in w for w in record.warnings)


def test_phone_without_number_is_dropped_with_a_warning() -> None:
    record = ok(service(phones=[{"id": "e72aa93d-f54c-50eb-841b-c4c9bc3bfc6b", "type": "voice"}]))
    assert record.service["phones"] == []
    assert any("phone without number dropped" in w for w in record.warnings)


def test_attribute_without_term_rejects() -> None:
    error = rejected(service(attributes=[{"id": "3c50e003-acd2-4c92-8a85-8cfc3849e6c4"}]))
    assert error.field == "attributes[0].taxonomy_term"


def test_sal_without_location_rejects() -> None:
    error = rejected(service(service_at_locations=[{"id": "73a457b7-5668-449c-ab3c-4ce8390cfeb6"}]))
    assert error.field == "service_at_locations[0].location"


# --- types --------------------------------------------------------------------------------------


def test_numeric_strings_are_numbers() -> None:
    assert ok(service(minimum_age="16"), text_values=True).service["minimum_age"] == 16
    record = ok(service(minimum_age="16"))  # in JSON a string is tolerated, with a warning
    assert record.service["minimum_age"] == 16 and record.warnings
    assert ok(service(minimum_age=16.0)).service["minimum_age"] == 16


@pytest.mark.parametrize("value", ["sixteen", True, [16], "2,5"])
def test_wrong_number_types_reject(value: Any) -> None:
    error = rejected(service(minimum_age=value), text_values=True)
    assert error.field == "minimum_age"
    if value == "2,5":
        assert "decimal comma" in error.reason


def test_age_range_and_order() -> None:
    assert "out of range" in rejected(service(minimum_age=-1)).reason
    assert "above maximum_age" in rejected(service(minimum_age=18, maximum_age=12)).reason


def test_text_field_with_object_rejects() -> None:
    assert rejected(service(name={"nl": "Taalcafé"})).field == "name"


def test_children_must_be_a_list() -> None:
    assert rejected(service(phones="0183-000000")).field == "phones"


def test_not_an_object_is_a_record_error() -> None:
    error = rejected(["not", "a", "service"])
    assert "expected a service object" in error.reason


# --- enumerations -------------------------------------------------------------------------------


def test_bad_status_rejects_but_case_is_normalised() -> None:
    error = rejected(service(status="open"))
    assert error.field == "status" and "'open' is not one of" in error.reason
    assert ok(service(status="Temporarily Closed")).service["status"] == "temporarily closed"


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"freq": "DAILY"}, "freq"),
        ({"wkst": "XX"}, "wkst"),
        ({"freq": "MONTHLY", "byday": "3XX"}, "byday"),
        ({"freq": "MONTHLY", "byday": "6TU"}, "byday"),
        ({"freq": "WEEKLY", "byday": "3TU"}, "byday"),
        ({"bymonthday": "32"}, "bymonthday"),
        ({"interval": 0}, "interval"),
        ({"count": 1.5}, "count"),
    ],
)
def test_bad_schedule_values_reject(fields: dict[str, Any], bad_field: str) -> None:
    assert rejected(schedule(**fields)).field == f"schedules[0].{bad_field}"


@pytest.mark.parametrize("byday", ["3TU", "-1SU", "1SA,3SA", "+2WE"])
def test_ordinal_days_with_monthly_are_fine(byday: str) -> None:
    assert first_schedule(ok(schedule(freq="monthly", byday=byday)))["freq"] == "MONTHLY"


def test_byday_is_normalised() -> None:
    assert first_schedule(ok(schedule(freq="WEEKLY", byday="mo, tu ,WE")))["byday"] == "MO,TU,WE"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"location": "location_type", "value": "online"}, "location.location_type"),
        ({"location": "address_type", "value": "home"}, "addresses[0].address_type"),
    ],
)
def test_bad_location_enums_reject(patch: dict[str, str], field: str) -> None:
    raw = location() if patch["location"] == "location_type" else address()
    if patch["location"] == "location_type":
        raw["service_at_locations"][0]["location"]["location_type"] = patch["value"]
    else:
        raw["service_at_locations"][0]["location"]["addresses"][0]["address_type"] = patch["value"]
    assert rejected(raw).field.endswith(field)


# --- times, dates, date-times -------------------------------------------------------------------


def test_times_get_seconds() -> None:
    got = first_schedule(ok(schedule(opens_at="9:00", closes_at="17:30")))
    assert (got["opens_at"], got["closes_at"]) == ("09:00:00", "17:30:00")


@pytest.mark.parametrize("value", ["25:00", "10:60", "tien uur", "10.00"])
def test_impossible_times_reject(value: str) -> None:
    assert rejected(schedule(opens_at=value)).field == "schedules[0].opens_at"


def test_midnight_closing_and_zone_suffix() -> None:
    record = ok(schedule(closes_at="24:00", opens_at="09:00:00Z", dtstart="2025-07-01"))
    got = first_schedule(record)
    assert got["closes_at"] == "23:59:59" and got["opens_at"] == "11:00:00"  # CEST
    winter = first_schedule(ok(schedule(opens_at="09:00:00+00:00", dtstart="2025-12-01")))
    assert winter["opens_at"] == "10:00:00"


@pytest.mark.parametrize("value", ["2025-13-01", "01-02-2025", "2025-02-30", "gisteren"])
def test_bad_dates_reject(value: str) -> None:
    assert rejected(schedule(valid_from=value)).field == "schedules[0].valid_from"


def test_datetime_in_a_date_field_keeps_the_date() -> None:
    record = ok(schedule(until="2025-12-31T23:59:59Z"))
    assert first_schedule(record)["until"] == "2025-12-31" and record.warnings


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-06-01T09:30:00.000Z", "2025-06-01T09:30:00Z"),
        ("2025-06-01T09:30:00.123Z", "2025-06-01T09:30:00.123Z"),
        ("2025-06-01T11:30:00+02:00", "2025-06-01T09:30:00Z"),
        ("2025-06-01T11:30:00", "2025-06-01T09:30:00Z"),  # no zone: Amsterdam local time
        ("2025-06-01", "2025-06-01T00:00:00Z"),
    ],
)
def test_last_modified_is_normalised_to_utc(value: str, expected: str) -> None:
    assert ok(service(last_modified=value)).service["last_modified"] == expected


def test_bad_last_modified_rejects() -> None:
    assert rejected(service(last_modified="vorige week")).field == "last_modified"


# --- url, e-mail, coordinates -------------------------------------------------------------------


def test_url_without_scheme_gets_https() -> None:
    record = ok(service(url="www.bibliotheek-werkendam.example/taalcafe"))
    assert record.service["url"] == "https://www.bibliotheek-werkendam.example/taalcafe"
    assert any("'https://' added" in w for w in record.warnings)


def test_invalid_url_and_email_are_dropped_with_a_warning() -> None:
    record = ok(service(url="zie website", email="info at bieb punt nl"))
    assert "url" not in record.service and "email" not in record.service
    assert len(record.warnings) == 2


def test_mailto_prefix_is_removed() -> None:
    assert ok(service(email="mailto:info@bieb.example")).service["email"] == "info@bieb.example"


def test_out_of_range_coordinates_are_dropped() -> None:
    record = ok(location(latitude=100, longitude=101))
    assert "latitude" not in record.service["service_at_locations"][0]["location"]
    assert any("out of range" in w for w in record.warnings)


# --- text hygiene and size limits ---------------------------------------------------------------


def test_control_characters_are_stripped_and_text_trimmed() -> None:
    record = ok(service(name="  Taal\x00café\x1b  ", description="Regel 1\r\nRegel\x07 2 "))
    assert record.service["name"] == "Taalcafé"
    assert record.service["description"] == "Regel 1\nRegel 2"
    assert any("control characters removed" in w for w in record.warnings)


def test_single_line_fields_lose_line_breaks() -> None:
    assert ok(service(name="Taal\ncafé\tWerkendam")).service["name"] == "Taal café Werkendam"


def test_text_is_nfc() -> None:
    assert ok(service(name="Taalcafe\u0301")).service["name"] == "Taalcafé"


@pytest.mark.parametrize(
    ("key", "size"),
    [("name", 501), ("description", 20_001), ("eligibility_description", 100_001)],
)
def test_huge_fields_reject(key: str, size: int) -> None:
    error = rejected(service(**{key: "x" * size}))
    assert error.field == key and f"{size} characters" in error.reason


def test_fields_at_the_limit_pass() -> None:
    ok(service(name="x" * 500, description="y" * 20_000))


# --- ids ----------------------------------------------------------------------------------------


def test_uuids_are_lower_cased() -> None:
    assert ok(service(id=SERVICE_ID.upper())).service["id"] == SERVICE_ID


def test_non_uuid_ids_are_mapped_consistently() -> None:
    raw = service(id="svc-1", organization_id="org-1")
    raw["organization"] = {**raw["organization"], "id": "org-1"}
    record = ok(raw)
    expected_org = str(uuid.uuid5(NAMESPACE, "test:org-1"))
    assert record.service["id"] == str(uuid.uuid5(NAMESPACE, "test:svc-1"))
    assert record.service["organization"]["id"] == expected_org
    assert record.service["organization_id"] == expected_org
    assert any("'svc-1' is not a UUID" in w for w in record.warnings)
    assert map_id("org-1", "other-feed")[0] != expected_org  # the feed is part of the name


def test_numeric_ids_from_old_feeds_are_mapped() -> None:
    assert ok(service(id=12)).service["id"] == str(uuid.uuid5(NAMESPACE, "test:12"))


# --- several services ---------------------------------------------------------------------------


def test_duplicate_service_id_rejects_the_second_naming_both_lines() -> None:
    items = [
        RawService(service(), Origin("feed.json", 2)),
        RawService(service(name="Ander"), Origin("feed.json", 40)),
    ]
    first, second = validate_services(items, feed="test")
    assert isinstance(first, ImportedRecord)
    assert isinstance(second, RecordError) and second.line == 40
    assert "feed.json:2" in second.reason and "feed.json:40" in second.reason


def test_nested_error_names_the_object_and_path() -> None:
    raw = copy.deepcopy(schedule(freq="DAILY"))
    error = rejected(raw)
    assert error.record_id == SERVICE_ID and error.record_type == "service"
    assert error.reason.startswith("schedule d3064a90-b3ff-4fe5-9733-3ef12374fb5b: 'DAILY'")
    assert "feed.json:7" in str(error)


def test_several_problems_are_summarised_in_one_error() -> None:
    error = rejected(service(status="open", minimum_age="veel"))
    assert error.field == "minimum_age" or error.field == "status"
    assert "also:" in error.reason


# --- robustness ---------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)
SERVICE_KEYS = st.sampled_from(
    [
        "id",
        "name",
        "status",
        "minimum_age",
        "last_modified",
        "url",
        "email",
        "organization",
        "organization_id",
        "phones",
        "schedules",
        "service_at_locations",
        "attributes",
        "metadata",
    ]
)
NESTED_KEYS = st.sampled_from(
    [
        "id",
        "freq",
        "byday",
        "opens_at",
        "dtstart",
        "location",
        "location_type",
        "addresses",
        "latitude",
        "taxonomy_term",
        "number",
        "link_entity",
        "name",
    ]
)


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    top=st.dictionaries(SERVICE_KEYS, JSON_VALUES, max_size=6),
    nested=st.dictionaries(NESTED_KEYS, JSON_VALUES, max_size=6),
    where=st.sampled_from(["phones", "schedules", "service_at_locations", "attributes"]),
    text_values=st.booleans(),
)
def test_cleaning_never_raises(
    top: dict[str, Any], nested: dict[str, Any], where: str, text_values: bool
) -> None:
    raw = {**service(), **top}
    raw[where] = [nested]
    result = clean_service(raw, ORIGIN, feed="fuzz", text_values=text_values)
    assert isinstance(result, ImportedRecord | RecordError)
    if isinstance(result, RecordError):
        assert result.reason and str(result)
