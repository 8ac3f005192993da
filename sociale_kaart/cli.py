"""The ``sociale-kaart`` command: set up an instance, import data, keep the index, serve.

Every command takes ``--instance DIR`` (or ``SOCIALE_KAART_INSTANCE``; default ``./instance``).
Exit status of ``import``: 0 everything imported, 1 some records rejected (the valid ones are
in), 2 the input could not be used at all (nothing changed).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from .config import DATA_DIR, Settings, load_settings
from .db import Database

DEMO_DIR = DATA_DIR / "demo"


class Context:
    def __init__(self, instance: str | None) -> None:
        self.instance = instance
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.instance)
        return self._settings

    def database(self) -> Database:
        return Database(self.settings.database_url)


_pass_context = click.make_pass_decorator(Context)


def _set_instance(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.ensure_object(Context).instance = value
        ctx.find_object(Context)._settings = None


def pass_context(command):
    """Pass our Context, and accept ``--instance DIR`` after the command name too, so
    ``sociale-kaart init --instance T`` works as well as ``sociale-kaart --instance T init``."""
    command = _pass_context(command)
    return click.option("--instance", type=click.Path(file_okay=False), expose_value=False,
                        callback=_set_instance, is_eager=True,
                        help="Folder for the database and the search index.")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--instance", type=click.Path(file_okay=False), envvar="SOCIALE_KAART_INSTANCE",
              help="Folder for the database and the search index (default ./instance).")
@click.version_option(package_name="sociale-kaart")
@click.pass_context
def main(ctx: click.Context, instance: str | None) -> None:
    """Sociale Kaart: a digital social map for Dutch municipalities."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = Context(instance)


def _init(settings: Settings) -> Database:
    from .services.taxonomy import ensure_taxonomies

    settings.instance_path.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url)
    db.upgrade()
    with db.session() as session:
        ensure_taxonomies(session)
    return db


@main.command()
@pass_context
def init(ctx: Context) -> None:
    """Create the instance folder and create or upgrade the database schema."""
    db = _init(ctx.settings)
    click.echo(f"Database klaar ({db.current_revision()}) in {ctx.settings.instance_path}")
    db.dispose()


def _progress(records):
    if not sys.stderr.isatty():
        return records
    from tqdm import tqdm

    return tqdm(records, desc="importeren", unit="dienst", file=sys.stderr)


IMPORT_FORMATS = ["hsds-json", "hsds-csv", "spreadsheet", "ical"]


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(IMPORT_FORMATS),
              help="Input format; by default detected from content and name.")
@click.option("--dry-run", is_flag=True, help="Check and report, but store nothing.")
@click.option("--strict", is_flag=True, help="Store nothing when any record is invalid.")
@click.option("--report-json", "report_json", type=click.Path(dir_okay=False, path_type=Path),
              help="Write one JSON entry per source record (row) to this file.")
@click.option("--bulk", is_flag=True,
              help="PostgreSQL only: write new listings with COPY (large imports), then "
                   "rebuild the index; no duplicate proposals.")
@pass_context
def import_(ctx: Context, paths: tuple[Path, ...], fmt: str | None, dry_run: bool,
            strict: bool, report_json: Path | None, bulk: bool = False) -> None:
    """Import HSDS JSON (array, object, page, JSON Lines), an HSDS CSV package (folder or
    zip), an activity list (xlsx, ods, csv) or an agenda (.ics). Records are upserted by id; a
    re-import changes nothing; a record that describes a listing we already hold is proposed as
    a merge instead of created twice."""
    from importers.base import UnusableInput

    from .geo.geocode import Geocoder
    from .search import SearchService
    from .services.import_report import run_records
    from .services.imports import read_sources

    settings = ctx.settings
    try:
        records, errors = read_sources(list(paths), fmt)
    except UnusableInput as error:
        click.echo(f"Fout: {error}", err=True)
        click.echo("Niets geïmporteerd; de database is niet veranderd.", err=True)
        sys.exit(2)
    db = _init(settings)
    geocoder = Geocoder(online=settings.geocoder == "nominatim",
                        user_agent=settings.nominatim_user_agent)
    if bulk and not dry_run:  # issue 12: COPY into PostgreSQL
        from .services.bulk_import import bulk_import_cli

        sys.exit(bulk_import_cli(settings, db, records, errors, strict, geocoder))
    search = SearchService(settings, db)
    run = run_records(db, records, errors, dry_run=dry_run, strict=strict, geocoder=geocoder,
                      progress=_progress)
    _echo_run(run, strict)
    if report_json is not None:
        run.write_json(report_json)
    db.dispose()
    _ = search
    sys.exit(run.exit_code)


def _echo_run(run, strict: bool) -> None:
    """What an import did, on stderr per record and on stdout as one summary line."""
    report = run.report
    for warning in report.warnings:
        click.echo(f"Waarschuwing: {warning}", err=True)
    for error in report.rejected:
        click.echo(f"Afgewezen: {error}", err=True)
    for entry in run.entries:
        if entry.status == "duplicate":
            where = entry.source + (f":{entry.row}" if entry.row else "")
            click.echo(f"Dubbel: {where}: lijkt op bestaande vermelding {entry.duplicate_of}; "
                       "voorgesteld om samen te voegen", err=True)
        elif entry.status == "skipped" and entry.record is None:
            click.echo(f"Overgeslagen: {entry.source}:{entry.row}: "
                       f"{'; '.join(entry.warnings)}", err=True)
    if strict and report.rejected:
        click.echo("--strict: er is niets opgeslagen omdat er afgewezen records zijn.", err=True)
    click.echo(run.summary())


@main.group()
def index() -> None:
    """Maintain the search index."""


@index.command("rebuild")
@pass_context
def index_rebuild(ctx: Context) -> None:
    """Build a fresh index from the database beside the live one and swap it in."""
    from .search import SearchService
    from .search.index import IndexError_

    db = _init(ctx.settings)
    search = SearchService(ctx.settings, db, follow_commits=False)
    try:
        count = search.rebuild()
    except (IndexError_, OSError) as error:
        # A full disk or a read-only folder: say where and why; the live index and the
        # database are untouched (the new index is built beside the live one).
        reason = getattr(error, "strerror", None) or str(error)
        raise click.ClickException(
            f"De zoekindex in {ctx.settings.resolved_index_path} kon niet worden gebouwd: "
            f"{reason}. De database en de huidige zoekindex zijn niet veranderd.") from error
    finally:
        db.dispose()
    click.echo(f"Zoekindex opnieuw opgebouwd: {count} diensten.")


@index.command("warm")
@pass_context
def index_warm(ctx: Context) -> None:
    """Read the PostgreSQL search tables into memory now (pg_prewarm), as the job that
    `serve` queues does once after each start of the database server."""
    from .search.pg_warm import warm_database

    if ctx.settings.search_backend != "postgres":
        click.echo("Niet nodig: de zoekindex van Whoosh wordt bij gebruik vanzelf gelezen "
                   "(alleen de PostgreSQL-zoekmachine heeft opwarmen nodig).")
        return
    db = _init(ctx.settings)
    try:
        report = warm_database(db)
    finally:
        db.dispose()
    click.echo(report.summary())
    if report.unavailable:
        sys.exit(1)


@index.command("embed")
@click.option("--all", "recompute", is_flag=True,
              help="Recompute every vector, not only the missing ones.")
@pass_context
def index_embed(ctx: Context, recompute: bool) -> None:
    """Give every published listing its semantic-search vector (in the foreground; returns
    when all are done). Vectors are cached by text, so only new or changed listings are
    embedded."""
    from .search import SearchService

    db = _init(ctx.settings)
    search = SearchService(ctx.settings, db, follow_commits=False)
    status = search.semantic_status()
    if not status["enabled"]:
        reason = "semantic = off" if ctx.settings.semantic == "off" else \
            f"het model kon niet geladen worden ({status['error']})"
        click.echo(f"Semantisch zoeken staat uit: {reason}.", err=True)
        db.dispose()
        sys.exit(1)
    search.ensure_index()
    search.semantic.sync(search.semantic_hashes(), complete=True)
    todo = len(search.semantic.missing()) if not recompute else search.semantic.counts()[1]
    bar = None
    if todo:
        from tqdm import tqdm

        bar = tqdm(total=todo, desc="embedden", unit="dienst", file=sys.stderr,
                   disable=not sys.stderr.isatty())
    embedded = search.embed_missing(recompute=recompute,
                                    progress=bar.update if bar is not None else None)
    if bar is not None:
        bar.close()
    done, total = search.semantic.counts()
    click.echo(f"Vectoren: {embedded} berekend; {done} van {total} gepubliceerde diensten "
               "hebben er een.")
    db.dispose()


def _serve(settings: Settings, host: str, port: int) -> None:
    from waitress import serve as waitress_serve

    from . import create_app
    from .cli_ops import queue_search_warm, start_in_process_jobs
    from .logs import configure_logging

    configure_logging(settings)
    app = create_app(settings)
    queue_search_warm(app)  # issue 12: PostgreSQL search tables read into memory once
    jobs = start_in_process_jobs(app)  # issue 12: SQLite runs the job queue in this process
    # issue 11: fills in missing embedding vectors at low CPU priority.
    search = app.extensions["sociale_kaart.search"]
    search.start_worker()
    click.echo(f"{settings.site_name} draait op http://{host}:{port}/ (stoppen: Ctrl+C)")
    try:
        waitress_serve(app, host=host, port=port, threads=8, ident="sociale-kaart")
    finally:
        search.stop_worker()
        if jobs is not None:
            jobs.stop()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@pass_context
def serve(ctx: Context, host: str, port: int) -> None:
    """Serve the site with the production WSGI server waitress."""
    _init(ctx.settings).dispose()
    _serve(ctx.settings, host, port)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--no-serve", is_flag=True, help="Prepare the demo instance but do not serve.")
@click.option("--load-only", is_flag=True,
              help="Load all demo data (kaart and volunteer platform) and exit without serving.")
@pass_context
def demo(ctx: Context, host: str, port: int, no_serve: bool, load_only: bool) -> None:
    """Set up the instance, import the bundled demo data if it is empty, and serve."""
    from sqlalchemy import func, select

    from .models import Service
    from .search import SearchService
    from .services.imports import import_paths

    settings = ctx.settings
    db = _init(settings)
    with db.session() as session:
        empty = session.scalar(select(func.count()).select_from(Service)) == 0
    if empty:
        search = SearchService(settings, db)
        report = import_paths(db, [DEMO_DIR / "services.json"], progress=_progress)
        click.echo(f"Demodata geïmporteerd: {report.summary()}")
        _ = search
    _load_volunteer_demo(db)  # issue 9: vacatures, hulpaanbod and hulpvragen
    db.dispose()
    if not (no_serve or load_only):
        _serve(settings, host, port)


def _load_volunteer_demo(db) -> None:
    """The volunteer platform's demo listings, once per instance (issue 9)."""
    from .models import utcnow
    from .volunteer.demo import load_demo

    with db.session() as session:
        counts = load_demo(session, utcnow())
    if counts["listings"]:
        click.echo(f"Demodata vrijwilligerswerk: {counts['listings']} oproepen, "
                   f"{counts['people']} deelnemers, {counts['organizations']} organisaties.")


# `user` and `remind` (sociale_kaart/cli_users.py) add themselves to `main` when imported.
# issue 12: backup, restore, jobs; issue 9: `volunteers ...`
from . import cli_ops, cli_users, cli_volunteers  # noqa: E402,F401
from .cli_export import export  # noqa: E402
from .cli_insight import analytics, report  # noqa: E402  (issue 10: insight)

main.add_command(export)
main.add_command(report)
main.add_command(analytics)

if __name__ == "__main__":  # pragma: no cover
    main()
