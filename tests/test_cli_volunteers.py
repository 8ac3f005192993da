"""``sociale-kaart volunteers ...``: broker, digest, follow-up, vog-reminders and anonymise,
each idempotent and with ``--now`` as the clock."""

from __future__ import annotations

from datetime import date, timedelta

from click.testing import CliRunner
from kit_coordinator import (
    T0,
    coordinator_app,
    db_of,
    hulpvraag_for_client,
    staff,
    user_by_email,
    volunteer,
)
from sqlalchemy import select

from sociale_kaart.cli import main
from sociale_kaart.models import DigestLog, VolunteerListing
from sociale_kaart.volunteer.listings import close_listing


def setup(tmp_path):
    instance = tmp_path / "inst"
    app = coordinator_app(instance, T0)
    staff(app)
    staff(app, "consulent@example.org", "consultant")
    with db_of(app).session() as session:
        coordinator = user_by_email(session, "coordinator@example.org")
        consultant = user_by_email(session, "consulent@example.org")
        listing_id = hulpvraag_for_client(session, consultant, coordinator, "Tuinhulp").id
        volunteer(session, "Anna", interests=["boodschappen"], digest_opt_in=True)
        anna = volunteer(session, "Bert", interests=["tuin"])
        anna.vog_status, anna.vog_expires_on = "verified", date(2026, 12, 1)
    return app, str(instance), listing_id


def run(instance: str, *args: str):
    return CliRunner().invoke(main, ["--instance", instance, "volunteers", *args])


def test_broker_moves_due_hulpvragen_once(tmp_path):
    app, instance, listing_id = setup(tmp_path)
    early = run(instance, "broker", "--now", (T0 + timedelta(days=4)).isoformat())
    assert early.exit_code == 0 and "0 hulpvragen" in early.output
    due = run(instance, "broker", "--now", (T0 + timedelta(days=5)).isoformat())
    assert due.exit_code == 0 and "1 hulpvragen" in due.output
    again = run(instance, "broker", "--now", (T0 + timedelta(days=9)).isoformat())
    assert "0 hulpvragen" in again.output
    with db_of(app).session() as session:
        listing = session.get(VolunteerListing, listing_id)
        assert listing.brokering_since == T0 + timedelta(days=5)


def test_broker_days_option_and_bad_input(tmp_path):
    _, instance, _ = setup(tmp_path)
    assert "1 hulpvragen" in run(instance, "broker", "--days", "1", "--now",
                                 (T0 + timedelta(days=1)).isoformat()).output
    bad = run(instance, "broker", "--now", "gisteren")
    assert bad.exit_code == 1 and "geen datum" in bad.output
    negative = run(instance, "broker", "--days", "-3")
    assert negative.exit_code == 1 and "negatief" in negative.output


def test_mail_commands_without_smtp_send_and_record_nothing(tmp_path):
    app, instance, _ = setup(tmp_path)
    now = (T0 + timedelta(days=1)).isoformat()
    for command in ("digest", "follow-up", "vog-reminders"):
        result = run(instance, command, "--now", now)
        assert result.exit_code == 0, result.output
    digest = run(instance, "digest", "--now", now)
    assert "geen SMTP-server" in digest.output
    assert "geen SMTP-server" in run(instance, "vog-reminders", "--now", now).output
    with db_of(app).session() as session:
        assert session.scalars(select(DigestLog)).all() == []
    assert "anna@example.org" not in digest.output


def test_anonymise_after_the_retention_period(tmp_path):
    app, instance, listing_id = setup(tmp_path)
    with db_of(app).session() as session:
        close_listing(session, session.get(VolunteerListing, listing_id), now=T0)
    early = run(instance, "anonymise", "--now", (T0 + timedelta(days=300)).isoformat())
    assert early.exit_code == 0 and "0 hulpvragen" in early.output
    late = run(instance, "anonymise", "--now", (T0 + timedelta(days=400)).isoformat())
    assert "1 hulpvragen" in late.output
    assert "0 hulpvragen" in run(instance, "anonymise", "--now",
                                 (T0 + timedelta(days=401)).isoformat()).output
    with db_of(app).session() as session:
        assert session.get(VolunteerListing, listing_id).anonymised_at is not None
