"""Forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from ..models import REPORT_REASONS
from ..services.reports import MAX_COMMENT_CHARS

try:  # wtforms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older wtforms
    SelectChoice = None


#: The labels of REPORT_REASONS, translatable (a reason added there without a line here is
#: shown with its Dutch label).
REASON_LABELS = {
    "adres": lazy_gettext("Het adres klopt niet"),
    "contact": lazy_gettext("Telefoon of e-mail klopt niet"),
    "tijden": lazy_gettext("De tijden kloppen niet"),
    "bestaat_niet": lazy_gettext("Bestaat niet meer"),
    "anders": lazy_gettext("Iets anders"),
}


def _choices(pairs: dict[str, str]) -> list:
    labelled = {value: REASON_LABELS.get(value, label) for value, label in pairs.items()}
    if SelectChoice is None:  # pragma: no cover
        return list(labelled.items())
    return [SelectChoice(value, label) for value, label in labelled.items()]


class ReportForm(FlaskForm):
    reason = RadioField(lazy_gettext("Wat klopt er niet?"), choices=_choices(REPORT_REASONS),
                        validate_choice=False,
                        validators=[DataRequired(lazy_gettext("Kies wat er niet klopt.")),
                                    AnyOf(list(REPORT_REASONS),
                                          lazy_gettext("Kies wat er niet klopt."))])
    comment = TextAreaField(lazy_gettext("Toelichting (niet verplicht). Schrijf hier geen namen "
                                         "of telefoonnummers van uzelf."),
                            validators=[Optional(), Length(
                                max=MAX_COMMENT_CHARS,
                                message=lazy_gettext("Uw toelichting is te lang (meer dan "
                                                     "%(max)d tekens)."))])
