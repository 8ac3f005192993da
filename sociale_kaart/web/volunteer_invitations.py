"""Inviting a volunteer to a listing, and the volunteer's answer.

* ``POST /vrijwilligers/oproep/<id>/uitnodigen`` (form field ``person_id``): whoever manages
  the listing (its organisation, the professional who posted it, the coordinator) invites a
  volunteer from "Wie kan helpen?". The inviter never sees more than alias and kern.
* ``POST /vrijwilligers/uitnodiging/<id>/ja`` or ``/nee``: the invited volunteer answers on
  "Mijn vrijwilligerswerk". Yes becomes an ordinary response; contact details are released
  only when the listing's side accepts it.

Thin views over :mod:`sociale_kaart.volunteer.invitations`.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from ..models import Person, VolunteerInvitation
from ..volunteer import NotAllowed, VolunteerError, clock, notify
from ..volunteer import invitations as inv
from ..volunteer.listings import can_manage
from . import get_db
from .access import role_required
from .volunteer_common import (
    PARTICIPANTS,
    bp,
    current_account,
    current_person,
    listing_or_404,
)
from .volunteer_responses import send_notification


@bp.post("/oproep/<int:listing_id>/uitnodigen")
@role_required(*PARTICIPANTS)
def invite(listing_id: int):
    """Invite an opted-in volunteer; back to "Wie kan helpen?" with what happened."""
    back = url_for("suggestions.who_can_help", listing_id=listing_id)
    with get_db().session() as session:
        listing = listing_or_404(session, listing_id)
        try:
            person_id = int(request.form.get("person_id", ""))
        except ValueError:
            person_id = 0
        by, by_person = current_account(), current_person(session)
        if not can_manage(by, listing, by_person):
            abort(403)  # before any look-up, so outsiders learn nothing about ids
        volunteer = session.get(Person, person_id)
        if volunteer is None:
            flash(_("Vrijwilliger %(id)s bestaat niet.", id=person_id))
            return redirect(back)
        try:
            inv.invite(session, listing, volunteer, by=by, by_person=by_person,
                       now=clock.now())
            alias = volunteer.alias
        except NotAllowed:
            abort(403)
        except VolunteerError as error:
            session.rollback()
            flash(_(error.message))
            return redirect(back)
    flash(_("%(alias)s is uitgenodigd. U ziet een reactie bij de oproep als %(alias)s ja zegt.",
            alias=alias))
    return redirect(back)


@bp.post("/uitnodiging/<int:invitation_id>/<answer>")
@role_required("deelnemer")
def answer_invitation(invitation_id: int, answer: str):
    """The invited volunteer says yes (a response is made) or no."""
    if answer not in ("ja", "nee"):
        abort(404)
    with get_db().session() as session:
        invitation = session.get(VolunteerInvitation, invitation_id)
        if invitation is None:
            abort(404)
        listing_id = invitation.listing_id
        try:
            response = inv.answer(session, invitation, current_person(session),
                                  user=current_account(), yes=answer == "ja", now=clock.now())
            response_id = response.id if response is not None else None
        except NotAllowed:
            abort(403)
        except VolunteerError as error:
            session.rollback()
            flash(_(error.message))
            return redirect(url_for("volunteer.mine"))
    if response_id is None:
        flash(_("Dank u. U heeft de uitnodiging afgeslagen."))
        return redirect(url_for("volunteer.mine"))
    send_notification(notify.new_response, response_id)  # after the commit
    flash(_("Dank u. Uw reactie is verstuurd. U ziet elkaars contactgegevens zodra de ander "
            "uw reactie accepteert."))
    return redirect(url_for("volunteer.detail", listing_id=listing_id))
