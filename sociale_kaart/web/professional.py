"""Pages for consultants (and moderators and beheerders, who may do what a consultant may).

The dashboard is where :func:`sociale_kaart.web.auth.home_for` sends a consultant after
signing in. ``/professional/cursussen`` lists course starts in the coming weeks and new
courses (see :mod:`sociale_kaart.services.courses`), so the triage team can refer people in
time; the same list is in the public Atom and iCalendar feeds for their feed reader or agenda.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from ..models import Report
from ..services.courses import ANNOUNCE_WEEKS, NEW_DAYS, upcoming_sessions
from ..services.listings import describe_schedule
from . import get_db, get_settings
from .access import has_at_least, role_required

bp = Blueprint("professional", __name__, url_prefix="/professional")


@bp.get("/")
@role_required("consultant")
def dashboard():
    """Start page after signing in: search, upcoming courses and, for moderators, reports."""
    open_reports = None
    if has_at_least("moderator"):
        db_session = get_db().Session()
        try:
            open_reports = db_session.scalar(
                select(func.count()).select_from(Report).where(Report.status == "open"))
        finally:
            db_session.close()
    return render_template("professional/dashboard.html", open_reports=open_reports)


@bp.get("/cursussen")
@role_required("consultant")
def courses():
    """Aankomende cursussen: starts in the coming weeks, and courses added lately."""
    db_session = get_db().Session()
    try:
        sessions = upcoming_sessions(db_session, get_settings().today_or_now())
        return render_template("professional/courses.html", sessions=sessions,
                               weeks=ANNOUNCE_WEEKS, new_days=NEW_DAYS,
                               describe_schedule=describe_schedule)
    finally:
        db_session.close()
