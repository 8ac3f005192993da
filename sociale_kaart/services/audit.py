"""The audit trail: recording every change to a listing, and reading it back.

Kept apart from the editor (``services/editing.py``) because the import writer records its
changes here too, and the editor imports the writer: one module both can import avoids a cycle.
A record holds the listing's complete state before and after (canonical HSDS dicts), so the
history can show a field-by-field diff and a beheerder can put any earlier version back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ChangeRecord
from .provenance import PORTAL, PORTAL_KINDS, note_source

#: Actions whose ``after`` never reached the published listing: a save that lost a conflict
#: (kept so both versions are preserved) and a rejected proposal.
NOT_APPLIED = ("conflict", "reject")


def record_change(session: Session, service_id: str, *, source: str, actor: str, action: str,
                  before: dict[str, Any] | None, after: dict[str, Any] | None,
                  user_id: int | None = None, note: str | None = None) -> ChangeRecord:
    """Add one record to the trail (in the caller's transaction)."""
    record = ChangeRecord(service_id=service_id, source=source, actor=actor[:500],
                          action=action, before=before, after=after, user_id=user_id,
                          note=note)
    session.add(record)
    if source in PORTAL_KINDS and action not in NOT_APPLIED and after is not None:
        note_source(session, service_id, PORTAL, source)  # provenance: the portal, by role
    return record


def latest_applied(session: Session, service_id: str) -> dict[str, Any] | None:
    """The listing as the newest applied record left it, or None without any."""
    return session.scalar(
        select(ChangeRecord.after)
        .where(ChangeRecord.service_id == service_id, ChangeRecord.action.not_in(NOT_APPLIED),
               ChangeRecord.after.is_not(None))
        .order_by(ChangeRecord.at.desc(), ChangeRecord.id.desc()).limit(1))


def record_import_change(session: Session, service_id: str, source: str,
                         outcome: str, after: dict[str, Any]) -> ChangeRecord:
    """Record what an import did to one listing. ``source`` is the file it came from;
    ``before`` is the state the trail last recorded (an export per record would make large
    imports slow, and every other writer records its ``after`` too)."""
    before = None if outcome == "created" else latest_applied(session, service_id)
    return record_change(session, service_id, source="import", actor=source,
                         action="create" if outcome == "created" else "update",
                         before=before, after=after)


def history(session: Session, service_id: str) -> list[ChangeRecord]:
    """Every record of one listing, newest first."""
    return list(session.scalars(
        select(ChangeRecord).where(ChangeRecord.service_id == service_id)
        .order_by(ChangeRecord.at.desc(), ChangeRecord.id.desc())))
