"""``sociale-kaart export``: all published services as open data (docs/export.md).

A separate module so the command stays small and ``cli.py`` only registers it
(``main.add_command(export)``). Exit status: 0 written, 2 the target cannot be written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli import Context, _init, pass_context

FORMAT_HELP = ("hsds-json: one JSON array of nested services; hsds-csv: a folder with "
               "datapackage.json and one CSV per table; hsds-zip: that folder as one zip.")


@click.command("export")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", required=True,
              type=click.Choice(["hsds-json", "hsds-csv", "hsds-zip"]), help=FORMAT_HELP)
@pass_context
def export(ctx: Context, path: Path, fmt: str) -> None:
    """Export every published service as HSDS 3.0 open data to PATH (a file, or a folder for
    hsds-csv). Pending changes and professional-only fields are never exported; the same data
    always gives the same bytes."""
    from .services.hsds_files import export_to

    if fmt == "hsds-csv" and path.exists() and not path.is_dir():
        click.echo(f"Fout: {path} is een bestand; hsds-csv schrijft een map.", err=True)
        sys.exit(2)
    if fmt != "hsds-csv" and path.is_dir():
        click.echo(f"Fout: {path} is een map; {fmt} schrijft één bestand.", err=True)
        sys.exit(2)
    db = _init(ctx.settings)  # an instance that was never set up exports nothing, cleanly
    try:
        with db.session() as session:
            count = export_to(session, fmt, path)
    except OSError as error:
        click.echo(f"Fout: kan {path} niet schrijven ({error.strerror or error}).", err=True)
        sys.exit(2)
    finally:
        db.dispose()
    click.echo(f"{count} diensten geëxporteerd naar {path} ({fmt}).")
