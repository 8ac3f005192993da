"""Matching pages of the volunteer platform (issue 9, part 4).

* ``/vrijwilligers/voor-u``: "Voor u gevonden", the listings that fit a signed-in volunteer's
  profile best, each with the reasons in plain Dutch;
* ``/vrijwilligers/oproep/<id>/wie-kan-helpen``: for whoever manages a listing (its
  organisation, the professional who posted it, the coordinator): volunteers who opted in to be
  asked, ranked, with alias, kern and reasons only (never contact details).

Thin views over :mod:`sociale_kaart.volunteer.match_adapters`.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import gettext
from flask_login import current_user

from ..models import VolunteerListing
from ..volunteer.clock import now as clock_now
from ..volunteer.invitations import invited_ids
from ..volunteer.listings import can_manage, is_live
from ..volunteer.match_adapters import suggestions_for, volunteers_for
from ..volunteer.matching import reason_text
from ..volunteer.people import person_for_user
from . import get_db
from .access import role_required

bp = Blueprint("suggestions", __name__)


@bp.route("/vrijwilligers/voor-u")
@role_required("deelnemer")
def for_you():
    """"Voor u gevonden": the best listings for the signed-in volunteer, with reasons."""
    session = get_db().Session()
    try:
        person = person_for_user(session, current_user.id)
        if person is None:
            abort(403)
        items = [(listing, [reason_text(r, gettext) for r in s.reasons])
                 for listing, s in suggestions_for(session, person, clock_now().date(),
                                                   limit=10)]
        return render_template("suggestions/for_you.html", items=items, person=person)
    finally:
        session.close()


@bp.route("/vrijwilligers/oproep/<int:listing_id>/wie-kan-helpen")
@role_required("deelnemer", "provider", "consultant", "coordinator", "beheerder")
def who_can_help(listing_id: int):
    """Opted-in volunteers who fit this listing, for the people who manage it."""
    session = get_db().Session()
    try:
        listing = session.get(VolunteerListing, listing_id)
        if listing is None:
            abort(404)
        person = person_for_user(session, current_user.id)
        if not can_manage(current_user, listing, person):
            abort(403)
        candidates = [(p, [reason_text(r, gettext) for r in s.reasons])
                      for p, s in volunteers_for(session, listing, clock_now().date(),
                                                 limit=20)]
        return render_template(
            "suggestions/who_can_help.html", listing=listing, candidates=candidates,
            invited=invited_ids(session, listing.id),
            can_invite=listing.type != "hulpaanbod" and is_live(listing, clock_now().date())
            and not listing.not_for_volunteers)
    finally:
        session.close()
