"""Record validation and cleaning shared by the HSDS readers: raw nested dict → canonical service.

Why one module for both readers: the JSON and the CSV form of the same feed must give *identical*
canonical services, so every rule (what is rejected, what is repaired with a warning, how values
and child lists are normalised) lives here once. The readers only parse their format and build a
raw nested service dict (the CSV reader joins its rows first); :func:`validate_services` does the
rest.

Policy: reject a service (one :class:`RecordError`) only when something makes it unusable or is
clearly wrong: a missing/invalid required field, a value of the wrong type or outside an
enumeration, an impossible time or date, a huge field, a dangling reference. Harmless gaps and
repairable values are fixed and reported as warnings on the :class:`ImportedRecord`; see
``_clean_*`` and the ``_finish_*`` hooks for each rule.

Canonical normal form (beyond ``base.py``):

* text is NFC, trimmed, without control characters; single-line fields have no line breaks;
* ids are lower-case UUIDs; a non-UUID id is mapped to ``uuid5(NAMESPACE, f"{feed}:{their_id}")``
  (GUIDE §5), the same way wherever it appears, so references keep pointing at the right record;
* every child list is sorted by ``id`` (JSON and CSV order the same data differently);
* service, organization, service_at_location and location always carry all their list keys
  (possibly empty); other objects carry a list key only when it has items;
* the FK to the parent is dropped; ``attribute.link_entity`` and ``metadata.resource_type`` are
  set from the position; references to embedded objects (``organization_id``, ``program_id``,
  ``service_at_location.location_id``, ``attribute.taxonomy_term_id``,
  ``taxonomy_term.taxonomy_id``) are kept and must agree with the embedded object's id;
* ``location.organization_id`` and ``organization.locations`` are dropped: in a canonical service a
  location is reached through its service_at_location only (and the sample JSON has neither).
"""

from __future__ import annotations

import math
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .base import ImportedRecord, ReadResult, RecordError

#: Namespace for ids derived from non-UUID publisher ids (GUIDE §5). Never change it: derived ids
#: are stored and used in URLs.
NAMESPACE = uuid.UUID("5b0f7f0c-2a8e-5a51-9a3e-0c6b5e1f4d2a")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

MAX_NAME = 500
MAX_DESCRIPTION = 20_000
MAX_TEXT = 100_000

#: Keys a reader may put on raw dicts: where a row came from and problems found while joining.
ORIGIN_KEY = "_origin"
ISSUES_KEY = "_issues"


@dataclass(frozen=True)
class Origin:
    """Where a raw object came from: file and (first) line."""

    source: str
    line: int | None = None

    def __str__(self) -> str:
        return self.source + (f":{self.line}" if self.line else "")


@dataclass(frozen=True)
class Issue:
    """A problem a reader found while building a raw object (e.g. a dangling reference)."""

    field: str
    reason: str
    warning: bool = False


@dataclass(frozen=True)
class RawService:
    """One raw service as a reader found it, with its origin."""

    data: Any
    origin: Origin


# --------------------------------------------------------------------------------------------
# The shape of every object: scalar fields with their type, child lists, embedded objects.
# --------------------------------------------------------------------------------------------

STATUS = ("active", "inactive", "defunct", "temporarily closed")
LOCATION_TYPES = ("physical", "postal", "virtual")
FREQS = ("WEEKLY", "MONTHLY")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# Field types: id, ref (uuid reference), name (single line, max 500), line (single line),
# text (multi-line), desc (multi-line, max 20000), number, age, posint, lat, lon, tz, url, email,
# date, datetime, time, currency, byday, monthdays, weeknos, yeardays, and enum:<name>.
ENUMS: dict[str, tuple[str, ...]] = {
    "status": STATUS,
    "location_type": LOCATION_TYPES,
    "address_type": LOCATION_TYPES,
    "freq": FREQS,
    "wkst": DAYS,
}

_AA = {"attributes": "attribute", "metadata": "metadata"}


@dataclass(frozen=True)
class Kind:
    name: str
    fields: dict[str, str]
    lists: dict[str, str] = field(default_factory=dict)
    objects: dict[str, str] = field(default_factory=dict)
    #: FK columns that point at a possible parent; dropped when the object is nested.
    parent_keys: tuple[str, ...] = ()
    #: Core objects always carry all their list keys.
    core: bool = False


def _f(spec: str) -> dict[str, str]:
    """``"a b:text c:desc"`` → ``{"a": "line", "b": "text", "c": "desc"}`` (default type line)."""
    out: dict[str, str] = {}
    for part in spec.split():
        name, _, ftype = part.partition(":")
        out[name] = ftype or "line"
    return out


KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind(
            "service",
            _f(
                "id:id organization_id:ref program_id:ref name:name alternate_name:name "
                "description:desc url:url email:email status:enum interpretation_services:text "
                "application_process:text fees_description:text wait_time:text fees:text "
                "accreditations:text eligibility_description:text minimum_age:age "
                "maximum_age:age assured_date:date assurer_email:email licenses:text alert:text "
                "last_modified:datetime"
            ),
            lists={
                "phones": "phone",
                "schedules": "schedule",
                "service_areas": "service_area",
                "service_at_locations": "service_at_location",
                "languages": "language",
                "funding": "funding",
                "cost_options": "cost_option",
                "required_documents": "required_document",
                "contacts": "contact",
                "additional_urls": "url",
                **_AA,
            },
            objects={"organization": "organization", "program": "program"},
            core=True,
        ),
        Kind(
            "organization",
            _f(
                "id:id name:name alternate_name:name description:desc email:email website:url "
                "tax_status tax_id year_incorporated:number legal_status logo uri:url "
                "parent_organization_id:ref"
            ),
            lists={
                "funding": "funding",
                "contacts": "contact",
                "phones": "phone",
                "programs": "program",
                "organization_identifiers": "organization_identifier",
                "additional_websites": "url",
                **_AA,
            },
            core=True,
        ),
        Kind(
            "program",
            _f("id:id organization_id:ref name:name alternate_name:name description:desc"),
            lists=dict(_AA),
        ),
        Kind(
            "service_at_location",
            _f("id:id service_id:ref location_id:ref description:desc"),
            lists={
                "contacts": "contact",
                "phones": "phone",
                "schedules": "schedule",
                "service_areas": "service_area",
                **_AA,
            },
            objects={"location": "location"},
            parent_keys=("service_id",),
            core=True,
        ),
        Kind(
            "location",
            _f(
                "id:id location_type:enum url:url name:name alternate_name:name "
                "description:desc transportation:text latitude:lat longitude:lon "
                "external_identifier external_identifier_type"
            ),
            lists={
                "languages": "language",
                "addresses": "address",
                "contacts": "contact",
                "accessibility": "accessibility",
                "phones": "phone",
                "schedules": "schedule",
                **_AA,
            },
            core=True,
        ),
        Kind(
            "address",
            _f(
                "id:id attention address_1 address_2 city region state_province postal_code "
                "country address_type:enum"
            ),
            lists=dict(_AA),
            parent_keys=("location_id",),
        ),
        Kind(
            "phone",
            _f("id:id number extension:number type description:desc"),
            lists={"languages": "language", **_AA},
            parent_keys=(
                "location_id",
                "service_id",
                "organization_id",
                "contact_id",
                "service_at_location_id",
            ),
        ),
        Kind(
            "contact",
            _f("id:id name:name title department email:email"),
            lists={"phones": "phone", **_AA},
            parent_keys=("organization_id", "service_id", "service_at_location_id", "location_id"),
        ),
        Kind(
            "schedule",
            _f(
                "id:id valid_from:date valid_to:date dtstart:date timezone:tz until:date "
                "count:posint wkst:enum freq:enum interval:posint byday:byday byweekno:weeknos "
                "bymonthday:monthdays byyearday:yeardays description:desc opens_at:time "
                "closes_at:time schedule_link:url attending_type:text notes:text"
            ),
            lists=dict(_AA),
            parent_keys=("service_id", "location_id", "service_at_location_id"),
        ),
        Kind(
            "service_area",
            _f("id:id name:name description:desc extent:text extent_type uri"),
            lists=dict(_AA),
            parent_keys=("service_id", "service_at_location_id"),
        ),
        Kind(
            "language",
            _f("id:id name:name code note:text"),
            lists=dict(_AA),
            parent_keys=("service_id", "location_id", "phone_id"),
        ),
        Kind(
            "accessibility",
            _f("id:id description:desc details:text url:url"),
            lists=dict(_AA),
            parent_keys=("location_id",),
        ),
        Kind(
            "cost_option",
            _f(
                "id:id valid_from:date valid_to:date option:text currency:currency amount:number "
                "amount_description:text"
            ),
            lists=dict(_AA),
            parent_keys=("service_id",),
        ),
        Kind(
            "funding",
            _f("id:id source:text"),
            lists=dict(_AA),
            parent_keys=("organization_id", "service_id"),
        ),
        Kind(
            "required_document",
            _f("id:id document:text uri:url"),
            lists=dict(_AA),
            parent_keys=("service_id",),
        ),
        Kind(
            "organization_identifier",
            _f("id:id identifier_scheme identifier_type identifier"),
            lists=dict(_AA),
            parent_keys=("organization_id",),
        ),
        Kind(
            "attribute",
            _f("id:id taxonomy_term_id:ref link_type link_entity value:text label"),
            lists={"metadata": "metadata"},
            objects={"taxonomy_term": "taxonomy_term"},
            parent_keys=("link_id",),
        ),
        Kind(
            "taxonomy_term",
            _f(
                "id:id code name:name description:desc parent_id:ref taxonomy language "
                "taxonomy_id:ref term_uri:url"
            ),
            lists={"metadata": "metadata"},
            objects={"taxonomy_detail": "taxonomy"},
        ),
        Kind(
            "taxonomy",
            _f("id:id name:name description:desc uri:url version"),
            lists={"metadata": "metadata"},
        ),
        Kind(
            "metadata",
            _f(
                "id:id resource_type last_action_date:date last_action_type field_name "
                "previous_value:text replacement_value:text updated_by"
            ),
            parent_keys=("resource_id",),
        ),
        Kind(
            "url",
            _f("id:id url:url label"),
            lists=dict(_AA),
            parent_keys=("organization_id", "service_id"),
        ),
    ]
}

#: The FK a child uses for a parent of this kind (attribute and metadata use link_id/resource_id).
FK_OF = {
    "service": "service_id",
    "organization": "organization_id",
    "location": "location_id",
    "service_at_location": "service_at_location_id",
    "contact": "contact_id",
    "phone": "phone_id",
}
#: Keys that are recognised but deliberately not carried into the canonical form.
DROPPED = {"location": ("organization_id",), "organization": ("locations",)}
#: Spelling variants seen in the wild → the schema's key.
ALIASES = {"taxonomy_term": {"taxonomy_details": "taxonomy_detail"}}


# --------------------------------------------------------------------------------------------
# Collecting problems
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """The object being cleaned: its kind, id, path inside the service and origin."""

    kind: str
    obj_id: str | None
    path: str
    origin: Origin

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key


@dataclass(frozen=True)
class Problem:
    where: Where
    field: str
    reason: str

    def describe(self, nested: bool) -> str:
        if nested and self.where.path:
            return f"{self.where.kind} {self.where.obj_id or '?'}: {self.reason}"
        return self.reason


@dataclass
class Context:
    feed: str
    #: True for CSV: every value arrives as text, so "16" is a normal way to write a number.
    text_values: bool = False
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, w: Where, key: str, reason: str) -> None:
        self.errors.append(Problem(w, w.at(key) if key else w.path, reason))

    def warn(self, w: Where, key: str, reason: str) -> None:
        self.warnings.append(Problem(w, w.at(key) if key else w.path, reason))


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


# --------------------------------------------------------------------------------------------
# Scalars
# --------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINEBREAKS = re.compile(r"\s*[\r\n\t]+\s*")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?", re.I)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?)?",
    re.I,
)
_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[A-Za-z0-9-]{2,}")
_BARE_DOMAIN = re.compile(r"(www\.)?[\w-]+(\.[\w-]+)*\.[A-Za-z]{2,}([/?#:]\S*)?")
_BYDAY = re.compile(r"([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_HEX_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)


def clean_text(value: str, multiline: bool) -> tuple[str, bool]:
    """NFC, control characters removed, trimmed; returns (text, whether controls were removed)."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    stripped = _CONTROL.sub("", text)
    removed = stripped != text
    text = unicodedata.normalize("NFC", stripped)
    if not multiline:
        text = _LINEBREAKS.sub(" ", text)
    return text.strip(), removed


def map_id(value: str, feed: str) -> tuple[str, bool]:
    """A canonical lower-case UUID for ``value``; (uuid, True) when it had to be derived."""
    if _HEX_UUID.fullmatch(value):
        return str(uuid.UUID(value)), False
    return str(uuid.uuid5(NAMESPACE, f"{feed}:{value}")), True


def link_key(value: Any) -> str:
    """The key a reader joins rows on: a UUID's canonical form, or the trimmed raw value."""
    text = clean_text(str(value), multiline=False)[0]
    return str(uuid.UUID(text)) if _HEX_UUID.fullmatch(text) else text


def _as_text(ctx: Context, w: Where, key: str, value: Any, ftype: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        ctx.error(w, key, f"expected text, got {_type_name(value)}")
        return MISSING
    if not isinstance(value, str):
        ctx.warn(w, key, f"number {value!r} converted to text")
        value = str(value)
    text, removed = clean_text(value, multiline=ftype in ("text", "desc"))
    if removed:
        ctx.warn(w, key, "control characters removed")
    if text == "":
        return MISSING
    limit = {"name": MAX_NAME, "desc": MAX_DESCRIPTION}.get(ftype, MAX_TEXT)
    if key == "description":
        limit = min(limit, MAX_DESCRIPTION)
    if len(text) > limit:
        ctx.error(w, key, f"too long: {len(text)} characters (at most {limit})")
        return MISSING
    return text


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "true/false", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _as_number(ctx: Context, w: Where, key: str, value: Any) -> Any:
    if isinstance(value, bool):
        ctx.error(w, key, f"expected a number, got {_type_name(value)}")
        return MISSING
    if isinstance(value, str):
        text = value.strip()
        if _DECIMAL_COMMA.fullmatch(text):
            ctx.error(w, key, f"'{text}' uses a decimal comma; write {text.replace(',', '.')}")
            return MISSING
        if not _NUMBER.fullmatch(text):
            ctx.error(w, key, f"expected a number, got '{_short(text)}'")
            return MISSING
        if not ctx.text_values:
            ctx.warn(w, key, f"number given as text '{text}'")
        value = float(text) if re.search(r"[.eE]", text) else int(text)
    if not isinstance(value, int | float):
        ctx.error(w, key, f"expected a number, got {_type_name(value)}")
        return MISSING
    if isinstance(value, float):
        if not math.isfinite(value):
            ctx.error(w, key, f"expected a finite number, got {value}")
            return MISSING
        if value.is_integer() and abs(value) < 2**53:
            value = int(value)
    return value


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _in_range(ctx: Context, w: Where, key: str, value: Any, low: float, high: float) -> Any:
    if value is MISSING or low <= value <= high:
        return value
    ctx.error(w, key, f"{value} is out of range ({low:g} to {high:g})")
    return MISSING


def _as_posint(ctx: Context, w: Where, key: str, value: Any) -> Any:
    number = _as_number(ctx, w, key, value)
    if number is MISSING or (isinstance(number, int) and number >= 1):
        return number
    ctx.error(w, key, f"expected a whole number of at least 1, got {number}")
    return MISSING


def _as_url(ctx: Context, w: Where, key: str, value: Any) -> Any:
    text = _as_text(ctx, w, key, value, "line")
    if text is MISSING:
        return text
    parts = urlsplit(text)
    if not parts.scheme and _BARE_DOMAIN.fullmatch(text):
        ctx.warn(w, key, f"'{_short(text)}' has no scheme; 'https://' added")
        return "https://" + text
    ok = parts.scheme.lower() in ("http", "https") and parts.netloc and " " not in text
    ok = ok or (parts.scheme.lower() in ("mailto", "tel", "ftp", "urn") and " " not in text)
    if not ok:
        ctx.warn(w, key, f"'{_short(text)}' is not a valid URL; value dropped")
        return MISSING
    return text


def _as_email(ctx: Context, w: Where, key: str, value: Any) -> Any:
    text = _as_text(ctx, w, key, value, "line")
    if text is MISSING:
        return text
    if text.lower().startswith("mailto:"):
        text = text[7:].strip()
    if not _EMAIL.fullmatch(text):
        ctx.warn(w, key, f"'{_short(text)}' is not a valid e-mail address; value dropped")
        return MISSING
    return text


def _as_date(ctx: Context, w: Where, key: str, value: Any) -> Any:
    text = _as_text(ctx, w, key, value, "line")
    if text is MISSING:
        return text
    match = _DATETIME.fullmatch(text)
    try:
        if not match:
            raise ValueError
        day = date.fromisoformat(match.group(1))
    except ValueError:
        ctx.error(w, key, f"'{_short(text)}' is not a date (YYYY-MM-DD)")
        return MISSING
    if match.group(2) is not None:
        ctx.warn(w, key, f"'{text}' is a date-time; only the date is kept")
    return day.isoformat()


def _as_datetime(ctx: Context, w: Where, key: str, value: Any) -> Any:
    """ISO 8601 date or date-time → UTC ``YYYY-MM-DDTHH:MM:SS[.fff]Z``.

    A time without zone is Amsterdam local time (GUIDE §9); a bare date is midnight UTC.
    """
    text = _as_text(ctx, w, key, value, "line")
    if text is MISSING:
        return text
    match = _DATETIME.fullmatch(text)
    try:
        if not match:
            raise ValueError
        day_text, hh, mm, ss, frac, zone = match.groups()
        moment = datetime.combine(
            date.fromisoformat(day_text),
            time(int(hh or 0), int(mm or 0), int(ss or 0), int((frac or "0").ljust(6, "0"))),
        )
        default = UTC if hh is None else AMSTERDAM  # a bare date means that day (UTC)
        moment = moment.replace(tzinfo=_zone(zone) or default).astimezone(UTC)
    except ValueError:
        ctx.error(w, key, f"'{_short(text)}' is not an ISO 8601 date-time")
        return MISSING
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        stamp += f".{moment.microsecond // 1000:03d}"
    return stamp + "Z"


def _zone(suffix: str | None) -> timezone | None:
    if not suffix:
        return None
    if suffix.upper() == "Z":
        return UTC
    sign = -1 if suffix[0] == "-" else 1
    digits = suffix[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes > 59:
        raise ValueError(suffix)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _as_time(ctx: Context, w: Where, key: str, value: Any, on: str | None) -> Any:
    """``HH:MM[:SS]`` with an optional zone → Amsterdam wall-clock ``HH:MM:SS`` (GUIDE §9)."""
    text = _as_text(ctx, w, key, value, "line")
    if text is MISSING:
        return text
    match = _TIME.fullmatch(text)
    if not match:
        ctx.error(w, key, f"'{_short(text)}' is not a time (HH:MM:SS)")
        return MISSING
    hh, mm, ss, suffix = int(match[1]), int(match[2]), int(match[3] or 0), match[4]
    if (hh, mm, ss) == (24, 0, 0):
        ctx.warn(w, key, f"'{text}' read as 23:59:59")
        return "23:59:59"
    try:
        local = time(hh, mm, ss)
        zone = _zone(suffix)
    except ValueError:
        ctx.error(w, key, f"'{text}' is not a valid time of day")
        return MISSING
    if zone is not None:
        if on is None:
            ctx.warn(w, key, f"'{text}': zone ignored (no date to convert on); read as local time")
        else:
            moment = datetime.combine(date.fromisoformat(on), local, zone).astimezone(AMSTERDAM)
            local = moment.time()
    return local.strftime("%H:%M:%S")


def _as_enum(ctx: Context, w: Where, key: str, value: Any) -> Any:
    text = _as_text(ctx, w, key, value, "line")
    if text is MISSING:
        return text
    allowed = ENUMS[key]
    normal = text.upper() if allowed[0].isupper() else text.lower()
    if normal not in allowed:
        ctx.error(w, key, f"'{_short(text)}' is not one of: {', '.join(allowed)}")
        return MISSING
    return normal


def _as_list(ctx: Context, w: Where, key: str, value: Any, check: Callable[[str], bool]) -> Any:
    if isinstance(value, list):  # some feeds send ["MO", "TU"] instead of "MO,TU"
        value = ",".join(str(v) for v in value)
    text = _as_text(ctx, w, key, value, "line")
    if text is MISSING:
        return text
    items = [part.strip().upper() for part in text.split(",") if part.strip()]
    bad = [item for item in items if not check(item)]
    if bad:
        ctx.error(w, key, f"invalid value(s) {', '.join(bad)} in '{_short(text)}'")
        return MISSING
    return ",".join(items) or MISSING


def _byday_ok(item: str) -> bool:
    match = _BYDAY.fullmatch(item)
    return bool(match) and (match[2] is None or 1 <= int(match[2]) <= 5)


def _int_list_ok(limit: int) -> Callable[[str], bool]:
    def check(item: str) -> bool:
        return bool(re.fullmatch(r"[+-]?\d{1,3}", item)) and 1 <= abs(int(item)) <= limit

    return check


def _clean_scalar(ctx: Context, w: Where, key: str, ftype: str, value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return MISSING
    if ctx.text_values and isinstance(value, str) and value.strip().lower() == "null":
        return MISSING  # some CSV exports write the text null for an empty cell
    if ftype in ("id", "ref"):
        return _as_ref(ctx, w, key, value)
    if ftype in ("name", "line", "text", "desc"):
        return _as_text(ctx, w, key, value, ftype)
    if ftype == "currency":
        text = _as_text(ctx, w, key, value, "line")
        return text if text is MISSING else text.upper()
    if ftype == "number":
        return _as_number(ctx, w, key, value)
    if ftype == "age":
        return _in_range(ctx, w, key, _as_number(ctx, w, key, value), 0, 150)
    if ftype == "tz":
        return _in_range(ctx, w, key, _as_number(ctx, w, key, value), -14, 14)
    if ftype == "posint":
        return _as_posint(ctx, w, key, value)
    if ftype in ("lat", "lon"):
        return _as_number(ctx, w, key, value)  # range checked per location (drop both)
    handlers: dict[str, Callable[[Context, Where, str, Any], Any]] = {
        "url": _as_url,
        "email": _as_email,
        "date": _as_date,
        "datetime": _as_datetime,
        "enum": _as_enum,
    }
    if ftype in handlers:
        return handlers[ftype](ctx, w, key, value)
    checks = {
        "byday": _byday_ok,
        "monthdays": _int_list_ok(31),
        "weeknos": _int_list_ok(53),
        "yeardays": _int_list_ok(366),
    }
    return _as_list(ctx, w, key, value, checks[ftype])


def _as_ref(ctx: Context, w: Where, key: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int):
        ctx.error(w, key, f"expected an id, got {_type_name(value)}")
        return MISSING
    text = clean_text(str(value), multiline=False)[0]
    if not text:
        return MISSING
    mapped, derived = map_id(text, ctx.feed)
    if derived:
        ctx.warn(w, key, f"'{_short(text)}' is not a UUID; mapped to {mapped}")
    return mapped


# --------------------------------------------------------------------------------------------
# Objects
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parent:
    kind: str
    id: str | None


def clean_object(
    ctx: Context, kind: str, raw: Any, path: str, origin: Origin, parent: Parent | None
) -> dict[str, Any] | None:
    """The canonical form of one object and its children, or None when it is dropped."""
    spec = KINDS[kind]
    if isinstance(raw, dict) and isinstance(raw.get(ORIGIN_KEY), Origin):
        origin = raw[ORIGIN_KEY]
    if not isinstance(raw, dict):
        ctx.error(Where(kind, None, path, origin), "", f"expected an object, got {_type_name(raw)}")
        return None
    raw = _apply_aliases(kind, raw)
    raw_id = raw.get("id")
    w = Where(kind, str(raw_id) if raw_id not in (None, "") else None, path, origin)
    out: dict[str, Any] = {}
    obj_id = _clean_scalar(ctx, w, "id", "id", raw_id)
    if obj_id is MISSING:
        ctx.error(w, "id", "id is required")
    else:
        out["id"] = obj_id
        w = Where(kind, obj_id, path, origin)
    _report_issues(ctx, w, raw)
    drop = set(spec.parent_keys) | set(DROPPED.get(kind, ()))
    if parent is not None:
        drop.add(FK_OF.get(parent.kind, ""))
        _check_parent_fk(ctx, w, raw, spec, parent)
    times: list[tuple[str, Any]] = []
    for key, ftype in spec.fields.items():
        if key in drop or key == "id" or key not in raw:
            continue
        if ftype == "time":
            times.append((key, raw[key]))
            continue
        value = _clean_scalar(ctx, w, key, ftype, raw[key])
        if value is not MISSING:
            out[key] = value
    on_date = out.get("dtstart") or out.get("valid_from")
    for key, value in times:
        cleaned = _as_time(ctx, w, key, value, on_date) if value not in (None, "") else MISSING
        if cleaned is not MISSING:
            out[key] = cleaned
    for key, child_kind in spec.objects.items():
        if raw.get(key) not in (None, "", {}):
            child = clean_object(
                ctx, child_kind, raw[key], w.at(key), origin, Parent(kind, out.get("id"))
            )
            if child is not None:
                out[key] = child
    for key, child_kind in spec.lists.items():
        items = _clean_list(ctx, w, key, child_kind, raw.get(key), origin, Parent(kind, obj_id))
        if items or spec.core:
            out[key] = items
    finish = _FINISH.get(kind)
    return finish(ctx, w, raw, out, parent) if finish else out


def _apply_aliases(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    aliases = ALIASES.get(kind)
    if not aliases or not any(a in raw for a in aliases):
        return raw
    raw = dict(raw)
    for alias, key in aliases.items():
        if alias in raw and raw.get(key) in (None, ""):
            raw[key] = raw.pop(alias)
    return raw


def _report_issues(ctx: Context, w: Where, raw: dict[str, Any]) -> None:
    issues = raw.get(ISSUES_KEY)
    if not isinstance(issues, list):
        return
    for issue in issues:
        if isinstance(issue, Issue):
            (ctx.warn if issue.warning else ctx.error)(w, issue.field, issue.reason)


def _check_parent_fk(
    ctx: Context, w: Where, raw: dict[str, Any], spec: Kind, parent: Parent
) -> None:
    fk = "link_id" if spec.name == "attribute" else FK_OF.get(parent.kind)
    if spec.name == "metadata":
        fk = "resource_id"
    if not fk or raw.get(fk) in (None, "") or parent.id is None:
        return
    given = _as_ref(Context(ctx.feed), w, fk, raw[fk])  # silent: only compared
    if given is not MISSING and given != parent.id:
        ctx.warn(w, fk, f"{fk} {given} does not match its parent {parent.id}; ignored")


def _clean_list(
    ctx: Context, w: Where, key: str, kind: str, value: Any, origin: Origin, parent: Parent
) -> list[dict[str, Any]]:
    if value in (None, "", []):
        return []
    if isinstance(value, dict):
        ctx.warn(w, key, "expected a list, got one object; read as a list of one")
        value = [value]
    if not isinstance(value, list):
        ctx.error(w, key, f"expected a list, got {_type_name(value)}")
        return []
    out: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(value):
        child = clean_object(ctx, kind, item, f"{w.at(key)}[{index}]", origin, parent)
        if child is None or "id" not in child:
            continue
        if child["id"] in out:
            if child != out[child["id"]]:
                ctx.warn(w, f"{key}[{index}]", f"duplicate {kind} id {child['id']}; first kept")
            continue
        out[child["id"]] = child
    return [out[k] for k in sorted(out)]


# --------------------------------------------------------------------------------------------
# Per-kind rules that span fields
# --------------------------------------------------------------------------------------------

Out = dict[str, Any]


def _require(ctx: Context, w: Where, out: Out, *keys: str) -> None:
    for key in keys:
        if key not in out and not any(p.field == w.at(key) for p in ctx.errors):
            ctx.error(w, key, f"{key} is required")


def _recommend(ctx: Context, w: Where, out: Out, *keys: str) -> None:
    for key in keys:
        if key not in out:
            ctx.warn(w, key, f"{key} is missing (HSDS requires it)")


def _embedded_ref(ctx: Context, w: Where, out: Out, ref: str, obj: str) -> None:
    """``out[ref]`` must equal ``out[obj]["id"]``; set it when missing."""
    if obj not in out or "id" not in out[obj]:
        return
    if ref in out and out[ref] != out[obj]["id"]:
        ctx.error(w, ref, f"{ref} {out[ref]} does not match {obj}.id {out[obj]['id']}")
    out[ref] = out[obj]["id"]


def _finish_service(ctx: Context, w: Where, raw: Any, out: Out, parent: Parent | None) -> Out:
    _require(ctx, w, out, "name", "status")
    if "organization" not in out and not _has_error(
        ctx, w.at("organization"), w.at("organization_id")
    ):
        known = (
            f" (only organization_id {out['organization_id']})" if "organization_id" in out else ""
        )
        ctx.error(w, "organization", f"the service has no organization{known}")
    _embedded_ref(ctx, w, out, "organization_id", "organization")
    _embedded_ref(ctx, w, out, "program_id", "program")
    low, high = out.get("minimum_age"), out.get("maximum_age")
    if low is not None and high is not None and low > high:
        ctx.error(w, "minimum_age", f"minimum_age {low} is above maximum_age {high}")
    return _ordered(out, "service")


def _has_error(ctx: Context, *paths: str) -> bool:
    return any(
        p.field == path or p.field.startswith(path + ".") for p in ctx.errors for path in paths
    )


def _finish_organization(ctx: Context, w: Where, raw: Any, out: Out, parent: Parent | None) -> Out:
    _require(ctx, w, out, "name")
    _recommend(ctx, w, out, "description")
    return _ordered(out, "organization")


def _finish_sal(ctx: Context, w: Where, raw: Any, out: Out, parent: Parent | None) -> Out:
    if "location" not in out and not _has_error(ctx, w.at("location")):
        ctx.error(w, "location", "the service_at_location has no location")
    _embedded_ref(ctx, w, out, "location_id", "location")
    return _ordered(out, "service_at_location")


def _finish_location(ctx: Context, w: Where, raw: Any, out: Out, parent: Parent | None) -> Out:
    if "location_type" not in out and not _has_error(ctx, w.at("location_type")):
        if out.get("addresses"):
            ctx.warn(w, "location_type", "location_type missing; 'physical' assumed (has address)")
            out["location_type"] = "physical"
        else:
            ctx.error(w, "location_type", "location_type is required")
    lat, lon = out.get("latitude"), out.get("longitude")
    if (lat is None) != (lon is None):
        ctx.warn(w, "latitude", "latitude and longitude must come together; both dropped")
        out.pop("latitude", None), out.pop("longitude", None)
    elif lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        ctx.warn(w, "latitude", f"coordinates ({lat}, {lon}) are out of range; both dropped")
        out.pop("latitude"), out.pop("longitude")
    return _ordered(out, "location")


def _finish_address(ctx: Context, w: Where, raw: Any, out: Out, parent: Parent | None) -> Out:
    _require(ctx, w, out, "address_1", "city")
    _recommend(ctx, w, out, "postal_code", "country", "state_province")
    if "address_type" not in out and not _has_error(ctx, w.at("address_type")):
        ctx.warn(w, "address_type", "address_type missing; 'physical' assumed")
        out["address_type"] = "physical"
    return _ordered(out, "address")


def _drop_without(key: str) -> Callable[..., Out | None]:
    """Objects that are useless without ``key`` (a phone without a number) are dropped."""

    def finish(ctx: Context, w: Where, raw: Any, out: Out, parent: Parent | None) -> Out | None:
        if key not in out:
            if not _has_error(ctx, w.at(key)):
                ctx.warn(w, key, f"{w.kind} without {key} dropped")
            return None
        return _ordered(out, w.kind)

    return finish


def _finish_identifier(ctx: Context, w: Where, raw: Any, out: Out, parent: Parent | None) -> Out:
    result = _drop_without("identifier")(ctx, w, raw, out, parent)
    if result is not None:
        _recommend(ctx, w, result, "identifier_type")
    return result


def _finish_named(ctx: Context, w: Where, raw: Any, out: Out, parent: Parent | None) -> Out | None:
    """program, taxonomy: dropped without a name; description recommended."""
    result = _drop_without("name")(ctx, w, raw, out, parent)
    if result is not None:
        _recommend(ctx, w, result, "description")
    return result


def _finish_term(ctx: Context, w: Where, raw: Any, out: Out, parent: Parent | None) -> Out:
    _require(ctx, w, out, "name")
    _recommend(ctx, w, out, "description")
    _embedded_ref(ctx, w, out, "taxonomy_id", "taxonomy_detail")
    return _ordered(out, "taxonomy_term")


def _finish_attribute(ctx: Context, w: Where, raw: Any, out: Out, parent: Parent | None) -> Out:
    if "taxonomy_term" not in out and not _has_error(ctx, w.at("taxonomy_term")):
        ctx.error(w, "taxonomy_term", "the attribute has no taxonomy_term")
    _embedded_ref(ctx, w, out, "taxonomy_term_id", "taxonomy_term")
    _set_position(ctx, w, out, "link_entity", parent)
    return _ordered(out, "attribute")


def _finish_metadata(ctx: Context, w: Where, raw: Any, out: Out, parent: Parent | None) -> Out:
    _recommend(ctx, w, out, "last_action_date", "last_action_type", "field_name", "updated_by")
    _set_position(ctx, w, out, "resource_type", parent)
    return _ordered(out, "metadata")


def _set_position(ctx: Context, w: Where, out: Out, key: str, parent: Parent | None) -> None:
    if parent is None:
        return
    given = out.get(key)
    if given is not None and _entity(given) != parent.kind:
        ctx.warn(w, key, f"{key} '{_short(given)}' replaced by '{parent.kind}' (its position)")
    out[key] = parent.kind


def _entity(name: str) -> str:
    """'services', 'Service', 'service_at_location' → the kind name it means."""
    name = name.strip().lower().replace(" ", "_").replace("-", "_")
    return ENTITY_NAMES.get(name, name)


ENTITY_NAMES: dict[str, str] = {}
for _kind in KINDS:
    ENTITY_NAMES[_kind] = _kind
    ENTITY_NAMES[_kind + "s"] = _kind
ENTITY_NAMES.update(
    {"addresses": "address", "accessibilities": "accessibility", "taxonomies": "taxonomy"}
)


def _finish_schedule(ctx: Context, w: Where, raw: Any, out: Out, parent: Parent | None) -> Out:
    byday = out.get("byday", "")
    if out.get("freq") == "WEEKLY" and any(ch.isdigit() for ch in byday):
        ctx.error(w, "byday", f"'{byday}': a day with an ordinal needs freq MONTHLY")
    return _ordered(out, "schedule")


def _plain(ctx: Context, w: Where, raw: Any, out: Out, parent: Parent | None) -> Out:
    return _ordered(out, w.kind)


def _ordered(out: Out, kind: str) -> Out:
    """Keys in schema order (id first, then fields, objects, lists): stable, readable output."""
    spec = KINDS[kind]
    order = ["id", *spec.fields, *spec.objects, *spec.lists]
    return {key: out[key] for key in order if key in out}


_FINISH: dict[str, Callable[..., Out | None]] = {
    "service": _finish_service,
    "organization": _finish_organization,
    "service_at_location": _finish_sal,
    "location": _finish_location,
    "address": _finish_address,
    "phone": _drop_without("number"),
    "url": _drop_without("url"),
    "organization_identifier": _finish_identifier,
    "program": _finish_named,
    "taxonomy": _finish_named,
    "taxonomy_term": _finish_term,
    "attribute": _finish_attribute,
    "metadata": _finish_metadata,
    "schedule": _finish_schedule,
}
for _kind in KINDS:
    _FINISH.setdefault(_kind, _plain)


# --------------------------------------------------------------------------------------------
# Services
# --------------------------------------------------------------------------------------------


def clean_service(raw: Any, origin: Origin, feed: str, text_values: bool = False) -> ReadResult:
    """One raw service → :class:`ImportedRecord` (canonical) or :class:`RecordError`."""
    ctx = Context(feed=feed, text_values=text_values)
    if not isinstance(raw, dict):
        return RecordError(
            origin.source, f"expected a service object, got {_type_name(raw)}", line=origin.line
        )
    service = clean_object(ctx, "service", raw, "", origin, None)
    record_id = _service_id(raw, feed)
    if ctx.errors or service is None:
        return _record_error(ctx.errors, record_id)
    warnings = [_describe(p) for p in ctx.warnings]
    value = raw.get("id")
    own = "" if isinstance(value, bool) or not isinstance(value, str | int) else \
        clean_text(str(value), multiline=False)[0]
    return ImportedRecord(service, origin.source, origin.line, warnings, own or None)


def _service_id(raw: dict[str, Any], feed: str) -> str | None:
    value = raw.get("id")
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = clean_text(str(value), multiline=False)[0]
    return map_id(text, feed)[0] if text else None


def _record_error(errors: list[Problem], record_id: str | None) -> RecordError:
    first = errors[0]
    reason = first.describe(nested=True)
    if len(errors) > 1:
        more = "; ".join(f"{p.field}: {p.describe(nested=True)}" for p in errors[1:4])
        extra = f" …and {len(errors) - 4} more" if len(errors) > 4 else ""
        reason += f" (also: {more}{extra})"
    where = first.where.origin
    return RecordError(
        source=where.source,
        reason=reason,
        record_id=record_id,
        line=where.line,
        field=first.field or None,
    )


def _describe(problem: Problem) -> str:
    what = f"{problem.where.kind} {problem.where.obj_id or '?'}"
    return f"{problem.where.origin}: {what}, field '{problem.field}': {problem.reason}"


def validate_services(
    items: Iterable[RawService], feed: str, text_values: bool = False
) -> list[ReadResult]:
    """Clean every raw service, in input order; a repeated service id is rejected."""
    results: list[ReadResult] = []
    first_seen: dict[str, Origin] = {}
    for item in items:
        result = clean_service(item.data, item.origin, feed, text_values)
        record_id = result.id if isinstance(result, ImportedRecord) else result.record_id
        if record_id is not None and record_id in first_seen:
            first = first_seen[record_id]
            result = RecordError(
                item.origin.source,
                f"duplicate service id; first occurrence at {first} (this one at {item.origin})",
                record_id=record_id,
                line=item.origin.line,
                field="id",
            )
        elif record_id is not None:
            first_seen[record_id] = item.origin
        results.append(result)
    return results
