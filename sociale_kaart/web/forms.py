"""Forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from ..models import REPORT_REASONS
from ..services.reports import MAX_COMMENT_CHARS

try:  # wtforms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older wtforms
    SelectChoice = None


def _choices(pairs: dict[str, str]) -> list:
    if SelectChoice is None:  # pragma: no cover
        return list(pairs.items())
    return [SelectChoice(value, label) for value, label in pairs.items()]


class ReportForm(FlaskForm):
    reason = RadioField("Wat klopt er niet?", choices=_choices(REPORT_REASONS),
                        validate_choice=False,
                        validators=[DataRequired("Kies wat er niet klopt."),
                                    AnyOf(list(REPORT_REASONS), "Kies wat er niet klopt.")])
    comment = TextAreaField("Toelichting (niet verplicht). Schrijf hier geen namen of "
                            "telefoonnummers van uzelf.",
                            validators=[Optional(), Length(max=MAX_COMMENT_CHARS)])
