"""``sociale-kaart user ...`` and ``sociale-kaart remind``: accounts and reminders from the
command line.

The first beheerder can only be made here (there is nobody yet to invite them), and a
scheduler (cron, a systemd timer) runs ``remind``, so both must work without the web app.
Messages are Dutch, like the rest of the command; errors exit with status 1.
"""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from .cli import Context, _init, pass_context
from .models import ROLES, Organization, User
from .services.accounts import AccountError, create_user, disable_user, find_user
from .services.mail import MailError, mail_configured


def _fail(message: str) -> None:
    click.echo(f"Fout: {message}", err=True)
    sys.exit(1)


@click.group()
def user() -> None:
    """Accounts of beheerders, moderators, consultants and providers."""


@user.command("add")
@click.argument("email")
@click.option("--role", required=True, help=f"One of: {', '.join(ROLES)}.")
@click.option("--organization", "organizations", multiple=True, metavar="ID",
              help="Organisation id (repeat for more); required for a provider.")
@click.option("--name", help="The person's name (optional).")
@click.option("--trusted", is_flag=True,
              help="A provider whose changes publish without moderation.")
@click.option("--password-stdin", is_flag=True,
              help="Read a password from standard input instead of sending an invitation.")
@pass_context
def user_add(ctx: Context, email: str, role: str, organizations: tuple[str, ...],
             name: str | None, trusted: bool, password_stdin: bool) -> None:
    """Create an account. Without --password-stdin it gets an invitation link (printed, and
    e-mailed when SMTP is set) to choose a password."""
    from .services.invitations import invite_user, send_invitation

    role = role.strip().lower()
    if role not in ROLES:  # checked before reading stdin, so a typo does not eat a password
        _fail(f"onbekende rol '{role}'. Kies uit: {', '.join(ROLES)}.")
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            _fail("er kwam geen wachtwoord binnen op standaardinvoer.")
    settings = ctx.settings
    db = _init(settings)
    try:
        with db.session() as session:
            try:
                if password is not None:
                    account = create_user(session, email, role, password=password,
                                          organization_ids=list(organizations), name=name,
                                          trusted=trusted)
                    invitation = None
                else:
                    invitation = invite_user(session, settings, email, role,
                                             organization_ids=list(organizations),
                                             trusted=trusted, name=name)
                    account = invitation.user
            except AccountError as error:
                session.rollback()
                _fail(error.message)
            address = account.email
        click.echo(f"Account gemaakt: {address} ({role}).")
        if invitation is None:
            return
        click.echo(f"Uitnodigingslink (geldig {settings.invite_valid_hours} uur):")
        click.echo(invitation.link)
        if mail_configured(settings):
            try:
                send_invitation(settings, invitation)
            except MailError as error:
                _fail(f"{error} Geef de link hierboven zelf door.")
            click.echo(f"De uitnodiging is gemaild naar {address}.")
        else:
            click.echo("Er is geen SMTP-server ingesteld: geef de link zelf door.")
    finally:
        db.dispose()


@user.command("list")
@pass_context
def user_list(ctx: Context) -> None:
    """Show all accounts: e-mail, role, organisations, active, last login."""
    db = _init(ctx.settings)
    try:
        with db.session() as session:
            names = dict(session.execute(select(Organization.id, Organization.name)).all())
            rows = [("E-MAIL", "ROL", "ORGANISATIES", "ACTIEF", "LAATST INGELOGD")]
            for account in session.scalars(select(User).order_by(User.email)):
                orgs = ", ".join(sorted(names.get(o, o) for o in account.organization_ids))
                if not account.active:
                    state = "nee"
                elif account.password_hash is None:
                    state = "uitgenodigd"
                else:
                    state = "ja"
                login = (account.last_login_at.strftime("%Y-%m-%d %H:%M")
                         if account.last_login_at else "nooit")
                rows.append((account.email, account.role, orgs or "-", state, login))
    finally:
        db.dispose()
    if len(rows) == 1:
        click.echo("Er zijn nog geen accounts. Maak er een met 'sociale-kaart user add'.")
        return
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        click.echo("  ".join([cell.ljust(width) for cell, width in zip(row, widths,
                                                                       strict=False)]
                             + [row[-1]]))


@user.command("disable")
@click.argument("email")
@pass_context
def user_disable(ctx: Context, email: str) -> None:
    """Switch an account off: it cannot log in, and its open links stop working."""
    db = _init(ctx.settings)
    try:
        with db.session() as session:
            if find_user(session, email) is None:
                _fail(f"er is geen account met het e-mailadres {email}.")
            disable_user(session, email)
        click.echo(f"Account uitgeschakeld: {email.strip().lower()}.")
    finally:
        db.dispose()


@click.command()
@click.option("--every", "every_days", type=click.IntRange(min=1), default=None,
              help="Name a listing to the same account at most once in this many days "
                   "(default 30).")
@pass_context
def remind(ctx: Context, every_days: int | None) -> None:
    """E-mail providers whose listings nobody confirmed for 6 months (run it from a
    scheduler, e.g. daily). Exit status 1 when e-mail cannot be sent."""
    from .services.freshness import REMIND_EVERY_DAYS, send_reminders

    settings = ctx.settings
    if not mail_configured(settings):
        _fail("er is geen SMTP-server ingesteld (SOCIALE_KAART_SMTP_HOST); er zijn geen "
              "herinneringen verstuurd. De lijst staat wel op /beheer/actualiteit.")
    db = _init(settings)
    try:
        with db.session() as session:
            run = send_reminders(session, settings, settings.today_or_now(),
                                 every_days=every_days or REMIND_EVERY_DAYS)
    finally:
        db.dispose()
    for address, count in run.sent:
        click.echo(f"Herinnering verstuurd naar {address} (aantal: {count}).")
    if not run.sent:
        click.echo("Geen herinneringen te versturen.")
    if run.orphaned:
        click.echo(f"{len(run.orphaned)} verouderd aanbod zonder account van de aanbieder; "
                   "zie /beheer/actualiteit.")
    for address, error in run.failed:
        click.echo(f"Fout bij {address}: {error}", err=True)
    if run.failed:
        sys.exit(1)


def _register() -> None:
    """Add the commands to ``sociale-kaart``. ``cli.py`` imports this module at its end; the
    commands register themselves so either module may be imported first."""
    from .cli import main

    main.add_command(user)
    main.add_command(remind)


_register()
