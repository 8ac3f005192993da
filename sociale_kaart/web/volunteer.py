"""The volunteer platform for residents, organisations and professionals (``/vrijwilligers``).

Thin views over :mod:`sociale_kaart.volunteer`: load, check access, call a service, render.
Anonymous visitors search and read vacatures and hulpaanbod; a hulpvraag needs a signed-in
participant or professional and shows only alias and kern. Contact details appear only after
acceptance (:func:`~sociale_kaart.volunteer.responses.contact_details`); before that the page
answers 403. The coordinator's queues live in 9b's blueprint; this one calls the same services.
"""

from __future__ import annotations

import json

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import logout_user

from ..models import Organization, VolunteerListing
from ..models import Response as VolunteerResponse
from ..search.params import ParamError
from ..volunteer import NotAllowed, VolunteerError, clock
from ..volunteer.api import parse_query
from ..volunteer.invitations import open_invitations
from ..volunteer.listings import (
    PROFESSIONALS,
    can_manage,
    can_view,
    close_listing,
    create_listing,
    listings_of,
    open_vacancies,
    update_listing,
)
from ..volunteer.people import (
    create_client,
    register_participant,
    update_profile,
)
from ..volunteer.privacy import erase_person, export_person
from ..volunteer.responses import (
    is_responder,
)
from ..volunteer.search import UnknownPlace, search_listings
from . import get_db, get_settings
from .access import role_required
from .volunteer_common import (
    PARTICIPANTS,
    SEES_HULPVRAGEN,
    bp,
    current_account,
    current_person,
    listing_or_404,
)
from .volunteer_forms import (
    FormValues,
    labels,
    listing_input,
    listing_values,
    optional_date,
    optional_int,
    text,
)


@bp.app_context_processor
def _helpers() -> dict:
    return {"volunteer_vacancies": _vacancies_for_kaart, **labels()}


def _vacancies_for_kaart(organization_id: str) -> list[VolunteerListing]:
    """An organisation's open vacatures for its pages on the kaart (empty when none)."""
    session = get_db().Session()
    try:
        rows = open_vacancies(session, organization_id, clock.now().date())
        session.expunge_all()
        return rows
    finally:
        session.close()










# -- public --------------------------------------------------------------------------------

@bp.get("/")
def search():
    """Search vacatures and hulpaanbod (and, for participants, hulpvragen)."""
    user = current_account()
    allowed = ("vacature", "hulpaanbod") + (
        ("hulpvraag",) if user is not None and user.role in SEES_HULPVRAGEN else ())
    error = None
    result = None
    session = get_db().Session()
    try:
        try:
            query = parse_query(request.args, default_km=get_settings().default_radius_km,
                                allowed_types=allowed)
            if "type" not in request.args and "hulpvraag" in allowed:
                query.types = allowed
            result = search_listings(session, query, today=clock.now().date(),
                                     default_km=get_settings().default_radius_km)
        except ParamError as exc:
            error = f"{exc.param}: {exc.message}"
        except UnknownPlace as exc:
            error = _("De plaats %(place)s kennen we niet.", place=exc.near[:50])
        status = 400 if error else 200
        return render_template("vrijwilligers/search.html", result=result, error=error,
                               args=request.args, allowed_types=allowed), status
    finally:
        session.close()


@bp.get("/oproep/<int:listing_id>")
def detail(listing_id: int):
    """One listing; a hulpvraag only for signed-in participants, with alias and kern."""
    session = get_db().Session()
    try:
        listing = listing_or_404(session, listing_id)
        user = current_account()
        person = current_person(session)
        if listing.type == "hulpvraag" and user is None:
            return redirect(url_for("auth.login", next=request.path))
        if not can_view(session, listing, user, clock.now().date(), person):
            abort(404 if user is None else 403)
        manager = can_manage(user, listing, person)
        mine = [r for r in listing.responses if is_responder(user, r, person)]
        owner = listing.owner
        return render_template(
            "vrijwilligers/detail.html", listing=listing, manager=manager, mine=mine,
            owner_alias=owner.alias if owner else None,
            can_respond=_can_respond(user, person, listing, manager, mine),
            responder_orgs=_responder_orgs(session, user, listing))
    finally:
        session.close()


def _can_respond(user, person, listing, manager, mine) -> bool:
    if user is None or manager or any(r.state in ("interested", "accepted", "matched")
                                      for r in mine):
        return False
    if listing.status != "active":
        return False
    return person is not None or (user.role == "provider" and bool(user.organization_ids))


def _responder_orgs(session, user, listing) -> list[Organization]:
    if user is None or user.role != "provider":
        return []
    ids = sorted(user.organization_ids - {listing.organization_id})
    return [session.get(Organization, i) for i in ids if session.get(Organization, i)]


# -- signing up and the profile ------------------------------------------------------------

@bp.route("/aanmelden", methods=["GET", "POST"])
def signup():
    """Sign up as a participant (volunteer or help seeker)."""
    if current_account() is not None:
        return redirect(url_for("volunteer.mine"))
    errors: dict[str, str] = {}
    values = FormValues.from_form(request.form) if request.method == "POST" else FormValues()
    if request.method == "POST":
        if not request.form.get("privacy"):
            errors["privacy"] = _("Geef aan dat u de privacyuitleg heeft gelezen.")
        else:
            try:
                with get_db().session() as session:
                    register_participant(
                        session, email=text(request.form, "email"),
                        password=request.form.get("password") or "",
                        alias=text(request.form, "alias"), kern=text(request.form, "kern"),
                        full_name=text(request.form, "full_name"),
                        postcode=text(request.form, "postcode"),
                        phone=text(request.form, "phone"),
                        date_of_birth=optional_date(request.form, "date_of_birth"),
                        now=clock.now())
                flash(_("Uw account is klaar. Log in met uw e-mailadres en wachtwoord."))
                return redirect(url_for("auth.login", next=url_for("volunteer.profile")))
            except VolunteerError as error:
                errors[error.field] = _(error.message)
    status = 400 if errors else 200
    return render_template("vrijwilligers/signup.html", errors=errors, values=values), status


@bp.route("/mijn/profiel", methods=["GET", "POST"])
@role_required("deelnemer")
def profile():
    """The participant's own profile: public, private and volunteer data."""
    errors: dict[str, str] = {}
    with get_db().session() as session:
        person = current_person(session)
        if person is None:
            abort(403)
        if request.method == "POST":
            try:
                update_profile(
                    session, person, now=clock.now(), alias=text(request.form, "alias"),
                    kern=text(request.form, "kern"), full_name=text(request.form, "full_name"),
                    postcode=text(request.form, "postcode"), phone=text(request.form, "phone"),
                    date_of_birth=optional_date(request.form, "date_of_birth"),
                    interests=request.form.getlist("themes"),
                    dagdelen=request.form.getlist("dagdelen"),
                    suitable_for=request.form.getlist("suitable_for"),
                    skills=[s.strip() for s in (request.form.get("skills") or "").split(",")],
                    travel_km=optional_int(request.form, "travel_km", 0, 100) or 0,
                    has_car=bool(request.form.get("has_car")),
                    has_licence=bool(request.form.get("has_licence")),
                    vog_status=request.form.get("vog_status") or "none",
                    vog_expires_on=optional_date(request.form, "vog_expires_on"),
                    ask_opt_in=bool(request.form.get("ask_opt_in")),
                    digest_opt_in=bool(request.form.get("digest_opt_in")))
                flash(_("Uw profiel is opgeslagen."))
                return redirect(url_for("volunteer.profile"))
            except VolunteerError as error:
                session.rollback()
                errors[error.field] = _(error.message)
                person = current_person(session)
        html = render_template("vrijwilligers/profile.html", person=person, errors=errors)
    return html, 400 if errors else 200


@bp.get("/mijn")
@role_required(*PARTICIPANTS)
def mine():
    """My listings, my responses and the responses to my listings."""
    session = get_db().Session()
    try:
        user = current_account()
        person = current_person(session)
        listings = listings_of(session, person=person,
                               organization_ids=user.organization_ids or None,
                               posted_by=user if user.role in PROFESSIONALS else None)
        responses = []
        if person is not None:
            responses = list(session.query(VolunteerResponse).filter_by(person_id=person.id)
                             .order_by(VolunteerResponse.id.desc()))
        elif user.organization_ids:
            responses = list(session.query(VolunteerResponse).filter(
                VolunteerResponse.organization_id.in_(user.organization_ids))
                .order_by(VolunteerResponse.id.desc()))
        invitations = open_invitations(session, person, clock.now().date()) \
            if person is not None else []
        return render_template("vrijwilligers/mine.html", person=person, listings=listings,
                               responses=responses, invitations=invitations)
    finally:
        session.close()


@bp.get("/mijn/gegevens.json")
@role_required("deelnemer")
def export():
    """Download everything the platform holds about me (right of access)."""
    session = get_db().Session()
    try:
        person = current_person(session)
        if person is None:
            abort(403)
        body = json.dumps(export_person(session, person), ensure_ascii=False, indent=2)
    finally:
        session.close()
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": "attachment; filename=mijn-gegevens.json",
        "Cache-Control": "no-store"})


@bp.route("/mijn/verwijderen", methods=["GET", "POST"])
@role_required("deelnemer")
def delete_account():
    """Delete my account and all my personal data (right to erasure)."""
    if request.method == "POST":
        if request.form.get("confirm") != "ja":
            flash(_("Vink aan dat u uw account echt wilt verwijderen."))
            return render_template("vrijwilligers/delete.html"), 400
        with get_db().session() as session:
            person = current_person(session)
            if person is None:
                abort(403)
            erase_person(session, person, clock.now())
        logout_user()
        flash(_("Uw account en uw gegevens zijn verwijderd."))
        return redirect(url_for("volunteer.search"))
    return render_template("vrijwilligers/delete.html")


# -- posting and managing listings ---------------------------------------------------------

def _types_for(user, person) -> tuple[str, ...]:
    """What this account may post here. Professionals and the coordinator post hulpvragen for
    clients; an organisation's vacancies come from its own members."""
    if user.role == "provider":
        return ("vacature", "hulpaanbod")
    if user.role in PROFESSIONALS:
        return ("hulpvraag",)
    return ("hulpvraag", "hulpaanbod") if person is not None else ()


def _organisations_of(session, user) -> list[Organization]:
    if user.role != "provider":
        return []
    ids = sorted(user.organization_ids)
    return [org for org in (session.get(Organization, i) for i in ids) if org is not None]


@bp.route("/oproep/nieuw", methods=["GET", "POST"])
@role_required(*PARTICIPANTS)
def new_listing():
    """Post a vacature, hulpvraag or hulpaanbod (professionals: on behalf of a client)."""
    errors: dict[str, str] = {}
    user = current_account()
    with get_db().session() as session:
        person = current_person(session)
        types = _types_for(user, person)
        organisations = _organisations_of(session, user)
        if not types:
            abort(403)
        values = FormValues.from_form(request.form) if request.method == "POST" else \
            FormValues(type=request.args.get("type", types[0]))
        on_behalf = user.role in PROFESSIONALS and person is None
        if request.method == "POST":
            listing_type = request.form.get("type") or types[0]
            try:
                if listing_type not in types:
                    raise VolunteerError("type", "Dit soort oproep kunt u niet plaatsen.")
                data = listing_input(request.form, listing_type)
                org_id = request.form.get("organization") or None
                if org_id and org_id not in {o.id for o in organisations}:
                    raise NotAllowed("U hoort niet bij deze organisatie.")
                if listing_type in ("vacature", "hulpaanbod") and user.role == "provider" \
                        and not org_id:
                    raise VolunteerError("organization", "Kies de organisatie.")
                client = None
                if on_behalf and listing_type == "hulpvraag":
                    if not request.form.get("consent"):
                        raise VolunteerError("consent", "Bevestig dat de hulpvrager toestemming "
                                                        "gaf.")
                    client = create_client(
                        session, alias=text(request.form, "client_alias"),
                        kern=data.kern, full_name=text(request.form, "client_name"),
                        phone=text(request.form, "client_phone"),
                        email=text(request.form, "client_email"), now=clock.now())
                listing = create_listing(
                    session, data, posted_by=user, now=clock.now(), organization_id=org_id,
                    owner=person if (client is None and not org_id) else None,
                    on_behalf_of=client, consent_text=text(request.form, "consent_text")
                    if client else None)
                listing_id = listing.id
                warnings = list(listing.privacy_warnings)
            except NotAllowed:
                abort(403)
            except VolunteerError as error:
                session.rollback()
                errors[error.field] = _(error.message)
            else:
                flash(_("Uw oproep is opgeslagen. De coördinator kijkt er snel naar; daarna "
                        "staat hij online."))
                if warnings:
                    flash(_("Let op: de tekst bevat misschien persoonlijke gegevens. Pas hem "
                            "aan als dat niet de bedoeling is."))
                return redirect(url_for("volunteer.detail", listing_id=listing_id))
        html = render_template("vrijwilligers/edit.html", values=values, errors=errors,
                               types=types, organisations=organisations, listing=None,
                               on_behalf=on_behalf)
    return html, 400 if errors else 200


@bp.route("/oproep/<int:listing_id>/bewerken", methods=["GET", "POST"])
@role_required(*PARTICIPANTS)
def edit_listing(listing_id: int):
    """Change a listing (an online listing goes back to the coordinator for review)."""
    errors: dict[str, str] = {}
    with get_db().session() as session:
        listing = listing_or_404(session, listing_id)
        person = current_person(session)
        if not can_manage(current_account(), listing, person):
            abort(403)
        values = FormValues.from_form(request.form) if request.method == "POST" else \
            FormValues(listing_values(listing))
        if request.method == "POST":
            try:
                update_listing(session, listing, listing_input(request.form, listing.type),
                               now=clock.now())
            except VolunteerError as error:
                session.rollback()
                errors[error.field] = _(error.message)
            else:
                flash(_("De wijziging is opgeslagen."))
                return redirect(url_for("volunteer.detail", listing_id=listing_id))
        html = render_template("vrijwilligers/edit.html", values=values, errors=errors,
                               types=(listing.type,), organisations=[], listing=listing,
                               on_behalf=False)
    return html, 400 if errors else 200


@bp.post("/oproep/<int:listing_id>/sluiten")
@role_required(*PARTICIPANTS)
def close(listing_id: int):
    """Take a listing offline (closed, or filled)."""
    with get_db().session() as session:
        listing = listing_or_404(session, listing_id)
        if not can_manage(current_account(), listing, current_person(session)):
            abort(403)
        try:
            close_listing(session, listing, now=clock.now(),
                          filled=request.form.get("filled") == "1")
        except VolunteerError as error:
            flash(_(error.message))
            return redirect(url_for("volunteer.detail", listing_id=listing_id))
    flash(_("De oproep staat niet meer online."))
    return redirect(url_for("volunteer.mine"))


# The response and invitation views live in their own modules on the same blueprint; importing
# them here attaches their routes before the app registers ``bp``.
from . import volunteer_invitations, volunteer_responses  # noqa: E402, F401

