"""Benchmark of the spreadsheet importer and the duplicate detector on messy municipal lists.

Usage: ``python benchmarks/spreadsheets.py [FOLDER] [--json OUT]`` (default
``../shared/sample-data/spreadsheets``). It imports the sample HSDS data into a temporary
instance, then reads every file that ``truth.json`` describes with a dry run (so each file is
judged against the HSDS data alone) and prints, per file and overall:

* the share of rows whose name, phone, postcode, kern and schedule equal ``truth.json`` (per field
  and all five together; names compared case- and whitespace-insensitively, postcodes without the
  space, schedules as sets of {freq, byday, interval, opens_at, closes_at, daypart, dtstart,
  until});
* the rejected (non-activity) rows found, i.e. reported as skipped or rejected and not imported;
* precision and recall of ``duplicate_of``.

Nothing in the importer knows these files; this script is the only place that reads truth.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from importers.normalize.schedules import ParsedSchedule  # noqa: E402
from importers.spreadsheet import SpreadsheetImporter, SpreadsheetRecord  # noqa: E402
from sociale_kaart.config import load_settings  # noqa: E402
from sociale_kaart.db import Database  # noqa: E402
from sociale_kaart.services.import_report import run_import  # noqa: E402
from sociale_kaart.services.imports import import_paths  # noqa: E402

DEFAULT = REPO.parent / "shared" / "sample-data" / "spreadsheets"
FIELDS = ("name", "phone", "postcode", "place", "schedule")


def _name(value: str | None) -> str | None:
    return " ".join(value.casefold().split()) if value else None


def _postcode(value: str | None) -> str | None:
    return value.replace(" ", "").upper() if value else None


def _schedule_key(item: dict[str, Any]) -> tuple[Any, ...]:
    return (item.get("freq"), item.get("byday"), int(item.get("interval") or 1),
            item.get("opens_at"), item.get("closes_at"), item.get("daypart"),
            item.get("dtstart"), item.get("until"))


def _ours(schedule: ParsedSchedule) -> dict[str, Any]:
    return {"freq": schedule.freq, "byday": schedule.byday, "interval": schedule.interval,
            "opens_at": schedule.opens_at, "closes_at": schedule.closes_at,
            "daypart": schedule.daypart,
            "dtstart": schedule.dtstart.isoformat() if schedule.dtstart else None,
            "until": schedule.until.isoformat() if schedule.until else None}


def _schedules(items: list[dict[str, Any]] | None) -> frozenset | None:
    return frozenset(_schedule_key(i) for i in items) if items else None


def _compare(expected: dict[str, Any], row: Any) -> dict[str, bool]:
    got = {
        "name": _name(row.name) == _name(expected["name"]),
        "phone": row.phone == expected["phone"],
        "postcode": _postcode(row.postcode) == _postcode(expected["postcode"]),
        "place": (row.place or None) == expected["place"],
        "schedule": _schedules([_ours(s) for s in row.schedules]) ==
        _schedules(expected["schedule"]),
    }
    return got


def run(folder: Path, today: date, verbose: bool) -> dict[str, Any]:
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    services_json = REPO.parent / truth["services_json"]
    results: dict[str, Any] = {"files": {}}
    totals: dict[str, int] = defaultdict(int)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path(tmp) / "instance")
        db = Database(settings.database_url)
        db.upgrade()
        import_paths(db, [services_json], load_plugins=False)
        for name, spec in truth["files"].items():
            path = folder / name
            rows: dict[int, Any] = {}
            for result in SpreadsheetImporter(today=today).read(path):
                if isinstance(result, SpreadsheetRecord):
                    rows.update({r.row: r for r in result.rows})
            run_result = run_import(db, [path], dry_run=True, load_plugins=False)
            by_row = {e.row: e for e in run_result.entries}
            stats: dict[str, int] = defaultdict(int)
            for item in spec["rows"]:
                stats["rows"] += 1
                row = rows.get(item["row"])
                fields = _compare(item["expected"], row) if row else dict.fromkeys(FIELDS, False)
                for key, ok in fields.items():
                    stats[key] += ok
                stats["all"] += all(fields.values())
                if verbose and not all(fields.values()):
                    wrong = [k for k, ok in fields.items() if not ok]
                    print(f"  {name} row {item['row']}: wrong {wrong}", file=sys.stderr)
                entry = by_row.get(item["row"])
                predicted = entry.duplicate_of if entry else None
                expected = item["duplicate_of"]
                stats["dup_expected"] += expected is not None
                stats["dup_predicted"] += predicted is not None
                stats["dup_correct"] += predicted is not None and predicted == expected
                if verbose and predicted != expected:
                    print(f"  {name} row {item['row']}: duplicate_of {predicted} != {expected}",
                          file=sys.stderr)
            for item in spec.get("rejected", []):
                stats["rejected"] += 1
                entry = by_row.get(item["row"])
                stats["rejected_found"] += bool(entry and entry.status in ("skipped", "rejected"))
            results["files"][name] = _figures(stats)
            for key, value in stats.items():
                totals[key] += value
        db.dispose()
    results["overall"] = _figures(totals)
    return results


def _figures(stats: dict[str, int]) -> dict[str, Any]:
    rows = stats["rows"] or 1
    out: dict[str, Any] = {"rows": stats["rows"]}
    for key in FIELDS:
        out[key] = round(stats[key] / rows, 3)
    out["fields"] = round(sum(stats[k] for k in FIELDS) / (rows * len(FIELDS)), 3)
    out["all_five"] = round(stats["all"] / rows, 3)
    out["rejected_found"] = f"{stats['rejected_found']}/{stats['rejected']}"
    out["dup_precision"] = round(stats["dup_correct"] / stats["dup_predicted"], 3) \
        if stats["dup_predicted"] else 1.0
    out["dup_recall"] = round(stats["dup_correct"] / stats["dup_expected"], 3) \
        if stats["dup_expected"] else 1.0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today(),
                        help="reference date for dates written without a year")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every mismatch")
    args = parser.parse_args()
    results = run(args.folder, args.today, args.verbose)
    header = (f"{'file':40} {'rows':>4} {'name':>6} {'phone':>6} {'pc':>6} {'kern':>6} "
              f"{'sched':>6} {'fields':>6} {'all5':>6} {'rej':>5} {'dupP':>5} {'dupR':>5}")
    print(header)
    for name, fig in [*results["files"].items(), ("OVERALL", results["overall"])]:
        print(f"{name:40} {fig['rows']:>4} {fig['name']:>6.1%} {fig['phone']:>6.1%} "
              f"{fig['postcode']:>6.1%} {fig['place']:>6.1%} {fig['schedule']:>6.1%} "
              f"{fig['fields']:>6.1%} {fig['all_five']:>6.1%} {fig['rejected_found']:>5} "
              f"{fig['dup_precision']:>5.2f} {fig['dup_recall']:>5.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
