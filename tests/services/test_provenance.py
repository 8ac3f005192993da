"""Issue 8 part 8, provenance: every listing remembers its sources (file or feed with the
publisher's own id, the portal by kind of account), shows them as HSDS metadata, and an import of
our own export restores them instead of storing them as metadata, so the round trip is
identical and a re-import changes nothing."""

from __future__ import annotations

import copy
import json

from conftest import SAMPLE_JSON
from sqlalchemy import func, select

from sociale_kaart.db import Database
from sociale_kaart.models import Metadata, Service, ServiceSource
from sociale_kaart.services.audit import record_change
from sociale_kaart.services.hsds_export import service_to_hsds
from sociale_kaart.services.hsds_files import published_services, render
from sociale_kaart.services.imports import import_paths
from sociale_kaart.services.provenance import metadata_id

RECORDS = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))


def _feed(tmp_path, name: str = "feed-gemeente.json"):
    """Two sample services under a publisher's own, non-UUID ids."""
    records = copy.deepcopy(RECORDS[:2])
    for number, record in enumerate(records, start=1):
        record["id"] = f"dienst-{number}"
    path = tmp_path / name
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def _sources(db: Database) -> set[tuple]:
    with db.session() as session:
        return {(s.service_id, s.source, s.source_kind, s.source_record_id)
                for s in session.scalars(select(ServiceSource))}


def _published(db: Database) -> bytes:
    with db.session() as session:
        return render(published_services(session), "hsds-json")


def test_import_notes_the_file_and_the_publishers_own_id(db, tmp_path):
    import_paths(db, [_feed(tmp_path)], load_plugins=False)
    sources = _sources(db)
    assert {(s[1], s[2], s[3]) for s in sources} == {
        ("feed-gemeente.json", "import", "dienst-1"), ("feed-gemeente.json", "import", "dienst-2")}
    services = json.loads(_published(db))
    for service in services:
        [entry] = service["metadata"]
        own = next(s[3] for s in sources if s[0] == service["id"])
        assert entry == {"id": metadata_id(service["id"], "feed-gemeente.json", "import"),
                         "resource_type": "service",
                         "last_action_date": entry["last_action_date"],
                         "last_action_type": "source", "field_name": "source",
                         "previous_value": own,
                         "replacement_value": f"feed-gemeente.json (id {own})",
                         "updated_by": "import"}
    with db.session() as session:  # not in the canonical record the writer compares
        assert all(not service_to_hsds(session, s)["metadata"]
                   for s in session.scalars(select(Service)))


def test_uuid_ids_are_no_own_id_and_the_folder_is_never_named(db):
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    assert {(s[1], s[2], s[3]) for s in _sources(db)} == {("services.json", "import", None)}
    assert str(SAMPLE_JSON.parent) not in _published(db).decode()


def test_export_import_restores_the_sources_and_stays_identical(db, settings, tmp_path):
    import_paths(db, [_feed(tmp_path)], load_plugins=False)
    first = _published(db)
    export = tmp_path / "open-data-export.json"
    export.write_bytes(first)
    other = Database(f"sqlite:///{tmp_path / 'second.db'}")
    other.upgrade()
    try:
        report = import_paths(other, [export], load_plugins=False)
        assert len(report.created) == 2 and not report.warnings
        assert _published(other) == first
        assert _sources(other) == _sources(db)  # the feed, not the export file
        with other.session() as session:
            assert session.scalar(select(func.count()).select_from(Metadata)) == 0
        again = import_paths(other, [export], load_plugins=False)
        assert len(again.unchanged) == 2
        assert _published(other) == first
    finally:
        other.dispose()


def test_portal_changes_note_the_portal_by_kind_of_account(db):
    import_paths(db, [SAMPLE_JSON], load_plugins=False)
    service_id = RECORDS[0]["id"]
    with db.session() as session:
        for source, action in (("provider", "update"), ("moderator", "conflict"),
                               ("beheerder", "revert")):
            record_change(session, service_id, source=source, actor="iemand@example.org",
                          action=action, before=None, after={"id": service_id})
    kinds = {(s[1], s[2]) for s in _sources(db) if s[0] == service_id}
    # a lost conflict changed nothing on the map, so it is no source
    assert kinds == {("services.json", "import"), ("portal", "provider"),
                     ("portal", "beheerder")}
    published = next(s for s in json.loads(_published(db)) if s["id"] == service_id)
    assert sorted((m["replacement_value"], m["updated_by"]) for m in published["metadata"]) \
        == [("portal", "beheerder"), ("portal", "provider"), ("services.json", "import")]
