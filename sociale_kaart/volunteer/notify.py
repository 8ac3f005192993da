"""Short e-mails when something happens to one's listing or response.

Through the site's mailer (:mod:`sociale_kaart.services.mail`): without an SMTP server nothing
is sent and the platform works the same. The mails never carry the other side's private data:
only the listing's title and a link; details are on the site, after signing in. A failed send
never undoes the response or the acceptance (it is logged without the address).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from ..config import Settings
from ..models import Person, Response, VolunteerListing
from ..services.mail import MailError, send_mail

log = logging.getLogger(__name__)


def _listing_address(session: Session, listing: VolunteerListing) -> str | None:
    if listing.organization_id is not None:
        return listing.contact_email or (listing.organization.email if listing.organization
                                         else None)
    owner = session.get(Person, listing.owner_person_id) if listing.owner_person_id else None
    return owner.email if owner is not None else None


def _responder_address(session: Session, response: Response) -> str | None:
    if response.person_id is not None:
        person = session.get(Person, response.person_id)
        return person.email if person is not None else None
    return response.organization.email if response.organization is not None else None


def _send(settings: Settings, to: str | None, subject: str, body: str) -> bool:
    if not to:
        return False
    try:
        return send_mail(settings, to, subject, body)
    except MailError:
        log.warning("volunteer notification not sent")
        return False


def new_response(session: Session, settings: Settings, response: Response) -> bool:
    """Tell the listing's side that someone responded."""
    listing = session.get(VolunteerListing, response.listing_id)
    link = f"{settings.base_url}/vrijwilligers/oproep/{listing.id}"
    body = (f"Er is een nieuwe reactie op uw oproep \"{listing.title}\".\n\n"
            f"Bekijk de reactie en laat weten of u die accepteert:\n{link}\n\n"
            "Pas als u accepteert, ziet u elkaars contactgegevens.\n")
    return _send(settings, _listing_address(session, listing), "Nieuwe reactie op uw oproep",
                 body)


def accepted(session: Session, settings: Settings, response: Response) -> bool:
    """Tell the responder that their response was accepted."""
    listing = session.get(VolunteerListing, response.listing_id)
    link = f"{settings.base_url}/vrijwilligers/reactie/{response.id}/contact"
    body = (f"Goed nieuws: uw reactie op \"{listing.title}\" is geaccepteerd.\n\n"
            f"Na het inloggen ziet u hier de contactgegevens:\n{link}\n")
    return _send(settings, _responder_address(session, response),
                 "Uw reactie is geaccepteerd", body)
