"""Data quality: is the kaart current and complete enough to steer by?

* the share of active listings *confirmed* (HSDS ``assured_date``: a person said it is right;
  see :mod:`sociale_kaart.services.freshness`) in the last 6 and 12 months, overall and per
  organisation;
* error reports ("Klopt er iets niet?"): open now, received and handled in the period, and the
  median days from report to handled;
* listings missing key fields: no phone or e-mail, no opening hours, no location and no
  service area;
* suspected duplicates: open merge proposals from imports, plus pairs of stored active listings
  the duplicate detector (:mod:`sociale_kaart.services.duplicates`) calls the same.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import MergeProposal, Report
from ..services.duplicates import DuplicateIndex, compare
from ..services.freshness import months_before
from .listings import ListingFacts

#: At most this many listings are named per list on the page (the counts are complete).
LIST_LIMIT = 50


@dataclass
class OrganisationFreshness:
    organization: str
    listings: int
    confirmed_6: int
    confirmed_12: int


@dataclass
class Quality:
    listings: int
    confirmed_6: int
    confirmed_12: int
    per_organisation: list[OrganisationFreshness]
    reports_open: int
    reports_received: int
    reports_handled: int
    median_days_to_handle: float | None
    no_contact: list[ListingFacts]
    no_hours: list[ListingFacts]
    no_place: list[ListingFacts]
    duplicate_pairs: list[tuple[str, str, str, str]] = field(default_factory=list)
    merge_proposals: int = 0

    @staticmethod
    def share(part: int, whole: int) -> float:
        return part / whole if whole else 0.0


def _confirmed_since(listing: ListingFacts, since: date) -> bool:
    return listing.assured_date is not None and listing.assured_date >= since


def quality(session: Session, listings: list[ListingFacts], start: date, end: date,
            today: date) -> Quality:
    active = [x for x in listings if x.active]
    six, twelve = months_before(today, 6), months_before(today, 12)
    per_org: dict[str, OrganisationFreshness] = {}
    for listing in active:
        row = per_org.setdefault(listing.organization_id,
                                 OrganisationFreshness(listing.organization, 0, 0, 0))
        row.listings += 1
        row.confirmed_6 += _confirmed_since(listing, six)
        row.confirmed_12 += _confirmed_since(listing, twelve)
    first, last = datetime.combine(start, time.min), datetime.combine(end, time.max)
    handled = list(session.execute(select(Report.created_at, Report.handled_at).where(
        Report.status == "handled", Report.handled_at >= first, Report.handled_at <= last)))
    days = [(h - c).total_seconds() / 86400 for c, h in handled if h and c]
    return Quality(
        listings=len(active),
        confirmed_6=sum(_confirmed_since(x, six) for x in active),
        confirmed_12=sum(_confirmed_since(x, twelve) for x in active),
        per_organisation=sorted(per_org.values(), key=lambda r: r.organization.lower()),
        reports_open=int(session.scalar(select(func.count()).select_from(Report).where(
            Report.status == "open")) or 0),
        reports_received=int(session.scalar(select(func.count()).select_from(Report).where(
            Report.created_at >= first, Report.created_at <= last)) or 0),
        reports_handled=len(handled),
        median_days_to_handle=round(statistics.median(days), 1) if days else None,
        no_contact=[x for x in active if not x.has_contact],
        no_hours=[x for x in active if not x.has_hours],
        no_place=[x for x in active if not x.has_location],
        duplicate_pairs=duplicate_pairs(session, {x.id: x for x in active}),
        merge_proposals=int(session.scalar(select(func.count()).select_from(MergeProposal)
                                           .where(MergeProposal.status == "open")) or 0),
    )


def duplicate_pairs(session: Session, active: dict[str, ListingFacts]
                    ) -> list[tuple[str, str, str, str]]:
    """Pairs of active listings the duplicate detector calls the same:
    ``(id, name, other id, other name)``. Each listing is compared only with the listings that
    share a block key with it (a contact, kern or name word), as on import."""
    profiles = [p for p in DuplicateIndex.from_session(session).profiles.values()
                if p.id in active]
    seen = DuplicateIndex()
    pairs = []
    for profile in profiles:
        keys = DuplicateIndex._keys(profile)
        candidates = set().union(*(seen._blocks.get(k, set()) for k in keys)) if keys else set()
        best = None
        for candidate in sorted(candidates):
            found = compare(profile, seen.profiles[candidate])
            if found and (best is None or found.score > best.score):
                best = found
        if best is not None:
            other = active[best.existing_id]
            pairs.append((profile.id, active[profile.id].name, other.id, other.name))
        seen.add(profile)
    return pairs
