"""Inviting people: an account without a password plus a one-time link to choose one.

Shared by ``sociale-kaart user add`` and the beheerder's page ``/beheer/gebruikers``, so both
make the same account, the same link and the same e-mail. The link is built from
``Settings.base_url`` (not from a request) because the command line has no request, and an
e-mail must point at the public address of the site, not at the one a proxy saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from ..config import Settings
from ..models import User
from .accounts import create_user, issue_token
from .mail import send_mail

#: Path of ``auth.accept_invitation``; spelled out because the CLI has no Flask app to ask.
INVITATION_PATH = "/account/uitnodiging/{token}"


@dataclass
class Invitation:
    user: User
    token: str
    link: str


def invitation_link(settings: Settings, token: str) -> str:
    return settings.base_url.rstrip("/") + INVITATION_PATH.format(token=token)


def issue_invitation(session: Session, settings: Settings, user: User) -> Invitation:
    """A new invitation link for an existing account (earlier links stop working)."""
    token = issue_token(session, user, "invite", timedelta(hours=settings.invite_valid_hours))
    return Invitation(user, token, invitation_link(settings, token))


def invite_user(session: Session, settings: Settings, email: str, role: str, *,
                organization_ids: list[str] | None = None, trusted: bool = False,
                name: str | None = None) -> Invitation:
    """Create an account without a password and an invitation link for it.

    Raises :class:`~sociale_kaart.services.accounts.AccountError` for a bad e-mail address,
    an unknown role or organisation, or an address that already has an account. The caller
    commits, and only then sends the e-mail, so the link works when it arrives.
    """
    user = create_user(session, email, role, organization_ids=organization_ids,
                       trusted=trusted, name=name)
    return issue_invitation(session, settings, user)


def send_invitation(settings: Settings, invitation: Invitation) -> bool:
    """E-mail the link; False when no SMTP server is set (then show the link instead).

    Raises :class:`~sociale_kaart.services.mail.MailError` when the server refuses.
    """
    body = (
        f"Hallo,\n\n"
        f"U heeft een account gekregen voor {settings.site_name}.\n"
        f"Via deze link kiest u een wachtwoord:\n\n"
        f"{invitation.link}\n\n"
        f"De link werkt {settings.invite_valid_hours} uur en één keer. Daarna logt u in met "
        f"uw e-mailadres ({invitation.user.email}) en uw wachtwoord.\n\n"
        f"Verwacht u deze e-mail niet? Dan kunt u hem negeren.\n"
    )
    return send_mail(settings, invitation.user.email,
                     f"Uitnodiging voor {settings.site_name}", body)
