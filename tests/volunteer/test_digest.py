"""The volunteer platform's e-mails: weekly digest with one-click unsubscribe, the follow-up
"is het een match geworden?", the 3-month check and VOG reminders. Each run is idempotent and
the answers arrive through signed links without a login."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from kit_coordinator import (
    T0,
    Recorder,
    coordinator_app,
    db_of,
    hulpvraag_for_client,
    organisation_vacancy,
    set_now,
    staff,
    user_by_email,
    volunteer,
)
from sqlalchemy import select

from sociale_kaart.models import DigestLog, Match, Person, Response
from sociale_kaart.volunteer.mailings import (
    send_digests,
    send_followups,
    send_vog_reminders,
)
from sociale_kaart.volunteer.responses import accept, respond

LINK = re.compile(r"http://127\.0\.0\.1:5000(/vrijwilligers/e-mail/[a-z]+/[A-Za-z0-9_.-]+)")
NOW = datetime(2026, 12, 1, 8, 0)


def settings_of(app):
    return app.extensions["sociale_kaart.settings"]


def make_world(tmp_path):
    app = coordinator_app(tmp_path / "inst", NOW)
    staff(app)
    staff(app, "consulent@example.org", "consultant")
    with db_of(app).session() as session:
        coordinator = user_by_email(session, "coordinator@example.org")
        consultant = user_by_email(session, "consulent@example.org")
        vacancy = organisation_vacancy(session, coordinator, "Chauffeur gezocht", now=T0,
                                       contact_email="vacatures@stichting.example")
        hulpvraag = hulpvraag_for_client(session, consultant, coordinator, now=T0)
        anna = volunteer(session, "Anna", interests=["vervoer", "boodschappen"],
                         digest_opt_in=True)
        volunteer(session, "Bert", interests=["vervoer"], digest_opt_in=False)
        ids = {"vacancy": vacancy.id, "hulpvraag": hulpvraag.id, "anna": anna.id}
    return app, ids


def test_digest_goes_to_opted_in_volunteers_once_a_week(tmp_path):
    app, ids = make_world(tmp_path)
    settings = settings_of(app)
    inbox = Recorder()
    with app.app_context(), db_of(app).session() as session:
        run = send_digests(session, settings, NOW, sender=inbox)
    assert run.sent == 1 and [to for to, *_ in inbox.sent] == ["anna@example.org"]
    to, subject, body, headers = inbox.sent[0]
    assert "Chauffeur gezocht" in body and "Hulp bij boodschappen" in body
    assert "Waarom: " in body
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<http://127.0.0.1:5000/vrijwilligers/")
    # Run again the same day, and 6 days later: nothing new. After 7 days: the next one.
    with db_of(app).session() as session:
        assert send_digests(session, settings, NOW + timedelta(hours=2), sender=inbox).sent == 0
        assert send_digests(session, settings, NOW + timedelta(days=6), sender=inbox).sent == 0
        assert send_digests(session, settings, NOW + timedelta(days=7), sender=inbox).sent == 1
        assert len(session.scalars(select(DigestLog)).all()) == 2


def test_without_smtp_nothing_is_sent_or_recorded(tmp_path):
    app, _ = make_world(tmp_path)
    with db_of(app).session() as session:
        run = send_digests(session, settings_of(app), NOW)
        assert run.not_configured and run.sent == 0
        assert session.scalars(select(DigestLog)).all() == []


def test_unsubscribe_link_confirms_on_get_and_unsubscribes_on_post(tmp_path):
    app, ids = make_world(tmp_path)
    inbox = Recorder()
    with db_of(app).session() as session:
        send_digests(session, settings_of(app), NOW, sender=inbox)
    path = LINK.search(inbox.sent[0][2]).group(1)
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and "Ja, meld mij af" in page.get_data(as_text=True)
    with db_of(app).session() as session:
        assert session.get(Person, ids["anna"]).digest_opt_in  # a GET changes nothing
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
    done = client.post(path, data={"csrf_token": token})
    assert done.status_code == 200 and "afgemeld" in done.get_data(as_text=True)
    with db_of(app).session() as session:
        assert not session.get(Person, ids["anna"]).digest_opt_in
        assert send_digests(session, settings_of(app), NOW + timedelta(days=8),
                            sender=inbox).sent == 0


def test_one_click_unsubscribe_from_the_mail_client(tmp_path):
    """RFC 8058: the mail client POSTs List-Unsubscribe=One-Click without our CSRF token."""
    app, ids = make_world(tmp_path)
    inbox = Recorder()
    with db_of(app).session() as session:
        send_digests(session, settings_of(app), NOW, sender=inbox)
    url = inbox.sent[0][3]["List-Unsubscribe"].strip("<>").replace("http://127.0.0.1:5000", "")
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post(url, data="List-Unsubscribe=One-Click",
                                      content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    with db_of(app).session() as session:
        assert not session.get(Person, ids["anna"]).digest_opt_in


def test_a_forged_link_is_refused(tmp_path):
    app, _ = make_world(tmp_path)
    client = app.test_client()
    for path in ("/vrijwilligers/e-mail/afmelden/abc.def", "/vrijwilligers/e-mail/opvolging/x",
                 "/vrijwilligers/e-mail/duurzaam/eyJtIjoxfQ.bad"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Deze link werkt niet" in response.get_data(as_text=True)


def accepted_response(app, ids, when: datetime) -> int:
    with db_of(app).session() as session:
        anna = session.get(Person, ids["anna"])
        coordinator = user_by_email(session, "coordinator@example.org")
        from sociale_kaart.models import VolunteerListing

        listing = session.get(VolunteerListing, ids["vacancy"])
        response = respond(session, listing, now=when, person=anna, user=anna.user)
        accept(session, response, by=coordinator, now=when)
        return response.id


def answer(client, path: str, value: str):
    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    return client.post(path, data={"csrf_token": token, "answer": value})


def test_follow_up_asks_both_sides_and_a_yes_becomes_a_match(tmp_path):
    app, ids = make_world(tmp_path)
    settings = settings_of(app)
    response_id = accepted_response(app, ids, NOW)
    inbox = Recorder()
    with db_of(app).session() as session:
        assert send_followups(session, settings, NOW + timedelta(days=13), sender=inbox).sent == 0
        run = send_followups(session, settings, NOW + timedelta(days=14), sender=inbox)
    assert run.sent == 2
    assert sorted(to for to, *_ in inbox.sent) == ["anna@example.org",
                                                   "vacatures@stichting.example"]
    with db_of(app).session() as session:  # idempotent
        assert send_followups(session, settings, NOW + timedelta(days=20), sender=inbox).sent == 0
    path = LINK.search(inbox.sent[0][2]).group(1)
    client = app.test_client()
    set_now(app, NOW + timedelta(days=15))
    assert answer(client, path, "yes").status_code == 200
    with db_of(app).session() as session:
        response = session.get(Response, response_id)
        assert response.state == "matched"
        match = session.scalar(select(Match).where(Match.response_id == response_id))
        assert match.made == "online" and match.kind == "persoon-organisatie"
    # The other side answers too: nothing changes, no second match.
    other = LINK.search(inbox.sent[1][2]).group(1)
    assert "al geantwoord" in client.get(other).get_data(as_text=True)
    with db_of(app).session() as session:
        assert len(session.scalars(select(Match)).all()) == 1

    # Three months later: "loopt het nog?"
    with db_of(app).session() as session:
        later = NOW + timedelta(days=15 + 91)
        assert send_followups(session, settings, later - timedelta(days=1),
                              sender=inbox).sent == 0
        assert send_followups(session, settings, later, sender=inbox).sent == 2
        assert send_followups(session, settings, later, sender=inbox).sent == 0
    durable_path = LINK.search(inbox.sent[-1][2]).group(1)
    assert "/duurzaam/" in durable_path
    assert answer(client, durable_path, "yes").status_code == 200
    with db_of(app).session() as session:
        match = session.scalar(select(Match))
        assert match.durable == "yes" and match.durable_answered_at is not None


def test_follow_up_no_ends_the_contact(tmp_path):
    app, ids = make_world(tmp_path)
    response_id = accepted_response(app, ids, NOW)
    inbox = Recorder()
    with db_of(app).session() as session:
        send_followups(session, settings_of(app), NOW + timedelta(days=30), sender=inbox)
    client = app.test_client()
    path = LINK.search(inbox.sent[0][2]).group(1)
    assert answer(client, path, "maybe").status_code == 400
    assert answer(client, path, "no").status_code == 200
    with db_of(app).session() as session:
        assert session.get(Response, response_id).state == "not_completed"
        assert session.scalars(select(Match)).all() == []


def test_vog_reminder_once_before_expiry(tmp_path):
    app, ids = make_world(tmp_path)
    settings = settings_of(app)
    with db_of(app).session() as session:
        anna = session.get(Person, ids["anna"])
        anna.vog_status = "verified"
        anna.vog_expires_on = date(2027, 1, 31)
    inbox = Recorder()
    with db_of(app).session() as session:
        assert send_vog_reminders(session, settings, datetime(2026, 12, 1),
                                  sender=inbox).sent == 0  # 61 days ahead, lead is 42
        assert send_vog_reminders(session, settings, datetime(2026, 12, 21),
                                  sender=inbox).sent == 1
        assert send_vog_reminders(session, settings, datetime(2026, 12, 22),
                                  sender=inbox).sent == 0
    assert "31-01-2027" in inbox.sent[0][2]
