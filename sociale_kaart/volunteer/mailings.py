"""E-mails of the volunteer platform: weekly digest, follow-ups, 3-month check, VOG reminder.

Why each run is idempotent: the commands run from cron (or a job queue) and may run twice, late
or after a crash. Every mail is recorded before the run ends (``DigestLog`` for the digest,
``followup_sent_at``, ``durable_check_sent_at`` and ``vog_reminder_sent_at`` for the others),
and a run only picks what has no record yet, so nobody gets the same mail twice.

Why signed links instead of stored tokens: a recipient answers ("yes, it became a match") or
unsubscribes with one click, without logging in. The links carry a signed payload (the response,
match or person id and the side) made with the site's secret key (itsdangerous), so there is no
token table to clean up and a link cannot be forged or pointed at someone else's match. The
unsubscribe link keeps working for every past digest. A GET on a link only shows a confirm page;
the answer is recorded by a POST (a mail scanner that follows links changes nothing). The digest
also carries ``List-Unsubscribe`` and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
(RFC 8058), so a mail client's own unsubscribe button works.

Without an SMTP server nothing is sent and nothing is recorded, so configuring one later sends
the due mails then. Log lines never contain an address or a name.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings, ensure_secret_key
from ..models import DigestLog, Match, Person, Response, VolunteerListing
from ..services.mail import MailError, mail_configured
from . import VolunteerError
from .coordination import vog_due_for_reminder
from .match_adapters import suggestions_for
from .matching import reason_text
from .responses import _move, create_match, listing_contact

log = logging.getLogger(__name__)

#: A digest goes out at most once in this many days, however often the command runs.
DIGEST_INTERVAL_DAYS = 7
DIGEST_SIZE = 5
SALT_UNSUBSCRIBE = "vrijwilligers-digest-afmelden"
SALT_FOLLOWUP = "vrijwilligers-opvolging"
SALT_DURABLE = "vrijwilligers-duurzame-match"
SIDES = ("listing", "responder")

#: to, subject, body, extra headers -> sent?
Sender = Callable[[str, str, str, dict[str, str]], bool]


def smtp_sender(settings: Settings) -> Sender:
    """Send through the configured SMTP server (like ``services.mail.send_mail``, plus headers
    for the digest's one-click unsubscribe); False when no server is configured."""

    def send(to: str, subject: str, body: str, headers: dict[str, str]) -> bool:
        if not mail_configured(settings):
            return False
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        for name, value in headers.items():
            message[name] = value
        message.set_content(body)
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.smtp_user:
                    smtp.login(settings.smtp_user, settings.smtp_password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            log.error("could not send volunteer e-mail to a %s address: %s",
                      to.split("@")[-1], error)
            raise MailError(f"De e-mail kon niet worden verstuurd: {error}") from error
        return True

    return send


@dataclass
class MailRun:
    """What a run did, for the command's output (counts only, no addresses)."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    not_configured: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.sent} verstuurd, {self.skipped} overgeslagen, {self.failed} mislukt"
        if self.not_configured:
            text += " (geen SMTP-server ingesteld: er is niets verstuurd)"
        return text


# -- signed links ------------------------------------------------------------------------------

def _serializer(settings: Settings, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(ensure_secret_key(settings), salt=salt)


def make_token(settings: Settings, salt: str, payload: dict) -> str:
    return _serializer(settings, salt).dumps(payload)


def read_token(settings: Settings, salt: str, token: str) -> dict:
    """The payload of a link; raises VolunteerError for a changed or foreign link."""
    try:
        payload = _serializer(settings, salt).loads(token)
    except BadSignature as error:
        raise VolunteerError("token", "Deze link klopt niet (meer). Kopieer de hele link "
                                      "uit de e-mail.") from error
    if not isinstance(payload, dict):
        raise VolunteerError("token", "Deze link klopt niet.")
    return payload


def link(settings: Settings, path: str) -> str:
    return f"{settings.base_url}{path}"


def unsubscribe_url(settings: Settings, person: Person) -> str:
    token = make_token(settings, SALT_UNSUBSCRIBE, {"p": person.id})
    return link(settings, f"/vrijwilligers/e-mail/afmelden/{token}")


def listing_url(settings: Settings, listing_id: int) -> str:
    return link(settings, f"/vrijwilligers/oproep/{listing_id}")


# -- weekly digest -----------------------------------------------------------------------------

def _digest_recipients(session: Session, now: datetime) -> list[Person]:
    since = (now - timedelta(days=DIGEST_INTERVAL_DAYS - 1)).date()
    recent = select(DigestLog.person_id).where(DigestLog.sent_on >= since)
    return list(session.scalars(select(Person).where(
        Person.digest_opt_in.is_(True), Person.is_volunteer.is_(True),
        Person.email.is_not(None), Person.id.not_in(recent)).order_by(Person.id)))


def digest_body(settings: Settings, person: Person, items) -> str:
    lines = [f"Beste {person.alias},", "",
             "Deze oproepen passen bij wat u zoekt. Kijk of er iets voor u bij is:", ""]
    for listing, suggestion in items:
        where = listing.kern or ("online" if listing.mode == "online" else "")
        lines.append(f"* {listing.title}" + (f" ({where})" if where else ""))
        reasons = ", ".join(reason_text(r) for r in suggestion.reasons)
        if reasons:
            lines.append(f"  Waarom: {reasons}")
        lines.append(f"  {listing_url(settings, listing.id)}")
        lines.append("")
    lines += ["U krijgt deze e-mail één keer per week, omdat u daarvoor koos.",
              f"Wilt u hem niet meer krijgen? Meld u af: {unsubscribe_url(settings, person)}",
              "", f"Met vriendelijke groet, {settings.site_name}"]
    return "\n".join(lines)


def send_digests(session: Session, settings: Settings, now: datetime,
                 sender: Sender | None = None) -> MailRun:
    """Send the weekly digest to every opted-in volunteer who had none in the last week.

    A volunteer with no suggestion this week gets no mail (an empty digest teaches people to
    ignore it) and is tried again at the next run.
    """
    send = sender or smtp_sender(settings)
    run = MailRun()
    today = now.date()
    for person in _digest_recipients(session, now):
        items = suggestions_for(session, person, today, limit=DIGEST_SIZE)
        if not items:
            run.skipped += 1
            continue
        unsubscribe = unsubscribe_url(settings, person)
        headers = {"List-Unsubscribe": f"<{unsubscribe}>",
                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        try:
            ok = send(person.email, f"Voor u gevonden: {len(items)} oproepen deze week",
                      digest_body(settings, person, items), headers)
        except MailError:
            run.failed += 1
            continue
        if not ok:
            run.not_configured = True
            break
        session.add(DigestLog(person_id=person.id, sent_on=today,
                              listing_ids=[listing.id for listing, _ in items], created_at=now))
        person.digest_last_sent_at = now
        session.flush()
        run.sent += 1
    return run


def unsubscribe(session: Session, settings: Settings, token: str) -> Person:
    """Switch the digest off for the person of a link (idempotent)."""
    payload = read_token(settings, SALT_UNSUBSCRIBE, token)
    person = session.get(Person, payload.get("p"))
    if person is None:
        raise VolunteerError("token", "Deze inschrijving bestaat niet meer.")
    person.digest_opt_in = False
    session.flush()
    return person


def digest_person(session: Session, settings: Settings, token: str) -> Person:
    payload = read_token(settings, SALT_UNSUBSCRIBE, token)
    person = session.get(Person, payload.get("p"))
    if person is None:
        raise VolunteerError("token", "Deze inschrijving bestaat niet meer.")
    return person


# -- follow-ups (part 3) -----------------------------------------------------------------------

def _side_addresses(session: Session, listing: VolunteerListing | None,
                    volunteer: Person | None, organization_email: str | None) -> dict[str, str]:
    out = {}
    if listing is not None:
        email = listing_contact(session, listing).email
        if email:
            out["listing"] = email
    if volunteer is not None and volunteer.email:
        out["responder"] = volunteer.email
    elif organization_email:
        out["responder"] = organization_email
    return out


def _deliver(send: Sender, addresses: dict[str, str], subject: str,
             body_for: Callable[[str], str], run: MailRun) -> bool | None:
    """Mail every side; True when all went out, None when SMTP is off, False on an error."""
    for side, address in addresses.items():
        try:
            ok = send(address, subject, body_for(side), {})
        except MailError:
            run.failed += 1
            return False
        if not ok:
            run.not_configured = True
            return None
    return True


def followup_url(settings: Settings, response_id: int, side: str) -> str:
    token = make_token(settings, SALT_FOLLOWUP, {"r": response_id, "s": side})
    return link(settings, f"/vrijwilligers/e-mail/opvolging/{token}")


def durable_url(settings: Settings, match_id: int, side: str) -> str:
    token = make_token(settings, SALT_DURABLE, {"m": match_id, "s": side})
    return link(settings, f"/vrijwilligers/e-mail/duurzaam/{token}")


def send_followups(session: Session, settings: Settings, now: datetime,
                   sender: Sender | None = None) -> MailRun:
    """Ask both sides whether an accepted contact became a match (after
    ``volunteer_followup_days``), and whether a match still runs after
    ``volunteer_durable_days`` (the "duurzame match")."""
    send = sender or smtp_sender(settings)
    run = MailRun()
    cutoff = now - timedelta(days=settings.volunteer_followup_days)
    responses = session.scalars(select(Response).where(
        Response.state == "accepted", Response.accepted_at.is_not(None),
        Response.accepted_at <= cutoff, Response.followup_sent_at.is_(None))
        .order_by(Response.id)).all()
    for response in responses:
        listing = session.get(VolunteerListing, response.listing_id)
        org_email = response.organization.email if response.organization else None
        addresses = _side_addresses(session, listing, response.person, org_email)
        title = listing.title if listing else ""

        def body(side: str, response=response, title=title) -> str:
            return "\n".join([
                "Goedendag,", "",
                f"Een tijd geleden kwam er contact tot stand over de oproep \"{title}\".",
                "Is het een match geworden? Klik op de link en kies ja of nee:",
                followup_url(settings, response.id, side), "",
                "Uw antwoord helpt ons om te zien of het platform werkt.", "",
                f"Met vriendelijke groet, {settings.site_name}"])

        outcome = _deliver(send, addresses, "Is het een match geworden?", body, run)
        if outcome is None:
            return run
        if outcome is False:
            continue
        response.followup_sent_at = now
        session.flush()
        run.sent += len(addresses)
        if not addresses:
            run.skipped += 1
    durable_cutoff = now - timedelta(days=settings.volunteer_durable_days)
    matches = session.scalars(select(Match).where(
        Match.started_at <= durable_cutoff, Match.ended_at.is_(None),
        Match.durable_check_sent_at.is_(None), Match.durable == "unknown")
        .order_by(Match.id)).all()
    for match in matches:
        listing = session.get(VolunteerListing, match.listing_id) if match.listing_id else None
        volunteer = session.get(Person, match.volunteer_person_id) \
            if match.volunteer_person_id else None
        org = match.response.organization if match.response else None
        addresses = _side_addresses(session, listing, volunteer, org.email if org else None)
        title = listing.title if listing else ""

        def body(side: str, match=match, title=title) -> str:
            return "\n".join([
                "Goedendag,", "",
                f"Drie maanden geleden ontstond een match over \"{title}\".",
                "Loopt het nog? Klik op de link en kies ja of nee:",
                durable_url(settings, match.id, side), "",
                f"Met vriendelijke groet, {settings.site_name}"])

        outcome = _deliver(send, addresses, "Loopt uw match nog?", body, run)
        if outcome is None:
            return run
        if outcome is False:
            continue
        match.durable_check_sent_at = now
        session.flush()
        run.sent += len(addresses)
        if not addresses:
            run.skipped += 1
    return run


def followup_response(session: Session, settings: Settings, token: str) -> Response:
    payload = read_token(settings, SALT_FOLLOWUP, token)
    response = session.get(Response, payload.get("r"))
    if response is None or payload.get("s") not in SIDES:
        raise VolunteerError("token", "Deze reactie bestaat niet meer.")
    return response


def answer_followup(session: Session, settings: Settings, token: str, became_match: bool,
                    now: datetime) -> Response:
    """Record the answer to "is het een match geworden?" from either side.

    Yes turns the accepted response into an online match; no ends it as not completed. A
    second answer (the other side, or a second click) changes nothing.
    """
    response = followup_response(session, settings, token)
    if response.followup_answered_at is not None or response.state != "accepted":
        response.followup_answered_at = response.followup_answered_at or now
        session.flush()
        return response
    listing = session.get(VolunteerListing, response.listing_id)
    if became_match:
        match = create_match(session, response, listing, made="online", now=now)
        match.followup_answered_at = now
    else:
        _move(response, "not_completed", now)
    response.followup_answered_at = now
    session.flush()
    return response


def durable_match(session: Session, settings: Settings, token: str) -> Match:
    payload = read_token(settings, SALT_DURABLE, token)
    match = session.get(Match, payload.get("m"))
    if match is None or payload.get("s") not in SIDES:
        raise VolunteerError("token", "Deze match bestaat niet meer.")
    return match


def answer_durable(session: Session, settings: Settings, token: str, still_running: bool,
                   now: datetime) -> Match:
    """Record the 3-month answer; the first answer counts."""
    match = durable_match(session, settings, token)
    if match.durable_answered_at is None:
        match.durable = "yes" if still_running else "no"
        match.durable_answered_at = now
        if not still_running:
            match.ended_at = match.ended_at or now
        session.flush()
    return match


# -- VOG reminders -----------------------------------------------------------------------------

def send_vog_reminders(session: Session, settings: Settings, now: datetime,
                       sender: Sender | None = None) -> MailRun:
    """Remind volunteers ``volunteer_vog_reminder_days`` before their VOG expires, once per
    expiry date."""
    send = sender or smtp_sender(settings)
    run = MailRun()
    for person in vog_due_for_reminder(session, now.date(),
                                       settings.volunteer_vog_reminder_days):
        if not person.email:
            run.skipped += 1
            continue
        body = "\n".join([
            f"Beste {person.alias},", "",
            f"Uw VOG (Verklaring Omtrent het Gedrag) is geldig tot "
            f"{person.vog_expires_on:%d-%m-%Y}.",
            "Voor sommige vrijwilligersvacatures heeft u een geldige VOG nodig.",
            "Vraag op tijd een nieuwe aan. De coördinator vrijwilligerswerk helpt u daarbij.", "",
            f"Met vriendelijke groet, {settings.site_name}"])
        try:
            ok = send(person.email, "Uw VOG verloopt binnenkort", body, {})
        except MailError:
            run.failed += 1
            continue
        if not ok:
            run.not_configured = True
            break
        person.vog_reminder_sent_at = now
        session.flush()
        run.sent += 1
    return run
