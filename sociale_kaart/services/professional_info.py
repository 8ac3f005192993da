"""Professional-only information of a service: reading, checking and saving it.

The provider portal writes it, the workspace and the detail page for signed-in consultants read
it. Nothing here is ever passed to the search index, the HSDS API, exports or feeds; see
:mod:`sociale_kaart.models.professional`. Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import PROFESSIONAL_FIELDS, ServiceProfessional, utcnow

#: Waiting-time filter of the workspace: at most this many weeks (0: no waiting list).
WAITING_CHOICES = (0, 2, 4, 8)
MAX_WAITING_WEEKS = 104
TEXT_LIMIT = 2000
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE_RE = re.compile(r"[0-9+()\- ]{6,30}")


@dataclass
class ProfessionalValues:
    """The form's text, before checking."""

    phone: str = ""
    email: str = ""
    intake_criteria: str = ""
    waiting_weeks: str = ""
    how_to_refer: str = ""
    notes: str = ""


def info_for(session: Session, service_id: str) -> ServiceProfessional | None:
    return session.get(ServiceProfessional, service_id)


def infos_for(session: Session, service_ids: Iterable[str]) -> dict[str, ServiceProfessional]:
    ids = list(dict.fromkeys(service_ids))
    if not ids:
        return {}
    return {row.service_id: row for row in session.scalars(
        select(ServiceProfessional).where(ServiceProfessional.service_id.in_(ids)))}


def ids_waiting_at_most(session: Session, weeks: int) -> frozenset[str]:
    """Services whose known waiting time is at most ``weeks`` (unknown ones are left out)."""
    return frozenset(session.scalars(select(ServiceProfessional.service_id).where(
        ServiceProfessional.waiting_weeks.is_not(None),
        ServiceProfessional.waiting_weeks <= weeks)))


def values_of(row: ServiceProfessional | None) -> ProfessionalValues:
    if row is None:
        return ProfessionalValues()
    return ProfessionalValues(**{name: "" if getattr(row, name) is None else
                                 str(getattr(row, name)) for name in PROFESSIONAL_FIELDS})


def check(values: ProfessionalValues) -> tuple[dict, dict]:
    """Clean values and errors (translatable messages, per field)."""
    errors: dict = {}
    clean: dict = {}
    for name in PROFESSIONAL_FIELDS:
        text = " ".join((getattr(values, name) or "").split()) if name in (
            "phone", "email", "waiting_weeks") else (getattr(values, name) or "").strip()
        if len(text) > TEXT_LIMIT:
            errors[name] = lazy_gettext("Deze tekst is te lang (meer dan 2000 tekens).")
        clean[name] = text or None
    if clean["phone"] and not PHONE_RE.fullmatch(clean["phone"]):
        errors["phone"] = lazy_gettext("Vul een telefoonnummer in, bijvoorbeeld 0183 123 456.")
    if clean["email"] and not EMAIL_RE.fullmatch(clean["email"]):
        errors["email"] = lazy_gettext("Vul een geldig e-mailadres in.")
    weeks = clean["waiting_weeks"]
    if weeks is not None:
        if not weeks.isdigit() or int(weeks) > MAX_WAITING_WEEKS:
            errors["waiting_weeks"] = lazy_gettext(
                "Vul het aantal weken in als een heel getal (0 tot 104).")
        else:
            clean["waiting_weeks"] = int(weeks)
    return clean, errors


def save(session: Session, service_id: str, values: ProfessionalValues,
         user_id: int | None) -> dict:
    """Check and store; returns the errors (nothing is stored when there are any)."""
    clean, errors = check(values)
    if errors:
        return errors
    row = session.get(ServiceProfessional, service_id)
    if row is None:
        row = ServiceProfessional(service_id=service_id)
        session.add(row)
    for name, value in clean.items():
        setattr(row, name, value)
    row.updated_by = user_id
    row.updated_at = utcnow()
    session.flush()
    return {}
