"""E-mail through a real SMTP server (aiosmtpd on 127.0.0.1): invitations, password resets
and reminders arrive, and their links work (once, and not after they expire)."""

from __future__ import annotations

import re
import socket
import time as clock
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from kit_accounts import (
    add_organization,
    add_service,
    add_user,
    csrf_token,
    db_of,
    login,
    make_app,
)
from sqlalchemy import select

from sociale_kaart.cli import Context
from sociale_kaart.cli_users import remind, user
from sociale_kaart.models import AuthToken, utcnow
from sociale_kaart.web.security import limiter

TODAY = date(2026, 11, 22)
LINK = re.compile(r"(http://127\.0\.0\.1:5000(/account/[a-z-]+/[A-Za-z0-9_-]+))")


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def wait(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        deadline = clock.monotonic() + timeout
        while len(self.messages) < count and clock.monotonic() < deadline:
            clock.sleep(0.02)
        return self.messages

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def mail_app(instance, smtp, monkeypatch):
    for name in ("DATABASE_URL", "SMTP_HOST", "SMTP_PORT", "TODAY"):
        monkeypatch.delenv(f"SOCIALE_KAART_{name}", raising=False)
    _inbox, port = smtp
    app = make_app(instance, TODAY, smtp_host="127.0.0.1", smtp_port=port,
                   mail_from="kaart@gemeente.example")
    limiter.reset()
    return app


def _body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def _link(message: EmailMessage) -> tuple[str, str]:
    match = LINK.search(_body(message))
    assert match, _body(message)
    return match.group(1), match.group(2)


def test_invitation_mail_arrives_with_a_working_link(mail_app, smtp):
    inbox, _port = smtp
    with db_of(mail_app).session() as session:
        org = add_organization(session, "Buurtwerk Altena").id
    add_user(mail_app, "beheer@gemeente.example", "beheerder")
    client = mail_app.test_client()
    login(client, "beheer@gemeente.example")
    response = client.post("/beheer/gebruikers", data={
        "csrf_token": csrf_token(client, "/beheer/gebruikers"),
        "email": "nieuw@buurtwerk.example", "role": "provider", "organizations": [org]})
    assert response.status_code == 302  # mailed: back to the list, link not on screen
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "gemaild naar nieuw@buurtwerk.example" in page
    assert "/account/uitnodiging/" not in page
    [message] = inbox.wait(1)
    assert message["To"] == "nieuw@buurtwerk.example"
    assert message["From"] == "kaart@gemeente.example"
    assert "Uitnodiging" in message["Subject"]
    _url, path = _link(message)
    assert path.startswith("/account/uitnodiging/")

    invited = mail_app.test_client()
    assert invited.get(path).status_code == 200
    answer = invited.post(path, data={"csrf_token": csrf_token(invited, path),
                                      "password": "welkom-op-de-kaart",
                                      "confirm": "welkom-op-de-kaart"})
    assert answer.status_code == 302
    login(invited, "nieuw@buurtwerk.example", "welkom-op-de-kaart")


def test_invitation_from_the_command_line_is_mailed(mail_app, smtp, instance, monkeypatch):
    inbox, port = smtp
    monkeypatch.setenv("SOCIALE_KAART_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SOCIALE_KAART_SMTP_PORT", str(port))
    result = CliRunner().invoke(user, ["add", "consulent@gemeente.example", "--role",
                                       "consultant", "--instance", str(instance)],
                                obj=Context(None))
    assert result.exit_code == 0, result.output
    assert "gemaild naar consulent@gemeente.example" in result.output
    [message] = inbox.wait(1)
    url, _path = _link(message)
    assert url in result.output  # the same link as printed


def _request_reset(client, email: str):
    path = "/account/wachtwoord-vergeten"
    return client.post(path, data={"csrf_token": csrf_token(client, path), "email": email})


def test_password_reset_mail_link_works_once(mail_app, smtp):
    inbox, _port = smtp
    add_user(mail_app, "consulent@gemeente.example", "consultant")
    client = mail_app.test_client()
    assert _request_reset(client, "consulent@gemeente.example").status_code == 302
    assert _request_reset(client, "onbekend@gemeente.example").status_code == 302
    [message] = inbox.wait(1)
    clock.sleep(0.2)
    assert len(inbox.messages) == 1  # nothing is sent for an unknown address
    assert message["To"] == "consulent@gemeente.example"
    _url, path = _link(message)
    assert path.startswith("/account/wachtwoord/")
    assert client.get(path).status_code == 200
    answer = client.post(path, data={"csrf_token": csrf_token(client, path),
                                     "password": "een-nieuw-wachtwoord",
                                     "confirm": "een-nieuw-wachtwoord"})
    assert answer.status_code == 302
    again = client.get(path)
    assert again.status_code == 400 and "al gebruikt" in again.get_data(as_text=True)
    fresh = mail_app.test_client()
    login(fresh, "consulent@gemeente.example", "een-nieuw-wachtwoord")


def test_expired_reset_link_is_refused(mail_app, smtp):
    inbox, _port = smtp
    add_user(mail_app, "consulent@gemeente.example", "consultant")
    client = mail_app.test_client()
    _request_reset(client, "consulent@gemeente.example")
    [message] = inbox.wait(1)
    _url, path = _link(message)
    with db_of(mail_app).session() as session:
        for token in session.scalars(select(AuthToken).where(AuthToken.purpose == "reset")):
            token.expires_at = utcnow() - timedelta(minutes=1)
    page = client.get(path)
    assert page.status_code == 400 and "verlopen" in page.get_data(as_text=True)
    answer = client.post(path, data={"csrf_token": csrf_token(client, "/account/inloggen"),
                                     "password": "een-nieuw-wachtwoord",
                                     "confirm": "een-nieuw-wachtwoord"})
    assert answer.status_code == 400


def test_remind_mails_each_provider_their_stale_listings_once_a_day(mail_app, smtp, instance,
                                                                    monkeypatch):
    inbox, port = smtp
    with db_of(mail_app).session() as session:
        ours = add_organization(session, "Buurtwerk Altena")
        theirs = add_organization(session, "Taalhuis Werkendam")
        quiet = add_organization(session, "Stichting Zonder Account")
        add_service(session, ours, "Koffieochtend", assured=date(2026, 3, 1))
        add_service(session, ours, "Repair café", created=datetime(2025, 1, 10))
        add_service(session, ours, "Fietsles", assured=date(2026, 10, 1))  # recent
        add_service(session, theirs, "Taalcafé", assured=date(2025, 11, 1))
        add_service(session, quiet, "Wandelclub", assured=date(2024, 1, 1))
        ids = {"ours": ours.id, "theirs": theirs.id}
    add_user(mail_app, "anna@buurtwerk.example", "provider", [ids["ours"]])
    add_user(mail_app, "bram@buurtwerk.example", "provider", [ids["ours"]])
    add_user(mail_app, "taal@taalhuis.example", "provider", [ids["theirs"]])
    add_user(mail_app, "moderator@gemeente.example", "moderator")
    monkeypatch.setenv("SOCIALE_KAART_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SOCIALE_KAART_SMTP_PORT", str(port))
    monkeypatch.setenv("SOCIALE_KAART_TODAY", TODAY.isoformat())
    runner = CliRunner()
    result = runner.invoke(remind, ["--instance", str(instance)], obj=Context(None))
    assert result.exit_code == 0, result.output
    messages = inbox.wait(3)
    assert sorted(m["To"] for m in messages) == ["anna@buurtwerk.example",
                                                 "bram@buurtwerk.example",
                                                 "taal@taalhuis.example"]
    anna = _body(inbox.to("anna@buurtwerk.example")[0])
    assert "Koffieochtend" in anna and "Repair café" in anna
    assert "Fietsles" not in anna and "Taalcafé" not in anna and "Wandelclub" not in anna
    assert "http://127.0.0.1:5000/aanbod/" in anna
    taal = _body(inbox.to("taal@taalhuis.example")[0])
    assert "Taalcafé" in taal and "Koffieochtend" not in taal
    assert "1 verouderd aanbod zonder account" in result.output

    again = runner.invoke(remind, ["--instance", str(instance)], obj=Context(None))
    assert again.exit_code == 0, again.output
    assert "Geen herinneringen" in again.output
    clock.sleep(0.3)
    assert len(inbox.messages) == 3  # not twice on the same day
