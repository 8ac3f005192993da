"""Sending e-mail through the configured SMTP server.

Without an SMTP server (the default on a laptop) nothing is sent: the caller gets ``False``
and shows the link to the beheerder instead, so invitations and resets still work.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage

from ..config import Settings

log = logging.getLogger(__name__)


class MailError(RuntimeError):
    pass


def mail_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def send_mail(settings: Settings, to: str, subject: str, body: str) -> bool:
    """Send a plain-text message; False when no SMTP server is configured."""
    if not mail_configured(settings):
        return False
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.error("could not send e-mail to %s: %s", to.split("@")[-1], error)
        raise MailError(f"De e-mail kon niet worden verstuurd: {error}") from error
    return True
