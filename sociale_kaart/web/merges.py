"""Duplicates across sources (``/beheer/dubbelen``): the beheerder decides on proposed merges.

An import that brings a listing we already hold (``services/duplicates.py``) does not create it
twice but leaves a proposal. Here the beheerder sees both versions side by side, picks per field
which one stays and merges, or keeps both as separate listings. The decision is remembered, so
the next import of that source does not ask again. Beheerders only; every form has CSRF.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from ..models import MergeProposal, Service, User
from ..services.duplicates import open_proposals, side_by_side
from ..services.edit_values import describe
from ..services.editing import EditError
from ..services.merging import keep_both, merge
from . import get_db
from .access import role_required

bp = Blueprint("merges", __name__, url_prefix="/beheer/dubbelen")

FIELD_LABELS = {
    "name": lazy_gettext("Naam"),
    "description": lazy_gettext("Omschrijving"),
    "email": lazy_gettext("E-mail"),
    "url": lazy_gettext("Website"),
    "phones": lazy_gettext("Telefoon"),
    "schedules": lazy_gettext("Openingstijden"),
    "service_at_locations": lazy_gettext("Locaties"),
    "cost_options": lazy_gettext("Kosten"),
    "fees_description": lazy_gettext("Uitleg kosten"),
    "application_process": lazy_gettext("Aanmelden"),
    "eligibility_description": lazy_gettext("Uitleg voor wie"),
    "status": lazy_gettext("Status"),
}
#: The label :func:`describe` gives each field.
_DESCRIBED = {"name": "Naam", "description": "Omschrijving", "email": "E-mail",
              "url": "Website", "phones": "Telefoon", "service_at_locations": "Locaties",
              "fees_description": "Uitleg kosten", "application_process": "Aanmelden",
              "eligibility_description": "Uitleg voor wie", "status": "Status"}
#: The detector's reasons (Dutch words in the stored proposal), for the page's language.
REASON_LABELS = {
    "zelfde adres": lazy_gettext("zelfde adres"),
    "in de buurt": lazy_gettext("in de buurt"),
    "ver weg": lazy_gettext("ver weg"),
    "adres onbekend": lazy_gettext("adres onbekend"),
    "zelfde telefoon": lazy_gettext("zelfde telefoonnummer"),
    "zelfde e-mail": lazy_gettext("zelfde e-mailadres"),
    "zelfde website": lazy_gettext("zelfde website"),
    "eerder besloten: samenvoegen": lazy_gettext("eerder besloten: samenvoegen"),
}
_NAME_REASON = re.compile(r"naam (\d+)%")


def _user() -> User:
    return current_user._get_current_object()


def reasons_text(reasons: str) -> str:
    """"naam 92%, zelfde adres" in the page's language."""
    out = []
    for part in (p.strip() for p in (reasons or "").split(",")):
        if not part:
            continue
        match = _NAME_REASON.fullmatch(part)
        if match:
            out.append(gettext("naam lijkt voor %(pct)s%% op elkaar", pct=match.group(1)))
        else:
            out.append(str(REASON_LABELS.get(part, part)))
    return ", ".join(out)


def value_text(field: str, value: Any) -> str:
    """One field's value as plain text, the way the moderation pages show listings."""
    if value in (None, "", []):
        return ""
    if field == "cost_options":
        parts = []
        for option in value:
            amount = " ".join(str(option[k]) for k in ("amount", "currency") if option.get(k))
            text = ": ".join(p for p in (option.get("option", ""), amount) if p)
            if option.get("amount_description"):
                text += f" ({option['amount_description']})"
            parts.append(text)
        return "; ".join(p for p in parts if p)
    if field == "schedules":
        lines = describe({"schedules": value})
        return "; ".join(t for t in (lines["Openingstijden"], lines["Cursusdata"]) if t)
    if field in _DESCRIBED:
        return describe({field: value})[_DESCRIBED[field]]
    return str(value)


def _proposal_or_404(session, proposal_id: int) -> MergeProposal:
    proposal = session.get(MergeProposal, proposal_id)
    if proposal is None:
        abort(404)
    return proposal


@bp.get("")
@role_required("beheerder")
def index():
    """Open proposals, oldest first: what came in, what it looks like, and why."""
    session = get_db().Session()
    try:
        proposals = open_proposals(session)
        names = dict(session.execute(select(Service.id, Service.name).where(
            Service.id.in_({p.existing_id for p in proposals}))).all())
        return render_template("merges/index.html", proposals=proposals, names=names,
                               reasons_text=reasons_text)
    finally:
        session.close()


@bp.get("/<int:proposal_id>")
@role_required("beheerder")
def detail(proposal_id: int):
    """Both versions side by side, one choice per field that differs."""
    session = get_db().Session()
    try:
        proposal = _proposal_or_404(session, proposal_id)
        existing = session.get(Service, proposal.existing_id)
        rows = []
        if proposal.status == "open" and existing is not None:
            rows = [{"field": name, "label": FIELD_LABELS.get(name, name),
                     "old": value_text(name, old), "new": value_text(name, new)}
                    for name, old, new in side_by_side(session, proposal)]
        return render_template("merges/detail.html", proposal=proposal, existing=existing,
                               rows=rows, reasons_text=reasons_text,
                               form=FlaskForm(formdata=None))
    finally:
        session.close()


def _decide(proposal_id: int, decision: str):
    session = get_db().Session()
    try:
        proposal = _proposal_or_404(session, proposal_id)
        if not FlaskForm().validate_on_submit():
            abort(400)
        if proposal.status != "open":
            flash(gettext("Over dit dubbele aanbod is al besloten."))
            return redirect(url_for("merges.index"))
        if session.get(Service, proposal.existing_id) is None:
            flash(gettext("Het bestaande aanbod bestaat niet meer."))
            return redirect(url_for("merges.index"))
        try:
            if decision == "merge":
                fields = [name for name, _old, _new in side_by_side(session, proposal)]
                choices = {name: "incoming" if request.form.get(f"keuze-{name}") == "incoming"
                           else "existing" for name in fields}
                merge(session, proposal, choices, _user())
                message = gettext("Samengevoegd. Het aanbod heeft nu de gekozen gegevens; de "
                                  "volgende import uit deze bron vraagt het niet opnieuw.")
            else:
                keep_both(session, proposal, _user())
                message = gettext("Beide gehouden. Het nieuwe aanbod staat nu apart op de "
                                  "kaart; de volgende import uit deze bron vraagt het niet "
                                  "opnieuw.")
        except EditError as error:
            session.rollback()
            flash(gettext(error.message))
            return redirect(url_for("merges.detail", proposal_id=proposal_id))
        session.commit()
        flash(message)
        return redirect(url_for("merges.index"))
    finally:
        session.close()


@bp.post("/<int:proposal_id>/samenvoegen")
@role_required("beheerder")
def merge_proposal(proposal_id: int):
    return _decide(proposal_id, "merge")


@bp.post("/<int:proposal_id>/beide-houden")
@role_required("beheerder")
def keep_both_proposal(proposal_id: int):
    return _decide(proposal_id, "keep_both")
