"""Format name → importer class, for the built-ins and for third-party plugins.

The built-ins are registered through the same ``sociale_kaart.importers`` entry-point group a
plugin would use (as datasette does with its default plugins); ``load_plugins=False`` (tests)
ignores anything else that is installed.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

from .base import Importer, UnusableInput
from .hsds_csv import HsdsCsvImporter
from .hsds_json import HsdsJsonImporter
from .ical import IcalImporter
from .spreadsheet import SpreadsheetImporter

BUILTIN: dict[str, type[Importer]] = {
    HsdsJsonImporter.name: HsdsJsonImporter,
    HsdsCsvImporter.name: HsdsCsvImporter,
    # After the HSDS formats: a package's services.csv is HSDS, any other list a spreadsheet.
    SpreadsheetImporter.name: SpreadsheetImporter,
    IcalImporter.name: IcalImporter,
}
ENTRY_POINT_GROUP = "sociale_kaart.importers"


def importers(load_plugins: bool = True) -> dict[str, type[Importer]]:
    """All known importers by format name; built-ins win over a plugin of the same name."""
    found: dict[str, type[Importer]] = {}
    if load_plugins:
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            if entry.name in BUILTIN:
                continue
            try:
                found[entry.name] = entry.load()
            except Exception:  # a broken plugin must not break imports of the built-in formats
                continue
    found.update(BUILTIN)
    return found


def detect(path: Path, load_plugins: bool = True) -> type[Importer]:
    """The importer for ``path``, judged by content and name; UnusableInput if none fits."""
    if not path.exists():
        raise UnusableInput(str(path), "file or folder does not exist")
    for importer in importers(load_plugins).values():
        if importer.sniff(path):
            return importer
    names = ", ".join(sorted(importers(load_plugins)))
    raise UnusableInput(str(path), f"format not recognised; choose one with --format ({names})")


def get(name: str, load_plugins: bool = True) -> type[Importer]:
    known = importers(load_plugins)
    if name not in known:
        raise UnusableInput(name, f"unknown format; known formats: {', '.join(sorted(known))}")
    return known[name]
