"""What a provider edits, as plain values, and how those values become a canonical listing.

Why a separate, pure module: the editor works on canonical HSDS dicts (the shape the importers
produce and ``service_to_hsds`` exports), so a portal save goes through the same writer and the
same validation as an import. This module only translates: listing → form values
(:func:`values_from`), form values + listing → proposed listing (:func:`apply_changes`), and
problems → Dutch messages on the form's fields (:func:`check_values`, :func:`check_record`). It
touches no database and no Flask, so it is tested with plain tables.

Everything the form does not show (contacts, cost options, metadata, other classifications,
monthly schedules, course dates) is carried over unchanged.
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from importers.validation import NAMESPACE, Context, Origin, Problem, clean_object

from ..geo.gazetteer import default_gazetteer
from .taxonomy import our_taxonomies, term_by_id, terms_by_facet

#: Fields of a listing a resident sees and a provider may change.
EDITABLE = (
    "name", "description", "url", "email", "phone", "application_process",
    "fees_description", "eligibility_description", "minimum_age", "maximum_age", "alert",
    "status", "levensgebieden", "soort", "toegang", "kosten", "doelgroepen", "languages",
    "service_areas", "hours", "locations",
)
#: Changes to these wait for a moderator unless the editor may publish at once.
GATED = frozenset({"name", "description", "categories", "access"})
TEXT_FIELDS = ("name", "description", "url", "email", "application_process",
               "fees_description", "eligibility_description", "alert")
#: Form field → (facet, several allowed).
FACET_FIELDS = {"levensgebieden": ("levensgebied", True), "soort": ("soort", False),
                "toegang": ("toegang", False), "kosten": ("kosten", False),
                "doelgroepen": ("doelgroep", True)}
EDIT_STATUSES = ("active", "temporarily closed", "inactive")
STATUS_LABELS = {"active": "Actief", "temporarily closed": "Tijdelijk gesloten",
                 "inactive": "Niet actief (gestopt)", "defunct": "Bestaat niet meer"}
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = {"MO": "maandag", "TU": "dinsdag", "WE": "woensdag", "TH": "donderdag",
                 "FR": "vrijdag", "SA": "zaterdag", "SU": "zondag"}
#: Languages a provider can tick (ISO 639 codes), with the Dutch name stored in the listing.
LANGUAGES = {"nl": "Nederlands", "en": "Engels", "ar": "Arabisch", "tr": "Turks",
             "pl": "Pools", "uk": "Oekraïens", "de": "Duits", "fr": "Frans", "ti": "Tigrinya",
             "so": "Somalisch", "fa": "Perzisch", "es": "Spaans", "ru": "Russisch",
             "ro": "Roemeens", "bg": "Bulgaars", "zgh": "Berbers"}
TIME_RE = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")
POSTCODE_RE = re.compile(r"([1-9]\d{3})\s*([A-Za-z]{2})")


@dataclass
class HoursRow:
    """One line of opening hours: a weekday with times. ``origin`` is the schedule it came
    from, so unchanged hours keep their id (and fields the form does not show)."""

    weekday: str = ""
    opens: str = ""
    closes: str = ""
    description: str = ""
    origin: str = ""


@dataclass
class LocationRow:
    """A location's name and address; ``id`` empty for a new one. All empty removes it."""

    id: str = ""
    name: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""

    def is_empty(self) -> bool:
        return not any((self.name.strip(), self.street.strip(), self.postal_code.strip(),
                        self.city.strip()))


@dataclass
class EditValues:
    """Everything the edit form shows, as text (ages too: the validation judges them)."""

    name: str = ""
    description: str = ""
    url: str = ""
    email: str = ""
    phone: str = ""
    application_process: str = ""
    fees_description: str = ""
    eligibility_description: str = ""
    minimum_age: str = ""
    maximum_age: str = ""
    alert: str = ""
    status: str = "active"
    levensgebieden: list[str] = field(default_factory=list)
    soort: str = ""
    toegang: str = ""
    kosten: str = ""
    doelgroepen: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    service_areas: list[str] = field(default_factory=list)
    hours: list[HoursRow] = field(default_factory=list)
    locations: list[LocationRow] = field(default_factory=list)


def _id(*parts: str) -> str:
    """A stable id for something the portal adds: the same input gives the same id."""
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def _number_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _hhmm(value: str | None) -> str:
    return value[:5] if value else ""


# -- reading a listing ---------------------------------------------------------------------

def facet_codes(data: dict[str, Any], facet: str) -> list[str]:
    """Codes of our terms of one facet attached to a canonical service, in listing order."""
    ours = term_by_id()
    codes = []
    for attribute in data.get("attributes", []):
        term = ours.get(attribute.get("taxonomy_term", {}).get("id"))
        if term is not None and term.facet == facet and term.code not in codes:
            codes.append(term.code)
    return codes


def is_course_session(schedule: dict[str, Any]) -> bool:
    return bool(schedule.get("dtstart") and schedule.get("until"))


def is_simple_hours(schedule: dict[str, Any]) -> bool:
    """Weekly opening hours on plain weekdays: what the form's rows can show. Anything else
    (monthly, every other week, course dates) is kept as it is."""
    if is_course_session(schedule) or schedule.get("freq") not in (None, "WEEKLY"):
        return False
    if schedule.get("interval") not in (None, 1) or schedule.get("count"):
        return False
    if any(schedule.get(k) for k in ("byweekno", "bymonthday", "byyearday")):
        return False
    days = [d.strip() for d in (schedule.get("byday") or "").split(",") if d.strip()]
    return bool(days) and all(d in WEEKDAYS for d in days)


def physical_address(location: dict[str, Any]) -> dict[str, Any] | None:
    addresses = location.get("addresses", [])
    for address in addresses:
        if address.get("address_type") == "physical":
            return address
    return addresses[0] if addresses else None


def values_from(data: dict[str, Any]) -> EditValues:
    """The form's values for a canonical listing."""
    values = EditValues(status=data.get("status", "active"))
    for key in TEXT_FIELDS:
        setattr(values, key, data.get(key, ""))
    values.minimum_age = _number_text(data.get("minimum_age"))
    values.maximum_age = _number_text(data.get("maximum_age"))
    phones = data.get("phones", [])
    values.phone = phones[0].get("number", "") if phones else ""
    for name, (facet, several) in FACET_FIELDS.items():
        codes = facet_codes(data, facet)
        setattr(values, name, codes if several else (codes[0] if codes else ""))
    values.languages = [lang["code"] for lang in data.get("languages", []) if lang.get("code")]
    values.service_areas = [a["name"] for a in data.get("service_areas", []) if a.get("name")]
    for schedule in data.get("schedules", []):
        if is_simple_hours(schedule):
            for day in schedule["byday"].split(","):
                values.hours.append(HoursRow(day.strip(), _hhmm(schedule.get("opens_at")),
                                             _hhmm(schedule.get("closes_at")),
                                             schedule.get("description", ""), schedule["id"]))
    for sal in data.get("service_at_locations", []):
        location = sal["location"]
        address = physical_address(location) or {}
        values.locations.append(LocationRow(location["id"], location.get("name", ""),
                                            address.get("address_1", ""),
                                            address.get("postal_code", ""),
                                            address.get("city", "")))
    return values


# -- building the proposed listing --------------------------------------------------------

def _set(target: dict[str, Any], key: str, value: str) -> None:
    """Missing and empty are the same in a canonical dict: an empty value removes the key."""
    value = (value or "").strip()
    if value:
        target[key] = value
    else:
        target.pop(key, None)


def term_dict(facet: str, code: str) -> dict[str, Any]:
    """One of our terms as an embedded ``taxonomy_term`` (as the exporter writes it)."""
    term = terms_by_facet()[facet][code]
    taxonomy = our_taxonomies()[facet]
    item: dict[str, Any] = {"id": term.id, "code": term.code, "name": term.name,
                            "description": term.description or term.name}
    if term.parent:
        item["parent_id"] = terms_by_facet()["levensgebied"][term.parent].id
    item.update({"taxonomy": taxonomy.name, "language": "nl", "taxonomy_id": taxonomy.id,
                 "taxonomy_detail": {"id": taxonomy.id, "name": taxonomy.name,
                                     "description": taxonomy.description}})
    return item


def _facet_attributes(data: dict[str, Any], values: EditValues) -> list[dict[str, Any]]:
    """Our editable facets rebuilt from the form; attributes that stay keep their id, new
    ones get a stable id; other classifications (thema, imported terms) are kept."""
    ours = term_by_id()
    editable = {facet for facet, _ in FACET_FIELDS.values()}
    kept, existing = [], {}
    for attribute in data.get("attributes", []):
        term = ours.get(attribute.get("taxonomy_term", {}).get("id"))
        if term is not None and term.facet in editable:
            existing.setdefault((term.facet, term.code), attribute)
        else:
            kept.append(attribute)
    for name, (facet, several) in FACET_FIELDS.items():
        chosen = getattr(values, name)
        codes = chosen if several else ([chosen] if chosen else [])
        for code in dict.fromkeys(codes):
            if code not in terms_by_facet()[facet]:
                continue  # check_values reports it
            attribute = existing.get((facet, code))
            if attribute is None:
                term = terms_by_facet()[facet][code]
                attribute = {"id": _id(data["id"], facet, code), "taxonomy_term_id": term.id,
                             "link_type": facet, "link_entity": "service", "value": code,
                             "taxonomy_term": term_dict(facet, code)}
            kept.append(attribute)
    return kept


def _hours(data: dict[str, Any], rows: list[HoursRow]) -> list[dict[str, Any]]:
    """Schedules: the form's rows, grouped back into one schedule per origin and times (so an
    untouched "MO,WE" schedule stays one schedule); everything else unchanged."""
    originals = {s["id"]: s for s in data.get("schedules", [])}
    kept = [s for s in data.get("schedules", []) if not is_simple_hours(s)]
    groups: dict[tuple[str, str, str, str], list[str]] = {}
    for row in rows:
        if not row.weekday:
            continue
        key = (row.origin if row.origin in originals else "", row.opens.strip(),
               row.closes.strip(), row.description.strip())
        if row.weekday not in groups.setdefault(key, []):
            groups[key].append(row.weekday)
    used: set[str] = set()
    for (origin, opens, closes, description), days in groups.items():
        days.sort(key=WEEKDAYS.index)
        if origin and origin not in used:
            schedule = copy.deepcopy(originals[origin])
            schedule_id = origin
            old_days = [d.strip() for d in originals[origin]["byday"].split(",")]
            byday = originals[origin]["byday"] if sorted(old_days) == sorted(days) else \
                ",".join(days)
        else:
            schedule = {"freq": "WEEKLY", "interval": 1}
            schedule_id = _id(data["id"], "hours", origin, ",".join(days), opens, closes,
                              description)
            byday = ",".join(days)
        used.add(schedule_id)
        schedule.update({"id": schedule_id, "byday": byday})
        _set(schedule, "opens_at", opens)
        _set(schedule, "closes_at", closes)
        _set(schedule, "description", description)
        kept.append(schedule)
    return kept


def _locations(data: dict[str, Any], rows: list[LocationRow]) -> list[dict[str, Any]]:
    """Service-at-locations with the form's names and addresses. A changed address loses its
    coordinates, so the geocoder places it again."""
    by_location = {sal["location"]["id"]: sal for sal in data.get("service_at_locations", [])}
    result = []
    seen = set()
    for row in rows:
        if row.id and row.id in by_location:
            seen.add(row.id)
            if row.is_empty():
                continue  # removed
            sal = copy.deepcopy(by_location[row.id])
        elif row.is_empty():
            continue
        else:
            location_id = _id(data["id"], "location", row.name, row.street, row.postal_code)
            sal = {"id": _id(data["id"], "service_at_location", location_id),
                   "location_id": location_id,
                   "location": {"id": location_id, "location_type": "physical"}}
        location = sal["location"]
        _set(location, "name", row.name)
        address = physical_address(location)
        new = {"address_1": row.street.strip(), "postal_code": _postcode(row.postal_code),
               "city": row.city.strip()}
        if address is None and any(new.values()):
            address = {"id": _id(location["id"], "address"), "country": "NL",
                       "address_type": "physical"}
            location.setdefault("addresses", []).append(address)
        if address is not None:
            old = {k: address.get(k, "") for k in new}
            for key, value in new.items():
                _set(address, key, value)
            if old != new:
                location.pop("latitude", None)
                location.pop("longitude", None)
        result.append(sal)
    for location_id, sal in by_location.items():
        if location_id not in seen:  # a row the form did not send: keep it
            result.append(sal)
    return result


def _postcode(text: str) -> str:
    match = POSTCODE_RE.fullmatch((text or "").strip())
    return f"{match[1]} {match[2].upper()}" if match else (text or "").strip()


def apply_changes(before: dict[str, Any], values: EditValues) -> dict[str, Any]:
    """The proposed listing: ``before`` with the form's values; not yet validated."""
    data = copy.deepcopy(before)
    data.pop("_sessions", None)
    for key in TEXT_FIELDS:
        _set(data, key, getattr(values, key))
    for key in ("minimum_age", "maximum_age"):
        _set(data, key, getattr(values, key).replace(" ", ""))
    data["status"] = values.status or data.get("status", "active")
    phones = data.get("phones", [])
    if values.phone.strip():
        first = dict(phones[0]) if phones else {"id": _id(data["id"], "phone"), "type": "voice"}
        first["number"] = values.phone.strip()
        data["phones"] = [first, *phones[1:]]
    else:
        data["phones"] = phones[1:]
    data["attributes"] = _facet_attributes(data, values)
    by_code = {lang.get("code"): lang for lang in data.get("languages", [])}
    data["languages"] = [
        by_code.get(code) or {"id": _id(data["id"], "language", code), "code": code,
                              "name": LANGUAGES.get(code, code)}
        for code in dict.fromkeys(values.languages)]
    by_name = {(a.get("name") or "").casefold(): a for a in data.get("service_areas", [])}
    data["service_areas"] = [
        by_name.get(name.strip().casefold()) or {"id": _id(data["id"], "area", name.strip()),
                                                  "name": name.strip()}
        for name in dict.fromkeys(values.service_areas) if name.strip()]
    data["schedules"] = _hours(data, values.hours)
    data["service_at_locations"] = _locations(data, values.locations)
    return data


# -- validation -------------------------------------------------------------------------------

REQUIRED = {"name": "Vul de naam van het aanbod in.", "status": "Kies een status."}


def _dutch(problem: Problem) -> str:
    """The importer's reason, in plain Dutch for a provider."""
    reason, key = problem.reason, problem.field.rsplit(".", 1)[-1]
    too_long = re.search(r"too long: (\d+) characters \(at most (\d+)\)", reason)
    if too_long:
        return (f"Deze tekst is te lang ({too_long[1]} tekens). Gebruik hoogstens "
                f"{too_long[2]} tekens.")
    if "is required" in reason:
        return REQUIRED.get(key, "Vul dit veld in.")
    if "above maximum_age" in reason:
        return "De minimumleeftijd is hoger dan de maximumleeftijd."
    if "out of range" in reason:
        return "Vul een leeftijd in tussen 0 en 150 jaar."
    if "decimal comma" in reason or "expected a number" in reason:
        return "Vul een getal in met alleen cijfers, bijvoorbeeld 18."
    if "e-mail" in reason:
        return "Dit e-mailadres klopt niet. Schrijf het zo: naam@voorbeeld.nl"
    if "URL" in reason:
        return "Dit webadres klopt niet. Schrijf het zo: https://www.voorbeeld.nl"
    if "time" in reason:
        return "Vul een tijd in zoals 09:30."
    if "not a date" in reason:
        return "Vul een datum in zoals 31-01-2027."
    if "is not one of" in reason:
        return "Kies een van de mogelijkheden."
    return "Deze waarde klopt niet. Controleer wat u heeft ingevuld."


def _form_key(problem: Problem) -> str:
    """The form field a problem belongs to (``form`` when no single field fits)."""
    path = problem.field
    if path in ("name", "description", "url", "email", "application_process",
                "fees_description", "eligibility_description", "minimum_age", "maximum_age",
                "alert", "status"):
        return path
    if path.startswith("phones["):
        return "phone"
    if path.startswith("schedules["):
        return "hours"
    if path.startswith("service_at_locations["):
        return "locations"
    if path.startswith("service_areas["):
        return "service_areas"
    return "form"


def check_record(raw: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Validate a proposed listing exactly as an import would; (canonical, {}) or (None,
    {form field: Dutch message}). A URL or e-mail address the importer would drop with a
    warning is an error here: the provider can still correct it."""
    ctx = Context(feed="sociale-kaart")
    cleaned = clean_object(ctx, "service", raw, "", Origin("portal"), None)
    errors: dict[str, str] = {}
    dropped = [p for p in ctx.warnings if "value dropped" in p.reason]
    for problem in [*ctx.errors, *dropped]:
        errors.setdefault(_form_key(problem), _dutch(problem))
    if errors or cleaned is None:
        return None, errors or {"form": "Het aanbod kon niet worden opgeslagen."}
    return cleaned, {}


def parse_time(text: str) -> time | None:
    match = TIME_RE.fullmatch((text or "").strip())
    return time(int(match[1]), int(match[2])) if match else None


def check_values(values: EditValues, known_languages: set[str] = frozenset()) -> dict[str, str]:
    """Checks the importer cannot make because it does not know the form: choices, rows and
    place names. Keys are the form's field ids (``hours-0-opens``)."""
    errors: dict[str, str] = {}
    if values.status not in (*EDIT_STATUSES, "defunct"):
        errors["status"] = "Kies een status."
    if not values.levensgebieden:
        errors["levensgebieden"] = "Kies minstens één onderwerp."
    for name, (facet, several) in FACET_FIELDS.items():
        chosen = getattr(values, name)
        codes = chosen if several else ([chosen] if chosen else [])
        if any(code not in terms_by_facet()[facet] for code in codes):
            errors[name] = "Kies een van de mogelijkheden uit de lijst."
    if any(code not in LANGUAGES and code not in known_languages for code in values.languages):
        errors["languages"] = "Kies een taal uit de lijst."
    gazetteer = default_gazetteer()
    unknown = [n for n in values.service_areas if n.strip()
               and gazetteer.municipality_name(n.strip()) is None]
    if unknown:
        errors["service_areas"] = (f"Deze gemeente kennen we niet: {', '.join(unknown)}. "
                                   "Schrijf de naam van de gemeente voluit, bijvoorbeeld Altena.")
    for index, row in enumerate(values.hours):
        _check_hours(errors, f"hours-{index}", row)
    for index, row in enumerate(values.locations):
        _check_location(errors, f"locations-{index}", row)
    return errors


def _check_hours(errors: dict[str, str], prefix: str, row: HoursRow) -> None:
    if not row.weekday:
        if row.opens.strip() or row.closes.strip():
            errors[f"{prefix}-weekday"] = "Kies de dag."
        return
    if row.weekday not in WEEKDAYS:
        errors[f"{prefix}-weekday"] = "Kies een dag uit de lijst."
    opens, closes = parse_time(row.opens), parse_time(row.closes)
    if row.opens.strip() and opens is None:
        errors[f"{prefix}-opens"] = "Vul een tijd in zoals 09:30."
    if row.closes.strip() and closes is None:
        errors[f"{prefix}-closes"] = "Vul een tijd in zoals 17:00."
    if opens and closes and closes <= opens:
        errors[f"{prefix}-closes"] = "De eindtijd ligt voor de begintijd."


def _check_location(errors: dict[str, str], prefix: str, row: LocationRow) -> None:
    if row.is_empty():
        return
    if not row.street.strip():
        errors[f"{prefix}-street"] = "Vul de straat en het huisnummer in."
    if not row.city.strip():
        errors[f"{prefix}-city"] = "Vul de plaats in."
    if row.postal_code.strip() and not POSTCODE_RE.fullmatch(row.postal_code.strip()):
        errors[f"{prefix}-postal_code"] = "Vul een postcode in zoals 4251 XW."


def normalise_values(values: EditValues) -> EditValues:
    """Times as HH:MM:SS, so the importer's rules judge them like imported times."""
    for row in values.hours:
        for key in ("opens", "closes"):
            parsed = parse_time(getattr(row, key))
            if parsed is not None:
                setattr(row, key, parsed.strftime("%H:%M:%S"))
    return values


# -- course sessions --------------------------------------------------------------------------

@dataclass
class SessionValues:
    """A course session as the form has it; dates as YYYY-MM-DD (a date input) or DD-MM-YYYY."""

    start: str = ""
    end: str = ""
    weekday: str = ""
    opens: str = ""
    closes: str = ""
    session_count: str = ""
    places: str = ""
    places_left: str = ""


def parse_day(text: str) -> date | None:
    text = (text or "").strip()
    match = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", text)
    try:
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
        return date.fromisoformat(text)
    except ValueError:
        return None


def session_values_from(schedule: dict[str, Any], extra: dict[str, Any]) -> SessionValues:
    days = [d for d in (schedule.get("byday") or "").split(",") if d in WEEKDAYS]
    return SessionValues(_day_text(schedule.get("dtstart")), _day_text(schedule.get("until")),
                         days[0] if len(days) == 1 else "", _hhmm(schedule.get("opens_at")),
                         _hhmm(schedule.get("closes_at")),
                         _number_text(extra.get("session_count")),
                         _number_text(extra.get("places")),
                         _number_text(extra.get("places_left")))


def _count(errors: dict[str, str], key: str, text: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit():
        errors[key] = "Vul een heel getal in, bijvoorbeeld 12."
        return None
    return int(text)


def check_session(values: SessionValues, schedule_id: str, old: dict[str, Any] | None = None
                  ) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """(HSDS schedule, course columns, errors) for a course session. The number of places and
    sessions also go into the schedule's notes and description, as HSDS carries them."""
    errors: dict[str, str] = {}
    start, end = parse_day(values.start), parse_day(values.end)
    if start is None:
        errors["start"] = "Vul de eerste datum in, zoals 31-01-2027."
    if end is None:
        errors["end"] = "Vul de laatste datum in, zoals 30-06-2027."
    if start and end and end < start:
        errors["end"] = "De laatste datum ligt voor de eerste datum."
    if values.weekday and values.weekday not in WEEKDAYS:
        errors["weekday"] = "Kies een dag uit de lijst."
    opens, closes = parse_time(values.opens), parse_time(values.closes)
    if values.opens.strip() and opens is None:
        errors["opens"] = "Vul een tijd in zoals 19:30."
    if values.closes.strip() and closes is None:
        errors["closes"] = "Vul een tijd in zoals 21:30."
    if opens and closes and closes <= opens:
        errors["closes"] = "De eindtijd ligt voor de begintijd."
    count = _count(errors, "session_count", values.session_count)
    places = _count(errors, "places", values.places)
    left = _count(errors, "places_left", values.places_left)
    if places is not None and left is not None and left > places:
        errors["places_left"] = "Er zijn meer plaatsen vrij dan er plaatsen zijn."
    old = old or {}
    schedule: dict[str, Any] = {
        "id": schedule_id, "freq": "WEEKLY" if values.weekday else None,
        "interval": 1 if values.weekday else None, "byday": values.weekday or None,
        "dtstart": start.isoformat() if start else None,
        "until": end.isoformat() if end else None,
        "valid_from": start.isoformat() if start else None,
        "valid_to": end.isoformat() if end else None,
        "opens_at": opens.strftime("%H:%M:%S") if opens else None,
        "closes_at": closes.strftime("%H:%M:%S") if closes else None,
        "description": f"Cursus van {count} bijeenkomsten" if count else
        old.get("description"),
        "notes": f"{places} plaatsen" if places else None,
    }
    extra = {"places": places, "places_left": left, "session_count": count}
    return schedule, extra, errors


# -- moderation: which changes wait --------------------------------------------------------

def gated_view(data: dict[str, Any] | None) -> dict[str, Any]:
    data = data or {}
    return {"name": data.get("name"), "description": data.get("description"),
            "categories": sorted(facet_codes(data, "levensgebied")),
            "access": sorted(facet_codes(data, "toegang"))}


def gated_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> set[str]:
    """Which of the moderated fields differ."""
    old, new = gated_view(before), gated_view(after)
    return {key for key in GATED if old[key] != new[key]}


def with_gated(base: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """``base`` with the moderated fields (name, description, categories, access) taken from
    ``source``; everything else stays as in ``base``."""
    data = copy.deepcopy(base)
    for key in ("name", "description"):
        if source.get(key):
            data[key] = source[key]
        else:
            data.pop(key, None)
    ours = term_by_id()

    def moderated(attribute: dict[str, Any]) -> bool:
        term = ours.get(attribute.get("taxonomy_term", {}).get("id"))
        return term is not None and term.facet in ("levensgebied", "toegang")

    data["attributes"] = [a for a in data.get("attributes", []) if not moderated(a)] + \
        [copy.deepcopy(a) for a in source.get("attributes", []) if moderated(a)]
    data["attributes"].sort(key=lambda a: a["id"])
    return data


# -- a listing in words, for diffs -----------------------------------------------------------

ORDINALS = {"1": "eerste", "2": "tweede", "3": "derde", "4": "vierde", "5": "vijfde",
            "-1": "laatste"}


def _day_text(iso: str | None) -> str:
    return date.fromisoformat(iso).strftime("%d-%m-%Y") if iso else ""


def describe_hours(schedule: dict[str, Any]) -> str:
    """"maandag, woensdag 09:30–11:30 (inloop)"; "elke derde dinsdag van de maand ..."."""
    days = [d.strip() for d in (schedule.get("byday") or "").split(",") if d.strip()]
    if schedule.get("freq") == "MONTHLY":
        when = "elke " + " en ".join(f"{ORDINALS.get(d[:-2], d[:-2])} "
                                     f"{WEEKDAY_NAMES.get(d[-2:], d)}" for d in days) + \
            " van de maand"
    else:
        when = ", ".join(WEEKDAY_NAMES.get(d[-2:], d) for d in days)
        if (schedule.get("interval") or 1) > 1:
            when = f"om de {schedule['interval']} weken op {when}"
    if is_course_session(schedule):
        when = f"{_day_text(schedule['dtstart'])} t/m {_day_text(schedule['until'])} {when}"
    times = "–".join(_hhmm(schedule.get(k)) for k in ("opens_at", "closes_at")
                     if schedule.get(k))
    text = " ".join(part for part in (when.strip(), times) if part)
    if schedule.get("description"):
        text += f" ({schedule['description']})"
    return text


def _terms(data: dict[str, Any], facet: str) -> str:
    names = terms_by_facet()[facet]
    return ", ".join(names[code].name for code in facet_codes(data, facet))


def _course_text(data: dict[str, Any], schedule: dict[str, Any]) -> str:
    text = describe_hours(schedule)
    extra = data.get("_sessions", {}).get(schedule["id"], {})
    if extra.get("places") is not None:
        text += f", {extra['places']} plaatsen"
    if extra.get("places_left") is not None:
        text += f", nog {extra['places_left']} vrij"
    if extra.get("cancelled"):
        text += ", gaat niet door"
    return text


def describe(data: dict[str, Any] | None) -> dict[str, str]:
    """A listing as labelled lines of plain Dutch text (the labels of the diff)."""
    if not data:
        return {}
    schedules = data.get("schedules", [])
    locations = []
    for sal in data.get("service_at_locations", []):
        location = sal["location"]
        address = physical_address(location) or {}
        parts = [location.get("name", ""), address.get("address_1", ""),
                 " ".join(p for p in (address.get("postal_code"), address.get("city")) if p)]
        locations.append(", ".join(p for p in parts if p))
    return {
        "Naam": data.get("name", ""),
        "Omschrijving": data.get("description", ""),
        "Status": STATUS_LABELS.get(data.get("status", ""), data.get("status", "")),
        "Onderwerpen": _terms(data, "levensgebied"),
        "Soort aanbod": _terms(data, "soort"),
        "Toegang": _terms(data, "toegang"),
        "Kosten": _terms(data, "kosten"),
        "Voor wie": _terms(data, "doelgroep"),
        "Uitleg voor wie": data.get("eligibility_description", ""),
        "Minimumleeftijd": _number_text(data.get("minimum_age")),
        "Maximumleeftijd": _number_text(data.get("maximum_age")),
        "Aanmelden": data.get("application_process", ""),
        "Uitleg kosten": data.get("fees_description", ""),
        "Let op-melding": data.get("alert", ""),
        "Website": data.get("url", ""),
        "E-mail": data.get("email", ""),
        "Telefoon": ", ".join(p.get("number", "") for p in data.get("phones", [])),
        "Talen": ", ".join(lang.get("name") or lang.get("code", "")
                           for lang in data.get("languages", [])),
        "Werkgebied": ", ".join(a.get("name", "") for a in data.get("service_areas", [])),
        "Openingstijden": "; ".join(describe_hours(s) for s in schedules
                                    if not is_course_session(s)),
        "Cursusdata": "; ".join(_course_text(data, s) for s in schedules
                                if is_course_session(s)),
        "Locaties": "; ".join(locations),
        "Laatst gecontroleerd": _day_text(data.get("assured_date")),
        "Organisatie": data.get("organization", {}).get("name", ""),
    }


#: Keys :func:`describe` does not show and that change without anyone editing them.
_NOT_COMPARED = {"last_modified", "_sessions", "metadata", "assurer_email"}


def field_diff(before: dict[str, Any] | None, after: dict[str, Any] | None
               ) -> list[tuple[str, str, str]]:
    """The fields that differ, as (label, old, new) in plain Dutch; anything else that
    differs shows as "Overige gegevens" so no change goes unseen."""
    old, new = describe(before), describe(after)
    rows = [(label, old.get(label, ""), new.get(label, "")) for label in (new or old)
            if old.get(label, "") != new.get(label, "")]
    shown = {"name", "description", "status", "attributes", "eligibility_description",
             "minimum_age", "maximum_age", "application_process", "fees_description", "alert",
             "url", "email", "phones", "languages", "service_areas", "schedules",
             "service_at_locations", "assured_date", "organization", "organization_id",
             *_NOT_COMPARED}
    rest_old = {k: v for k, v in (before or {}).items() if k not in shown}
    rest_new = {k: v for k, v in (after or {}).items() if k not in shown}
    if rest_old != rest_new:
        changed = sorted(k for k in {*rest_old, *rest_new} if rest_old.get(k) != rest_new.get(k))
        rows.append(("Overige gegevens", "", "gewijzigd: " + ", ".join(changed)))
    return rows
