"""Issue 5 (parts 2-5) below the web layer: form values ↔ canonical listings, validation in
plain Dutch, moderation of some fields only, optimistic locking, audit trail and revert."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import date

import pytest
from conftest import SAMPLE_JSON
from sqlalchemy import select

from importers.hsds_json import HsdsJsonImporter
from importers.validation import NAMESPACE
from sociale_kaart.models import ChangeRecord, PendingChange, Schedule, Service
from sociale_kaart.services import editing
from sociale_kaart.services.accounts import create_user
from sociale_kaart.services.edit_values import (
    HoursRow,
    LocationRow,
    apply_changes,
    check_record,
    check_values,
    field_diff,
    gated_changes,
    values_from,
)
from sociale_kaart.services.imports import import_paths

CANONICAL = {r.id: r.service for r in HsdsJsonImporter().read(SAMPLE_JSON)}
RECORDS = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))


def _with(pred) -> dict:
    return next(copy.deepcopy(s) for s in CANONICAL.values() if pred(s))


def _codes(service: dict, facet: str) -> list[str]:
    return [a["taxonomy_term"].get("code") for a in service["attributes"]
            if a.get("link_type") == facet]


COURSE = _with(lambda s: "cursus" in _codes(s, "soort") and s["service_at_locations"])
HOURS = _with(lambda s: any(x.get("byday") == "MO,TU,WE,TH,FR" for x in s["schedules"]))
PLAIN = _with(lambda s: not s["phones"] and s["service_at_locations"]
              and "cursus" not in _codes(s, "soort"))


# -- pure: form values ↔ listing ------------------------------------------------------------

@pytest.mark.parametrize("service_id", sorted(CANONICAL))
def test_unchanged_form_gives_back_the_same_listing(service_id):
    before = CANONICAL[service_id]
    proposed, errors = check_record(apply_changes(before, values_from(before)))
    assert errors == {} and proposed == before


def _apply(before: dict, **changes) -> dict:
    values = values_from(before)
    for key, value in changes.items():
        setattr(values, key, value)
    proposed, errors = check_record(apply_changes(before, values))
    assert errors == {}, errors
    return proposed


APPLY_CASES = [
    ("description", {"description": "Nieuwe tekst."},
     lambda before, after: after["description"] == "Nieuwe tekst."),
    ("empty removes", {"application_process": "  "},
     lambda before, after: "application_process" not in after),
    ("age as text", {"minimum_age": "18", "maximum_age": "67"},
     lambda before, after: (after["minimum_age"], after["maximum_age"]) == (18, 67)),
    ("phone added with a stable id", {"phone": "0183 123 456"},
     lambda before, after: after["phones"] == [{
         "id": str(uuid.uuid5(NAMESPACE, f"{before['id']}:phone")), "number": "0183 123 456",
         "type": "voice"}]),
    ("status", {"status": "temporarily closed"},
     lambda before, after: after["status"] == "temporarily closed"),
    ("language added", {"languages": ["nl", "pl"]},
     lambda before, after: {lang["code"]: lang["name"] for lang in after["languages"]}
     == {"nl": "Nederlands", "pl": "Pools"}),
    ("service area", {"service_areas": ["Altena", "Gorinchem"]},
     lambda before, after: sorted(a["name"] for a in after["service_areas"])
     == ["Altena", "Gorinchem"]),
]


@pytest.mark.parametrize("name,changes,check", APPLY_CASES, ids=[c[0] for c in APPLY_CASES])
def test_apply_changes(name, changes, check):
    before = copy.deepcopy(PLAIN)
    after = _apply(before, **changes)
    assert check(before, after)
    untouched = {k for k in before if k not in ("description", "application_process",
                                                "minimum_age", "maximum_age", "phones",
                                                "status", "languages", "service_areas")}
    assert {k: after.get(k) for k in untouched} == {k: before.get(k) for k in untouched}


def test_facets_keep_their_ids_and_new_ones_are_stable():
    before = copy.deepcopy(COURSE)
    kept = [a for a in before["attributes"] if a["link_type"] == "levensgebied"]
    after = _apply(before, levensgebieden=[kept[0]["value"], "geld"], toegang="vrij")
    ids = {a["taxonomy_term"]["code"]: a["id"] for a in after["attributes"]}
    assert ids[kept[0]["value"]] == kept[0]["id"]
    assert ids["geld"] == str(uuid.uuid5(NAMESPACE, f"{before['id']}:levensgebied:geld"))
    assert _codes(after, "toegang") == ["vrij"]
    assert kept[1]["value"] not in _codes(after, "levensgebied")
    assert gated_changes(before, after) == {"categories", "access"}


def test_hours_rows_edit_add_and_remove():
    before = copy.deepcopy(HOURS)
    values = values_from(before)
    assert [row.weekday for row in values.hours][:5] == ["MO", "TU", "WE", "TH", "FR"]
    # Friday closes earlier, Tuesday is gone, Saturday morning is new.
    rows = [r for r in values.hours if r.weekday != "TU"]
    for row in rows:
        if row.weekday == "FR":
            row.closes = "12:00"
    rows.append(HoursRow("SA", "10:00", "12:00", "Inloop"))
    values.hours = rows
    after, errors = check_record(apply_changes(before, values))
    assert errors == {}
    weekly = [s for s in after["schedules"] if s.get("byday") and "dtstart" not in s]
    by_days = {s["byday"]: s for s in weekly}
    original = next(s for s in before["schedules"] if s.get("byday") == "MO,TU,WE,TH,FR")
    assert by_days["MO,WE,TH"]["id"] == original["id"]
    assert by_days["FR"]["closes_at"] == "12:00:00"
    assert by_days["SA"]["description"] == "Inloop" and by_days["SA"]["freq"] == "WEEKLY"
    assert "TU" not in ",".join(by_days)


def test_changed_address_is_geocoded_again():
    before = copy.deepcopy(COURSE)
    values = values_from(before)
    values.locations[0].street = "Kerkstraat 3"
    after, _ = check_record(apply_changes(before, values))
    location = after["service_at_locations"][0]["location"]
    assert location["addresses"][0]["address_1"] == "Kerkstraat 3"
    assert "latitude" not in location
    values.locations = [LocationRow(values.locations[0].id)]  # all empty: removed
    after, _ = check_record(apply_changes(before, values))
    assert after["service_at_locations"] == []


ERROR_CASES = [
    ({"name": ""}, "name", "Vul de naam van het aanbod in."),
    ({"minimum_age": "achttien"}, "minimum_age", "Vul een getal in met alleen cijfers"),
    ({"minimum_age": "18,5"}, "minimum_age", "Vul een getal in met alleen cijfers"),
    ({"minimum_age": "200"}, "minimum_age", "tussen 0 en 150"),
    ({"minimum_age": "65", "maximum_age": "18"}, "minimum_age", "hoger dan de maximumleeftijd"),
    ({"email": "geen e-mail"}, "email", "Dit e-mailadres klopt niet"),
    ({"url": "niet een adres"}, "url", "Dit webadres klopt niet"),
    ({"description": "x" * 20_001}, "description", "Deze tekst is te lang"),
]


@pytest.mark.parametrize("changes,field,message", ERROR_CASES,
                         ids=[c[1] + ":" + str(i) for i, c in enumerate(ERROR_CASES)])
def test_importer_rules_give_dutch_messages_on_the_field(changes, field, message):
    values = values_from(PLAIN)
    for key, value in changes.items():
        setattr(values, key, value)
    proposed, errors = check_record(apply_changes(PLAIN, values))
    assert proposed is None and message in errors[field]


def test_form_checks():
    values = values_from(PLAIN)
    values.levensgebieden = []
    values.service_areas = ["Nergenshuizen"]
    values.hours = [HoursRow("MO", "25:00", "12:00"), HoursRow("TU", "14:00", "13:00"),
                    HoursRow("", "10:00", "")]
    values.locations = [LocationRow("", "Nieuwe plek", "", "12345", "")]
    errors = check_values(values)
    assert errors["levensgebieden"] == "Kies minstens één onderwerp."
    assert "Nergenshuizen" in errors["service_areas"]
    assert errors["hours-0-opens"] == "Vul een tijd in zoals 09:30."
    assert errors["hours-1-closes"] == "De eindtijd ligt voor de begintijd."
    assert errors["hours-2-weekday"] == "Kies de dag."
    assert errors["locations-0-street"] == "Vul de straat en het huisnummer in."
    assert errors["locations-0-postal_code"] == "Vul een postcode in zoals 4251 XW."


def test_field_diff_in_plain_dutch():
    after = _apply(copy.deepcopy(PLAIN), description="Anders.", toegang="verwijzing")
    rows = field_diff(PLAIN, after)
    labels = [label for label, _, _ in rows]
    assert labels == ["Omschrijving", "Toegang"]
    assert rows[1] == ("Toegang", "Vrij toegankelijk", "Verwijzing nodig")


# -- with a database --------------------------------------------------------------------------

@pytest.fixture
def world(db, tmp_path):
    path = tmp_path / "few.json"
    wanted = {COURSE["id"], PLAIN["id"]}
    path.write_text(json.dumps([r for r in RECORDS if r["id"] in wanted]), encoding="utf-8")
    import_paths(db, [path], load_plugins=False)
    session = db.Session()
    users = {}
    for key, role, trusted in [("provider", "provider", False), ("trusted", "provider", True),
                               ("moderator", "moderator", False),
                               ("beheerder", "beheerder", False)]:
        orgs = [COURSE["organization"]["id"], PLAIN["organization"]["id"]] \
            if role == "provider" else []
        users[key] = create_user(session, f"{key}@example.nl", role, password="x" * 12,
                                 organization_ids=orgs, trusted=trusted)
    session.commit()
    yield session, users
    session.close()


def _values(session, service_id: str, **changes):
    service = session.get(Service, service_id)
    values = values_from(editing.snapshot(session, service))
    for key, value in changes.items():
        setattr(values, key, value)
    return values, service.version


def test_untrusted_provider_gated_part_waits_rest_publishes(world):
    session, users = world
    values, version = _values(session, PLAIN["id"], description="Nieuwe omschrijving.",
                              phone="0183 999 999")
    result = editing.save_edit(session, PLAIN["id"], users["provider"], values, version)
    session.commit()
    assert result.status == "partly" and result.waiting == {"description"}
    service = session.get(Service, PLAIN["id"])
    assert service.description == PLAIN["description"]  # residents: still the old text
    assert service.phones[0].number == "0183 999 999"
    assert service.version == version + 1
    pending = session.get(PendingChange, result.pending_id)
    assert pending.proposed["description"] == "Nieuwe omschrijving."
    assert pending.status == "pending" and pending.base_version == version + 1
    record = session.scalars(select(ChangeRecord).where(ChangeRecord.action == "update")).one()
    assert (record.source, record.actor) == ("provider", "provider@example.nl")
    assert record.before["description"] == record.after["description"] == PLAIN["description"]
    # The moderator publishes the description onto the listing as it is now.
    editing.publish_pending(session, pending.id, users["moderator"])
    session.commit()
    assert service.description == "Nieuwe omschrijving."
    assert service.phones[0].number == "0183 999 999"
    assert pending.status == "published"


def test_trusted_provider_and_moderator_publish_at_once(world):
    session, users = world
    for key, text in (("trusted", "Vertrouwd."), ("moderator", "Door moderator.")):
        values, version = _values(session, PLAIN["id"], description=text)
        result = editing.save_edit(session, PLAIN["id"], users[key], values, version)
        session.commit()
        assert result.status == "published"
        assert session.get(Service, PLAIN["id"]).description == text
    assert session.scalars(select(PendingChange)).all() == []


def test_conflict_keeps_both_versions(world):
    session, users = world
    first, version = _values(session, PLAIN["id"], description="Eerste.")
    second, _ = _values(session, PLAIN["id"], description="Tweede.", alert="Let op")
    assert editing.save_edit(session, PLAIN["id"], users["trusted"], first,
                             version).status == "published"
    result = editing.save_edit(session, PLAIN["id"], users["moderator"], second, version)
    session.commit()
    assert result.status == "conflict"
    assert session.get(Service, PLAIN["id"]).description == "Eerste."
    record = session.get(ChangeRecord, result.change_id)
    assert record.action == "conflict"
    assert record.before["description"] == "Eerste."
    assert record.after["description"] == "Tweede." and record.after["alert"] == "Let op"
    labels = {label for label, _, _ in field_diff(result.current, result.mine)}
    assert labels == {"Omschrijving", "Let op-melding"}


def test_revert_restores_a_field(world):
    session, users = world
    values, version = _values(session, PLAIN["id"], name="Een nieuwe naam")
    result = editing.save_edit(session, PLAIN["id"], users["beheerder"], values, version)
    session.commit()
    assert session.get(Service, PLAIN["id"]).name == "Een nieuwe naam"
    assert session.get(ChangeRecord, result.change_id).source == "beheerder"
    reverted = editing.revert(session, result.change_id, users["beheerder"])
    session.commit()
    service = session.get(Service, PLAIN["id"])
    assert service.name == PLAIN["name"] and service.version == version + 2
    record = session.get(ChangeRecord, reverted.change_id)
    assert record.action == "revert" and record.before["name"] == "Een nieuwe naam"


def test_import_changes_are_audited(world, db, tmp_path):
    session, _ = world
    created = session.scalars(select(ChangeRecord).where(
        ChangeRecord.service_id == PLAIN["id"])).one()
    assert (created.source, created.action, created.before) == ("import", "create", None)
    assert created.actor.endswith("few.json")
    assert created.after["description"] == PLAIN["description"]
    record = next(r for r in RECORDS if r["id"] == PLAIN["id"])
    path = tmp_path / "again.json"
    path.write_text(json.dumps([{**record, "description": "Bijgewerkt door de bron."}]),
                    encoding="utf-8")
    import_paths(db, [path], load_plugins=False)
    import_paths(db, [path], load_plugins=False)  # unchanged: nothing recorded
    session.expire_all()
    records = session.scalars(select(ChangeRecord).where(
        ChangeRecord.service_id == PLAIN["id"]).order_by(ChangeRecord.id)).all()
    assert [r.action for r in records] == ["create", "update"]
    assert records[1].before["description"] == PLAIN["description"]
    assert records[1].after["description"] == "Bijgewerkt door de bron."


def test_confirm_sets_assured_date_and_an_empty_save_does_not(world):
    session, users = world
    values, version = _values(session, PLAIN["id"])
    assert editing.save_edit(session, PLAIN["id"], users["provider"], values,
                             version).status == "unchanged"
    service = session.get(Service, PLAIN["id"])
    assert service.assured_date is None and service.version == version
    editing.confirm_current(session, PLAIN["id"], users["provider"], date(2026, 11, 22))
    session.commit()
    assert service.assured_date == date(2026, 11, 22)
    assert service.assurer_email == "provider@example.nl"
    values, version = _values(session, PLAIN["id"], phone="0183 111 111")
    editing.save_edit(session, PLAIN["id"], users["provider"], values, version)
    session.commit()
    assert service.assured_date == date(2026, 11, 22)


def test_reject_needs_a_reason_and_mails_the_provider(world, monkeypatch):
    session, users = world
    values, version = _values(session, PLAIN["id"], name="Reclame!")
    result = editing.save_edit(session, PLAIN["id"], users["provider"], values, version)
    assert result.status == "pending"
    with pytest.raises(editing.EditError):
        editing.reject_pending(session, result.pending_id, users["moderator"], "  ")
    sent = []
    monkeypatch.setattr(editing, "send_mail", lambda settings, to, subject, body:
                        sent.append((to, subject, body)) or True)

    class FakeSettings:
        site_name = "Sociale Kaart Altena"

    assert editing.reject_pending(session, result.pending_id, users["moderator"],
                                  "Dit is geen naam van een aanbod.", settings=FakeSettings(),
                                  link="https://kaart.example/aanbieder/")
    session.commit()
    assert sent[0][0] == "provider@example.nl"
    assert "Dit is geen naam van een aanbod." in sent[0][2]
    assert session.get(PendingChange, result.pending_id).status == "rejected"
    assert session.get(Service, PLAIN["id"]).name == PLAIN["name"]


def test_new_listing_waits_unless_trusted(world):
    session, users = world
    values = values_from({})
    values.name, values.levensgebieden = "Nieuwe koffieochtend", ["ontmoeting"]
    org = PLAIN["organization"]["id"]
    waiting = editing.create_service(session, org, users["provider"], values,
                                     str(uuid.uuid4()))
    assert waiting.status == "pending" and session.get(Service, waiting.service_id) is None
    published = editing.create_service(session, org, users["trusted"], values,
                                       str(uuid.uuid4()))
    session.commit()
    assert published.status == "published"
    assert session.get(Service, published.service_id).name == "Nieuwe koffieochtend"
    editing.publish_pending(session, waiting.pending_id, users["moderator"])
    session.commit()
    assert session.get(Service, waiting.service_id).organization_id == org


def test_course_sessions_publish_at_once(world):
    session, users = world
    service = session.get(Service, COURSE["id"])
    course = next(s for s in service.schedules if s.is_course_session)
    from sociale_kaart.services.edit_values import SessionValues, check_session

    values = SessionValues("2027-02-01", "2027-06-28", "MO", "19:30", "21:30", "10", "12", "3")
    schedule, extra, errors = check_session(values, course.id)
    assert errors == {}
    result = editing.save_session(session, COURSE["id"], users["provider"], schedule, extra,
                                  service.version)
    session.commit()
    assert result.status == "published"
    row = session.get(Schedule, course.id)
    assert (row.dtstart, row.until, row.places, row.places_left) == \
        (date(2027, 2, 1), date(2027, 6, 28), 12, 3)
    editing.cancel_session(session, COURSE["id"], course.id, users["provider"],
                           service.version)
    session.commit()
    assert row.cancelled
    actions = session.scalars(select(ChangeRecord.action).where(
        ChangeRecord.service_id == COURSE["id"]).order_by(ChangeRecord.id)).all()
    assert actions == ["create", "course-change", "course-cancel"]
    _, _, errors = check_session(SessionValues("2027-06-01", "2027-02-01", places="2",
                                               places_left="5"), course.id)
    assert errors == {"end": "De laatste datum ligt voor de eerste datum.",
                      "places_left": "Er zijn meer plaatsen vrij dan er plaatsen zijn."}


def test_provider_cannot_change_a_location_another_organisation_uses(world):
    from sociale_kaart.models import Organization, ServiceAtLocation

    session, users = world
    location_id = COURSE["service_at_locations"][0]["location"]["id"]
    other = Organization(id=str(uuid.uuid4()), name="Andere stichting", description="")
    session.add(other)
    session.add(Service(id=str(uuid.uuid4()), organization_id=other.id, name="Buurman",
                        status="active"))
    session.flush()
    service_id = session.scalars(select(Service.id).where(
        Service.organization_id == other.id)).one()
    session.add(ServiceAtLocation(id=str(uuid.uuid4()), service_id=service_id,
                                  location_id=location_id))
    session.commit()
    values, version = _values(session, COURSE["id"])
    values.locations[0].name = "Andere naam"
    result = editing.save_edit(session, COURSE["id"], users["provider"], values, version)
    assert result.status == "invalid" and "andere organisatie" in result.errors[
        "locations-0-name"]
    result = editing.save_edit(session, COURSE["id"], users["beheerder"], values, version)
    assert result.status == "published"
