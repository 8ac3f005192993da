"""Work lists: "Klopt er iets niet?" reports, and listings nobody confirmed for a long time.

* ``/beheer/meldingen``: moderators and beheerders see every report;
* ``/aanbieder/meldingen``: a provider sees the reports on their own organisations' listings
  only, and can only mark those as handled (someone else's: 403);
* ``/beheer/actualiteit``: listings not confirmed for 6 months (see
  :mod:`sociale_kaart.services.freshness`), the beheerder's to-do list.

Reports are anonymous (nothing about the sender is stored), so these pages show no sender.
Marking a report handled is a POST with a CSRF token; a link would let a crawler or a
prefetching browser handle reports.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Membership, Organization, Report, Service, User, utcnow
from ..search.engine import is_stale
from ..services.freshness import (
    PUBLIC_STALE_DAYS,
    REMIND_MONTHS,
    last_reminders,
    possibly_outdated,
    stale_services,
)
from . import get_db, get_settings
from .access import can_edit_organization, role_required
from .forms import REASON_LABELS

bp = Blueprint("queues", __name__)

STATUSES = ("open", "handled")


def _status() -> str:
    status = request.args.get("status", "open")
    return status if status in STATUSES else "open"


def _reports(session: Session, status: str, organization_ids: set[str] | None) -> list:
    query = (select(Report, Service.name, Organization.name)
             .join(Service, Report.service_id == Service.id)
             .join(Organization, Service.organization_id == Organization.id)
             .where(Report.status == status))
    if organization_ids is not None:
        query = query.where(Service.organization_id.in_(organization_ids))
    order = Report.created_at.asc() if status == "open" else Report.handled_at.desc()
    return list(session.execute(query.order_by(order, Report.id)).all())


def _counts(session: Session, organization_ids: set[str] | None) -> dict[str, int]:
    query = (select(Report.status, func.count()).join(Service, Report.service_id == Service.id)
             .group_by(Report.status))
    if organization_ids is not None:
        query = query.where(Service.organization_id.in_(organization_ids))
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(dict(session.execute(query).all()))
    return counts


def _queue(organization_ids: set[str] | None, endpoint: str, handle_endpoint: str):
    status = _status()
    db_session = get_db().Session()
    try:
        return render_template(
            "queues/reports.html", rows=_reports(db_session, status, organization_ids),
            counts=_counts(db_session, organization_ids), status=status,
            reason_labels=REASON_LABELS, endpoint=endpoint, handle_endpoint=handle_endpoint,
            for_provider=organization_ids is not None)
    finally:
        db_session.close()


def _mark_handled(report_id: int, back: str):
    """Mark one report handled, if the signed-in user may edit its organisation."""
    db_session = get_db().Session()
    try:
        report = db_session.get(Report, report_id)
        if report is None:
            abort(404)
        service = db_session.get(Service, report.service_id)
        if service is None or not can_edit_organization(service.organization_id):
            abort(403)
        if report.status != "handled":
            report.status = "handled"
            report.handled_at = utcnow()
            db_session.commit()
        flash(gettext("De melding over “%(name)s” is afgehandeld.", name=service.name))
    finally:
        db_session.close()
    return redirect(url_for(back, status=_status()))


@bp.get("/beheer/meldingen")
@role_required("moderator")
def admin_reports():
    """Every report, open or handled."""
    return _queue(None, "queues.admin_reports", "queues.admin_handle")


@bp.post("/beheer/meldingen/<int:report_id>/afgehandeld")
@role_required("moderator")
def admin_handle(report_id: int):
    return _mark_handled(report_id, "queues.admin_reports")


@bp.get("/aanbieder/meldingen")
@role_required("provider")
def provider_reports():
    """The reports on the provider's own organisations' listings."""
    return _queue(set(current_user.organization_ids), "queues.provider_reports",
                  "queues.provider_handle")


@bp.post("/aanbieder/meldingen/<int:report_id>/afgehandeld")
@role_required("provider")
def provider_handle(report_id: int):
    return _mark_handled(report_id, "queues.provider_reports")


@bp.get("/beheer/actualiteit")
@role_required("moderator")
def freshness():
    """Listings nobody confirmed for 6 months, oldest first, with the last reminder sent and
    whether their provider has an account to receive one."""
    today = get_settings().today_or_now()
    db_session = get_db().Session()
    try:
        stale = stale_services(db_session, today, REMIND_MONTHS)
        reminded = last_reminders(db_session, [item.service.id for item in stale])
        with_accounts = set(db_session.scalars(
            select(Membership.organization_id).join(User, Membership.user_id == User.id)
            .where(User.role == "provider", User.active.is_(True),
                   User.password_hash.is_not(None))))
        rows = [{"service": item.service, "checked": item.checked,
                 "reminded": reminded.get(item.service.id),
                 "has_account": item.service.organization_id in with_accounts,
                 "public_warning": possibly_outdated(item.service, today)}
                for item in stale]
        return render_template("queues/freshness.html", rows=rows, today=today,
                               months=REMIND_MONTHS, public_months=PUBLIC_STALE_DAYS // 30)
    finally:
        db_session.close()


def outdated_listing(listing: Service | dict, today: date | None = None) -> bool:
    """Template helper: show residents "Mogelijk niet meer actueel"? Takes a ``Service`` (the
    detail page) or a search hit's ``meta`` (result cards), so both pages and the ranking
    penalty (``engine.is_stale``) use one rule."""
    today = today or get_settings().today_or_now()
    if isinstance(listing, dict):
        return is_stale(listing, today)
    return possibly_outdated(listing, today)


bp.add_app_template_global(outdated_listing, "outdated_listing")
