"""The coordinator's pages on the volunteer platform (``/vrijwilligers/coordinator``).

The coordinator of the welzijnsorganisatie (role ``coordinator``; a beheerder may stand in)
moderates organisations and listings, brokers hulpvragen nobody answered, keeps a contact log per
case, enters matches made at the desk or by phone, keeps VOG statuses, prints vacancy lists per
kern and reads the figures. Thin views: load, check the role, call
:mod:`sociale_kaart.volunteer.coordination` (or 9a's listing/response services), render.

The routing page ("Dit kan beter via ...", ``/vrijwilligers/doorverwijzen/<id>``) is also open
to whoever manages the hulpvraag (the help seeker or their professional): it searches the kaart
with the hulpvraag's themes and title, never with personal data.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from ..models import Person, VolunteerListing
from ..models.volunteer import VOG_STATUSES
from ..search import ParamError, SearchParams
from ..volunteer import VolunteerError, indicators
from ..volunteer import coordination as co
from ..volunteer.clock import now as clock_now
from ..volunteer.listings import (
    COORDINATORS,
    PUBLIC_TYPES,
    approve_listing,
    approve_organisation,
    can_manage,
    is_public,
    reject_listing,
    reject_organisation,
)
from ..volunteer.match_adapters import volunteers_for
from ..volunteer.matching import reason_text
from ..volunteer.people import person_for_user
from ..volunteer.privacy import WARNINGS
from ..volunteer.responses import STATE_LABELS, record_offline_match
from . import get_db, get_search, get_settings
from .access import role_required

bp = Blueprint("coordinator", __name__)
PREFIX = "/vrijwilligers/coordinator"
ROLES = COORDINATORS


def _today() -> date:
    return clock_now().date()


def _listing_or_404(session, listing_id: int) -> VolunteerListing:
    listing = session.get(VolunteerListing, listing_id)
    if listing is None:
        abort(404)
    return listing


def _date_field(name: str) -> date | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as error:
        raise VolunteerError(name, gettext("Vul een datum in als JJJJ-MM-DD, bijvoorbeeld "
                                           "2027-03-31.")) from error


def _fail(error: VolunteerError) -> None:
    flash(gettext("Niet gelukt: %(message)s", message=error.message))


# -- start page --------------------------------------------------------------------------------

@bp.route(f"{PREFIX}/")
@role_required(*ROLES)
def dashboard():
    """What waits for the coordinator today."""
    settings = get_settings()
    with get_db().session() as session:
        co.move_to_brokering(session, clock_now(), settings.volunteer_brokering_days)
        queue = co.moderation_queue(session)
        counts = {"organisations": len(queue.organisations), "listings": len(queue.listings),
                  "brokering": len(co.brokering_queue(session)),
                  "follow_ups": len(co.open_follow_ups(session, _today())),
                  "vog": len(co.vog_due_for_reminder(session, _today(),
                                                     settings.volunteer_vog_reminder_days))}
        return render_template("coordinator/dashboard.html", counts=counts,
                               kernen=_kernen(session))


# -- moderation --------------------------------------------------------------------------------

@bp.route(f"{PREFIX}/moderatie")
@role_required(*ROLES)
def moderation():
    """Organisations waiting for admission and listings waiting for review."""
    session = get_db().Session()
    try:
        queue = co.moderation_queue(session)
        return render_template("coordinator/moderation.html", queue=queue, warnings=WARNINGS)
    finally:
        session.close()


@bp.route(f"{PREFIX}/moderatie/organisatie/<organization_id>", methods=["POST"])
@role_required(*ROLES)
def moderate_organisation(organization_id: str):
    """Admit (or refuse) an organisation, so its vacancies can go public."""
    action = request.form.get("action")
    try:
        with get_db().session() as session:
            if action == "approve":
                approve_organisation(session, organization_id, by=current_user, now=clock_now())
                flash(gettext("De organisatie is goedgekeurd."))
            elif action == "reject":
                reject_organisation(session, organization_id, by=current_user, now=clock_now(),
                                    note=request.form.get("note"))
                flash(gettext("De organisatie is afgewezen."))
            else:
                abort(400)
    except VolunteerError as error:
        _fail(error)
    return redirect(url_for("coordinator.moderation"))


@bp.route(f"{PREFIX}/moderatie/oproep/<int:listing_id>", methods=["POST"])
@role_required(*ROLES)
def moderate_listing(listing_id: int):
    """Publish a pending listing, or send it back with a reason."""
    action = request.form.get("action")
    try:
        with get_db().session() as session:
            listing = _listing_or_404(session, listing_id)
            if action == "approve":
                approve_listing(session, listing, by=current_user, now=clock_now())
                flash(gettext("De oproep staat nu online."))
            elif action == "reject":
                reject_listing(session, listing, by=current_user, now=clock_now(),
                               note=request.form.get("note", ""))
                flash(gettext("De oproep is teruggestuurd."))
            else:
                abort(400)
    except VolunteerError as error:
        _fail(error)
    return redirect(url_for("coordinator.moderation"))


# -- brokering and cases -----------------------------------------------------------------------

@bp.route(f"{PREFIX}/bemiddeling")
@role_required(*ROLES)
def brokering():
    """Hulpvragen without an accepted response after N days, or where help was asked for."""
    settings = get_settings()
    with get_db().session() as session:
        co.move_to_brokering(session, clock_now(), settings.volunteer_brokering_days)
        cases = co.brokering_queue(session)
        follow_ups = co.open_follow_ups(session, _today())
        titles = {e.listing_id: session.get(VolunteerListing, e.listing_id).title
                  for e in follow_ups}
        return render_template("coordinator/brokering.html", cases=cases, days=settings
                               .volunteer_brokering_days, follow_ups=follow_ups, titles=titles)


@bp.route(f"{PREFIX}/zaak/<int:listing_id>")
@role_required(*ROLES)
def case(listing_id: int):
    """One case: the listing, its responses, the contact log and who could do it."""
    session = get_db().Session()
    try:
        listing = _listing_or_404(session, listing_id)
        candidates = []
        if listing.status == "active" and not listing.not_for_volunteers:
            candidates = [(p, [reason_text(r, gettext) for r in s.reasons])
                          for p, s in volunteers_for(session, listing, _today(), limit=10)]
        return render_template(
            "coordinator/case.html", listing=listing, log=co.case_log(session, listing.id),
            candidates=candidates, warnings=WARNINGS, state_labels=STATE_LABELS,
            volunteers=_volunteer_choices(session), today=_today())
    finally:
        session.close()


def _volunteer_choices(session) -> list[Person]:
    return list(session.scalars(select(Person).where(Person.is_volunteer.is_(True))
                                .order_by(Person.alias, Person.id)).all())


@bp.route(f"{PREFIX}/zaak/<int:listing_id>/notitie", methods=["POST"])
@role_required(*ROLES)
def add_note(listing_id: int):
    """Add a note to the contact log, optionally with a follow-up date."""
    try:
        with get_db().session() as session:
            listing = _listing_or_404(session, listing_id)
            co.add_log_entry(session, listing, by=current_user, now=clock_now(),
                             note=request.form.get("note", ""),
                             channel=request.form.get("channel") or None,
                             follow_up_on=_date_field("follow_up_on"))
            flash(gettext("De notitie is opgeslagen."))
    except VolunteerError as error:
        _fail(error)
    return redirect(url_for("coordinator.case", listing_id=listing_id) + "#logboek")


@bp.route(f"{PREFIX}/zaak/<int:listing_id>/opvolging/<int:entry_id>", methods=["POST"])
@role_required(*ROLES)
def follow_up_done(listing_id: int, entry_id: int):
    """Mark a follow-up flag done."""
    from ..models import ContactLogEntry

    try:
        with get_db().session() as session:
            entry = session.get(ContactLogEntry, entry_id)
            if entry is None or entry.listing_id != listing_id:
                abort(404)
            co.finish_follow_up(session, entry, by=current_user, now=clock_now())
            flash(gettext("De opvolging is afgevinkt."))
    except VolunteerError as error:
        _fail(error)
    return redirect(url_for("coordinator.case", listing_id=listing_id) + "#logboek")


@bp.route(f"{PREFIX}/zaak/<int:listing_id>/status", methods=["POST"])
@role_required(*ROLES)
def brokering_state(listing_id: int):
    """Take a case, finish it or put it back in the queue."""
    try:
        with get_db().session() as session:
            listing = _listing_or_404(session, listing_id)
            co.set_brokering(session, listing, by=current_user, now=clock_now(),
                             state=request.form.get("state", ""))
            flash(gettext("De status van de bemiddeling is aangepast."))
    except VolunteerError as error:
        _fail(error)
    return redirect(url_for("coordinator.case", listing_id=listing_id))


@bp.route(f"{PREFIX}/zaak/<int:listing_id>/match", methods=["POST"])
@role_required(*ROLES)
def offline_match(listing_id: int):
    """Enter a match made at the desk or by phone (counts as brokered)."""
    try:
        with get_db().session() as session:
            listing = _listing_or_404(session, listing_id)
            raw = request.form.get("person_id", "")
            person = session.get(Person, int(raw)) if raw.isdigit() else None
            if person is None:
                raise VolunteerError("person_id", gettext("Kies de vrijwilliger."))
            record_offline_match(session, listing, entered_by=current_user, now=clock_now(),
                                 channel=request.form.get("channel", ""), person=person,
                                 note=request.form.get("note"))
            if listing.brokering_status in ("open", "in_progress"):
                listing.brokering_status = "done"
            flash(gettext("De match is vastgelegd."))
    except VolunteerError as error:
        _fail(error)
    return redirect(url_for("coordinator.case", listing_id=listing_id))


@bp.route(f"{PREFIX}/zaak/<int:listing_id>/doorverwijzen", methods=["POST"])
@role_required(*ROLES)
def mark_routing(listing_id: int):
    """Decide that volunteers should not take this on (or undo that)."""
    try:
        with get_db().session() as session:
            listing = _listing_or_404(session, listing_id)
            flag = request.form.get("flag", "1") == "1"
            co.mark_not_for_volunteers(session, listing, by=current_user,
                                       note=request.form.get("note"), flag=flag)
            flash(gettext("Opgeslagen: deze hulpvraag is niet voor vrijwilligers.") if flag
                  else gettext("Opgeslagen: vrijwilligers kunnen weer reageren."))
    except VolunteerError as error:
        _fail(error)
    return redirect(url_for("coordinator.case", listing_id=listing_id))


# -- routing to the kaart (part 6) -------------------------------------------------------------

@bp.route("/vrijwilligers/doorverwijzen/<int:listing_id>")
def routing(listing_id: int):
    """"Dit kan beter via ...": provisions on the kaart that fit this hulpvraag."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    session = get_db().Session()
    try:
        listing = _listing_or_404(session, listing_id)
        person = person_for_user(session, current_user.id)
        if current_user.role not in ROLES and not can_manage(current_user, listing, person):
            abort(403)
        query = co.routing_query(listing)
        hits = []
        if query:
            try:
                params = SearchParams(q=query, near=listing.kern or None, per_page=8)
                hits = get_search().search(params).hits
            except ParamError:
                hits = get_search().search(SearchParams(q=query, per_page=8)).hits
        return render_template("coordinator/routing.html", listing=listing, hits=hits,
                               query=query, for_coordinator=current_user.role in ROLES)
    finally:
        session.close()


# -- VOG ---------------------------------------------------------------------------------------

@bp.route(f"{PREFIX}/vog")
@role_required(*ROLES)
def vog():
    """VOG statuses and expiry dates (never the document), the first to expire first."""
    settings = get_settings()
    session = get_db().Session()
    try:
        return render_template("coordinator/vog.html", people=co.vog_overview(session),
                               volunteers=_volunteer_choices(session), statuses=VOG_STATUSES,
                               today=_today(), lead=settings.volunteer_vog_reminder_days)
    finally:
        session.close()


@bp.route(f"{PREFIX}/vog", methods=["POST"])
@role_required(*ROLES)
def vog_save():
    """Store a volunteer's VOG status and expiry date."""
    try:
        with get_db().session() as session:
            raw = request.form.get("person_id", "")
            person = session.get(Person, int(raw)) if raw.isdigit() else None
            if person is None:
                raise VolunteerError("person_id", gettext("Kies de vrijwilliger."))
            co.set_vog(session, person, by=current_user, today=_today(),
                       status=request.form.get("status", ""),
                       expires_on=_date_field("expires_on"))
            flash(gettext("De VOG-gegevens zijn opgeslagen."))
    except VolunteerError as error:
        _fail(error)
    return redirect(url_for("coordinator.vog"))


# -- printable lists per kern ------------------------------------------------------------------

def _kernen(session) -> list[str]:
    rows = session.scalars(select(VolunteerListing.kern).where(
        VolunteerListing.status == "active", VolunteerListing.type.in_(PUBLIC_TYPES),
        VolunteerListing.kern.is_not(None)).distinct())
    return sorted(set(rows))


@bp.route(f"{PREFIX}/afdrukken/<kern>")
@role_required(*ROLES)
def print_list(kern: str):
    """A printable list of the public vacancies and offers in one kern (for the desk)."""
    session = get_db().Session()
    try:
        rows = session.scalars(select(VolunteerListing).where(
            VolunteerListing.kern == kern, VolunteerListing.type.in_(PUBLIC_TYPES),
            VolunteerListing.status == "active").order_by(VolunteerListing.type,
                                                          VolunteerListing.title)).all()
        listings = [row for row in rows if is_public(session, row, _today())]
        return render_template("coordinator/print_list.html", kern=kern, listings=listings,
                               today=_today())
    finally:
        session.close()


# -- indicators (part 7) -----------------------------------------------------------------------

def _year() -> int:
    raw = request.args.get("jaar", "")
    if not raw:
        return _today().year
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        abort(400, gettext("Het jaar moet een getal zijn tussen 2000 en 2100."))
    return int(raw)


@bp.route(f"{PREFIX}/cijfers")
@role_required(*ROLES)
def figures():
    """The year's figures with the two years before, and per kern and theme."""
    year = _year()
    session = get_db().Session()
    try:
        return render_template(
            "coordinator/indicators.html", year=year,
            figures=indicators.years_figures(session, year), keys=indicators.FIGURE_KEYS,
            detail=indicators.breakdown(session, *indicators.year_bounds(year)))
    finally:
        session.close()


@bp.route(f"{PREFIX}/cijfers.csv")
@role_required(*ROLES)
def figures_csv():
    """The figures as CSV; counts 1 to 4 show as <5."""
    year = _year()
    session = get_db().Session()
    try:
        text = indicators.figures_csv(session, year)
    finally:
        session.close()
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="vrijwilligerswerk-{year}.csv"'})

