"""Changing a listing through the portal: providers, moderators and beheerders.

Why it works this way:

* Every change goes through the import writer (``_Writer.upsert``) with a canonical HSDS dict
  validated by the importers' own rules, so a listing edited here looks exactly like an
  imported one, exports the same and the search index follows the commit as usual.
* Optimistic locking: a save names the ``version`` its form started from. A different version
  means someone else saved in between: the save is refused with both versions kept (the losing
  one as a ``ChangeRecord(action="conflict")``), never silently overwritten. A compare-and-swap
  ``UPDATE ... WHERE version = ?`` closes the gap between two requests at the same moment.
* Moderation: changes to name, description, categories or access by a provider who is not
  trusted wait in a ``PendingChange``; the rest of the same save publishes at once. Residents
  only ever see the ``service`` rows, which hold published versions only.
* Audit: every applied change (and every lost conflict and rejection) is a ``ChangeRecord``
  with the complete state before and after, so a beheerder can see and restore any version.

Nothing here commits: the caller (a view, a test) owns the transaction.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from importers.base import ImportedRecord

from ..config import Settings
from ..db import mark_changed
from ..geo.geocode import Geocoder
from ..models import (
    ChangeRecord,
    Organization,
    PendingChange,
    Schedule,
    Service,
    ServiceAtLocation,
    User,
    utcnow,
)
from .audit import record_change
from .edit_values import (
    EditValues,
    apply_changes,
    check_record,
    check_values,
    field_diff,
    gated_changes,
    gated_view,
    with_gated,
)
from .hsds_export import _Exporter, service_to_hsds
from .imports import _Writer
from .mail import MailError, send_mail

__all__ = ["EditError", "EditResult", "apply_changes", "cancel_session",
           "confirm_current", "create_service", "field_diff", "may_publish",
           "publish_pending", "reject_pending", "revert", "save_edit", "save_session",
           "set_inactive", "snapshot"]

#: Key of a snapshot holding the course columns HSDS has no place for.
SESSIONS_KEY = "_sessions"
PORTAL_SOURCE = "portal"
SUPERSEDED_REASON = "Vervangen door een nieuwere wijziging."


class EditError(ValueError):
    """A request that cannot be carried out; ``message`` is Dutch, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class EditResult:
    """What a save did. ``status``: published, pending (all waits), partly (some waits),
    unchanged, invalid (see ``errors``) or conflict (see ``current`` and ``mine``)."""

    status: str
    service_id: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    pending_id: int | None = None
    change_id: int | None = None
    waiting: set[str] = field(default_factory=set)
    current: dict[str, Any] | None = None
    mine: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("published", "pending", "partly", "unchanged")


def may_publish(user: User) -> bool:
    """Moderators, beheerders and trusted providers publish without moderation."""
    return user.role in ("moderator", "beheerder") or (user.role == "provider" and user.trusted)


def _source(user: User) -> str:
    return user.role if user.role in ("moderator", "beheerder") else "provider"


# -- snapshots and writing ---------------------------------------------------------------------

def snapshot(session: Session, service: Service) -> dict[str, Any]:
    """The listing as stored: its canonical HSDS dict plus the course columns."""
    session.flush()
    data = service_to_hsds(session, service)
    sessions = {s.id: {"places": s.places, "places_left": s.places_left,
                       "session_count": s.session_count, "cancelled": bool(s.cancelled)}
                for s in service.schedules if s.is_course_session}
    if sessions:
        data[SESSIONS_KEY] = sessions
    return data


def write_preview(session: Session, data: dict[str, Any]) -> Service:
    """Write a proposal into the session only to show it; the caller MUST roll back."""
    return _write(session, data, PORTAL_SOURCE)


def canonical(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != SESSIONS_KEY}


def _write(session: Session, data: dict[str, Any], source: str,
           geocoder: Geocoder | None = None) -> Service:
    """Write a canonical listing through the import writer, then the course columns."""
    record = ImportedRecord(canonical(data), source)
    with session.no_autoflush:
        _outcome, touched = _Writer(geocoder or Geocoder()).upsert(session, record)
    mark_changed(session, touched)
    session.flush()
    service = session.get(Service, data["id"])
    for schedule_id, extra in (data.get(SESSIONS_KEY) or {}).items():
        row = session.get(Schedule, schedule_id)
        if row is not None and row.service_id == service.id:
            row.places, row.places_left = extra.get("places"), extra.get("places_left")
            row.session_count = extra.get("session_count")
            row.cancelled = bool(extra.get("cancelled"))
    return service


def _claim(session: Session, service: Service, base_version: int) -> bool:
    """Compare-and-swap the version: True when no one saved since ``base_version``."""
    result = session.execute(
        update(Service).where(Service.id == service.id, Service.version == base_version)
        .values(version=base_version + 1).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _now_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _conflict(session: Session, service: Service, user: User, current: dict[str, Any],
              mine: dict[str, Any]) -> EditResult:
    record = record_change(session, service.id, source=_source(user), actor=user.email,
                           user_id=user.id, action="conflict", before=current, after=mine,
                           note=f"Opgeslagen vanaf een oudere versie dan {service.version}; "
                                "niet toegepast.")
    session.flush()
    return EditResult("conflict", service.id, change_id=record.id, current=current, mine=mine)


def _publish(session: Session, service: Service, user: User, before: dict[str, Any],
             data: dict[str, Any], base_version: int, action: str = "update",
             note: str | None = None, geocoder: Geocoder | None = None) -> ChangeRecord:
    """Write ``data`` as the new published version and record it."""
    data = copy.deepcopy(data)
    if canonical(data) != canonical(before):
        data["last_modified"] = _now_stamp()
    _write(session, data, service.source or PORTAL_SOURCE, geocoder)
    service.version = base_version + 1
    record = record_change(session, service.id, source=_source(user), actor=user.email,
                           user_id=user.id, action=action, before=before,
                           after=snapshot(session, service), note=note)
    session.flush()
    return record


# -- editing ------------------------------------------------------------------------------------

def _open_pending(session: Session, service_id: str) -> list[PendingChange]:
    return list(session.scalars(select(PendingChange).where(
        PendingChange.service_id == service_id, PendingChange.status == "pending",
        PendingChange.is_new.is_(False)).order_by(PendingChange.id)))


def latest_pending(session: Session, service_id: str) -> PendingChange | None:
    """The newest proposal still waiting for a moderator, if any."""
    pending = _open_pending(session, service_id)
    return pending[-1] if pending else None


def _supersede(session: Session, pending: list[PendingChange]) -> None:
    for item in pending:
        item.status, item.reason, item.decided_at = "superseded", SUPERSEDED_REASON, utcnow()


def validate_edit(values: EditValues, before: dict[str, Any]) -> tuple[dict | None, dict]:
    """(proposed canonical listing, {}) or (None, {form field id: Dutch message})."""
    known = {lang.get("code") for lang in before.get("languages", [])}
    errors = check_values(values, known)
    proposed, record_errors = check_record(apply_changes(before, values))
    for key, message in record_errors.items():
        errors.setdefault(key, message)
    return (None, errors) if errors else (proposed, {})


def save_edit(session: Session, service_id: str, user: User, values: EditValues,
              base_version: int, *, geocoder: Geocoder | None = None) -> EditResult:
    """Save the edit form. See the module docstring for conflicts and moderation."""
    service = session.get(Service, service_id)
    if service is None:
        raise EditError("Dit aanbod bestaat niet (meer).")
    before = snapshot(session, service)
    proposed, errors = validate_edit(values, before)
    if proposed is None:
        return EditResult("invalid", service_id, errors=errors)
    if service.version != base_version:
        return _conflict(session, service, user, before, proposed)
    current = canonical(before)
    shared = _shared_locations_changed(session, service, current, proposed)
    if shared and user.role == "provider":
        return EditResult("invalid", service_id, errors={
            f"locations-{i}-name": "Deze locatie hoort ook bij aanbod van een andere "
                                   "organisatie. Vraag de beheerder om haar te wijzigen."
            for i in shared})
    waiting = set() if may_publish(user) else gated_changes(current, proposed)
    open_pending = [] if may_publish(user) else _open_pending(session, service_id)
    if waiting and open_pending and \
            gated_view(open_pending[-1].proposed) == gated_view(proposed):
        open_pending = open_pending[:-1]  # the same proposal is already waiting: keep it
        keep_waiting = True
    else:
        keep_waiting = False
    _supersede(session, open_pending)
    published = with_gated(proposed, current) if waiting else proposed
    if published == current and not waiting:
        return EditResult("unchanged", service_id)
    change_id = None
    if published != current:
        if not _claim(session, service, base_version):
            session.refresh(service)
            return _conflict(session, service, user, before, proposed)
        change_id = _publish(session, service, user, before, published, base_version,
                             geocoder=geocoder).id
    result_status = "published"
    pending_id = None
    if waiting:
        result_status = "partly" if published != current else "pending"
        if keep_waiting:
            pending_id = latest_pending(session, service_id).id
        else:
            pending = PendingChange(service_id=service_id,
                                    organization_id=service.organization_id, is_new=False,
                                    base_version=service.version, proposed=proposed,
                                    submitted_by=user.id)
            session.add(pending)
            session.flush()
            pending_id = pending.id
    return EditResult(result_status, service_id, pending_id=pending_id, change_id=change_id,
                      waiting=waiting)


def _shared_locations_changed(session: Session, service: Service, current: dict[str, Any],
                              proposed: dict[str, Any]) -> list[int]:
    """Form rows of locations this edit changes that services of another organisation use
    too: a provider may only change their own organisation's data."""
    old = {sal["location"]["id"]: sal["location"] for sal in current["service_at_locations"]}
    new = {sal["location"]["id"]: sal["location"] for sal in proposed["service_at_locations"]}
    changed = [i for i, (location_id, location) in enumerate(old.items())
               if location_id in new and new[location_id] != location]
    if not changed:
        return []
    ids = list(old)
    others = set(session.scalars(
        select(ServiceAtLocation.location_id).join(Service,
                                                   ServiceAtLocation.service_id == Service.id)
        .where(ServiceAtLocation.location_id.in_([ids[i] for i in changed]),
               Service.organization_id != service.organization_id)))
    return [i for i in changed if ids[i] in others]


def organization_dict(session: Session, organization: Organization) -> dict[str, Any]:
    """An organisation as embedded in a canonical listing."""
    return _Exporter(session).organization(organization)


def new_listing(session: Session, organization_id: str, service_id: str) -> dict[str, Any]:
    """An empty listing of an organisation, the start of :func:`create_service`."""
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise EditError("Deze organisatie bestaat niet.")
    return {"id": service_id, "organization_id": organization_id,
            "organization": organization_dict(session, organization), "status": "active",
            "phones": [], "schedules": [], "service_areas": [], "service_at_locations": [],
            "languages": [], "cost_options": [], "contacts": [], "attributes": [],
            "metadata": []}


def create_service(session: Session, organization_id: str, user: User, values: EditValues,
                   service_id: str, *, geocoder: Geocoder | None = None) -> EditResult:
    """Add a listing. From a provider who is not trusted it waits for a moderator."""
    base = new_listing(session, organization_id, service_id)
    proposed, errors = validate_edit(values, base)
    if proposed is None:
        return EditResult("invalid", service_id, errors=errors)
    if session.get(Service, service_id) is not None:
        raise EditError("Dit aanbod bestaat al.")
    if not may_publish(user):
        pending = PendingChange(service_id=service_id, organization_id=organization_id,
                                is_new=True, base_version=None, proposed=proposed,
                                submitted_by=user.id)
        session.add(pending)
        session.flush()
        return EditResult("pending", service_id, pending_id=pending.id,
                          waiting=set(gated_changes(None, proposed)))
    proposed["last_modified"] = _now_stamp()
    service = _write(session, proposed, PORTAL_SOURCE, geocoder)
    record = record_change(session, service_id, source=_source(user), actor=user.email,
                           user_id=user.id, action="create", before=None,
                           after=snapshot(session, service))
    session.flush()
    return EditResult("published", service_id, change_id=record.id)


def set_inactive(session: Session, service_id: str, user: User, base_version: int) -> EditResult:
    """Mark a listing inactive (stopped). Publishes at once: status is not moderated."""
    service = session.get(Service, service_id)
    if service is None:
        raise EditError("Dit aanbod bestaat niet (meer).")
    before = snapshot(session, service)
    proposed = {**canonical(before), "status": "inactive"}
    if service.version != base_version or not _claim(session, service, base_version):
        session.refresh(service)
        return _conflict(session, service, user, before, proposed)
    if proposed == canonical(before):
        return EditResult("unchanged", service_id)
    record = _publish(session, service, user, before, proposed, base_version, "inactive")
    return EditResult("published", service_id, change_id=record.id)


def confirm_current(session: Session, service_id: str, user: User, today: date) -> EditResult:
    """'Nog steeds juist': sets the listing's ``assured_date`` to today. Besides imports this
    is the only place that sets it; a save without changes does not. It changes no content,
    so it does not bump the version (an editor in another tab keeps working)."""
    service = session.get(Service, service_id)
    if service is None:
        raise EditError("Dit aanbod bestaat niet (meer).")
    before = snapshot(session, service)
    service.assured_date, service.assurer_email = today, user.email
    mark_changed(session, {service_id})
    record = record_change(session, service_id, source=_source(user), actor=user.email,
                           user_id=user.id, action="confirm", before=before,
                           after=snapshot(session, service))
    session.flush()
    return EditResult("published", service_id, change_id=record.id)


# -- moderation -------------------------------------------------------------------------------

def _decide(pending: PendingChange, moderator: User, status: str,
            reason: str | None = None) -> None:
    pending.status, pending.decided_by, pending.decided_at = status, moderator.id, utcnow()
    pending.reason = reason


def _waiting(session: Session, pending_id: int) -> PendingChange:
    pending = session.get(PendingChange, pending_id)
    if pending is None or pending.status != "pending":
        raise EditError("Deze wijziging wacht niet meer op controle.")
    return pending


def pending_diff(session: Session, pending: PendingChange) -> list[tuple[str, str, str]]:
    """What publishing ``pending`` would change in the current listing, field by field."""
    service = session.get(Service, pending.service_id)
    if pending.is_new or service is None:
        return field_diff(None, pending.proposed)
    current = canonical(snapshot(session, service))
    return field_diff(current, with_gated(current, pending.proposed))


def publish_pending(session: Session, pending_id: int, moderator: User, *,
                    geocoder: Geocoder | None = None) -> EditResult:
    """Publish a waiting change: a new listing as proposed, or only the moderated fields of
    a change, applied onto the listing as it is now (later edits are not undone)."""
    pending = _waiting(session, pending_id)
    submitter = session.get(User, pending.submitted_by) if pending.submitted_by else None
    note = f"Voorgesteld door {submitter.email if submitter else 'een verwijderd account'}."
    service = session.get(Service, pending.service_id)
    if service is None:
        if not pending.is_new:
            raise EditError("Het aanbod van deze wijziging bestaat niet meer.")
        organization = session.get(Organization, pending.organization_id)
        if organization is None:
            raise EditError("De organisatie van dit aanbod bestaat niet meer.")
        # The organisation as it is now, not as it was when the provider proposed this.
        data, _errors = check_record({**pending.proposed, "last_modified": _now_stamp(),
                                      "organization": organization_dict(session, organization)})
        if data is None:
            raise EditError("Dit voorstel klopt niet meer met de organisatie. Wijs het af.")
        service = _write(session, data, PORTAL_SOURCE, geocoder)
        record = record_change(session, service.id, source=_source(moderator),
                               actor=moderator.email, user_id=moderator.id, action="create",
                               before=None, after=snapshot(session, service), note=note)
    else:
        before = snapshot(session, service)
        after = with_gated(canonical(before), pending.proposed)
        base = service.version
        if not _claim(session, service, base):
            raise EditError("Het aanbod is net gewijzigd. Probeer het opnieuw.")
        record = _publish(session, service, moderator, before, after, base, "publish", note,
                          geocoder)
    _decide(pending, moderator, "published")
    session.flush()
    return EditResult("published", service.id, pending_id=pending.id, change_id=record.id)


def reject_pending(session: Session, pending_id: int, moderator: User, reason: str, *,
                   settings: Settings | None = None, link: str = "") -> bool:
    """Reject a waiting change with a reason, which goes to the provider by e-mail when a mail
    server is set up. Returns whether the e-mail was sent."""
    reason = (reason or "").strip()
    if not reason:
        raise EditError("Schrijf waarom u de wijziging afwijst. De aanbieder krijgt deze "
                        "uitleg.")
    pending = _waiting(session, pending_id)
    _decide(pending, moderator, "rejected", reason)
    record_change(session, pending.service_id, source=_source(moderator),
                  actor=moderator.email, user_id=moderator.id, action="reject", before=None,
                  after=pending.proposed, note=reason)
    session.flush()
    submitter = session.get(User, pending.submitted_by) if pending.submitted_by else None
    if settings is None or submitter is None:
        return False
    name = pending.proposed.get("name", "uw aanbod")
    body = (f"Beste {submitter.name or 'aanbieder'},\n\n"
            f"Een moderator heeft uw wijziging van \u2018{name}\u2019 bekeken. De wijziging "
            "staat niet op de sociale kaart.\n\n"
            f"De reden:\n{reason}\n\n"
            "U kunt het aanbod aanpassen en opnieuw opslaan"
            f"{' via ' + link if link else ''}.\n\n"
            f"Met vriendelijke groet,\n{settings.site_name}")
    try:
        return send_mail(settings, submitter.email,
                         "Uw wijziging op de sociale kaart is niet geplaatst", body)
    except MailError:
        return False


# -- course sessions ------------------------------------------------------------------------

def save_session(session: Session, service_id: str, user: User, schedule: dict[str, Any],
                 extra: dict[str, Any], base_version: int, *,
                 geocoder: Geocoder | None = None) -> EditResult:
    """Add or change one course session (a dated schedule) and its places. Publishes at
    once: dates and places are not moderated. ``schedule`` is its HSDS form (with ``id``);
    ``extra`` the course columns (places, places_left, session_count)."""
    service = session.get(Service, service_id)
    if service is None:
        raise EditError("Dit aanbod bestaat niet (meer).")
    before = snapshot(session, service)
    data = copy.deepcopy(before)
    schedules = [s for s in data.get("schedules", []) if s["id"] != schedule["id"]]
    old = next((s for s in data.get("schedules", []) if s["id"] == schedule["id"]), {})
    data["schedules"] = [*schedules, {**old, **schedule}]
    proposed, errors = check_record(canonical(data))
    if proposed is None:
        return EditResult("invalid", service_id, errors=errors)
    sessions = dict(before.get(SESSIONS_KEY, {}))
    sessions[schedule["id"]] = {**sessions.get(schedule["id"], {"cancelled": False}), **extra}
    proposed[SESSIONS_KEY] = sessions
    if service.version != base_version or not _claim(session, service, base_version):
        session.refresh(service)
        return _conflict(session, service, user, before, proposed)
    action = "course-change" if old else "course-add"
    record = _publish(session, service, user, before, proposed, base_version, action)
    return EditResult("published", service_id, change_id=record.id)


def cancel_session(session: Session, service_id: str, schedule_id: str, user: User,
                   base_version: int, cancelled: bool = True) -> EditResult:
    """Mark a course session as not going ahead (or back). It stays visible, struck out."""
    service = session.get(Service, service_id)
    if service is None:
        raise EditError("Dit aanbod bestaat niet (meer).")
    before = snapshot(session, service)
    sessions = copy.deepcopy(before.get(SESSIONS_KEY, {}))
    if schedule_id not in sessions:
        raise EditError("Deze cursusdatum bestaat niet (meer).")
    sessions[schedule_id]["cancelled"] = cancelled
    proposed = {**canonical(before), SESSIONS_KEY: sessions}
    if service.version != base_version or not _claim(session, service, base_version):
        session.refresh(service)
        return _conflict(session, service, user, before, proposed)
    record = _publish(session, service, user, before, proposed, base_version,
                      "course-cancel" if cancelled else "course-restore")
    return EditResult("published", service_id, change_id=record.id)


# -- history ------------------------------------------------------------------------------------

def revert(session: Session, change_id: int, user: User, *, use: str = "before",
           geocoder: Geocoder | None = None) -> EditResult:
    """Put back the listing as one record saw it (``before`` or ``after`` the change). The
    organisation stays as it is now: a listing's history does not roll back its organisation,
    which other listings share."""
    record = session.get(ChangeRecord, change_id)
    if record is None:
        raise EditError("Deze wijziging bestaat niet.")
    target = record.before if use == "before" else record.after
    if target is None:
        raise EditError("Van deze versie is niets bewaard om terug te zetten.")
    data = copy.deepcopy(target)
    service = session.get(Service, record.service_id)
    note = f"Teruggezet naar de versie {'voor' if use == 'before' else 'na'} wijziging " \
           f"{record.id} van {record.at:%d-%m-%Y %H:%M}."
    if service is None:
        service = _write(session, data, PORTAL_SOURCE, geocoder)
        new = record_change(session, service.id, source=_source(user), actor=user.email,
                            user_id=user.id, action="revert", before=None,
                            after=snapshot(session, service), note=note)
        session.flush()
        return EditResult("published", service.id, change_id=new.id)
    before = snapshot(session, service)
    data["organization"] = before["organization"]
    data["organization_id"] = before["organization_id"]
    base = service.version
    if not _claim(session, service, base):
        raise EditError("Het aanbod is net gewijzigd. Probeer het opnieuw.")
    new = _publish(session, service, user, before, data, base, "revert", note, geocoder)
    return EditResult("published", service.id, change_id=new.id)
