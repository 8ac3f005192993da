"""``sociale-kaart volunteers ...``: the volunteer platform's scheduled work.

A scheduler (cron, a systemd timer, the job queue) runs these; each is idempotent, so running
one twice, or late, never sends the same mail twice or moves a case twice:

* ``digest``: the weekly "Voor u gevonden" e-mail to opted-in volunteers;
* ``follow-up``: "is het een match geworden?" and the 3-month "loopt het nog?";
* ``broker``: hulpvragen without an accepted response after N days into the brokering queue;
* ``vog-reminders``: a reminder before a volunteer's VOG expires;
* ``anonymise``: closed hulpvragen past the retention period lose their personal data.

``--now YYYY-MM-DD[THH:MM]`` runs a command as if it were that moment (tests, catching up).
Output is counts only, never a name or address; errors exit with status 1.
"""

from __future__ import annotations

import sys
from datetime import datetime

import click

from .cli import Context, _init, main, pass_context
from .models import utcnow
from .volunteer import VolunteerError


def _now(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        click.echo(f"Fout: --now {value!r} is geen datum; gebruik bijvoorbeeld 2026-12-01 of "
                   "2026-12-01T09:00.", err=True)
        sys.exit(1)


now_option = click.option("--now", "now", metavar="WHEN",
                          help="Run as if it were this moment (YYYY-MM-DD[THH:MM], UTC).")


@click.group()
def volunteers() -> None:
    """Scheduled work of the volunteer platform (e-mails, brokering, privacy)."""


def _send(ctx: Context, now: str | None, sender_name: str, label: str) -> None:
    """Run one of the idempotent mail rounds of ``volunteer.mailings`` and print its summary."""
    from .volunteer import mailings

    moment = _now(now)
    db = _init(ctx.settings)
    with db.session() as session:
        run = getattr(mailings, sender_name)(session, ctx.settings, moment)
    click.echo(f"{label}: {run.summary()}.")


@volunteers.command("digest")
@now_option
@pass_context
def digest(ctx: Context, now: str | None) -> None:
    """Send the weekly digest to opted-in volunteers who had none this week."""
    _send(ctx, now, "send_digests", "Wekelijkse e-mail")


@volunteers.command("follow-up")
@now_option
@pass_context
def follow_up(ctx: Context, now: str | None) -> None:
    """Ask both sides whether a contact became a match, and after 3 months whether it runs."""
    _send(ctx, now, "send_followups", "Opvolging")


@volunteers.command("broker")
@now_option
@click.option("--days", type=int, default=None,
              help="Days without an accepted response (default: volunteer_brokering_days).")
@pass_context
def broker(ctx: Context, now: str | None, days: int | None) -> None:
    """Move hulpvragen nobody accepted a response for into the brokering queue."""
    from .volunteer.coordination import move_to_brokering

    moment = _now(now)
    db = _init(ctx.settings)
    try:
        with db.session() as session:
            moved = move_to_brokering(session, moment,
                                      ctx.settings.volunteer_brokering_days
                                      if days is None else days)
            count = len(moved)
    except VolunteerError as error:
        click.echo(f"Fout: {error.message}", err=True)
        sys.exit(1)
    click.echo(f"Bemiddeling: {count} hulpvragen naar de wachtrij van de coördinator.")


@volunteers.command("vog-reminders")
@now_option
@pass_context
def vog_reminders(ctx: Context, now: str | None) -> None:
    """Remind volunteers whose VOG expires soon (once per expiry date)."""
    _send(ctx, now, "send_vog_reminders", "VOG-herinneringen")


@volunteers.command("anonymise")
@now_option
@pass_context
def anonymise(ctx: Context, now: str | None) -> None:
    """Anonymise closed hulpvragen older than the retention period."""
    from .volunteer.privacy import anonymise_expired

    moment = _now(now)
    db = _init(ctx.settings)
    with db.session() as session:
        count = anonymise_expired(session, moment, ctx.settings.volunteer_retention_months)
    click.echo(f"Geanonimiseerd: {count} hulpvragen.")


main.add_command(volunteers)
