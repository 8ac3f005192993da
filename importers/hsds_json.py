"""HSDS JSON reader: every JSON shape a publisher or an HSDS API hands out (GUIDE §6.2).

Accepted: a bare array of services; one service (``GET /services/{id}``); a Page with
``contents`` (``GET /services``, also ``GET /service_at_locations``); an organization with a
``services`` array (``GET /organizations/{id}``; its services inherit it) or a bare
``{"services": [...]}`` wrapper; a service_at_location with an embedded ``service``; and JSON
Lines / NDJSON (one service per line). Input that holds no services at all (an organization list,
a taxonomy, the API root, ``tabular.json``) raises :class:`UnusableInput` "no services found",
because importing it would silently do nothing.

The whole input is parsed before anything is yielded, so broken input (not UTF-8, truncated,
a corrupt JSON line) never half-imports. Line numbers of records come from a cheap second scan
with ``JSONDecoder.raw_decode``; they are a convenience and left out if the scan fails.
"""

from __future__ import annotations

import bisect
import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .base import Importer, ReadResult, UnusableInput
from .validation import Origin, RawService, link_key, validate_services

MAX_BYTES = 500 * 1024 * 1024
JSONL_SUFFIXES = (".jsonl", ".ndjson")
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
#: Keys only a service has, used to tell "a service" from "something else" at the top level.
SERVICE_MARKERS = ("status", "service_at_locations", "organization", "organization_id")


class HsdsJsonImporter(Importer):
    name = "hsds-json"
    description = "HSDS 3.x JSON: array, single service, page, organization, or JSON Lines"

    def __init__(self, feed: str | None = None) -> None:
        #: Namespace for ids derived from non-UUID ids; defaults to the file name without suffix.
        self.feed = feed

    @classmethod
    def sniff(cls, path: Path) -> bool:
        if not path.is_file() or path.name.lower() == "datapackage.json":
            return False
        if path.suffix.lower() in (".json", *JSONL_SUFFIXES):
            return True
        with path.open("rb") as handle:
            head = handle.read(1024).removeprefix(b"\xef\xbb\xbf").lstrip()
        return head[:1] in (b"[", b"{")

    def read(self, path: Path) -> Iterator[ReadResult]:
        source = str(path)
        text = _read_text(path)
        if path.suffix.lower() in JSONL_SUFFIXES:
            items = _parse_lines(source, text)
        else:
            items = _parse_document(source, text)
        _share_organizations(items)
        results = validate_services(items, feed=self.feed or path.stem)
        yield from results


def _read_text(path: Path) -> str:
    source = str(path)
    if path.is_dir():
        raise UnusableInput(source, "is a folder; expected a JSON file")
    if path.stat().st_size > MAX_BYTES:
        raise UnusableInput(source, f"larger than {MAX_BYTES // 2**20} MB")
    data = path.read_bytes()
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnusableInput(source, f"is not UTF-8 (byte offset {exc.start + bom})") from None
    if not text.strip():
        raise UnusableInput(source, "empty file")
    return text


def _loads(text: str) -> Any:
    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    return json.loads(text, parse_constant=no_constants)


def _parse_document(source: str, text: str) -> list[RawService]:
    try:
        value = _loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and text.lstrip().startswith("{"):
            return _parse_lines(source, text)  # JSON Lines without a .jsonl suffix
        raise UnusableInput(
            source, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise UnusableInput(source, f"not valid JSON: {exc}") from None
    lines = _LineIndex(text)
    return _expand(source, value, lambda: _item_offsets(text, value), lines)


def _parse_lines(source: str, text: str) -> list[RawService]:
    """JSON Lines: one service per line; any unreadable line makes the whole input suspect."""
    items: list[RawService] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = _loads(line)
        except json.JSONDecodeError as exc:
            raise UnusableInput(
                source, f"line {number} is not valid JSON: {exc.msg} (column {exc.colno})"
            ) from None
        except (ValueError, RecursionError) as exc:
            raise UnusableInput(source, f"line {number} is not valid JSON: {exc}") from None
        items.append(RawService(value, Origin(source, number)))
    if not items:
        raise UnusableInput(source, "empty file")
    return items


class _LineIndex:
    """Character offset → 1-based line number."""

    def __init__(self, text: str) -> None:
        self.newlines = [match.start() for match in re.finditer("\n", text)]

    def line(self, offset: int | None) -> int | None:
        return None if offset is None else bisect.bisect_left(self.newlines, offset) + 1


def _expand(source: str, value: Any, offsets: Any, lines: _LineIndex) -> list[RawService]:
    """The services in a parsed JSON document, each with the line where it starts."""
    try:
        starts: list[int] | None = offsets()
    except (ValueError, IndexError, KeyError, RecursionError):
        starts = None

    def wrap(items: list[Any]) -> list[RawService]:
        found = starts if starts is not None and len(starts) == len(items) else [None] * len(items)
        pairs = zip(items, found, strict=True)
        return [RawService(item, Origin(source, lines.line(at))) for item, at in pairs]

    if isinstance(value, list):
        _require_services(source, value, "a list")
        return wrap(value)
    if not isinstance(value, dict):
        raise UnusableInput(source, f"the JSON is {_kind_of_value(value)}, not an object or array")
    if isinstance(value.get("contents"), list):
        items = value["contents"]
        _require_services(source, items, "a page")
        return wrap(_merge_sal_items(items))
    if isinstance(value.get("services"), list):
        return wrap(_inherit_organization(value))
    if isinstance(value.get("service"), dict):
        return [RawService(_merge_sal_items([value])[0], Origin(source, 1))]
    if not _looks_like_service(value):
        raise UnusableInput(source, f"no services found: the JSON is {_describe(value)}")
    return [RawService(value, Origin(source, 1))]


def _item_offsets(text: str, value: Any) -> list[int] | None:
    """Start offsets of the records of the top-level array, or of ``contents``/``services``."""
    start = _WS.match(text, 0).end()
    if isinstance(value, list):
        return _array_items(text, start)
    for key in ("contents", "services"):
        if isinstance(value, dict) and isinstance(value.get(key), list):
            return _array_items(text, _object_members(text, start)[key])
    return None


def _array_items(text: str, pos: int) -> list[int]:
    if text[pos] != "[":
        raise ValueError("not an array")
    offsets: list[int] = []
    pos = _WS.match(text, pos + 1).end()
    if text[pos] == "]":
        return offsets
    while True:
        offsets.append(pos)
        _, pos = _DECODER.raw_decode(text, pos)
        pos = _WS.match(text, pos).end()
        if text[pos] != ",":
            return offsets
        pos = _WS.match(text, pos + 1).end()


def _object_members(text: str, pos: int) -> dict[str, int]:
    """Key → offset of its value, for the object starting at ``pos`` (last duplicate wins)."""
    if text[pos] != "{":
        raise ValueError("not an object")
    members: dict[str, int] = {}
    pos = _WS.match(text, pos + 1).end()
    while text[pos] != "}":
        key, pos = _DECODER.raw_decode(text, pos)
        pos = _WS.match(text, pos).end() + 1  # the colon
        pos = _WS.match(text, pos).end()
        members[key] = pos
        _, pos = _DECODER.raw_decode(text, pos)
        pos = _WS.match(text, pos).end()
        if text[pos] == ",":
            pos = _WS.match(text, pos + 1).end()
    return members


def _looks_like_service(value: Any) -> bool:
    return isinstance(value, dict) and any(key in value for key in SERVICE_MARKERS)


def _require_services(source: str, items: list[Any], container: str) -> None:
    """A non-empty list in which nothing looks like a service is the wrong kind of file."""
    if not items or any(
        _looks_like_service(i) or isinstance(i, dict) and "service" in i for i in items
    ):
        return
    if all(isinstance(i, dict) for i in items):
        raise UnusableInput(
            source, f"no services found: {container} whose first item is {_describe(items[0])}"
        )


def _describe(value: dict[str, Any]) -> str:
    """A guess at what a non-service object is, for the 'no services found' message."""
    keys = set(value)
    if "openapi_url" in keys or keys <= {"version", "profile", "openapi_url"}:
        return "an API root (GET /)"
    if keys and all(str(k).endswith(".csv") for k in keys):
        return "CSV tables written as JSON (the tabular example), not HSDS JSON"
    if "location_type" in keys:
        return "a location"
    if keys & {"taxonomy_detail", "term_uri", "parent_id", "code"}:
        return "a taxonomy term"
    if keys <= {"id", "name", "description", "uri", "version", "metadata"}:
        return "a taxonomy"
    if keys & {
        "website",
        "legal_status",
        "year_incorporated",
        "organization_identifiers",
        "parent_organization_id",
        "tax_status",
    }:
        return "an organization without services"
    return "not a service (no status, organization or service_at_locations)"


def _kind_of_value(value: Any) -> str:
    return {str: "a string", bool: "true/false", type(None): "null"}.get(type(value), "a number")


def _inherit_organization(value: dict[str, Any]) -> list[Any]:
    """``GET /organizations/{id}``: its services do not repeat the organization; add it."""
    organization = {k: v for k, v in value.items() if k != "services"}
    is_org = bool(organization.get("id")) and bool(organization.get("name"))
    services = []
    for item in value["services"]:
        if is_org and isinstance(item, dict) and not item.get("organization"):
            item = {**item, "organization": organization}
        services.append(item)
    return services


def _merge_sal_items(items: list[Any]) -> list[Any]:
    """Service_at_locations with an embedded ``service`` → that service holding the SAL.

    Several SALs of one service (a SAL list page) become one service with all of them.
    """
    out: list[Any] = []
    by_service: dict[str, dict[str, Any]] = {}
    for item in items:
        if not (isinstance(item, dict) and isinstance(item.get("service"), dict)):
            out.append(item)
            continue
        sal = {k: v for k, v in item.items() if k != "service"}
        key = link_key(item["service"].get("id", ""))
        service = by_service.get(key)
        if service is None:
            service = copy.copy(item["service"])
            service["service_at_locations"] = list(service.get("service_at_locations") or [])
            by_service[key] = service
            out.append(service)
        known = {
            link_key(s.get("id", ""))
            for s in service["service_at_locations"]
            if isinstance(s, dict)
        }
        if link_key(sal.get("id", "")) not in known:
            service["service_at_locations"].append(sal)
    return out


def _share_organizations(items: list[RawService]) -> None:
    """Upsert by id (GUIDE §6.1): a service that only names its organization_id gets the
    organization another record of the same input embeds."""
    known: dict[str, Any] = {}
    for item in items:
        data = item.data
        if isinstance(data, dict) and isinstance(data.get("organization"), dict):
            org_id = data["organization"].get("id")
            if org_id not in (None, ""):
                known.setdefault(link_key(org_id), data["organization"])
    for index, item in enumerate(items):
        data = item.data
        if (
            not isinstance(data, dict)
            or data.get("organization")
            or not data.get("organization_id")
        ):
            continue
        organization = known.get(link_key(data["organization_id"]))
        if organization is not None:
            items[index] = RawService({**data, "organization": organization}, item.origin)
