"""The provider portal (``/aanbieder``): a provider keeps the listings of their organisation(s)
current. Moderators and beheerders may use the same editor for any organisation.

Every route checks the role and, for a listing, the organisation (``can_edit_organization``);
every change is a POST with a CSRF token. The rules (validation, moderation, conflicts, audit)
live in ``services/editing.py``; the views only translate between forms and those functions.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Organization, PendingChange, Service, User
from ..services.courses import participants_for, record_participants
from ..services.edit_values import (
    STATUS_LABELS,
    SessionValues,
    check_session,
    facet_codes,
    field_diff,
    is_course_session,
    session_values_from,
    values_from,
    with_gated,
)
from ..services.editing import (
    SESSIONS_KEY,
    EditError,
    EditResult,
    cancel_session,
    canonical,
    confirm_current,
    create_service,
    latest_pending,
    may_publish,
    new_listing,
    save_edit,
    save_session,
    set_inactive,
    snapshot,
    validate_edit,
    write_preview,
)
from ..services.listings import load_listing
from ..services.professional_info import ProfessionalValues, info_for, values_of
from ..services.professional_info import save as save_professional
from . import get_db, get_settings
from .access import can_edit_organization, role_required
from .edit_forms import (
    NewServiceForm,
    ProfessionalForm,
    ServiceForm,
    SessionForm,
    VersionForm,
    as_choices,
    attach_errors,
    form_data,
    setup_choices,
    values_from_form,
)

bp = Blueprint("provider", __name__, url_prefix="/aanbieder")

editor_required = role_required("provider", "moderator")
WAITING_LABELS = {"name": "de naam", "description": "de omschrijving",
                  "categories": "de onderwerpen", "access": "de toegang"}


def _user() -> User:
    return current_user._get_current_object()


def _listing_or_abort(session: Session, service_id: str) -> Service:
    if len(service_id) > 64:
        abort(404)
    service = session.get(Service, service_id)
    if service is None:
        abort(404)
    if not can_edit_organization(service.organization_id):
        abort(403)
    return service


def _version(form) -> int:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        abort(400)


def _saved_message(result: EditResult) -> str:
    waiting = ", ".join(gettext(WAITING_LABELS[k]) for k in sorted(result.waiting))
    if result.status == "pending":
        return gettext("Uw wijziging wacht op controle door een moderator. Inwoners zien nog "
                       "de oude versie.")
    if result.status == "partly":
        return gettext("Uw wijzigingen staan op de kaart. Alleen de wijziging van %(fields)s "
                       "wacht nog op controle door een moderator.", fields=waiting)
    if result.status == "unchanged":
        return gettext("Er was niets veranderd. Er is niets opgeslagen.")
    return gettext("Uw wijzigingen staan op de kaart.")


@bp.get("/")
@editor_required
def dashboard():
    """The provider's listings per organisation: status, waiting changes, last confirmed."""
    user = _user()
    if user.role != "provider":
        return redirect(url_for("beheer.dashboard"))
    session = get_db().Session()
    try:
        organizations = list(session.scalars(
            select(Organization).where(Organization.id.in_(user.organization_ids))
            .order_by(Organization.name)))
        services = defaultdict(list)
        for service in session.scalars(select(Service).where(
                Service.organization_id.in_(user.organization_ids)).order_by(Service.name)):
            services[service.organization_id].append(service)
        waiting = dict(session.execute(
            select(PendingChange.service_id, func.count(PendingChange.id))
            .where(PendingChange.organization_id.in_(user.organization_ids),
                   PendingChange.status == "pending", PendingChange.is_new.is_(False))
            .group_by(PendingChange.service_id)).all())
        new_waiting = list(session.scalars(select(PendingChange).where(
            PendingChange.organization_id.in_(user.organization_ids),
            PendingChange.status == "pending", PendingChange.is_new.is_(True))))
        rejected = list(session.scalars(select(PendingChange).where(
            PendingChange.organization_id.in_(user.organization_ids),
            PendingChange.status == "rejected").order_by(PendingChange.decided_at.desc())
            .limit(10)))
        return render_template("provider/dashboard.html", organizations=organizations,
                               services=services, waiting=waiting, new_waiting=new_waiting,
                               rejected=rejected, status_labels=STATUS_LABELS,
                               action_form=VersionForm(),
                               reports_url=url_for("queues.provider_reports")
                               if "queues.provider_reports" in current_app.view_functions
                               else None)
    finally:
        session.close()


# -- the edit form ----------------------------------------------------------------------------

def _form_values(session: Session, service: Service, before: dict):
    """The form's start: the listing, with a waiting proposal of this provider's organisation
    shown in place of the published name, description, categories and access."""
    notice = None
    current = canonical(before)
    if not may_publish(_user()):
        pending = latest_pending(session, service.id)
        if pending is not None:
            current = with_gated(current, pending.proposed)
            notice = gettext("Een eerdere wijziging wacht nog op controle. U ziet hier de "
                             "voorgestelde tekst; inwoners zien nog de oude versie.")
    return values_from(current), notice


def _render_edit(form: ServiceForm, service: Service | None, *, status: int = 200,
                 general: list[str] | None = None, notice: str | None = None):
    new_id = request.form.get("new_id") or str(uuid.uuid4()) if service is None else None
    return render_template("provider/edit.html", form=form, s=service, general=general or [],
                           notice=notice, can_publish=may_publish(_user()),
                           new_id=new_id), status


def _preview(session: Session, proposed: dict, form, service: Service | None):
    """The public detail page of the proposal, written into the session only for this render
    and rolled back: nothing is saved and the search index hears nothing."""
    from .public import _json_ld

    try:
        write_preview(session, proposed)
        listing = load_listing(session, proposed["id"])
        return render_template("provider/preview.html", listing=listing, s=listing.service,
                               siblings=[], json_ld=_json_ld(listing), detail_map=None,
                               today=get_settings().today_or_now(), form=form,
                               editing=service is not None,
                               new_id=None if service else proposed["id"])
    finally:
        session.rollback()


@bp.route("/aanbod/<service_id>/bewerken", methods=["GET", "POST"])
@editor_required
def edit(service_id: str):
    """Edit every field a resident sees; 'Voorbeeld' shows the public page without saving."""
    session = get_db().Session()
    try:
        service = _listing_or_abort(session, service_id)
        before = snapshot(session, service)
        languages = [lang.get("code") for lang in before.get("languages", [])]
        if request.method == "GET":
            values, notice = _form_values(session, service, before)
            form = ServiceForm(data=form_data(values, service.version))
            setup_choices(form, languages, before.get("status"))
            return _render_edit(form, service, notice=notice)
        form = ServiceForm()
        setup_choices(form, languages, before.get("status"))
        if not form.validate_on_submit():
            return _render_edit(form, service, status=400)
        values = values_from_form(form)
        action = request.form.get("action", "opslaan")
        if action == "bewerken":
            return _render_edit(form, service)
        if action == "voorbeeld":
            proposed, errors = validate_edit(values, before)
            if proposed is None:
                return _render_edit(form, service, status=400,
                                    general=attach_errors(form, errors))
            return _preview(session, proposed, form, service)
        result = save_edit(session, service_id, _user(), values, _version(form))
        if result.status == "invalid":
            session.rollback()
            return _render_edit(form, service, status=400,
                                general=attach_errors(form, result.errors))
        session.commit()
        if result.status == "conflict":
            return _conflict_page(result)
        flash(_saved_message(result))
        return redirect(url_for("provider.dashboard") if _user().role == "provider"
                        else url_for("provider.edit", service_id=service_id))
    finally:
        session.close()


def _conflict_page(result: EditResult):
    rows = field_diff(result.current, result.mine)
    return render_template("provider/conflict.html", rows=rows, result=result,
                           name=(result.current or {}).get("name", "")), 409


@bp.route("/aanbod/nieuw", methods=["GET", "POST"])
@editor_required
def new():
    """Add a listing for one of the provider's organisations."""
    user = _user()
    session = get_db().Session()
    try:
        asked = request.args.get("organisatie")
        if asked is not None and not can_edit_organization(asked[:64]):
            abort(403)
        if user.role == "provider":
            organizations = list(session.scalars(select(Organization).where(
                Organization.id.in_(user.organization_ids)).order_by(Organization.name)))
        else:
            wanted = request.args.get("organisatie") or request.form.get("organization", "")
            organizations = [o for o in [session.get(Organization, wanted[:64])] if o]
            if not organizations:
                abort(404)
        form = NewServiceForm(data=form_data(values_from({}), None)
                              if request.method == "GET" else None)
        setup_choices(form)
        form.organization.choices = as_choices((o.id, o.name) for o in organizations)
        if request.method == "GET":
            form.organization.data = request.args.get("organisatie") or \
                (organizations[0].id if organizations else "")
            return _render_edit(form, None)
        if not form.validate_on_submit():
            return _render_edit(form, None, status=400)
        organization_id = form.organization.data
        if organization_id not in {o.id for o in organizations} or \
                not can_edit_organization(organization_id):
            abort(403)
        values = values_from_form(form)
        action = request.form.get("action", "opslaan")
        if action == "bewerken":
            return _render_edit(form, None)
        service_id = request.form.get("new_id") or str(uuid.uuid4())
        try:
            service_id = str(uuid.UUID(service_id))
        except ValueError:
            abort(400)
        if action == "voorbeeld":
            proposed, errors = validate_edit(values, new_listing(session, organization_id,
                                                                 service_id))
            if proposed is None:
                return _render_edit(form, None, status=400,
                                    general=attach_errors(form, errors))
            return _preview(session, proposed, form, None)
        try:
            result = create_service(session, organization_id, user, values, service_id)
        except EditError as error:
            session.rollback()
            return _render_edit(form, None, status=400, general=[gettext(error.message)])
        if result.status == "invalid":
            session.rollback()
            return _render_edit(form, None, status=400,
                                general=attach_errors(form, result.errors))
        session.commit()
        if result.status == "pending":
            flash(gettext("Het nieuwe aanbod wacht op controle door een moderator. Daarna "
                          "kunnen inwoners het vinden."))
            return redirect(url_for("provider.dashboard") if user.role == "provider"
                            else url_for("beheer.dashboard"))
        flash(gettext("Het nieuwe aanbod staat op de kaart."))
        return redirect(url_for("provider.edit", service_id=service_id))
    finally:
        session.close()


# -- one-button changes -------------------------------------------------------------------------

@bp.post("/aanbod/<service_id>/niet-actief")
@editor_required
def deactivate(service_id: str):
    """Mark a listing as stopped; residents see it is no longer active."""
    session = get_db().Session()
    try:
        _listing_or_abort(session, service_id)
        form = VersionForm()
        if not form.validate_on_submit():
            abort(400)
        result = set_inactive(session, service_id, _user(), _version(form))
        session.commit()
        if result.status == "conflict":
            return _conflict_page(result)
        flash(gettext("Het aanbod staat nu op 'niet actief'."))
        return redirect(url_for("provider.dashboard"))
    finally:
        session.close()


@bp.post("/aanbod/<service_id>/nog-juist")
@editor_required
def confirm(service_id: str):
    """'Nog steeds juist': the provider confirms the listing is right today."""
    session = get_db().Session()
    try:
        _listing_or_abort(session, service_id)
        if not VersionForm().validate_on_submit():
            abort(400)
        confirm_current(session, service_id, _user(), get_settings().today_or_now())
        session.commit()
        flash(gettext("Dank u! We tonen inwoners dat het aanbod vandaag is gecontroleerd."))
        return redirect(url_for("provider.dashboard"))
    finally:
        session.close()


# -- course sessions ------------------------------------------------------------------------

def _sessions_page(session: Session, service: Service, forms: dict | None = None,
                   add_form: SessionForm | None = None, status: int = 200,
                   general: list[str] | None = None):
    data = snapshot(session, service)
    extras = data.get(SESSIONS_KEY, {})
    sessions = sorted((s for s in data.get("schedules", []) if is_course_session(s)),
                      key=lambda s: s["dtstart"])
    forms = forms or {}
    rows = []
    for schedule in sessions:
        form = forms.get(schedule["id"])
        if form is None:
            values = session_values_from(schedule, extras.get(schedule["id"], {}))
            form = SessionForm(formdata=None, prefix=f"s-{schedule['id']}",
                               data={**values.__dict__, "version": str(service.version)})
        rows.append((schedule, extras.get(schedule["id"], {}), form,
                     date.fromisoformat(schedule["dtstart"]),
                     date.fromisoformat(schedule["until"])))
    add_form = add_form or SessionForm(formdata=None, prefix="nieuw",
                                       data={"version": str(service.version)})
    return render_template("provider/sessions.html", s=service, rows=rows, add_form=add_form,
                           is_course="cursus" in facet_codes(data, "soort"),
                           general=general or [], version=service.version,
                           participants=participants_for(session, service.id),
                           today=get_settings().today_or_now()), status


@bp.get("/aanbod/<service_id>/cursusdata")
@editor_required
def sessions(service_id: str):
    """The course's sessions: add, change or cancel one."""
    session = get_db().Session()
    try:
        service = _listing_or_abort(session, service_id)
        return _sessions_page(session, service)
    finally:
        session.close()


def _session_values(form: SessionForm) -> SessionValues:
    return SessionValues(**{key: (getattr(form, key).data or "").strip()
                            for key in SessionValues.__dataclass_fields__})


@bp.post("/aanbod/<service_id>/cursusdata", defaults={"schedule_id": None})
@bp.post("/aanbod/<service_id>/cursusdata/<schedule_id>")
@editor_required
def save_course_session(service_id: str, schedule_id: str | None):
    """Add a session (without ``schedule_id``) or change one."""
    session = get_db().Session()
    try:
        service = _listing_or_abort(session, service_id)
        data = snapshot(session, service)
        old = None
        if schedule_id is not None:
            old = next((s for s in data.get("schedules", [])
                        if s["id"] == schedule_id and is_course_session(s)), None)
            if old is None:
                abort(404)
        form = SessionForm(prefix=f"s-{schedule_id}" if schedule_id else "nieuw")
        if not form.validate_on_submit():
            abort(400)
        new_id = schedule_id or str(uuid.uuid4())
        schedule, extra, errors = check_session(_session_values(form), new_id, old)
        result = None
        if not errors:
            result = save_session(session, service_id, _user(), schedule, extra,
                                  _version(form))
            errors = result.errors
        if errors:
            session.rollback()
            general = attach_errors(form, {f"{form._prefix}{k}": v for k, v in errors.items()})
            return _sessions_page(session, service, {schedule_id: form} if schedule_id else {},
                                  None if schedule_id else form, status=400, general=general)
        session.commit()
        if result.status == "conflict":
            return _conflict_page(result)
        flash(gettext("De cursusdatum is opgeslagen en staat op de kaart."))
        return redirect(url_for("provider.sessions", service_id=service_id))
    finally:
        session.close()


@bp.post("/aanbod/<service_id>/cursusdata/<schedule_id>/afgelasten")
@editor_required
def cancel_course_session(service_id: str, schedule_id: str):
    """Mark a session as not going ahead ('gaat niet door'), or undo that."""
    session = get_db().Session()
    try:
        _listing_or_abort(session, service_id)
        form = VersionForm()
        if not form.validate_on_submit():
            abort(400)
        cancelled = request.form.get("cancelled", "1") == "1"
        try:
            result = cancel_session(session, service_id, schedule_id, _user(), _version(form),
                                    cancelled)
        except EditError:
            abort(404)
        session.commit()
        if result.status == "conflict":
            return _conflict_page(result)
        flash(gettext("De cursusdatum gaat niet door. Inwoners zien dat.") if cancelled
              else gettext("De cursusdatum gaat weer door."))
        return redirect(url_for("provider.sessions", service_id=service_id))
    finally:
        session.close()


@bp.post("/aanbod/<service_id>/cursusdata/<schedule_id>/deelnemers")
@editor_required
def course_participants(service_id: str, schedule_id: str):
    """How many people took part in a held session (issue 10: indicators per opgave)."""
    session = get_db().Session()
    try:
        _listing_or_abort(session, service_id)
        if not VersionForm().validate_on_submit():
            abort(400)
        error = record_participants(session, service_id, schedule_id[:64],
                                    request.form.get("participants", ""),
                                    get_settings().today_or_now())
        if error:
            session.rollback()
            flash(str(error))
        else:
            session.commit()
            flash(gettext("Het aantal deelnemers is opgeslagen."))
        return redirect(url_for("provider.sessions", service_id=service_id))
    finally:
        session.close()


# -- professional-only information -------------------------------------------------------------

@bp.route("/aanbod/<service_id>/voor-professionals", methods=["GET", "POST"])
@editor_required
def professional_info(service_id: str):
    """Direct line, intake criteria, waiting time, how to refer: seen only by professionals
    who are signed in; never on public pages, in the API, exports, feeds or the index."""
    session = get_db().Session()
    try:
        service = _listing_or_abort(session, service_id)
        if request.method == "GET":
            form = ProfessionalForm(data=values_of(info_for(session, service_id)).__dict__)
            return render_template("provider/professional.html", form=form, s=service)
        form = ProfessionalForm()
        if not form.validate_on_submit():
            abort(400)
        values = ProfessionalValues(**{name: getattr(form, name).data or ""
                                       for name in ProfessionalValues.__dataclass_fields__})
        errors = save_professional(session, service_id, values, _user().id)
        if errors:
            session.rollback()
            for name, message in errors.items():
                getattr(form, name).errors = [str(message)]
            return render_template("provider/professional.html", form=form, s=service), 400
        session.commit()
        flash(gettext("De informatie voor professionals is opgeslagen. Inwoners zien die "
                      "niet."))
        return redirect(url_for("provider.professional_info", service_id=service_id))
    finally:
        session.close()
