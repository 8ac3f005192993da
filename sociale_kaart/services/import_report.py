"""An import run with duplicate screening, and its machine-readable report (one entry per row).

``sociale-kaart import PATH [--dry-run] --report-json OUT`` writes a JSON array with, for every
source record (an HSDS service, or a spreadsheet row), where it came from, what happened to it and
the HSDS service object as it would be stored::

    {"source": FILE, "row": N | null, "source_id": ID | null,
     "status": "created|updated|unchanged|duplicate|rejected|skipped",
     "id": HSDS id | null, "duplicate_of": HSDS id | null, "record": {...} | null,
     "errors": [{"field", "message"}], "warnings": [...]}

Why here and not in the writer: duplicate screening must happen *between* reading and writing (a
duplicate is not written but proposed as a merge), and the report needs the per-row view that
only the spreadsheet importer has; the writer stays a plain upsert.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from importers.base import ImportedRecord, RecordError

from ..db import Database
from ..geo.geocode import Geocoder
from .duplicates import DuplicateIndex, DuplicateMatch, propose, remembered
from .imports import ImportReport, read_sources, write_records
from .provenance import own_id

STATUSES = ("created", "updated", "unchanged", "duplicate", "rejected", "skipped")


@dataclass
class ReportEntry:
    source: str
    row: int | None
    source_id: str | None
    status: str
    id: str | None
    duplicate_of: str | None = None
    record: dict[str, Any] | None = None
    errors: list[dict[str, str | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportRun:
    """The writer's report plus duplicates and the per-row entries."""

    report: ImportReport
    entries: list[ReportEntry]
    duplicates: dict[str, DuplicateMatch] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return self.report.exit_code

    def summary(self) -> str:
        skipped = sum(1 for e in self.entries if e.status == "skipped" and e.record is None)
        extra = ""
        if self.duplicates:
            extra += f", {len(self.duplicates)} dubbel (voorgesteld om samen te voegen)"
        if skipped:
            extra += f", {skipped} rijen overgeslagen"
        return self.report.summary() + extra

    def write_json(self, path: Path) -> None:
        data = [asdict(entry) for entry in self.entries]
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n",
                        encoding="utf-8")


def _is_skipped(error: RecordError) -> bool:
    from importers.spreadsheet import SkippedRow

    return isinstance(error, SkippedRow)


def source_key(source: str) -> str:
    """How decisions name a source: the file name (and sheet), not the folder it was in."""
    return Path(source.split("#")[0]).name + (f"#{source.split('#', 1)[1]}" if "#" in source
                                              else "")


def screen(db: Database, records: list[ImportedRecord]) -> tuple[list[ImportedRecord],
                                                                 dict[str, DuplicateMatch]]:
    """Split records into those to write and duplicates of listings we hold, applying the
    beheerder's remembered decisions first."""
    to_write: list[ImportedRecord] = []
    duplicates: dict[str, DuplicateMatch] = {}
    with db.Session() as session:
        index = DuplicateIndex.from_session(session)
        for record in records:
            decision = remembered(session, source_key(record.source), record.id)
            if decision is not None and decision.decision == "keep_both":
                to_write.append(record)
                continue
            if decision is not None and decision.existing_id:
                duplicates[record.id] = DuplicateMatch(decision.existing_id, 100.0,
                                                       ("eerder besloten: samenvoegen",))
                continue
            match = index.match(record.service)
            if match is None:
                to_write.append(record)
            else:
                duplicates[record.id] = match
    return to_write, duplicates


def run_import(db: Database, paths: Iterable[Path], *, fmt: str | None = None,
               dry_run: bool = False, strict: bool = False, geocoder: Geocoder | None = None,
               progress: Callable | None = None, load_plugins: bool = True) -> ImportRun:
    """Read, screen for duplicates, write, store merge proposals; UnusableInput propagates
    before anything is written."""
    records, errors = read_sources([Path(p) for p in paths], fmt, load_plugins)
    return run_records(db, records, errors, dry_run=dry_run, strict=strict, geocoder=geocoder,
                       progress=progress)


def run_records(db: Database, records: list[ImportedRecord], all_errors: list[RecordError], *,
                dry_run: bool = False, strict: bool = False, geocoder: Geocoder | None = None,
                progress: Callable | None = None) -> ImportRun:
    """Screen records already read for duplicates, write the rest, store merge proposals."""
    skipped = [e for e in all_errors if _is_skipped(e)]
    errors = [e for e in all_errors if not _is_skipped(e)]
    to_write, duplicates = screen(db, records)
    report = write_records(db, to_write, errors, dry_run=dry_run, strict=strict,
                           geocoder=geocoder, progress=progress)
    new_proposals = [r for r in records if r.id in duplicates
                     and "eerder besloten: samenvoegen" not in duplicates[r.id].reasons]
    if new_proposals and not dry_run and not (strict and errors):
        with db.session() as session:
            for record in new_proposals:
                rows = getattr(record, "rows", None)
                numbers = ",".join(str(r.row) for r in rows) if rows else (
                    str(record.line) if record.line else None)
                propose(session, source_key(record.source), record.service,
                        duplicates[record.id], numbers, own_id(record))
    entries = _entries(records, errors, skipped, duplicates, report, strict)
    return ImportRun(report, entries, duplicates)


def _entries(records: list[ImportedRecord], errors: list[RecordError],
             skipped: list[RecordError], duplicates: dict[str, DuplicateMatch],
             report: ImportReport, strict: bool) -> list[ReportEntry]:
    outcome = {i: s for s in ("created", "updated", "unchanged") for i in getattr(report, s)}
    entries: list[ReportEntry] = []
    for record in records:
        match = duplicates.get(record.id)
        status = "duplicate" if match else outcome.get(record.id, "skipped")
        extra = [] if match or record.id in outcome else (
            ["niet opgeslagen: --strict en er zijn afgewezen records"] if strict else [])
        rows = getattr(record, "rows", None)
        if match:
            extra.append("dubbel: " + ", ".join(match.reasons))
        if rows:
            for position, row in enumerate(rows):
                own = [w for w in record.warnings if w.startswith(f"rij {row.row}")]
                general = [w for w in record.warnings if not w.startswith("rij ")]
                entries.append(ReportEntry(record.source, row.row, None, status, record.id,
                                           match.existing_id if match else None, record.service,
                                           [], own + (general if position == 0 else []) + extra))
        else:
            entries.append(ReportEntry(record.source, record.line, record.id, status, record.id,
                                       match.existing_id if match else None, record.service, [],
                                       list(record.warnings) + extra))
    for error in errors:
        entries.append(ReportEntry(error.source, error.line, error.record_id, "rejected", None,
                                   errors=[{"field": error.field, "message": error.reason}]))
    for row in skipped:
        entries.append(ReportEntry(row.source, row.line, None, "skipped", None,
                                   warnings=[row.reason]))
    entries.sort(key=lambda e: (e.source, e.row or 0))
    return entries
