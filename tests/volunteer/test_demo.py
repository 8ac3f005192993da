"""``sociale-kaart demo --load-only``: all demo data, the volunteer platform's included, loaded
without serving; a second run changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from sociale_kaart.cli import main
from sociale_kaart.config import load_settings
from sociale_kaart.db import Database
from sociale_kaart.models import Person, Service, VolunteerListing
from sociale_kaart.models.volunteer import LISTING_TYPES


def _counts(instance) -> dict:
    db = Database(load_settings(instance).database_url)
    try:
        with db.session() as session:
            types = dict(session.execute(select(VolunteerListing.type, func.count())
                                         .group_by(VolunteerListing.type)).all())
            kernen = set(session.scalars(select(VolunteerListing.kern)))
            return {"services": session.scalar(select(func.count()).select_from(Service)),
                    "people": session.scalar(select(func.count()).select_from(Person)),
                    "types": types, "kernen": kernen,
                    "active": session.scalar(select(func.count()).select_from(VolunteerListing)
                                             .where(VolunteerListing.status == "active"))}
    finally:
        db.dispose()


def test_load_only_loads_everything_and_exits(runner, tmp_path, monkeypatch):
    monkeypatch.delenv("SOCIALE_KAART_DATABASE_URL", raising=False)
    instance = tmp_path / "instance"
    result = runner.invoke(main, ["--instance", str(instance), "demo", "--load-only"])
    assert result.exit_code == 0, result.output
    assert "Demodata vrijwilligerswerk" in result.output
    counts = _counts(instance)
    assert counts["services"] == 150
    assert set(counts["types"]) == set(LISTING_TYPES) and counts["types"]["hulpvraag"] >= 2
    assert {"Woudrichem", "Almkerk", "Werkendam", "Sleeuwijk"} <= counts["kernen"]
    assert {"Veghel", "Schijndel", "Sint-Oedenrode"} <= counts["kernen"]
    assert counts["active"] == sum(counts["types"].values())
    again = runner.invoke(main, ["--instance", str(instance), "demo", "--load-only"])
    assert again.exit_code == 0 and "Demodata vrijwilligerswerk" not in again.output
    assert _counts(instance) == counts
