"""Responses on the volunteer platform: responding, moving a response on, and the contact page.

Why a module of its own: this is where contact details are released, so the rule "only after
acceptance, only for the two sides" (:func:`~sociale_kaart.volunteer.responses.contact_details`,
403 otherwise) is easy to review in one place. Same ``volunteer`` blueprint and endpoint names
as before the split (``volunteer.respond_to``, ``volunteer.response_action``,
``volunteer.contact``).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import Response as VolunteerResponse
from ..volunteer import NotAllowed, VolunteerError, clock, notify
from ..volunteer.listings import can_view
from ..volunteer.responses import (
    accept,
    contact_details,
    decline,
    finish,
    record_match,
    respond,
    withdraw,
)
from . import get_db, get_settings
from .access import role_required
from .volunteer_common import (
    PARTICIPANTS,
    bp,
    current_account,
    current_person,
    listing_or_404,
    response_or_404,
)

# -- responses -----------------------------------------------------------------------------

@bp.post("/oproep/<int:listing_id>/reageren")
@role_required(*PARTICIPANTS)
def respond_to(listing_id: int):
    """Respond to a listing, as a person or for one's organisation."""
    user = current_account()
    with get_db().session() as session:
        listing = listing_or_404(session, listing_id)
        person = current_person(session)
        if not can_view(session, listing, user, clock.now().date(), person):
            abort(403)
        # A provider responds for one of their organisations; everyone else as a person.
        org_id = (request.form.get("organization") or None) if user.role == "provider" else None
        try:
            if org_id is not None:
                response = respond(session, listing, now=clock.now(), organization_id=org_id,
                                   user=user, message=request.form.get("message"))
            elif person is not None:
                response = respond(session, listing, now=clock.now(), person=person, user=user,
                                   message=request.form.get("message"))
            else:
                abort(403)
            response_id = response.id
        except NotAllowed:
            abort(403)
        except VolunteerError as error:
            session.rollback()
            flash(_(error.message))
            return redirect(url_for("volunteer.detail", listing_id=listing_id))
    send_notification(notify.new_response, response_id)  # after the commit: never mail what failed
    flash(_("Uw reactie is verstuurd. U hoort het als de ander uw reactie accepteert; dan ziet "
            "u elkaars contactgegevens."))
    return redirect(url_for("volunteer.detail", listing_id=listing_id))


def send_notification(mail, response_id: int) -> None:
    """Send a notification about a committed response (see volunteer/notify.py)."""
    session = get_db().Session()
    try:
        mail(session, get_settings(), session.get(VolunteerResponse, response_id))
    finally:
        session.close()


ACTIONS = {
    "accepteren": (accept, _l("De reactie is geaccepteerd. U ziet nu elkaars "
                              "contactgegevens.")),
    "afwijzen": (decline, _l("De reactie is afgewezen.")),
    "intrekken": (withdraw, _l("Uw reactie is ingetrokken.")),
}


RESPONSE_ACTIONS = ("accepteren", "afwijzen", "intrekken", "match", "afgerond",
                    "niet-doorgegaan")


@bp.post("/reactie/<int:response_id>/<action>")
@role_required(*PARTICIPANTS)
def response_action(response_id: int, action: str):
    """Move a response on: accept, decline, withdraw, mark a match, finish."""
    if action not in RESPONSE_ACTIONS:
        abort(404)
    user = current_account()
    with get_db().session() as session:
        response = response_or_404(session, response_id)
        person = current_person(session)
        listing_id = response.listing_id
        try:
            if action in ACTIONS:
                ACTIONS[action][0](session, response, by=user, now=clock.now(), person=person)
                message = ACTIONS[action][1]

            elif action == "match":
                record_match(session, response, by=user, now=clock.now(), person=person)
                message = _l("Mooi! Dit is vastgelegd als match.")
            else:
                finish(session, response, by=user, now=clock.now(), person=person,
                       completed=action == "afgerond")
                message = _l("Dank u, dit is vastgelegd.")
        except NotAllowed:
            abort(403)
        except VolunteerError as error:
            session.rollback()
            flash(_(error.message))
            return redirect(url_for("volunteer.detail", listing_id=listing_id))
    flash(str(message))
    if action == "accepteren":
        send_notification(notify.accepted, response_id)
        return redirect(url_for("volunteer.contact", response_id=response_id))
    return redirect(url_for("volunteer.detail", listing_id=listing_id))


@bp.get("/reactie/<int:response_id>/contact")
@role_required(*PARTICIPANTS)
def contact(response_id: int):
    """Both sides' contact details: only after acceptance, only for the two sides (else 403)."""
    session = get_db().Session()
    try:
        response = response_or_404(session, response_id)
        try:
            details = contact_details(session, response, viewer=current_account(),
                                      person=current_person(session))
        except NotAllowed:
            abort(403)
        return render_template("vrijwilligers/contact.html", response=response,
                               listing=response.listing, details=details)
    finally:
        session.close()
