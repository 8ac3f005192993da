"""Pages for consultants (and moderators and beheerders, who may do what a consultant may).

The dashboard is where :func:`sociale_kaart.web.auth.home_for` sends a consultant after
signing in: the workspace. ``/professional/zoeken`` is the same search engine as the public
search, with what only professionals see on each card (waiting time, direct line, referral
needed) and filters for access and waiting time. The waiting time lives in the
professional-only table, so its filter is an id restriction looked up in the database per
request (``SearchParams.only_ids``), never something the public index can answer.
``/professional/cursussen`` lists course starts in the coming weeks and new courses (see
:mod:`sociale_kaart.services.courses`); the same list is in the public Atom and iCalendar
feeds for a feed reader or agenda.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext
from sqlalchemy import func, select

from ..models import Report
from ..search import ParamError
from ..search.params import parse_params
from ..search.vocabulary import ACCESS_CODES
from ..services.courses import ANNOUNCE_WEEKS, NEW_DAYS, upcoming_sessions
from ..services.listings import describe_schedule
from ..services.professional_info import WAITING_CHOICES, ids_waiting_at_most, infos_for
from . import get_db, get_search, get_settings
from .access import has_at_least, role_required

bp = Blueprint("professional", __name__, url_prefix="/professional")


@bp.get("/")
@role_required("consultant")
def dashboard():
    """Start page after signing in: search, referral list, upcoming courses and, for
    moderators, reports."""
    open_reports = None
    if has_at_least("moderator"):
        db_session = get_db().Session()
        try:
            open_reports = db_session.scalar(
                select(func.count()).select_from(Report).where(Report.status == "open"))
        finally:
            db_session.close()
    return render_template("professional/dashboard.html", open_reports=open_reports)


def _url_with(**changes) -> str:
    from .public import _url_with as public_url_with

    return public_url_with(**changes)


@bp.get("/zoeken")
@role_required("consultant")
def search():
    """Professional search: the public engine plus professional-only details and filters."""
    settings = get_settings()
    error = None
    result = None
    info = {}
    wait = request.args.get("wacht", "")
    try:
        params = parse_params(request.args, default_km=settings.default_radius_km)
        db_session = get_db().Session()
        try:
            if wait:
                if not wait.isdigit() or int(wait) not in WAITING_CHOICES:
                    raise ParamError("wacht", gettext("kies een wachttijd uit de lijst"))
                params = params.with_(only_ids=ids_waiting_at_most(db_session, int(wait)))
            result = get_search().search(params)
            info = infos_for(db_session, [hit.id for hit in result.hits])
        finally:
            db_session.close()
    except ParamError as exc:
        error = exc
    return render_template("professional/search.html", result=result, error=error,
                           args=request.args, url_with=_url_with, professional_info=info,
                           access_codes=ACCESS_CODES,
                           waiting_choices=WAITING_CHOICES), 400 if error else 200


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
