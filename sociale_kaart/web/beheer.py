"""The municipality's side (``/beheer``): moderation of providers' changes for moderators and
beheerders, and a listing's history with "revert" for beheerders only.

The queues of reports (``/beheer/meldingen``) and of listings to check (``/beheer/actualiteit``)
are separate pages; the dashboard only counts what waits and links there.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import HiddenField, TextAreaField

from ..models import ChangeRecord, MergeProposal, PendingChange, Report, Service, User
from ..services.audit import history as change_history
from ..services.edit_values import field_diff
from ..services.editing import EditError, pending_diff, publish_pending, reject_pending, revert
from ..services.provenance import sources_of
from . import get_db, get_settings
from .access import has_at_least, role_required

bp = Blueprint("beheer", __name__, url_prefix="/beheer")

SOURCE_LABELS = {"import": _l("import"), "provider": _l("aanbieder"),
                 "moderator": _l("moderator"), "beheerder": _l("beheerder"),
                 "system": _l("systeem")}
ACTION_LABELS = {"create": _l("toegevoegd"), "update": _l("gewijzigd"),
                 "publish": _l("goedgekeurd en geplaatst"), "reject": _l("afgewezen"),
                 "conflict": _l("niet opgeslagen: iemand anders was eerder"),
                 "revert": _l("teruggezet"), "confirm": _l("bevestigd: nog steeds juist"),
                 "inactive": _l("op niet actief gezet"),
                 "course-add": _l("cursusdatum toegevoegd"),
                 "course-change": _l("cursusdatum gewijzigd"),
                 "course-cancel": _l("cursusdatum gaat niet door"),
                 "course-restore": _l("cursusdatum gaat weer door"),
                 "merge": lazy_gettext("samengevoegd met dubbel aanbod uit een import")}
#: Kinds of provenance (``ServiceSource.source_kind``) and the portal as a source.
KIND_LABELS = {**SOURCE_LABELS, "provider": lazy_gettext("aanbieder (portaal)"),
               "moderator": lazy_gettext("moderator (portaal)"),
               "beheerder": lazy_gettext("beheerder (portaal)")}


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Waarom wijst u deze wijziging af? De aanbieder krijgt deze "
                              "uitleg per e-mail."))


class RevertForm(FlaskForm):
    use = HiddenField()


def _user() -> User:
    return current_user._get_current_object()


def _path_or_link(endpoint: str, fallback: str) -> str:
    """A link to a page another part of the app provides, while it may not exist yet."""
    if endpoint in current_app.view_functions:
        return url_for(endpoint)
    return fallback


@bp.get("/")
@role_required("moderator")
def dashboard():
    """What waits: changes to moderate, open reports, listings nobody confirmed lately."""
    session = get_db().Session()
    try:
        pending = session.scalar(select(func.count(PendingChange.id))
                                 .where(PendingChange.status == "pending"))
        reports = session.scalar(select(func.count(Report.id)).where(Report.status == "open"))
        stale = None
        try:
            from ..services.freshness import stale_services
        except ImportError:  # pragma: no cover - built by another part of the project
            stale_services = None
        if stale_services is not None:
            stale = len(stale_services(session, get_settings().today_or_now()))
        merges = session.scalar(select(func.count(MergeProposal.id)).where(
            MergeProposal.status == "open")) if has_at_least("beheerder") else None
        return render_template("beheer/dashboard.html", pending=pending, reports=reports,
                               stale=stale, merges=merges, reports_url=_path_or_link(
                                   "queues.admin_reports", "/beheer/meldingen"),
                               stale_url=_path_or_link("queues.freshness",
                                                       "/beheer/actualiteit"))
    finally:
        session.close()


@bp.get("/moderatie")
@role_required("moderator")
def queue():
    """Changes and new listings waiting for a moderator, oldest first."""
    session = get_db().Session()
    try:
        items = list(session.scalars(select(PendingChange).where(
            PendingChange.status == "pending").order_by(PendingChange.submitted_at)))
        names = {s.id: s.name for s in session.scalars(select(Service).where(
            Service.id.in_([i.service_id for i in items])))}
        users = {u.id: u.email for u in session.scalars(select(User).where(
            User.id.in_([i.submitted_by for i in items if i.submitted_by])))}
        return render_template("beheer/queue.html", items=items, names=names, users=users)
    finally:
        session.close()


def _pending_or_404(session, pending_id: int) -> PendingChange:
    pending = session.get(PendingChange, pending_id)
    if pending is None:
        abort(404)
    return pending


def _pending_page(session, pending: PendingChange, form: RejectForm | None = None,
                  status: int = 200):
    submitter = session.get(User, pending.submitted_by) if pending.submitted_by else None
    service = session.get(Service, pending.service_id)
    rows = pending_diff(session, pending) if pending.status == "pending" else []
    return render_template("beheer/pending.html", pending=pending, rows=rows,
                           submitter=submitter, service=service,
                           form=form or RejectForm(formdata=None),
                           publish_form=FlaskForm(formdata=None)), status


@bp.get("/moderatie/<int:pending_id>")
@role_required("moderator")
def pending_detail(pending_id: int):
    """One waiting change, field by field: what is on the map now and what would be."""
    session = get_db().Session()
    try:
        return _pending_page(session, _pending_or_404(session, pending_id))
    finally:
        session.close()


@bp.post("/moderatie/<int:pending_id>/plaatsen")
@role_required("moderator")
def publish(pending_id: int):
    session = get_db().Session()
    try:
        _pending_or_404(session, pending_id)
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            publish_pending(session, pending_id, _user())
        except EditError as error:
            session.rollback()
            flash(gettext(error.message))
            return redirect(url_for("beheer.pending_detail", pending_id=pending_id))
        session.commit()
        flash(gettext("De wijziging is geplaatst. Inwoners zien nu de nieuwe versie."))
        return redirect(url_for("beheer.queue"))
    finally:
        session.close()


@bp.post("/moderatie/<int:pending_id>/afwijzen")
@role_required("moderator")
def reject(pending_id: int):
    session = get_db().Session()
    try:
        pending = _pending_or_404(session, pending_id)
        form = RejectForm()
        if not form.validate_on_submit():
            abort(400)
        try:
            mailed = reject_pending(session, pending_id, _user(), form.reason.data or "",
                                    settings=get_settings(),
                                    link=get_settings().base_url + url_for("provider.dashboard"))
        except EditError as error:
            session.rollback()
            form.reason.errors = [gettext(error.message)]
            return _pending_page(session, pending, form, 400)
        session.commit()
        flash(gettext("De wijziging is afgewezen. De aanbieder heeft een e-mail met de reden "
                      "gekregen.") if mailed else
              gettext("De wijziging is afgewezen. Er is geen e-mail verstuurd (er is geen "
                      "mailserver ingesteld); de aanbieder ziet de reden in het portaal."))
        return redirect(url_for("beheer.queue"))
    finally:
        session.close()


@bp.get("/aanbod/<service_id>/geschiedenis")
@role_required("beheerder")
def history(service_id: str):
    """Every change to a listing: who, when, through which channel, and what changed."""
    if len(service_id) > 64:
        abort(404)
    session = get_db().Session()
    try:
        service = session.get(Service, service_id)
        records = change_history(session, service_id)
        if service is None and not records:
            abort(404)
        entries = [(record, field_diff(record.before, record.after)) for record in records]
        return render_template("beheer/history.html", service=service, entries=entries,
                               service_id=service_id, source_labels=SOURCE_LABELS,
                               action_labels=ACTION_LABELS,
                               sources=sources_of(session, service_id),
                               kind_labels=KIND_LABELS)
    finally:
        session.close()


@bp.post("/aanbod/<service_id>/geschiedenis/<int:change_id>/terugzetten")
@role_required("beheerder")
def revert_change(service_id: str, change_id: int):
    """Put back the listing as it was before (or after) one change."""
    session = get_db().Session()
    try:
        form = RevertForm()
        if not form.validate_on_submit() or form.use.data not in ("before", "after"):
            abort(400)
        record = session.get(ChangeRecord, change_id)
        if record is None or record.service_id != service_id:
            abort(404)
        try:
            revert(session, change_id, _user(), use=form.use.data)
        except EditError as error:
            session.rollback()
            flash(gettext(error.message))
            return redirect(url_for("beheer.history", service_id=service_id))
        session.commit()
        flash(gettext("De versie is teruggezet. Inwoners zien nu deze versie."))
        return redirect(url_for("beheer.history", service_id=service_id))
    finally:
        session.close()
