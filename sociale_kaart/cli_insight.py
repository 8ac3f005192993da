"""``sociale-kaart report`` (the insight report for the verantwoording) and
``sociale-kaart analytics purge`` (delete search analytics past the retention period).

A separate module so ``cli.py`` only registers the commands. Exit status of ``report``: 0
written, 2 bad dates or the file cannot be written (nothing is written then).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from .cli import Context, _init, pass_context


def _day(_ctx, param: click.Parameter, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is geen datum; schrijf jjjj-mm-dd, "
                                 "bijvoorbeeld 2026-01-31", param=param) from None


@click.command("report")
@click.option("--from", "start", required=True, callback=_day, help="First day (YYYY-MM-DD).")
@click.option("--to", "end", required=True, callback=_day, help="Last day (YYYY-MM-DD).")
@click.option("--format", "fmt", required=True, type=click.Choice(["xlsx", "csv", "pdf"]),
              help="xlsx: one sheet per part; csv: all tables in one file; pdf: for print.")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@pass_context
def report(ctx: Context, start: date, end: date, fmt: str, path: Path) -> None:
    """Write the insight report (search behaviour, coverage per kern, indicators per opgave
    with the two previous years, data quality) for the period to PATH."""
    from . import create_app
    from .insight.indicators import Period
    from .web.insight import MAX_PERIOD_DAYS, build_file

    if end < start:
        click.echo("Fout: --to ligt voor --from.", err=True)
        sys.exit(2)
    if (end - start).days > MAX_PERIOD_DAYS:
        click.echo("Fout: kies een periode van hoogstens vijf jaar.", err=True)
        sys.exit(2)
    _init(ctx.settings).dispose()
    app = create_app(ctx.settings)
    with app.test_request_context(base_url=ctx.settings.base_url):
        data = build_file(fmt, Period(start, end))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as error:
        click.echo(f"Fout: kan {path} niet schrijven ({error.strerror or error}).", err=True)
        sys.exit(2)
    finally:
        app.extensions["sociale_kaart.db"].dispose()
    click.echo(f"Rapport {start.isoformat()} t/m {end.isoformat()} geschreven naar {path} "
               f"({fmt}).")


@click.group("analytics")
def analytics() -> None:
    """Anonymous search analytics of the insight dashboard."""


@analytics.command("purge")
@click.option("--months", type=click.IntRange(min=1), default=None,
              help="Keep this many months (default: the analytics_retention_months setting).")
@pass_context
def purge(ctx: Context, months: int | None) -> None:
    """Delete searches and clicks older than the retention period (run it daily or monthly)."""
    from .insight.analytics import purge as purge_rows

    settings = ctx.settings
    keep = months or settings.analytics_retention_months
    db = _init(settings)
    try:
        searches, clicks = purge_rows(db, settings.today_or_now(), keep)
    finally:
        db.dispose()
    click.echo(f"{searches} zoekopdrachten en {clicks} kliks ouder dan {keep} maanden "
               "verwijderd.")
