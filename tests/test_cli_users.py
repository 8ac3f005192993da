"""``sociale-kaart user add|list|disable`` and ``sociale-kaart remind`` without SMTP."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from sociale_kaart.cli import Context
from sociale_kaart.cli_users import remind, user
from sociale_kaart.config import load_settings
from sociale_kaart.db import Database
from sociale_kaart.models import Organization
from sociale_kaart.services.accounts import authenticate, check_token

LINK = re.compile(r"^http://kaart\.gemeente\.example/account/uitnodiging/([A-Za-z0-9_-]+)$",
                  re.M)


@pytest.fixture
def cli(instance, monkeypatch):
    """Run ``user``/``remind`` against a fresh instance with one organisation."""
    for name in ("DATABASE_URL", "SMTP_HOST", "TODAY"):
        monkeypatch.delenv(f"SOCIALE_KAART_{name}", raising=False)
    monkeypatch.setenv("SOCIALE_KAART_BASE_URL", "http://kaart.gemeente.example/")
    database = Database(load_settings(instance).database_url)
    database.upgrade()
    with database.session() as session:
        session.add(Organization(id="org-1", name="Buurtwerk Altena", description=""))
        session.add(Organization(id="org-2", name="Taalhuis", description=""))
    database.dispose()
    runner = CliRunner()

    def run(command, *args: str, stdin: str | None = None):
        return runner.invoke(command, [*args, "--instance", str(instance)], input=stdin,
                             obj=Context(None))

    run.instance = instance
    return run


def _session(instance):
    database = Database(load_settings(instance).database_url)
    return database, database.Session()


def test_commands_are_part_of_sociale_kaart():
    """``sociale-kaart`` itself has the commands (a fresh interpreter, importing only what the
    console script imports)."""
    code = "from sociale_kaart.cli import main; print(sorted(main.commands))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert "'user'" in output and "'remind'" in output, (
        "add `from . import cli_users  # noqa: F401` at the end of sociale_kaart/cli.py")


def test_add_with_password_from_stdin(cli):
    result = cli(user, "add", "Beheer@Gemeente.example", "--role", "beheerder",
                 "--password-stdin", stdin="een-sterk-wachtwoord\n")
    assert result.exit_code == 0, result.output
    assert "beheer@gemeente.example (beheerder)" in result.output
    assert "uitnodiging" not in result.output
    database, session = _session(cli.instance)
    try:
        assert authenticate(session, "beheer@gemeente.example", "een-sterk-wachtwoord")
    finally:
        session.close()
        database.dispose()


def test_add_without_password_prints_a_working_invitation_link(cli):
    result = cli(user, "add", "aanbieder@buurtwerk.example", "--role", "provider",
                 "--organization", "org-1", "--organization", "org-2", "--trusted")
    assert result.exit_code == 0, result.output
    match = LINK.search(result.output)
    assert match, result.output
    assert "geen SMTP-server" in result.output
    database, session = _session(cli.instance)
    try:
        checked = check_token(session, match.group(1), "invite")
        assert checked.user is not None and checked.user.email == "aanbieder@buurtwerk.example"
        assert checked.user.organization_ids == {"org-1", "org-2"} and checked.user.trusted
        assert checked.user.password_hash is None
    finally:
        session.close()
        database.dispose()


@pytest.mark.parametrize(("args", "message"), [
    (["x@y.example", "--role", "keizer"], "onbekende rol 'keizer'"),
    (["x@y.example", "--role", "provider", "--organization", "org-9"],
     "Organisatie org-9 bestaat niet"),
    (["x@y.example", "--role", "provider"], "minstens één organisatie"),
    (["geen-adres", "--role", "consultant"], "geldig e-mailadres"),
])
def test_add_errors(cli, args, message):
    result = cli(user, "add", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_duplicate_email(cli):
    assert cli(user, "add", "a@b.example", "--role", "consultant").exit_code == 0
    again = cli(user, "add", "A@B.example", "--role", "moderator")
    assert again.exit_code == 1 and "Er is al een account met dit e-mailadres" in again.output


def test_unknown_role_does_not_read_the_password(cli):
    result = cli(user, "add", "a@b.example", "--role", "baas", "--password-stdin",
                 stdin="geheim-wachtwoord\n")
    assert result.exit_code == 1 and "geheim" not in result.output


def test_list_and_disable(cli):
    assert "nog geen accounts" in cli(user, "list").output
    cli(user, "add", "mod@gemeente.example", "--role", "moderator", "--password-stdin",
        stdin="een-sterk-wachtwoord\n")
    cli(user, "add", "aanbieder@buurtwerk.example", "--role", "provider",
        "--organization", "org-1")
    listing = cli(user, "list")
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert lines[0].split() == ["E-MAIL", "ROL", "ORGANISATIES", "ACTIEF", "LAATST",
                                "INGELOGD"]
    provider = next(line for line in lines if line.startswith("aanbieder@"))
    assert "provider" in provider and "Buurtwerk Altena" in provider
    assert "uitgenodigd" in provider and "nooit" in provider
    moderator = next(line for line in lines if line.startswith("mod@"))
    assert re.search(r"moderator\s+-\s+ja\s+nooit", moderator)

    result = cli(user, "disable", "MOD@gemeente.example")
    assert result.exit_code == 0 and "uitgeschakeld" in result.output
    moderator = next(line for line in cli(user, "list").output.splitlines()
                     if line.startswith("mod@"))
    assert re.search(r"moderator\s+-\s+nee", moderator)
    database, session = _session(cli.instance)
    try:
        assert authenticate(session, "mod@gemeente.example", "een-sterk-wachtwoord") is None
    finally:
        session.close()
        database.dispose()

    unknown = cli(user, "disable", "niemand@example.org")
    assert unknown.exit_code == 1 and "geen account" in unknown.output


def test_remind_without_smtp_fails_clearly(cli):
    result = cli(remind)
    assert result.exit_code == 1
    assert "geen SMTP-server" in result.output
