"""HSDS Tabular Data Package reader: a folder or a .zip of CSV files → nested canonical services.

The package is read completely first (GUIDE §7.2 "load everything first and resolve references
afterwards"), then every service row is joined with its rows in the other tables into the same
nested shape the JSON form has (GUIDE §16 "CSV → JSON"), and :mod:`importers.validation` cleans it
exactly as it cleans JSON, so both forms of one feed give identical canonical services.

Joining rules:

* a row with several parent columns filled hangs under the most specific one, in the order
  contact > phone > service_at_location > location > service > organization (GUIDE §7.2);
* attributes hang under the row named by ``link_entity``/``link_id``, metadata under
  ``resource_type``/``resource_id``, on any table whose object has such a list;
* a child row whose parent does not exist is reported as its own :class:`RecordError`
  (``record_type`` = its table's object, e.g. "phone"); a service whose organization, program,
  location (via service_at_location) or taxonomy term (via attribute) does not exist is rejected.

Errors name the CSV file and line (the header is line 1). Structural problems raise
:class:`UnusableInput`: no services.csv, a file that is not UTF-8, a header without ``id``, a
``;``-separated (Dutch Excel) file, an unsafe or oversized zip.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .base import Importer, ReadResult, RecordError, UnusableInput
from .validation import (
    ENTITY_NAMES,
    ISSUES_KEY,
    KINDS,
    ORIGIN_KEY,
    Issue,
    Origin,
    RawService,
    link_key,
    validate_services,
)

MAX_TOTAL_BYTES = 500 * 1024 * 1024
MARKERS = ("services.csv", "datapackage.json")

#: Object kind → standard file name (the ``path`` in the official datapackage.json).
TABLES: dict[str, str] = {
    "organization": "organizations.csv",
    "program": "programs.csv",
    "service": "services.csv",
    "service_at_location": "service_at_location.csv",
    "location": "locations.csv",
    "address": "addresses.csv",
    "phone": "phones.csv",
    "contact": "contacts.csv",
    "schedule": "schedules.csv",
    "service_area": "service_areas.csv",
    "language": "languages.csv",
    "accessibility": "accessibility.csv",
    "cost_option": "cost_options.csv",
    "funding": "funding.csv",
    "required_document": "required_documents.csv",
    "organization_identifier": "organization_identifiers.csv",
    "taxonomy": "taxonomies.csv",
    "taxonomy_term": "taxonomy_terms.csv",
    "attribute": "attributes.csv",
    "metadata": "metadata.csv",
    "url": "url.csv",  # HSDS 3.1
}

#: Child kind → its parent columns, most specific first (GUIDE §7.2).
PARENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "program": (("organization_id", "organization"),),
    "service_at_location": (("service_id", "service"),),
    "address": (("location_id", "location"),),
    "phone": (
        ("contact_id", "contact"),
        ("service_at_location_id", "service_at_location"),
        ("location_id", "location"),
        ("service_id", "service"),
        ("organization_id", "organization"),
    ),
    "contact": (
        ("service_at_location_id", "service_at_location"),
        ("location_id", "location"),
        ("service_id", "service"),
        ("organization_id", "organization"),
    ),
    "schedule": (
        ("service_at_location_id", "service_at_location"),
        ("location_id", "location"),
        ("service_id", "service"),
    ),
    "service_area": (("service_at_location_id", "service_at_location"), ("service_id", "service")),
    "language": (("phone_id", "phone"), ("location_id", "location"), ("service_id", "service")),
    "accessibility": (("location_id", "location"),),
    "cost_option": (("service_id", "service"),),
    "funding": (("service_id", "service"), ("organization_id", "organization")),
    "required_document": (("service_id", "service"),),
    "organization_identifier": (("organization_id", "organization"),),
    "url": (("service_id", "service"), ("organization_id", "organization")),
}
#: Kinds linked polymorphically: kind → (entity column, id column, list key on the target).
LINKS = {
    "attribute": ("link_entity", "link_id", "attributes"),
    "metadata": ("resource_type", "resource_id", "metadata"),
}

Row = dict[str, Any]


class HsdsCsvImporter(Importer):
    name = "hsds-csv"
    description = "HSDS 3.x Tabular Data Package: a folder or .zip with services.csv etc."

    def __init__(self, feed: str | None = None) -> None:
        #: Namespace for ids derived from non-UUID ids; defaults to the folder/zip name.
        self.feed = feed

    @classmethod
    def sniff(cls, path: Path) -> bool:
        if path.is_dir():
            return any((path / name).is_file() for name in MARKERS)
        if not path.is_file():
            return False
        if path.name.lower() in MARKERS:
            return True
        if path.suffix.lower() != ".zip" or not zipfile.is_zipfile(path):
            return False
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            return False
        return any(posixpath.basename(name).lower() in MARKERS for name in names)

    def read(self, path: Path) -> Iterator[ReadResult]:
        with _open_package(path) as package:
            tables = _load_tables(package)
        feed = self.feed or (
            path.parent.name if path.is_file() and path.suffix != ".zip" else path.stem
        )
        joined = _Join(tables)
        services = [
            RawService(joined.assemble("service", row), row[ORIGIN_KEY])
            for row in tables.rows.get("service", [])
        ]
        results = validate_services(services, feed=feed, text_values=True)
        yield from results
        yield from tables.errors
        yield from joined.errors


# --------------------------------------------------------------------------------------------
# Packages: a folder or a zip, with or without datapackage.json
# --------------------------------------------------------------------------------------------


class _Package:
    """Read access to the files of one package, by path relative to its root."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.budget = MAX_TOTAL_BYTES

    def display(self, name: str) -> str:
        return f"{self.label}/{name}"

    def read(self, name: str) -> bytes | None:
        raise NotImplementedError

    def _spend(self, size: int, name: str) -> None:
        self.budget -= size
        if self.budget < 0:
            raise UnusableInput(
                self.label, f"more than {MAX_TOTAL_BYTES // 2**20} MB of data (at {name})"
            )

    def close(self) -> None:
        pass

    def __enter__(self) -> _Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _FolderPackage(_Package):
    def __init__(self, root: Path) -> None:
        super().__init__(str(root))
        self.root = root

    def read(self, name: str) -> bytes | None:
        path = self.root / name
        if not path.is_file():
            folder = path.parent
            matches = (
                [p for p in folder.iterdir() if p.name.lower() == path.name.lower()]
                if folder.is_dir()
                else []
            )
            if not matches or not matches[0].is_file():
                return None
            path = matches[0]
        self._spend(path.stat().st_size, name)
        return path.read_bytes()


class _ZipPackage(_Package):
    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        try:
            self.archive = zipfile.ZipFile(path)
            infos = self.archive.infolist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise UnusableInput(str(path), f"not a readable zip file ({exc})") from None
        self.members = self._index(infos)
        self.prefix = self._root()

    def _index(self, infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
        members: dict[str, zipfile.ZipInfo] = {}
        declared = 0
        for info in infos:
            name = info.filename.replace("\\", "/")
            parts = name.split("/")
            if name.startswith("/") or re.match(r"[A-Za-z]:", name) or ".." in parts:
                raise UnusableInput(self.label, f"unsafe path in zip: {info.filename!r}")
            if info.is_dir() or parts[0] == "__MACOSX":
                continue
            declared += info.file_size
            if declared > MAX_TOTAL_BYTES:
                raise UnusableInput(
                    self.label, f"unpacks to more than {MAX_TOTAL_BYTES // 2**20} MB"
                )
            members[name.lower()] = info
        return members

    def _root(self) -> str:
        found = [n for n in self.members if posixpath.basename(n) in MARKERS]
        if not found:
            raise UnusableInput(self.label, "the zip holds no services.csv or datapackage.json")
        shallowest = min(found, key=lambda n: (n.count("/"), n))
        folder = posixpath.dirname(shallowest)
        return folder + "/" if folder else ""

    def display(self, name: str) -> str:
        return f"{self.label}/{self.prefix}{name}"

    def read(self, name: str) -> bytes | None:
        info = self.members.get((self.prefix + name).lower())
        if info is None:
            return None
        if info.flag_bits & 0x1:
            raise UnusableInput(self.display(name), "is encrypted")
        with self.archive.open(info) as handle:
            data = handle.read(info.file_size + 1)
        if len(data) > info.file_size:
            raise UnusableInput(self.display(name), "is larger than the zip says")
        self._spend(len(data), name)
        return data

    def close(self) -> None:
        self.archive.close()


def _open_package(path: Path) -> _Package:
    if path.is_dir():
        return _FolderPackage(path)
    if path.is_file() and path.name.lower() in MARKERS:
        return _FolderPackage(path.parent)
    if path.is_file() and zipfile.is_zipfile(path):
        return _ZipPackage(path)
    raise UnusableInput(str(path), "not a folder or .zip with services.csv or datapackage.json")


def _resource_paths(package: _Package) -> dict[str, str]:
    """Kind → file, from datapackage.json when present, else the standard names."""
    paths = dict(TABLES)
    data = package.read("datapackage.json")
    if data is None:
        return paths
    where = package.display("datapackage.json")
    try:
        descriptor = json.loads(_decode(data, where))
    except json.JSONDecodeError as exc:
        raise UnusableInput(
            where, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(resources, list):
        raise UnusableInput(where, "has no 'resources' list")
    for resource in resources:
        if not isinstance(resource, dict) or not isinstance(resource.get("path"), str):
            continue
        file = resource["path"].replace("\\", "/")
        if file.startswith("/") or ".." in file.split("/") or "://" in file:
            raise UnusableInput(where, f"resource path {file!r} is outside the package")
        kind = ENTITY_NAMES.get(str(resource.get("name", "")).lower())
        kind = kind or ENTITY_NAMES.get(posixpath.splitext(posixpath.basename(file))[0].lower())
        if kind in TABLES:
            paths[kind] = file
    return paths


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


@dataclass
class _Tables:
    files: dict[str, str]
    rows: dict[str, list[Row]] = field(default_factory=dict)
    index: dict[str, dict[str, Row]] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)
    display: dict[str, str] = field(default_factory=dict)


def _load_tables(package: _Package) -> _Tables:
    tables = _Tables(files=_resource_paths(package))
    for kind, file in tables.files.items():
        data = package.read(file)
        where = package.display(file)
        tables.display[kind] = where
        if data is None:
            if kind == "service":
                raise UnusableInput(package.label, f"no {file} in the package")
            continue
        rows = _parse_csv(data, where)
        if kind == "service" and not data.strip():
            raise UnusableInput(where, "is empty (not even a header row)")
        tables.rows[kind] = rows
        tables.index[kind] = _index_rows(kind, rows, tables, where)
    return tables


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        raise UnusableInput(
            where, f"is not UTF-8 (byte offset {exc.start + bom}); save it as UTF-8 CSV"
        ) from None


def _parse_csv(data: bytes, where: str) -> list[Row]:
    text = _decode(data, where)
    if not text.strip():
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
        _check_header(header, where)
        rows: list[Row] = []
        previous = reader.line_num
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            rows.append(_row(header, cells, Origin(where, start)))
    except csv.Error as exc:
        raise UnusableInput(where, f"line {reader.line_num}: unreadable CSV ({exc})") from None
    return rows


def _check_header(header: list[str], where: str) -> None:
    joined = ",".join(header)
    if "id" not in header:
        for separator, label in ((";", "semicolons (;)"), ("\t", "tabs")):
            if separator in joined:
                raise UnusableInput(
                    where,
                    f"columns are separated by {label}, not commas (a Dutch Excel export?); "
                    "save it as 'CSV UTF-8 (comma-separated)'",
                )
        raise UnusableInput(where, f"the header has no 'id' column (found: {_short(joined)})")
    duplicates = sorted({name for name in header if name and header.count(name) > 1})
    if duplicates:
        raise UnusableInput(where, f"the header repeats column(s): {', '.join(duplicates)}")


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _row(header: list[str], cells: list[str], origin: Origin) -> Row:
    # Names starting with "_" are ours (origin, issues), never HSDS columns.
    row: Row = {
        name: cell
        for name, cell in zip(header, cells, strict=False)
        if name and not name.startswith("_")
    }
    row[ORIGIN_KEY] = origin
    if len(cells) > len(header):
        extra = [c for c in cells[len(header) :] if c.strip()]
        if extra:
            row[ISSUES_KEY] = [
                Issue(
                    "",
                    f"row has {len(cells)} fields but the header has {len(header)} "
                    "(an unquoted comma?)",
                )
            ]
    return row


def _index_rows(kind: str, rows: list[Row], tables: _Tables, where: str) -> dict[str, Row]:
    """Id → row; a repeated id in a table other than services is reported and skipped."""
    index: dict[str, Row] = {}
    for row in rows:
        key = link_key(row.get("id") or "")
        if not key:
            continue
        first = index.get(key)
        if first is None:
            index[key] = row
        elif kind != "service":  # duplicate services are rejected by validate_services
            row["_skip"] = True
            tables.errors.append(
                RecordError(
                    where,
                    f"duplicate {kind} id; first at line {first[ORIGIN_KEY].line}; "
                    "this row is ignored",
                    record_id=row["id"].strip(),
                    line=row[ORIGIN_KEY].line,
                    field="id",
                    record_type=kind,
                )
            )
    return index


# --------------------------------------------------------------------------------------------
# Joining rows into nested services
# --------------------------------------------------------------------------------------------


class _Join:
    """Hangs every child row under its parent, then builds nested raw services on demand."""

    def __init__(self, tables: _Tables) -> None:
        self.tables = tables
        self.children: dict[tuple[str, str], dict[str, list[Row]]] = {}
        self.errors: list[RecordError] = []
        for kind, parents in PARENTS.items():
            for row in self._rows(kind):
                self._attach_by_column(kind, row, parents)
        for kind, (entity_column, id_column, list_key) in LINKS.items():
            for row in self._rows(kind):
                self._attach_by_link(kind, row, entity_column, id_column, list_key)

    def _rows(self, kind: str) -> list[Row]:
        return [row for row in self.tables.rows.get(kind, []) if not row.get("_skip")]

    def _attach_by_column(self, kind: str, row: Row, parents: tuple[tuple[str, str], ...]) -> None:
        for column, parent_kind in parents:
            value = (row.get(column) or "").strip()
            if value:
                self._attach(kind, row, parent_kind, value, column)
                return
        columns = ", ".join(column for column, _ in parents)
        self._orphan(kind, row, parents[0][0], f"no parent: none of {columns} is filled")

    def _attach_by_link(
        self, kind: str, row: Row, entity_column: str, id_column: str, list_key: str
    ) -> None:
        entity_text = (row.get(entity_column) or "").strip()
        value = (row.get(id_column) or "").strip()
        entity = ENTITY_NAMES.get(entity_text.lower().replace(" ", "_"))
        if not entity or list_key not in KINDS[entity].lists:
            reason = f"{entity_column} '{entity_text}' is not a table that can have {list_key}"
            self._orphan(
                kind, row, entity_column, reason if entity_text else f"{entity_column} is empty"
            )
            return
        if not value:
            self._orphan(kind, row, id_column, f"{id_column} is empty")
            return
        self._attach(kind, row, entity, value, id_column)

    def _attach(self, kind: str, row: Row, parent_kind: str, value: str, column: str) -> None:
        key = link_key(value)
        if key not in self.tables.index.get(parent_kind, {}):
            where = TABLES[parent_kind]
            self._orphan(kind, row, column, f"{column} '{value}' has no row in {where}")
            return
        list_key = _list_key(parent_kind, kind)
        self.children.setdefault((parent_kind, key), {}).setdefault(list_key, []).append(row)

    def _orphan(self, kind: str, row: Row, column: str, reason: str) -> None:
        origin: Origin = row[ORIGIN_KEY]
        self.errors.append(
            RecordError(
                origin.source,
                reason,
                record_id=(row.get("id") or "").strip() or None,
                line=origin.line,
                field=column,
                record_type=kind,
            )
        )

    def assemble(self, kind: str, row: Row) -> Row:
        """The raw nested object for ``row``: its child rows and embedded objects added."""
        out: Row = {k: v for k, v in row.items() if k != "_skip"}
        out[ISSUES_KEY] = list(row.get(ISSUES_KEY, []))
        key = link_key(row.get("id") or "")
        for list_key, child_rows in self.children.get((kind, key), {}).items():
            child_kind = KINDS[kind].lists[list_key]
            out[list_key] = [self.assemble(child_kind, child) for child in child_rows]
        for column, object_key, target, severity in EMBEDS.get(kind, ()):
            self._embed(out, column, object_key, target, severity)
        return out

    def _embed(self, out: Row, column: str, object_key: str, target: str, severity: str) -> None:
        value = (out.get(column) or "").strip()
        if not value:
            if severity == "required":
                out[ISSUES_KEY].append(Issue(column, f"{column} is empty or missing"))
            return
        found = self.tables.index.get(target, {}).get(link_key(value))
        if found is not None:
            out[object_key] = self.assemble(target, found)
            return
        reason = f"{column} '{value}' has no row in {TABLES[target]}"
        if severity == "warn":
            out[ISSUES_KEY].append(Issue(column, reason + f"; {object_key} left out", True))
        else:
            out[ISSUES_KEY].append(Issue(column, reason))


#: Kind → (FK column, key of the embedded object, its kind, required|optional|warn).
EMBEDS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "service": (
        ("organization_id", "organization", "organization", "required"),
        ("program_id", "program", "program", "optional"),
    ),
    "service_at_location": (("location_id", "location", "location", "required"),),
    "attribute": (("taxonomy_term_id", "taxonomy_term", "taxonomy_term", "required"),),
    "taxonomy_term": (("taxonomy_id", "taxonomy_detail", "taxonomy", "warn"),),
}


def _list_key(parent_kind: str, child_kind: str) -> str:
    for key, kind in KINDS[parent_kind].lists.items():
        if kind == child_kind:
            return key
    raise KeyError(f"{parent_kind} has no list of {child_kind}")
