"""Carrying out a beheerder's decision on a proposed merge (``services/duplicates.py``).

Both outcomes go through the portal's writer (the import writer with a canonical record), so the
search index follows the commit, the audit trail gets a record with the listing before and
after, and provenance notes the proposal's source. The decision is remembered with
:func:`~sociale_kaart.services.duplicates.decide`, so the next import of that source applies
it without asking. Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..geo.geocode import Geocoder
from ..models import MergeProposal, Service, User
from .audit import record_change
from .duplicates import MERGE_FIELDS, decide, merged_record
from .editing import EditError, _now_stamp, _write, canonical, snapshot
from .provenance import note_source


def _open(session: Session, proposal: MergeProposal) -> Service:
    if proposal.status != "open":
        raise EditError("Over dit dubbele aanbod is al besloten.")
    existing = session.get(Service, proposal.existing_id)
    if existing is None:
        raise EditError("Het bestaande aanbod bestaat niet meer.")
    return existing


def merge(session: Session, proposal: MergeProposal, choices: dict[str, str], user: User, *,
          geocoder: Geocoder | None = None) -> Service:
    """Write the existing listing with the fields picked from the incoming record."""
    service = _open(session, proposal)
    choices = {k: v for k, v in choices.items()
               if k in MERGE_FIELDS and v in ("existing", "incoming")}
    before = snapshot(session, service)
    merged = merged_record(session, proposal, choices)
    if canonical(merged) != canonical(before):
        merged["last_modified"] = _now_stamp()
        _write(session, merged, proposal.source, geocoder)
    taken = sorted(k for k, v in choices.items() if v == "incoming")
    note = f"Samengevoegd met een dubbel uit {proposal.source}" + (
        f"; overgenomen: {', '.join(taken)}." if taken else "; niets overgenomen.")
    record_change(session, service.id, source="beheerder", actor=user.email, user_id=user.id,
                  action="merge", before=before, after=snapshot(session, service), note=note)
    note_source(session, service.id, proposal.source, "import", proposal.source_record_id)
    decide(session, proposal, "merge", choices, user=user.email)
    session.flush()
    return service


def keep_both(session: Session, proposal: MergeProposal, user: User, *,
              geocoder: Geocoder | None = None) -> Service:
    """Create the incoming record as a listing of its own."""
    _open(session, proposal)
    service = session.get(Service, proposal.incoming_id)
    if service is None:
        service = _write(session, proposal.record, proposal.source, geocoder)
        record_change(session, service.id, source="beheerder", actor=user.email,
                      user_id=user.id, action="create", before=None,
                      after=snapshot(session, service),
                      note=f"Geen dubbel: apart gehouden uit {proposal.source}.")
    note_source(session, service.id, proposal.source, "import", proposal.source_record_id)
    decide(session, proposal, "keep_both", user=user.email)
    session.flush()
    return service
