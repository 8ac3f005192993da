"""Duplicate detection across sources, proposed merges, and the beheerder's remembered decisions.

Why: the same activity reaches us from an HSDS feed, a welzijnsorganisatie's spreadsheet and a
municipality's list, each with its own spelling. Creating it twice makes the map unreliable, but
silently merging two different activities of one organisation (which share a phone number and a
building) is worse. So a match needs *two* kinds of evidence:

* the names are similar (rapidfuzz on folded names without organisation-type and place words), and
* the listing is at the same or a nearby address, or shares a phone number, e-mail address or
  website.

A strong name match at the same place, or a moderate one at the same place *and* the same
contact, is a duplicate. The incoming record then becomes a :class:`MergeProposal` that the
beheerder decides on (merge, picking per field; or keep both); the decision is kept as a
:class:`SourceDecision` so the next import of that source applies it without asking again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.normalize.phones import normalize_phone
from importers.normalize.web import host_of

from ..geo.gazetteer import default_gazetteer, fold_name, haversine_km
from ..models import Service
from ..models.base import utcnow
from ..models.duplicate import MergeProposal, SourceDecision

#: Name similarity (0-100) that is enough with the same place.
STRONG_NAME = 88
#: Name similarity that is enough with the same place *and* a shared contact.
MODERATE_NAME = 70
#: Two addresses closer than this (km) are "the same place" when streets are unknown.
NEAR_KM = 0.3
#: Same kern or closer than this (km) is "nearby" for strong names.
NEARBY_KM = 3.0
#: Words that say what kind of body or place something is, not which one.
_NOISE = re.compile(r"\b(?:stichting|st|vereniging|de|het|een|van|voor|en|in|op|bij|the|of|"
                    r"for|and)\b")
#: Contact details shared by a whole organisation are weak alone; these hosts are never evidence.
_GENERIC_HOSTS = {"gmail.com", "hotmail.com", "outlook.com", "ziggo.nl", "kpnmail.nl",
                  "facebook.com", "instagram.com", "live.nl", "home.nl"}


@dataclass
class Profile:
    """What a listing looks like to the detector."""

    id: str
    name: str
    key: str
    organization: str = ""
    phones: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)
    #: (street key, postcode without space, kern key, lat, lon)
    places: list[tuple[str, str, str, float | None, float | None]] = field(default_factory=list)
    areas: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class DuplicateMatch:
    """An incoming record that describes the existing listing ``existing_id``."""

    existing_id: str
    score: float
    reasons: tuple[str, ...]


def _name_key(name: str, places: Iterable[str] = ()) -> str:
    text = fold_name(name)
    for place in places:
        if place:
            text = re.sub(rf"\b{re.escape(place)}\b", " ", text)
    return " ".join(_NOISE.sub(" ", text).split())


def profile_of(service: dict[str, Any]) -> Profile:
    """A profile from a canonical HSDS service dict (incoming or exported)."""
    org = service.get("organization") or {}
    phone_lists = [service.get("phones", []), org.get("phones", [])]
    places: list[tuple[str, str, str, float | None, float | None]] = []
    kernen: set[str] = set()
    gazetteer = default_gazetteer()
    for sal in service.get("service_at_locations", []):
        location = sal.get("location") or {}
        phone_lists.append(location.get("phones", []))
        phone_lists.append(sal.get("phones", []))
        lat, lon = location.get("latitude"), location.get("longitude")
        for address in location.get("addresses", []):
            postcode = (address.get("postal_code") or "").replace(" ", "").upper()
            kern = fold_name(address.get("city") or "")
            kernen.add(kern)
            if lat is None and postcode:
                point = gazetteer.by_postcode(postcode)
                if point:
                    lat, lon = point.lat, point.lon
            places.append((fold_name(address.get("address_1") or ""), postcode, kern, lat, lon))
    phones = {p for items in phone_lists for item in items
              if (p := normalize_phone(item.get("number")))}
    emails = {e.lower() for e in (service.get("email"), org.get("email")) if e}
    hosts = {h for u in (service.get("url"), org.get("website")) if (h := host_of(u))}
    hosts -= _GENERIC_HOSTS
    areas = {fold_name(a.get("name") or "") for a in service.get("service_areas", [])}
    return Profile(service.get("id", ""), service.get("name", ""),
                   _name_key(service.get("name", ""), kernen), fold_name(org.get("name") or ""),
                   phones, emails, hosts, places, areas - {""})


def name_similarity(a: Profile, b: Profile) -> float:
    """Similar names, tolerant of word order, extra words and a kern left out of one name."""
    if not a.key or not b.key:
        return 0.0
    return max(fuzz.token_sort_ratio(a.key, b.key),
               0.9 * fuzz.token_set_ratio(a.key, b.key),
               fuzz.ratio(fold_name(a.name), fold_name(b.name)))


def _place_relation(a: Profile, b: Profile) -> str:
    """``same`` (same address), ``near`` (same kern or a few km), or ``far``/``unknown``."""
    if not a.places or not b.places:
        if a.areas & b.areas or not a.places and not b.places:
            return "near" if a.areas & b.areas else "unknown"
        return "unknown"
    best = "far"
    for street_a, pc_a, kern_a, lat_a, lon_a in a.places:
        for street_b, pc_b, kern_b, lat_b, lon_b in b.places:
            same_street = bool(street_a and street_a == street_b)
            if same_street and (pc_a == pc_b or kern_a == kern_b):
                return "same"
            if pc_a and len(pc_a) == 6 and pc_a == pc_b and _number(street_a) == _number(street_b):
                return "same"
            distance = (haversine_km(lat_a, lon_a, lat_b, lon_b)
                        if None not in (lat_a, lon_a, lat_b, lon_b) else None)
            if (kern_a and kern_a == kern_b) or (distance is not None and distance <= NEARBY_KM):
                best = "near"
    return best


def _number(street: str) -> str:
    match = re.search(r"\d+\s*[a-z]?$", street)
    return match.group(0).replace(" ", "") if match else ""


def compare(incoming: Profile, existing: Profile) -> DuplicateMatch | None:
    """The evidence that ``incoming`` describes ``existing``, if it is enough."""
    similarity = name_similarity(incoming, existing)
    if similarity < MODERATE_NAME:
        return None
    place = _place_relation(incoming, existing)
    shared = []
    if incoming.phones & existing.phones:
        shared.append("telefoon")
    if incoming.emails & existing.emails:
        shared.append("e-mail")
    if incoming.hosts & existing.hosts:
        shared.append("website")
    reasons = [f"naam {similarity:.0f}%", {"same": "zelfde adres", "near": "in de buurt",
                                          "far": "ver weg", "unknown": "adres onbekend"}[place]]
    reasons += [f"zelfde {s}" for s in shared]
    if place == "far":
        return None
    if similarity >= STRONG_NAME and (place in ("same", "near") or shared):
        return DuplicateMatch(existing.id, similarity + 5 * len(shared), tuple(reasons))
    if similarity >= MODERATE_NAME and place == "same" and shared:
        return DuplicateMatch(existing.id, similarity + 5 * len(shared), tuple(reasons))
    return None


def _as_dict(service: Service) -> dict[str, Any]:
    """The few fields of a stored listing the detector reads, in the canonical HSDS shape."""
    org = service.organization

    def phones(items: Iterable[Any]) -> list[dict[str, Any]]:
        return [{"number": p.number} for p in items]

    return {
        "id": service.id, "name": service.name, "email": service.email, "url": service.url,
        "phones": phones(service.phones),
        "organization": {"name": org.name, "email": org.email, "website": org.website,
                         "phones": phones(org.phones)} if org else {},
        "service_areas": [{"name": a.name} for a in service.service_areas],
        "service_at_locations": [{
            "phones": phones(sal.phones),
            "location": {
                "latitude": sal.location.latitude, "longitude": sal.location.longitude,
                "phones": phones(sal.location.phones),
                "addresses": [{"address_1": a.address_1, "postal_code": a.postal_code,
                               "city": a.city} for a in sal.location.addresses],
            }} for sal in service.service_at_locations if sal.location is not None],
    }


class DuplicateIndex:
    """Profiles of the listings we hold, with a blocking index so each record is compared with
    the few listings that share a contact, a kern or a name word, not with all of them."""

    def __init__(self, profiles: Iterable[Profile] = ()) -> None:
        self.profiles: dict[str, Profile] = {}
        self._blocks: dict[str, set[str]] = {}
        for profile in profiles:
            self.add(profile)

    @classmethod
    def from_session(cls, session: Session) -> DuplicateIndex:
        """Profiles of every listing, loaded in a handful of queries (not one export each)."""
        from sqlalchemy.orm import selectinload

        from ..models import Location, Organization, ServiceAtLocation

        query = select(Service).options(
            selectinload(Service.phones), selectinload(Service.service_areas),
            selectinload(Service.organization).selectinload(Organization.phones),
            selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.phones),
            selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
            .selectinload(Location.addresses),
            selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
            .selectinload(Location.phones))
        return cls(profile_of(_as_dict(s)) for s in session.scalars(query))

    @staticmethod
    def _keys(profile: Profile) -> set[str]:
        keys = {f"p:{p}" for p in profile.phones} | {f"e:{e}" for e in profile.emails}
        keys |= {f"h:{h}" for h in profile.hosts}
        keys |= {f"k:{k}" for _s, _p, k, _la, _lo in profile.places if k}
        keys |= {f"a:{a}" for a in profile.areas}
        keys |= {f"w:{w}" for w in profile.key.split() if len(w) >= 4}
        return keys

    def add(self, profile: Profile) -> None:
        self.profiles[profile.id] = profile
        for key in self._keys(profile):
            self._blocks.setdefault(key, set()).add(profile.id)

    def match(self, service: dict[str, Any]) -> DuplicateMatch | None:
        """The best existing listing this record describes, or None. A record whose own id we
        already hold is an update, never a duplicate."""
        incoming = profile_of(service)
        if incoming.id in self.profiles:
            return None
        candidates = set().union(*(self._blocks.get(k, set()) for k in self._keys(incoming)))
        best: DuplicateMatch | None = None
        for candidate in candidates:
            found = compare(incoming, self.profiles[candidate])
            if found and (best is None or found.score > best.score):
                best = found
        return best


# -- proposals and decisions --------------------------------------------------------------------

def remembered(session: Session, source: str, incoming_id: str) -> SourceDecision | None:
    """The beheerder's earlier decision on this source's record, if any."""
    return session.scalar(select(SourceDecision).where(
        SourceDecision.source == source, SourceDecision.incoming_id == incoming_id))


def propose(session: Session, source: str, record: dict[str, Any], match: DuplicateMatch,
            rows: str | None = None, source_record_id: str | None = None) -> MergeProposal:
    """Create or refresh the open proposal for this source's record (one per record)."""
    proposal = session.scalar(select(MergeProposal).where(
        MergeProposal.source == source, MergeProposal.incoming_id == record["id"],
        MergeProposal.status == "open"))
    if proposal is None:
        proposal = MergeProposal(source=source, incoming_id=record["id"])
        session.add(proposal)
    proposal.existing_id = match.existing_id
    proposal.record = record
    proposal.score = match.score
    proposal.reasons = ", ".join(match.reasons)
    proposal.rows = rows
    proposal.source_record_id = source_record_id
    return proposal


def open_proposals(session: Session) -> list[MergeProposal]:
    return list(session.scalars(select(MergeProposal).where(MergeProposal.status == "open")
                                .order_by(MergeProposal.created_at, MergeProposal.id)))


#: The fields the beheerder can pick per side, in the order the page shows them.
MERGE_FIELDS = ("name", "description", "email", "url", "phones", "schedules",
                "service_at_locations", "cost_options", "fees_description",
                "application_process", "eligibility_description", "status")


def side_by_side(session: Session, proposal: MergeProposal) -> list[tuple[str, Any, Any]]:
    """(field, existing value, incoming value) for the fields that differ."""
    from .hsds_export import service_to_hsds

    existing = service_to_hsds(session, session.get(Service, proposal.existing_id))
    out = []
    for name in MERGE_FIELDS:
        old, new = existing.get(name), proposal.record.get(name)
        if _comparable(old) != _comparable(new):
            out.append((name, old, new))
    return out


def _comparable(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(repr({k: v for k, v in item.items() if k != "id"}) if isinstance(item, dict)
                      else repr(item) for item in value)
    return value or None


def merged_record(session: Session, proposal: MergeProposal,
                  choices: dict[str, str]) -> dict[str, Any]:
    """The existing listing with the fields the beheerder took from the incoming record."""
    from .hsds_export import service_to_hsds

    existing = service_to_hsds(session, session.get(Service, proposal.existing_id))
    for name, side in choices.items():
        if side == "incoming" and name in MERGE_FIELDS:
            if proposal.record.get(name) in (None, "", []):
                existing.pop(name, None)
            else:
                existing[name] = proposal.record[name]
    return existing


def decide(session: Session, proposal: MergeProposal, decision: str,
           choices: dict[str, str] | None = None, user: str | None = None) -> SourceDecision:
    """Record the beheerder's decision on a proposal and remember it for the source.

    ``merge`` marks the proposal merged (the caller writes :func:`merged_record` through the
    normal import writer, so history and the search index follow); ``keep_both`` lets the next
    import create the incoming record as a listing of its own.
    """
    if decision not in ("merge", "keep_both"):
        raise ValueError(f"unknown decision {decision!r}")
    proposal.status = "merged" if decision == "merge" else "kept_both"
    proposal.choices = choices or {}
    proposal.decided_at, proposal.decided_by = utcnow(), user
    memory = remembered(session, proposal.source, proposal.incoming_id)
    if memory is None:
        memory = SourceDecision(source=proposal.source, incoming_id=proposal.incoming_id)
        session.add(memory)
    memory.existing_id = proposal.existing_id
    memory.decision, memory.choices = decision, choices or {}
    memory.decided_at, memory.decided_by = utcnow(), user
    return memory
