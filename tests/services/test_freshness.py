"""Stale listings (not confirmed for 6 months) and the reminders to their providers."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from kit_accounts import add_organization, add_service

from sociale_kaart.config import load_settings
from sociale_kaart.models import Service
from sociale_kaart.models.reminder import Reminder
from sociale_kaart.services import freshness
from sociale_kaart.services.accounts import create_user, disable_user
from sociale_kaart.services.freshness import (
    check_date,
    months_before,
    possibly_outdated,
    send_reminders,
    stale_services,
)

TODAY = date(2026, 11, 22)


@pytest.fixture
def session(db):
    s = db.Session()
    yield s
    s.close()


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 11, 22), 6, date(2026, 5, 22)),
    (date(2026, 8, 31), 6, date(2026, 2, 28)),
    (date(2028, 8, 31), 6, date(2028, 2, 29)),
    (date(2026, 3, 15), 12, date(2025, 3, 15)),
    (date(2026, 1, 10), 1, date(2025, 12, 10)),
])
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


def test_check_date_prefers_confirmation_then_publisher_then_creation():
    service = Service(id="s", organization_id="o", name="x", created_at=datetime(2024, 1, 2))
    assert check_date(service) == date(2024, 1, 2)
    service.last_modified = datetime(2025, 3, 4, 12)
    assert check_date(service) == date(2025, 3, 4)
    service.assured_date = date(2025, 1, 1)  # a confirmation wins, even when older
    assert check_date(service) == date(2025, 1, 1)


def test_stale_services(session):
    org = add_organization(session, "Buurtwerk")
    other = add_organization(session, "Taalhuis")
    add_service(session, org, "Precies zes maanden", assured=date(2026, 5, 22))
    add_service(session, org, "Vijf maanden", assured=date(2026, 6, 23))
    add_service(session, org, "Nooit bevestigd", created=datetime(2026, 4, 1))
    add_service(session, org, "Nieuw", created=datetime(2026, 10, 1))
    add_service(session, org, "Oude bron", modified=datetime(2025, 1, 1, 9))
    add_service(session, org, "Bevestigd na oude bron", assured=date(2026, 9, 1),
                modified=datetime(2020, 1, 1))
    add_service(session, org, "Gestopt", status="defunct", assured=date(2020, 1, 1))
    add_service(session, org, "Tijdelijk dicht", status="temporarily closed",
                assured=date(2025, 12, 1))
    add_service(session, other, "Ander", assured=date(2024, 1, 1))
    session.commit()
    names = [item.service.name for item in stale_services(session, TODAY)]
    assert names == ["Ander", "Oude bron", "Tijdelijk dicht", "Nooit bevestigd",
                     "Precies zes maanden"]
    mine = stale_services(session, TODAY, organization_ids={org.id})
    assert "Ander" not in [item.service.name for item in mine]
    assert [i.service.name for i in stale_services(session, TODAY, 12)] == ["Ander",
                                                                           "Oude bron"]


def test_possibly_outdated_after_a_year():
    service = Service(id="s", organization_id="o", name="x", created_at=datetime(2020, 1, 1))
    service.assured_date = date(2025, 11, 22)
    assert not possibly_outdated(service, TODAY)  # exactly 365 days
    service.assured_date = date(2025, 11, 21)
    assert possibly_outdated(service, TODAY)


@pytest.fixture
def outbox(monkeypatch):
    sent: list[tuple[str, str, str]] = []

    def fake_send(settings, to, subject, body):
        sent.append((to, subject, body))
        return True

    monkeypatch.setattr(freshness, "send_mail", fake_send)
    return sent


def test_send_reminders_once_per_account_and_interval(session, settings, outbox):
    settings.smtp_host = "mail.example"
    org = add_organization(session, "Buurtwerk")
    other = add_organization(session, "Taalhuis")
    add_service(session, org, "Koffieochtend", assured=date(2026, 1, 1))
    add_service(session, other, "Taalcafé", assured=date(2026, 2, 1))
    add_service(session, org, "Fris", assured=date(2026, 11, 1))
    create_user(session, "both@example.org", "provider", password="x" * 12,
                organization_ids=[org.id, other.id])
    create_user(session, "invited@example.org", "provider", organization_ids=[org.id])
    create_user(session, "gone@example.org", "provider", password="x" * 12,
                organization_ids=[other.id])
    disable_user(session, "gone@example.org")
    session.commit()

    run = send_reminders(session, settings, TODAY)
    assert run.sent == [("both@example.org", 2)]
    [(to, subject, body)] = outbox
    assert "Koffieochtend" in body and "Taalcafé" in body and "Fris" not in body
    assert "01-01-2026" in body and "/aanbod/" in body
    assert session.query(Reminder).count() == 2

    assert send_reminders(session, settings, TODAY).sent == []
    assert send_reminders(session, settings, date(2026, 12, 10)).sent == []
    later = send_reminders(session, settings, date(2026, 12, 22))
    assert later.sent == [("both@example.org", 2)]
    daily = send_reminders(session, settings, date(2026, 12, 23), every_days=1)
    assert daily.sent == [("both@example.org", 2)] and len(outbox) == 3


def test_orphans_and_no_smtp(session, instance, outbox):
    org = add_organization(session, "Zonder account")
    add_service(session, org, "Wandelclub", assured=date(2024, 1, 1))
    session.commit()
    settings = load_settings(instance, today=TODAY)
    run = send_reminders(session, settings, TODAY)
    assert run.sent == [] and len(run.orphaned) == 1


def test_without_smtp_nothing_is_recorded(session, settings):
    assert not settings.smtp_host
    org = add_organization(session, "Buurtwerk")
    add_service(session, org, "Koffieochtend", assured=date(2026, 1, 1))
    create_user(session, "a@example.org", "provider", password="x" * 12,
                organization_ids=[org.id])
    session.commit()
    run = send_reminders(session, settings, TODAY)
    assert run.sent == [] and session.query(Reminder).count() == 0
