"""``sociale-kaart backup``, ``restore`` and ``jobs``: operating an installation.

A backup is one file (a tar archive, mode 0600 because it holds accounts): ``manifest.json``
(version, migration level, database kind), the database, and the instance files a restore needs
(the ``secret_key`` that signs cookies and links). The database part is

* SQLite: a consistent copy made with SQLite's online backup API (safe while the site runs);
* PostgreSQL: ``pg_dump --format=custom`` (restored with ``pg_restore``).

All tables are in it, including the embedding cache of semantic search, so a restore does not
have to compute vectors again. The search index is not: ``restore`` rebuilds it from the
restored database (``index rebuild`` does the same), which gives the same search results.

``jobs work`` runs the job queue (see :mod:`sociale_kaart.jobs`); on PostgreSQL run it on one
or more nodes, on SQLite ``serve`` runs the jobs itself.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from . import __version__
from .cli import Context, _init, main, pass_context
from .config import Settings
from .db import Database, dialect_of

log = logging.getLogger(__name__)

FORMAT = "sociale-kaart-backup/1"
INSTANCE_FILES = ("secret_key",)


class BackupError(click.ClickException):
    """A backup or restore that cannot go on; nothing was changed."""


# -- PostgreSQL tools ----------------------------------------------------------------------------
def pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore``: from PATH, else the newest Debian PostgreSQL version."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    raise BackupError(f"{name} is niet gevonden; installeer postgresql-client.")


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as a libpq URI (``postgresql+psycopg://`` → ``postgresql://``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} mislukte: {result.stderr.strip()[-800:]}")


# -- backup ---------------------------------------------------------------------------------------
def backup(settings: Settings, db: Database, target: Path) -> dict:
    """Write a backup of the installation to ``target``; returns the manifest."""
    kind = dialect_of(settings.database_url)
    manifest = {
        "format": FORMAT,
        "version": __version__,
        "database": kind,
        "migration": db.current_revision(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "instance_files": [],
    }
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sociale-kaart-backup-") as work:
        work_dir = Path(work)
        if kind == "sqlite":
            dump = work_dir / "database.sqlite"
            source = sqlite3.connect(settings.database_path)
            copy = sqlite3.connect(dump)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
        elif kind == "postgresql":
            dump = work_dir / "database.pgdump"
            _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={dump}", f"--dbname={libpq_url(settings.database_url)}"])
        else:
            raise BackupError(f"database {kind!r} wordt niet ondersteund (sqlite, postgresql).")
        partial = target.with_name(target.name + ".part")
        with tarfile.open(partial, _tar_mode(target, "w")) as archive:
            for name in INSTANCE_FILES:
                path = settings.instance_path / name
                if path.is_file():
                    archive.add(path, arcname=f"instance/{name}")
                    manifest["instance_files"].append(name)
            archive.add(dump, arcname=dump.name)
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    return manifest


def _tar_mode(path: Path, action: str) -> str:
    return f"{action}:gz" if path.name.endswith((".gz", ".tgz")) else action


# -- restore --------------------------------------------------------------------------------------
def read_manifest(archive: tarfile.TarFile, source: Path) -> dict:
    try:
        member = archive.extractfile("manifest.json")
        manifest = json.load(member) if member else None
    except (KeyError, json.JSONDecodeError) as error:
        raise BackupError(f"{source} is geen back-up van Sociale Kaart "
                          f"(manifest.json ontbreekt of is onleesbaar: {error}).") from error
    if not manifest or manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is geen back-up van Sociale Kaart (onbekend formaat).")
    return manifest


def restore(settings: Settings, db: Database, source: Path) -> dict:
    """Replace the installation's database (and instance files) with the backup's."""
    if not source.is_file():
        raise BackupError(f"back-up {source} bestaat niet.")
    try:
        archive = tarfile.open(source, "r:*")
    except tarfile.TarError as error:
        raise BackupError(f"{source} is geen leesbare back-up: {error}.") from error
    with archive, tempfile.TemporaryDirectory(prefix="sociale-kaart-restore-") as work:
        manifest = read_manifest(archive, source)
        kind = dialect_of(settings.database_url)
        if manifest["database"] != kind:
            raise BackupError(f"deze back-up is van een {manifest['database']}-database; deze "
                              f"installatie gebruikt {kind}. Zet de gegevens over met "
                              "export en import.")
        head = db.head_revision()
        if manifest.get("migration") and manifest["migration"] > (head or ""):
            raise BackupError(f"de back-up heeft migratieniveau {manifest['migration']}, nieuwer "
                              f"dan deze versie ({head}); werk eerst de software bij.")
        archive.extractall(work, filter="data")
        work_dir = Path(work)
        if kind == "sqlite":
            db.dispose()
            source_db = sqlite3.connect(work_dir / "database.sqlite")
            settings.database_path.parent.mkdir(parents=True, exist_ok=True)
            live = sqlite3.connect(settings.database_path)
            try:
                source_db.backup(live)
            finally:
                live.close()
                source_db.close()
        else:
            _restore_postgresql(settings, db, work_dir / "database.pgdump")
        for name in manifest.get("instance_files", []):
            if name in INSTANCE_FILES:
                settings.instance_path.mkdir(parents=True, exist_ok=True)
                target = settings.instance_path / name
                shutil.copyfile(work_dir / "instance" / name, target)
                target.chmod(0o600)
    db.upgrade()  # a backup from an older version gets the newer migrations
    return manifest


def _restore_postgresql(settings: Settings, db: Database, dump: Path) -> None:
    """``pg_restore`` everything but the extensions, which belong to the database owner.

    The application's account usually does not own ``unaccent``/``pg_trgm``/``postgis`` (a
    superuser made them), so dropping and re-creating them would fail. They are made (if
    missing and allowed) beforehand and left out of the restore list.
    """
    listing = subprocess.run([pg_tool("pg_restore"), "--list", str(dump)], capture_output=True,
                             text=True)
    if listing.returncode != 0:
        raise BackupError(f"de back-up is beschadigd: {listing.stderr.strip()[-500:]}")
    extensions = [line.split()[-1] for line in listing.stdout.splitlines()
                  if not line.startswith(";") and " EXTENSION - " in line]
    _ensure_extensions(db, extensions)
    owned_by_extensions = _extension_tables(db)
    keep = []
    for line in listing.stdout.splitlines():
        words = line.split(";", 1)[-1].split()
        if not line.startswith(";") and "EXTENSION" in words:
            continue  # the extension itself, or its comment
        if words[2:4] == ["TABLE", "DATA"] and len(words) > 5 and \
                (words[4], words[5]) in owned_by_extensions:
            continue  # e.g. PostGIS's spatial_ref_sys: the extension fills it
        keep.append(line)
    db.dispose()
    selection = dump.with_suffix(".list")
    selection.write_text("\n".join(keep) + "\n")
    _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", f"--use-list={selection}",
          f"--dbname={libpq_url(settings.database_url)}", str(dump)])


def _extension_tables(db: Database) -> set[tuple[str, str]]:
    """(schema, table) of the tables that belong to an installed extension."""
    from sqlalchemy import text

    with db.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT n.nspname, c.relname FROM pg_depend d "
            "JOIN pg_class c ON d.objid = c.oid JOIN pg_namespace n ON c.relnamespace = n.oid "
            "WHERE d.deptype = 'e' AND d.classid = 'pg_class'::regclass"))
        return {(schema, table) for schema, table in rows}


def _ensure_extensions(db: Database, names: list[str]) -> None:
    from sqlalchemy import text

    with db.engine.connect() as connection:
        present = set(connection.execute(text("SELECT extname FROM pg_extension")).scalars())
    for name in names:
        if name in present or not name.replace("_", "").isalnum():
            continue
        try:
            with db.engine.begin() as connection:
                connection.execute(text(f'CREATE EXTENSION IF NOT EXISTS "{name}"'))
        except Exception as error:
            raise BackupError(f"de back-up gebruikt de PostgreSQL-extensie {name}; maak die "
                              f"eerst aan als eigenaar van de database: CREATE EXTENSION "
                              f"{name}; ({type(error).__name__})") from error


@main.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_context
def backup_command(ctx: Context, path: Path) -> None:
    """Write a backup of the database (all tables, with the embedding cache) and the instance
    files to PATH (a tar file; .tar.gz compresses). Safe while the site runs."""
    db = _init(ctx.settings)
    try:
        manifest = backup(ctx.settings, db, path)
    finally:
        db.dispose()
    click.echo(f"Back-up geschreven naar {path} ({manifest['database']}, migratieniveau "
               f"{manifest['migration']}).")


@main.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--no-index", is_flag=True, help="Do not rebuild the search index afterwards.")
@pass_context
def restore_command(ctx: Context, path: Path, yes: bool, no_index: bool) -> None:
    """Replace the database and instance files with the backup in PATH, then rebuild the
    search index. Stop the web processes first."""
    if not yes:
        click.confirm("Alle huidige gegevens worden vervangen door de back-up. Doorgaan?",
                      abort=True)
    db = Database(ctx.settings.database_url)
    try:
        manifest = restore(ctx.settings, db, path)
        click.echo(f"Back-up teruggezet: {manifest['database']}, gemaakt op "
                   f"{manifest['created']}, migratieniveau {manifest['migration']}.")
        if not no_index:
            from .search import SearchService

            count = SearchService(ctx.settings, db, follow_commits=False).rebuild()
            click.echo(f"Zoekindex opnieuw opgebouwd: {count} diensten.")
    finally:
        db.dispose()


# -- jobs -----------------------------------------------------------------------------------------
@main.group()
def jobs() -> None:
    """The job queue: reminder e-mails, embeddings, roll-ups (run by any node)."""


@jobs.command("work")
@click.option("--once", is_flag=True, help="Run the jobs that are due, then stop.")
@click.option("--max-seconds", type=float, default=None, help="Stop after this many seconds.")
@click.option("--idle-sleep", type=float, default=2.0, show_default=True,
              help="Seconds to wait when no job is due.")
@pass_context
def jobs_work(ctx: Context, once: bool, max_seconds: float | None, idle_sleep: float) -> None:
    """Run queued jobs (start one per node with PostgreSQL; several may run at once)."""
    from . import jobs as queue
    from .logs import configure_logging

    configure_logging(ctx.settings)
    db = _init(ctx.settings)
    try:
        done = queue.work(db, ctx.settings, once=once, max_seconds=max_seconds,
                          idle_sleep=idle_sleep)
    except KeyboardInterrupt:
        done = None
    finally:
        db.dispose()
    if done is not None:
        click.echo(f"Taken uitgevoerd: {done}.")


@jobs.command("status")
@pass_context
def jobs_status(ctx: Context) -> None:
    """How many jobs are queued, running, done and failed."""
    from . import jobs as queue

    db = _init(ctx.settings)
    try:
        counts = queue.counts(db)
    finally:
        db.dispose()
    for status, count in counts.items():
        click.echo(f"{status}: {count}")


@jobs.command("enqueue")
@click.argument("name")
@click.option("--payload", default="{}", help="Arguments as a JSON object (no personal data).")
@click.option("--key", "dedupe_key", default=None,
              help="Store the job only once for this key (e.g. reminders:2026-12-02).")
@pass_context
def jobs_enqueue(ctx: Context, name: str, payload: str, dedupe_key: str | None) -> None:
    """Queue job NAME (reminders, embeddings, analytics-purge, ...)."""
    from . import jobs as queue

    try:
        arguments = json.loads(payload)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"geen geldige JSON: {error}", param_hint="--payload") from None
    if not isinstance(arguments, dict):
        raise click.BadParameter("moet een JSON-object zijn", param_hint="--payload")
    if name not in queue.registry:
        raise click.BadParameter(f"onbekende taak {name!r}; bekend: "
                                 f"{', '.join(sorted(queue.registry))}", param_hint="NAME")
    db = _init(ctx.settings)
    try:
        job_id = queue.enqueue(db, name, arguments, dedupe_key=dedupe_key)
    finally:
        db.dispose()
    if job_id is None:
        click.echo(f"Taak met sleutel {dedupe_key} staat al in de wachtrij; niets toegevoegd.")
    else:
        click.echo(f"Taak {name} in de wachtrij gezet (nummer {job_id}).")


def queue_search_warm(app) -> int | None:
    """For ``serve`` on the PostgreSQL search backend: queue reading the search tables into
    memory, once per start of the database server however many nodes start (the job's key
    is the server's start time). Returns the job's id, or None (queued already, not
    wanted, or the database unreachable: ``serve`` starts anyway)."""
    from . import jobs as queue
    from .search.pg_warm import server_start_key

    settings = app.extensions["sociale_kaart.settings"]
    db = app.extensions["sociale_kaart.db"]
    if settings.search_backend != "postgres" or not settings.search_warm:
        return None
    try:
        return queue.enqueue(db, "search-warm", dedupe_key=server_start_key(db))
    except Exception as error:  # the job's hourly round will warm the tables later
        log.warning("could not queue warming the search tables: %s", type(error).__name__)
        return None


def start_in_process_jobs(app):
    """For ``serve``: run the job queue in a thread when the settings say so (SQLite)."""
    from . import jobs as queue

    settings = app.extensions["sociale_kaart.settings"]
    db = app.extensions["sociale_kaart.db"]
    if not queue.runs_in_process(settings, db):
        return None
    worker = queue.InProcessWorker(db, settings)
    worker.start()
    return worker


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
