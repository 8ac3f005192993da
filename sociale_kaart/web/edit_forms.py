"""The portal's forms (Flask-WTF, so each carries a CSRF token) and their translation to and
from :class:`~sociale_kaart.services.edit_values.EditValues`.

The forms only collect text; every rule lives in ``services/edit_values.py`` (the importers'
validation plus form checks), so the messages are the same wherever a listing is changed.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask_babel import lazy_gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

try:  # wtforms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older wtforms
    SelectChoice = None

from ..i18n import term_name
from ..services.edit_values import (
    EDIT_STATUSES,
    LANGUAGES,
    WEEKDAYS,
    EditValues,
    HoursRow,
    LocationRow,
)
from ..services.taxonomy import terms_by_facet

STATUS_CHOICES = {"active": _l("Actief: inwoners kunnen er terecht"),
                  "temporarily closed": _l("Tijdelijk gesloten"),
                  "inactive": _l("Niet actief: het aanbod is gestopt"),
                  "defunct": _l("Bestaat niet meer")}
DAY_CHOICES = {"MO": _l("maandag"), "TU": _l("dinsdag"), "WE": _l("woensdag"),
               "TH": _l("donderdag"), "FR": _l("vrijdag"), "SA": _l("zaterdag"),
               "SU": _l("zondag")}
def as_choices(pairs) -> list:
    pairs = list(pairs)
    return pairs if SelectChoice is None else [SelectChoice(v, label) for v, label in pairs]


#: Empty rows offered for new opening hours.
EXTRA_HOURS_ROWS = 2


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (the template puts them in a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class HoursForm(Form):
    origin = HiddenField()
    weekday = SelectField(_l("Dag"), validate_choice=False,
                          choices=as_choices([("", _l("(geen)"))]
                                           + [(d, DAY_CHOICES[d]) for d in WEEKDAYS]))
    opens = StringField(_l("Van (bijvoorbeeld 09:00)"))
    closes = StringField(_l("Tot (bijvoorbeeld 12:30)"))
    description = StringField(_l("Toelichting (niet verplicht)"))


class LocationForm(Form):
    id = HiddenField()
    name = StringField(_l("Naam van de plek (bijvoorbeeld: Dorpshuis De Kern)"))
    street = StringField(_l("Straat en huisnummer"))
    postal_code = StringField(_l("Postcode"))
    city = StringField(_l("Plaats"))


class ServiceForm(FlaskForm):
    version = HiddenField()
    name = StringField(_l("Naam van het aanbod"))
    description = TextAreaField(_l("Omschrijving"))
    status = RadioField(_l("Status"), validate_choice=False)
    levensgebieden = MultiCheckboxField(_l("Onderwerpen"), validate_choice=False)
    soort = SelectField(_l("Soort aanbod"), validate_choice=False)
    toegang = SelectField(_l("Toegang"), validate_choice=False)
    kosten = SelectField(_l("Kosten"), validate_choice=False)
    fees_description = TextAreaField(_l("Uitleg over de kosten (niet verplicht)"))
    doelgroepen = MultiCheckboxField(_l("Voor wie is het?"), validate_choice=False)
    eligibility_description = TextAreaField(_l("Uitleg voor wie het is (niet verplicht)"))
    minimum_age = StringField(_l("Vanaf leeftijd (niet verplicht)"))
    maximum_age = StringField(_l("Tot en met leeftijd (niet verplicht)"))
    application_process = TextAreaField(_l("Hoe meldt iemand zich aan?"))
    alert = TextAreaField(_l("Let op-melding (niet verplicht)"))
    phone = StringField(_l("Telefoonnummer"))
    email = StringField(_l("E-mailadres"))
    url = StringField(_l("Website"))
    languages = MultiCheckboxField(_l("Talen"), validate_choice=False)
    service_areas = StringField(_l("Werkgebied: gemeenten (niet verplicht)"))
    hours = FieldList(FormField(HoursForm), _l("Openingstijden"))
    locations = FieldList(FormField(LocationForm), _l("Locaties"))


class NewServiceForm(ServiceForm):
    organization = SelectField(_l("Organisatie"), validate_choice=False)


class SessionForm(FlaskForm):
    """One course session: dates, weekday, times and places."""

    version = HiddenField()
    start = StringField(_l("Eerste datum"))
    end = StringField(_l("Laatste datum"))
    weekday = SelectField(_l("Dag van de week (niet verplicht)"), validate_choice=False,
                          choices=as_choices([("", _l("(geen vaste dag)"))]
                                           + [(d, DAY_CHOICES[d]) for d in WEEKDAYS]))
    opens = StringField(_l("Begintijd (bijvoorbeeld 19:30)"))
    closes = StringField(_l("Eindtijd (bijvoorbeeld 21:30)"))
    session_count = StringField(_l("Aantal bijeenkomsten (niet verplicht)"))
    places = StringField(_l("Aantal plaatsen (niet verplicht)"))
    places_left = StringField(_l("Plaatsen nog vrij (niet verplicht)"))


class VersionForm(FlaskForm):
    """A button that changes a listing: only the version it saw (and the CSRF token)."""

    version = HiddenField()


def _terms(facet: str) -> list[tuple[str, str]]:
    return [(code, term_name(term)) for code, term in terms_by_facet()[facet].items()]


def setup_choices(form: ServiceForm, languages: list[str] | None = None,
                  status: str | None = None) -> None:
    """Fill the choice lists (they depend on the taxonomy, the language and the listing)."""
    form.status.choices = as_choices((key, label) for key, label in STATUS_CHOICES.items()
                                   if key in EDIT_STATUSES or key == status)
    form.levensgebieden.choices = as_choices(_terms("levensgebied"))
    form.doelgroepen.choices = as_choices(_terms("doelgroep"))
    for name, facet in (("soort", "soort"), ("toegang", "toegang"), ("kosten", "kosten")):
        getattr(form, name).choices = as_choices([("", _l("(niet gekozen)")), *_terms(facet)])
    codes = dict(LANGUAGES)
    for code in languages or []:
        codes.setdefault(code, code)
    form.languages.choices = as_choices(codes.items())


def form_data(values: EditValues, version: int | None) -> dict[str, Any]:
    """Initial data of a :class:`ServiceForm` for a listing's values."""
    data = asdict(values)
    data["service_areas"] = ", ".join(values.service_areas)
    data["hours"] = [asdict(row) for row in values.hours] + [{}] * EXTRA_HOURS_ROWS
    data["locations"] = [asdict(row) for row in values.locations] + [{}]
    data["version"] = "" if version is None else str(version)
    return data


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def values_from_form(form: ServiceForm) -> EditValues:
    """The form's submitted values."""
    values = EditValues()
    for key in ("name", "description", "url", "email", "phone", "application_process",
                "fees_description", "eligibility_description", "minimum_age", "maximum_age",
                "alert", "status", "soort", "toegang", "kosten"):
        setattr(values, key, _text(getattr(form, key).data).strip())
    for key in ("levensgebieden", "doelgroepen", "languages"):
        setattr(values, key, [v for v in getattr(form, key).data or [] if isinstance(v, str)])
    values.service_areas = [part.strip() for part in _text(form.service_areas.data).split(",")
                            if part.strip()]
    # Through ``entry.form``: a FormField's own attributes (id, name, description) would
    # shadow the subfields of the same name.
    values.hours = [HoursRow(_text(row.weekday.data), _text(row.opens.data).strip(),
                             _text(row.closes.data).strip(), _text(row.description.data).strip(),
                             _text(row.origin.data)) for row in (e.form for e in form.hours)]
    values.locations = [LocationRow(_text(row.id.data), _text(row.name.data),
                                    _text(row.street.data), _text(row.postal_code.data),
                                    _text(row.city.data))
                        for row in (e.form for e in form.locations)]
    return values


def all_fields(form: Form) -> list:
    """Every field of a form, nested rows included (to put errors on them by id)."""
    fields = []
    for item in form:
        if isinstance(item, FieldList):
            for entry in item:
                fields.extend(all_fields(entry.form) if isinstance(entry, FormField) else [entry])
        elif isinstance(item, FormField):
            fields.extend(all_fields(item.form))
        fields.append(item)
    return fields


def attach_errors(form: Form, errors: dict[str, str]) -> list[str]:
    """Put each message on the field with that id; return those that fit no field."""
    by_id = {f.id: f for f in all_fields(form)}
    general = []
    for key, message in errors.items():
        target = by_id.get(key)
        if target is None:
            general.append(message)
        elif isinstance(target, FieldList | FormField):
            general.append(f"{target.label.text}: {message}")
        else:
            target.errors = [*list(target.errors or []), message]
    return general


class ProfessionalForm(FlaskForm):
    """What only signed-in professionals see (``service_professional``); never public."""

    phone = StringField(lazy_gettext("Direct telefoonnummer voor professionals"))
    email = StringField(lazy_gettext("E-mailadres voor professionals"))
    intake_criteria = TextAreaField(lazy_gettext("Toelatingscriteria"))
    waiting_weeks = StringField(lazy_gettext("Wachttijd in weken (0 als er geen wachttijd is)"))
    how_to_refer = TextAreaField(lazy_gettext("Zo verwijst een professional"))
    notes = TextAreaField(lazy_gettext("Notities voor professionals"))
