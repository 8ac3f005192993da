"""Reading the volunteer platform's forms into service inputs, with errors per field.

The forms have many check boxes (themes, dagdelen, "suitable for"), which plain HTML renders
more clearly than WTForms; CSRF is still checked on every POST by the app-wide CSRFProtect.
Every error names the field, so the template can show it beside the right input.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from ..models.volunteer import (
    DAGDELEN,
    DAYS,
    LISTING_MODES,
    PARTS_OF_DAY,
    SCHEDULE_KINDS,
    SUITABLE_FOR,
    URGENCIES,
    VOLUNTEER_THEMES,
)
from ..volunteer import VolunteerError
from ..volunteer.listings import ListingInput

THEME_LABELS = {
    "vervoer": _l("Vervoer"), "boodschappen": _l("Boodschappen"), "klussen": _l("Klussen"),
    "gezelschap": _l("Gezelschap en maatje"), "administratie": _l("Administratie"),
    "computerhulp": _l("Computerhulp"), "tuin": _l("Tuin"), "koken": _l("Koken"),
    "taal": _l("Taal"), "bestuur": _l("Bestuur"), "evenement": _l("Evenement"),
    "zorg": _l("Zorg en welzijn"), "sport": _l("Sport"), "jeugd": _l("Kinderen en jongeren"),
    "dieren": _l("Dieren"), "natuur": _l("Natuur"), "cultuur": _l("Cultuur"),
    "overig": _l("Overig"),
}
TYPE_LABELS = {"vacature": _l("Vacature"), "hulpvraag": _l("Hulpvraag"),
               "hulpaanbod": _l("Hulpaanbod")}
MODE_LABELS = {"in_kern": _l("In de kern"), "at_home": _l("Bij iemand thuis"),
               "online": _l("Online of vanuit huis")}
SCHEDULE_LABELS = {"eenmalig": _l("Eenmalig"), "regelmatig": _l("Regelmatig"),
                   "flexibel": _l("Flexibel, binnen een periode")}
URGENCY_LABELS = {"normaal": _l("Normaal"), "hoog": _l("Hoog"), "spoed": _l("Spoed")}
SUITABLE_LABELS = {"jongeren": _l("Geschikt voor jongeren"),
                   "55plus": _l("Geschikt voor 55-plussers"),
                   "beperking": _l("Geschikt voor mensen met een beperking")}
DAY_LABELS = {"ma": _l("maandag"), "di": _l("dinsdag"), "wo": _l("woensdag"),
              "do": _l("donderdag"), "vr": _l("vrijdag"), "za": _l("zaterdag"),
              "zo": _l("zondag")}
PART_LABELS = {"ochtend": _l("ochtend"), "middag": _l("middag"), "avond": _l("avond")}
STATE_LABELS = {"interested": _l("Gereageerd"), "accepted": _l("Geaccepteerd"),
                "matched": _l("Match"), "completed": _l("Afgerond"),
                "not_completed": _l("Niet doorgegaan"), "declined": _l("Afgewezen"),
                "withdrawn": _l("Ingetrokken")}
STATUS_LABELS = {"draft": _l("Concept"), "pending": _l("Wacht op controle"),
                 "active": _l("Online"), "filled": _l("Vervuld"), "closed": _l("Gesloten"),
                 "archived": _l("Gearchiveerd")}
WARNING_LABELS = {"phone": _l("Er staat een telefoonnummer in de tekst."),
                  "email": _l("Er staat een e-mailadres in de tekst."),
                  "address": _l("Er staat een adres of postcode in de tekst.")}
VOG_LABELS = {"none": _l("Geen VOG"), "in_progress": _l("VOG aangevraagd"),
              "verified": _l("VOG in orde")}

CHOICES = {"themes": VOLUNTEER_THEMES, "dagdelen": DAGDELEN, "suitable_for": SUITABLE_FOR,
           "mode": LISTING_MODES, "schedule_kind": SCHEDULE_KINDS, "urgency": URGENCIES,
           "days": DAYS, "parts": PARTS_OF_DAY}


def labels() -> dict:
    """Everything the templates need to label codes."""
    return {"theme_labels": THEME_LABELS, "type_labels": TYPE_LABELS,
            "mode_labels": MODE_LABELS, "schedule_labels": SCHEDULE_LABELS,
            "urgency_labels": URGENCY_LABELS, "suitable_labels": SUITABLE_LABELS,
            "day_labels": DAY_LABELS, "part_labels": PART_LABELS,
            "state_labels": STATE_LABELS, "status_labels": STATUS_LABELS,
            "warning_labels": WARNING_LABELS, "vog_labels": VOG_LABELS, "choices": CHOICES}


def text(form, name: str) -> str:
    return " ".join((form.get(name) or "").split()) if name != "description" else \
        (form.get(name) or "").strip()


def optional_date(form, name: str) -> date | None:
    value = (form.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise VolunteerError(name, "Vul een datum in als 2026-12-31.") from None


def optional_int(form, name: str, low: int, high: int) -> int | None:
    value = (form.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise VolunteerError(name, f"Vul een heel getal van {low} tot {high} in.")
    return int(value)


def optional_float(form, name: str) -> float | None:
    value = (form.get(name) or "").strip().replace(",", ".")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise VolunteerError(name, "Vul een getal in.") from None


def listing_input(form, listing_type: str) -> ListingInput:
    """A :class:`ListingInput` from a posted form; raises VolunteerError naming the field."""
    return ListingInput(
        type=listing_type, title=text(form, "title"), description=text(form, "description"),
        themes=tuple(form.getlist("themes")), kern=text(form, "kern") or None,
        wijk=text(form, "wijk") or None, mode=form.get("mode") or "in_kern",
        schedule_kind=form.get("schedule_kind") or "flexibel",
        date_on=optional_date(form, "date_on"), dagdelen=tuple(form.getlist("dagdelen")),
        hours_per_week=optional_float(form, "hours_per_week"),
        period_start=optional_date(form, "period_start"),
        period_end=optional_date(form, "period_end"),
        requires_vog=bool(form.get("requires_vog")),
        requires_licence=bool(form.get("requires_licence")),
        requires_car=bool(form.get("requires_car")),
        min_age=optional_int(form, "min_age", 0, 99),
        suitable_for=tuple(form.getlist("suitable_for")),
        volunteers_needed=optional_int(form, "volunteers_needed", 1, 500) or 1,
        urgency=form.get("urgency") or "normaal", needed_by=optional_date(form, "needed_by"),
        list_until=optional_date(form, "list_until"),
        contact_name=text(form, "contact_name") or None,
        contact_email=text(form, "contact_email") or None,
        contact_phone=text(form, "contact_phone") or None,
        wants_help_searching=bool(form.get("wants_help_searching")))


def listing_values(listing) -> dict:
    """A listing's values in the shape of a posted form, to fill the edit form."""
    values = {name: getattr(listing, name) for name in (
        "title", "description", "kern", "wijk", "mode", "schedule_kind", "date_on",
        "hours_per_week", "period_start", "period_end", "requires_vog", "requires_licence",
        "requires_car", "min_age", "volunteers_needed", "urgency", "needed_by", "list_until",
        "contact_name", "contact_email", "contact_phone", "wants_help_searching")}
    values = {k: ("" if v is None else v) for k, v in values.items()}
    values.update(themes=list(listing.themes or []), dagdelen=list(listing.dagdelen or []),
                  suitable_for=list(listing.suitable_for or []), type=listing.type,
                  organization=listing.organization_id or "")
    return values


class FormValues(dict):
    """Posted values for re-showing a form: ``values.get(name)`` and ``values.getlist(name)``."""

    @classmethod
    def from_form(cls, form) -> FormValues:
        values = cls()
        for key in form:
            items = form.getlist(key)
            values[key] = items if key in ("themes", "dagdelen", "suitable_for") else items[0]
        return values

    def getlist(self, name: str) -> list:
        value = self.get(name)
        return value if isinstance(value, list) else ([] if value in (None, "") else [value])
