"""Indicators for the municipality: the exact keys helper 10 relies on, counts per period,
breakdowns per kern and theme, small counts suppressed in the CSV, the yearly page."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from kit_accounts import login
from kit_coordinator import (
    T0,
    coordinator_app,
    db_of,
    hulpvraag_for_client,
    organisation_vacancy,
    staff,
    user_by_email,
    volunteer,
)

from sociale_kaart.models import Match, VolunteerListing
from sociale_kaart.volunteer.indicators import breakdown, figures_csv, period_figures, suppress
from sociale_kaart.volunteer.responses import accept, record_match, record_offline_match, respond

KEYS = {"volunteers_active", "volunteers_new", "help_seekers", "organisations_with_vacancy",
        "responses", "matches", "matches_online", "matches_brokered", "matches_persoon_persoon",
        "matches_persoon_organisatie", "matches_organisatie_organisatie", "durable_matches"}


def world(tmp_path):
    app = coordinator_app(tmp_path / "inst", datetime(2026, 12, 1))
    staff(app)
    staff(app, "consulent@example.org", "consultant")
    with db_of(app).session() as session:
        coordinator = user_by_email(session, "coordinator@example.org")
        consultant = user_by_email(session, "consulent@example.org")
        vacancy = organisation_vacancy(session, coordinator, "Chauffeur", now=T0)
        hulpvraag = hulpvraag_for_client(session, consultant, coordinator, now=T0,
                                         kern="Almkerk")
        anna = volunteer(session, "Anna", interests=["vervoer"])
        bert = volunteer(session, "Bert", kern="Almkerk", interests=["boodschappen"])
        when = datetime(2026, 11, 10, 10)
        online = respond(session, vacancy, now=when, person=anna, user=anna.user)
        accept(session, online, by=coordinator, now=when)
        match = record_match(session, online, by=anna.user, person=anna, now=when)
        match.durable, match.durable_answered_at = "yes", datetime(2026, 11, 30)
        record_offline_match(session, hulpvraag, entered_by=coordinator, channel="phone",
                             person=bert, now=when)
        # Last year: one old match only.
        session.add(Match(kind="persoon-persoon", made="brokered", channel="desk",
                          kern="Almkerk", themes=["tuin"], started_at=datetime(2025, 5, 1),
                          created_at=datetime(2025, 5, 1)))
    return app


def test_period_figures_has_exactly_the_agreed_keys_and_counts(tmp_path):
    app = world(tmp_path)
    with db_of(app).session() as session:
        figures = period_figures(session, date(2026, 1, 1), date(2026, 12, 31))
        assert set(figures) == KEYS and all(isinstance(v, int) for v in figures.values())
        assert figures["volunteers_new"] == 2
        assert figures["volunteers_active"] == 2
        assert figures["help_seekers"] == 1
        assert figures["organisations_with_vacancy"] == 1
        assert figures["responses"] == 2
        assert figures["matches"] == 2
        assert figures["matches_online"] == 1 and figures["matches_brokered"] == 1
        assert figures["matches_persoon_organisatie"] == 1
        assert figures["matches_persoon_persoon"] == 1
        assert figures["matches_organisatie_organisatie"] == 0
        assert figures["durable_matches"] == 1
        last_year = period_figures(session, date(2025, 1, 1), date(2025, 12, 31))
        assert last_year["matches"] == 1 and last_year["responses"] == 0
        assert period_figures(session, date(2026, 11, 11), date(2026, 11, 29))["matches"] == 0


def test_figures_survive_anonymisation(tmp_path):
    app = world(tmp_path)
    with db_of(app).session() as session:
        for listing in session.query(VolunteerListing).filter_by(type="hulpvraag"):
            listing.owner_person_id = None
        figures = period_figures(session, date(2026, 1, 1), date(2026, 12, 31))
        assert figures["help_seekers"] == 1 and figures["matches"] == 2


def test_breakdown_per_kern_and_theme(tmp_path):
    app = world(tmp_path)
    with db_of(app).session() as session:
        detail = breakdown(session, date(2026, 1, 1), date(2026, 12, 31))
    assert detail["kern"]["Woudrichem"] == {"responses": 1, "matches": 1}
    assert detail["kern"]["Almkerk"] == {"responses": 1, "matches": 1}
    assert detail["theme"]["vervoer"]["matches"] == 1
    assert detail["theme"]["boodschappen"]["responses"] == 1


def test_csv_suppresses_small_counts(tmp_path):
    app = world(tmp_path)
    assert [suppress(n) for n in (0, 1, 4, 5, 12)] == ["0", "<5", "<5", "5", "12"]
    with db_of(app).session() as session:
        text = figures_csv(session, 2026)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["section", "key", "2024", "2025", "2026"]
    matches = next(r for r in rows if r[:2] == ["totaal", "matches"])
    assert matches == ["totaal", "matches", "0", "<5", "<5"]
    assert ["kern", "Almkerk", "<5", "<5"] in rows
    assert not any(cell in {"1", "2", "3", "4"} for row in rows for cell in row[2:])


def test_yearly_page_and_csv_download_for_coordinator_and_beheerder(tmp_path):
    app = world(tmp_path)
    staff(app, "beheer@example.org", "beheerder")
    staff(app, "deelnemer@example.org", "deelnemer")
    for email, allowed in (("coordinator@example.org", True), ("beheer@example.org", True),
                           ("deelnemer@example.org", False)):
        client = app.test_client()
        login(client, email)
        page = client.get("/vrijwilligers/coordinator/cijfers?jaar=2026")
        download = client.get("/vrijwilligers/coordinator/cijfers.csv?jaar=2026")
        if not allowed:
            assert page.status_code == download.status_code == 403
            continue
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert all(str(y) in html for y in (2024, 2025, 2026))
        assert "Matches via de coördinator" in html
        assert download.mimetype == "text/csv"
        assert "vrijwilligerswerk-2026.csv" in download.headers["Content-Disposition"]
    client = app.test_client()
    login(client, "coordinator@example.org")
    assert client.get("/vrijwilligers/coordinator/cijfers?jaar=twintig").status_code == 400
