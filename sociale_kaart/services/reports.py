"""Storing "Klopt er iets niet?" reports: what is wrong with a listing, nothing about who."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import REPORT_REASONS, Report, Service

MAX_COMMENT_CHARS = 2000


class ReportError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def create_report(session: Session, service_id: str, reason: str,
                  comment: str | None = None) -> Report:
    """Validate and store a report; raises ReportError naming the field that is wrong."""
    if session.get(Service, service_id) is None:
        raise ReportError("service_id", "Dit aanbod bestaat niet.")
    if reason not in REPORT_REASONS:
        raise ReportError("reason", "Kies wat er niet klopt.")
    comment = " ".join((comment or "").split()) or None
    if comment and len(comment) > MAX_COMMENT_CHARS:
        raise ReportError("comment", f"Uw toelichting is te lang (meer dan {MAX_COMMENT_CHARS} "
                                     "tekens).")
    report = Report(service_id=service_id, reason=reason, comment=comment)
    session.add(report)
    return report
