"""Is a listing still right? Finding listings nobody confirmed lately, and reminding providers.

A listing's *check date* is its HSDS ``assured_date`` (someone confirmed it is right). Without
one, the publisher's own ``last_modified`` stands in (what an import brings), and without that
the day the listing was added here. A provider's edit through this site does not count: only a
confirmation does, because residents see that date as "laatst gecontroleerd".

Two thresholds, from the issue:

* after :data:`REMIND_MONTHS` months the listing is on the beheerder's to-do list
  (``/beheer/actualiteit``) and its provider gets a reminder (``sociale-kaart remind``);
* after :data:`PUBLIC_STALE_DAYS` days residents see "Mogelijk niet meer actueel" and the
  listing ranks lower. That is the search engine's own ``STALE_DAYS``, so the notice and the
  ranking always agree.
"""

from __future__ import annotations

import calendar
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..config import Settings
from ..models import Membership, Service, User
from ..models.reminder import Reminder
from ..search.engine import STALE_DAYS
from .mail import MailError, send_mail

log = logging.getLogger(__name__)

#: Months without confirmation after which the provider is reminded.
REMIND_MONTHS = 6
#: Days without confirmation after which residents are warned (the search engine's setting).
PUBLIC_STALE_DAYS = STALE_DAYS
#: A listing is named in a reminder to the same account at most once in this many days, so a
#: daily scheduler does not send the same list every day.
REMIND_EVERY_DAYS = 30
#: Statuses whose listings residents can find, so they are worth checking.
CHECKED_STATUSES = ("active", "temporarily closed")
#: Path of ``public.service_detail``; spelled out because the CLI has no Flask app to ask.
DETAIL_PATH = "/aanbod/{id}"
LOGIN_PATH = "/account/inloggen"


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (31 August - 6 months = 28/29 Feb)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_date(service: Service) -> date:
    """When the listing was last known to be right (see the module docstring)."""
    if service.assured_date is not None:
        return service.assured_date
    if service.last_modified is not None:
        return service.last_modified.date()
    return service.created_at.date()


def possibly_outdated(service: Service, today: date) -> bool:
    """True when residents should see "Mogelijk niet meer actueel"."""
    return (today - check_date(service)).days > PUBLIC_STALE_DAYS


@dataclass
class StaleListing:
    service: Service
    checked: date


def stale_services(session: Session, today: date, months: int = REMIND_MONTHS,
                   organization_ids: set[str] | None = None) -> list[StaleListing]:
    """Findable listings whose check date is ``months`` months ago or longer, oldest first.

    The SQL narrows the rows with the same fallback order as :func:`check_date` (portable to
    SQLite and PostgreSQL without date functions); Python then computes the exact date.
    """
    cutoff = months_before(today, months)
    after_cutoff = datetime.combine(cutoff + timedelta(days=1), time.min)
    query = select(Service).where(
        Service.status.in_(CHECKED_STATUSES),
        or_(
            Service.assured_date <= cutoff,
            and_(Service.assured_date.is_(None), Service.last_modified < after_cutoff),
            and_(Service.assured_date.is_(None), Service.last_modified.is_(None),
                 Service.created_at < after_cutoff),
        ),
    )
    if organization_ids is not None:
        query = query.where(Service.organization_id.in_(organization_ids))
    listings = [StaleListing(s, check_date(s)) for s in session.scalars(query)]
    listings = [item for item in listings if item.checked <= cutoff]
    listings.sort(key=lambda item: (item.checked, item.service.name.lower()))
    return listings


def last_reminders(session: Session, service_ids: list[str]) -> dict[str, date]:
    """The day each listing was last named in a reminder (to anyone)."""
    result: dict[str, date] = {}
    for start in range(0, len(service_ids), 500):
        chunk = service_ids[start:start + 500]
        for service_id, sent_on in session.execute(
                select(Reminder.service_id, Reminder.sent_on)
                .where(Reminder.service_id.in_(chunk))):
            if service_id not in result or sent_on > result[service_id]:
                result[service_id] = sent_on
    return result


@dataclass
class ReminderRun:
    """What ``send_reminders`` did, for the command's output and its exit status."""

    #: (e-mail address, number of listings) per e-mail sent.
    sent: list[tuple[str, int]] = field(default_factory=list)
    #: (e-mail address, error) per e-mail the server refused.
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: Stale listings of organisations without an active provider account: nobody to remind,
    #: so only the beheerder's to-do list shows them.
    orphaned: list[str] = field(default_factory=list)


def reminder_text(settings: Settings, user: User, listings: list[StaleListing]) -> str:
    lines = [
        "Hallo,",
        "",
        f"Op {settings.site_name} staat aanbod van uw organisatie dat al lang niet is "
        "gecontroleerd. Inwoners en consulenten willen weten of het nog klopt.",
        "",
        "Wilt u dit aanbod nakijken? Klopt alles, bevestig dat dan. Klopt er iets niet, pas "
        "het dan aan.",
        "",
    ]
    for item in listings:
        lines.append(f"- {item.service.name} (laatst gecontroleerd op "
                     f"{item.checked.strftime('%d-%m-%Y')})")
        lines.append(f"  {settings.base_url}{DETAIL_PATH.format(id=item.service.id)}")
    lines += [
        "",
        f"Inloggen: {settings.base_url}{LOGIN_PATH} (met {user.email})",
        "",
        f"Na {PUBLIC_STALE_DAYS // 30} maanden zonder controle zien inwoners bij het aanbod "
        "'Mogelijk niet meer actueel'.",
    ]
    return "\n".join(lines) + "\n"


def send_reminders(session: Session, settings: Settings, today: date, *,
                   months: int = REMIND_MONTHS,
                   every_days: int = REMIND_EVERY_DAYS) -> ReminderRun:
    """One e-mail per active provider account, naming its organisations' stale listings.

    A listing is left out when it was named to that account less than ``every_days`` days ago
    (at least one day), so running this twice on one day sends nothing the second time. Each
    e-mail's reminders are committed right after it is sent: if the run stops half-way, a
    re-run does not send the finished e-mails again. Without SMTP nothing is sent or recorded.
    """
    run = ReminderRun()
    stale = stale_services(session, today, months)
    by_organization: dict[str, list[StaleListing]] = defaultdict(list)
    for item in stale:
        by_organization[item.service.organization_id].append(item)
    if not by_organization:
        return run
    users = list(session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(User.role == "provider",
               Membership.organization_id.in_(list(by_organization)))
        .distinct().order_by(User.email)))
    users = [u for u in users if u.is_active]
    reminded_orgs = {o for u in users for o in u.organization_ids}
    run.orphaned = [item.service.id for org, items in by_organization.items()
                    if org not in reminded_orgs for item in items]
    since = today - timedelta(days=max(every_days, 1) - 1)
    for user in users:
        recent = set(session.scalars(select(Reminder.service_id).where(
            Reminder.user_id == user.id, Reminder.sent_on >= since)))
        listings = [item for org in sorted(user.organization_ids)
                    for item in by_organization.get(org, [])
                    if item.service.id not in recent]
        if not listings:
            continue
        try:
            sent = send_mail(settings, user.email,
                             f"Klopt uw aanbod op {settings.site_name} nog?",
                             reminder_text(settings, user, listings))
        except MailError as error:
            run.failed.append((user.email, str(error)))
            continue
        if not sent:  # no SMTP server: record nothing, so the reminders go out once it is set
            break
        for item in listings:
            session.add(Reminder(service_id=item.service.id, sent_on=today, user_id=user.id))
        session.commit()
        run.sent.append((user.email, len(listings)))
    return run
