"""What the volunteer platform's view modules share: the blueprint, who takes part, and the
look-ups every view starts with.

The ``volunteer`` blueprint's views are split over modules by job (:mod:`.volunteer` for
search, listings and the profile; :mod:`.volunteer_responses` for responses and contact;
:mod:`.volunteer_invitations` for inviting volunteers), all on this one blueprint so URLs and
endpoint names (``volunteer.*``) stay the same.
"""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from ..models import Person, User, VolunteerListing
from ..models import Response as VolunteerResponse
from ..volunteer.people import person_for_user

bp = Blueprint("volunteer", __name__, url_prefix="/vrijwilligers")

#: Everybody with a place on the platform (staff roles include those above them).
PARTICIPANTS = ("deelnemer", "provider", "consultant", "coordinator")
#: Roles that may see hulpvragen in the search (never anonymous visitors).
SEES_HULPVRAGEN = ("deelnemer", "provider", "consultant", "coordinator", "moderator",
                   "beheerder")


def current_account() -> User | None:
    """The signed-in account, or None for an anonymous visitor."""
    return current_user if current_user.is_authenticated else None


def current_person(session) -> Person | None:
    """The signed-in account's participant record (None for staff and organisations)."""
    user = current_account()
    return person_for_user(session, user.id) if user is not None else None


def listing_or_404(session, listing_id: int) -> VolunteerListing:
    listing = session.get(VolunteerListing, listing_id)
    if listing is None:
        abort(404)
    return listing


def response_or_404(session, response_id: int) -> VolunteerResponse:
    response = session.get(VolunteerResponse, response_id)
    if response is None:
        abort(404)
    return response
