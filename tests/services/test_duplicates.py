"""Duplicate detection across sources, merge proposals, and remembered decisions."""

from __future__ import annotations

import copy
import json

import pytest
from conftest import SAMPLE_JSON

from sociale_kaart.models.duplicate import MergeProposal
from sociale_kaart.services.duplicates import (
    DuplicateIndex,
    compare,
    decide,
    merged_record,
    profile_of,
    side_by_side,
)
from sociale_kaart.services.import_report import run_import
from sociale_kaart.services.imports import import_paths

SERVICES = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))


def _service(name: str) -> dict:
    return copy.deepcopy(next(s for s in SERVICES if s["name"] == name))


def _variant(service: dict, **changes) -> dict:
    out = copy.deepcopy(service)
    out["id"] = "00000000-0000-4000-8000-000000000001"
    out.update(changes)
    return out


@pytest.fixture(scope="module")
def index() -> DuplicateIndex:
    return DuplicateIndex(profile_of(s) for s in SERVICES)


def test_same_listing_under_another_id_is_found(index: DuplicateIndex):
    original = _service("Samen aan Tafel Hank")
    match = index.match(_variant(original, name="Samen aan tafel  HANK"))
    assert match is not None and match.existing_id == original["id"]


def test_own_id_is_an_update_not_a_duplicate(index: DuplicateIndex):
    assert index.match(_service("Samen aan Tafel Hank")) is None


@pytest.mark.parametrize(("name", "similar"), [
    ("Taalhuis Werkendam", True),
    ("Taalhuis", True),  # the kern left out
    ("Werkendam Taalhuis", True),
    ("Klaverjasavond", False),  # same building and phone, another activity
])
def test_name_must_be_similar(name: str, similar: bool):
    original = _service("Taalhuis Werkendam")
    incoming = profile_of(_variant(original, name=name))
    assert (compare(incoming, profile_of(original)) is not None) is similar


def test_similar_name_far_away_is_not_a_duplicate():
    original = _service("Taalhuis Werkendam")
    moved = _variant(original, phones=[])
    moved["organization"] = {"id": "x", "name": "Andere bieb"}
    moved.pop("email", None), moved.pop("url", None)
    for sal in moved["service_at_locations"]:
        sal["location"].pop("latitude", None), sal["location"].pop("longitude", None)
        for address in sal["location"]["addresses"]:
            address.update(address_1="Markt 1", postal_code="5461 LD", city="Veghel")
    assert compare(profile_of(moved), profile_of(original)) is None


def test_proposal_decision_and_memory(db, tmp_path):
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    path = tmp_path / "lijst.csv"
    path.write_text("Naam activiteit;Organisatie;Dag;Tijd;Adres;Postcode;Plaats;Telefoon\n"
                    "Taalhuis Werkendam;Bibliotheek Dijkenland;woensdag;10-12;Hoogstraat 12;"
                    "4251 XW;Werkendam;0183-502460\n", encoding="utf-8")
    first = run_import(db, [path], load_plugins=False)
    [entry] = first.entries
    assert entry.status == "duplicate" and entry.duplicate_of
    assert entry.record["name"] == "Taalhuis Werkendam"
    assert not first.report.created
    with db.session() as session:
        [proposal] = session.query(MergeProposal).all()
        fields = [f for f, _old, _new in side_by_side(session, proposal)]
        assert "schedules" in fields
        merged = merged_record(session, proposal, {"schedules": "incoming"})
        assert merged["id"] == entry.duplicate_of
        assert merged["schedules"] == proposal.record["schedules"]
        decide(session, proposal, "keep_both", user="beheerder")
    second = run_import(db, [path], load_plugins=False)
    assert [e.status for e in second.entries] == ["created"]  # not asked again
    with db.session() as session:
        assert session.query(MergeProposal).filter_by(status="open").count() == 0


def test_remembered_merge_is_not_proposed_again(db, tmp_path):
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    path = tmp_path / "lijst.csv"
    path.write_text("Naam;Dag;Adres;Postcode;Plaats;Telefoon\n"
                    "Taalhuis Werkendam;woensdag;Hoogstraat 12;4251 XW;Werkendam;0183502460\n",
                    encoding="utf-8")
    run_import(db, [path], load_plugins=False)
    with db.session() as session:
        proposal = session.query(MergeProposal).one()
        decide(session, proposal, "merge", {"name": "existing"})
    again = run_import(db, [path], load_plugins=False)
    assert [e.status for e in again.entries] == ["duplicate"]
    with db.session() as session:
        assert session.query(MergeProposal).count() == 1
