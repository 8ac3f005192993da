"""MODEL READY

The volunteer platform (issue 9): people, listings, responses, matches and the coordinator's
bookkeeping.

Why these tables look the way they do:

* **Private and public data are split by column name**, not by table: every column a resident
  could be recognised by is listed in :data:`PERSON_PRIVATE_FIELDS` (person) and
  :data:`LISTING_PRIVATE_FIELDS` (listing). Public pages, the API and the search only ever read
  the public columns; erasure and anonymisation wipe exactly the private ones, and the privacy
  tests scan the database for their values.
* **A person is not an account.** A help seeker whose professional posts for them may have no
  login at all, so :class:`Person` has an optional 1:1 link to a ``user_account`` with role
  ``deelnemer``. Deleting the account deletes the person; rows that the municipality's figures
  need (responses, matches) keep their counts with the person link set to NULL.
* **One listing model with a type** (``vacature``, ``hulpvraag``, ``hulpaanbod``) so search,
  moderation and figures treat them alike; the type decides who may see what.
* **A timestamp per response state**, so "how long until someone answered" and "how many
  contacts became a match" can be computed without an event log.
* **A match is its own row**, because the coordinator enters matches made at the desk or by
  phone that have no online response behind them, and the follow-up answers (did it become a
  match, does it still run after 3 months) belong to the match.
* **A VOG is a status and an expiry date, never a document.**
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

LISTING_TYPES = ("vacature", "hulpvraag", "hulpaanbod")
#: draft → pending (review) → active → filled/closed → archived.
LISTING_STATUSES = ("draft", "pending", "active", "filled", "closed", "archived")
LISTING_MODES = ("in_kern", "at_home", "online")
SCHEDULE_KINDS = ("eenmalig", "regelmatig", "flexibel")
URGENCIES = ("normaal", "hoog", "spoed")
SUITABLE_FOR = ("jongeren", "55plus", "beperking")
VOG_STATUSES = ("none", "in_progress", "verified")

#: Volunteer themes, used beside the kaart's taxonomy. Codes are stable; labels live in the UI.
VOLUNTEER_THEMES = (
    "vervoer", "boodschappen", "klussen", "gezelschap", "administratie", "computerhulp",
    "tuin", "koken", "taal", "bestuur", "evenement", "zorg", "sport", "jeugd", "dieren",
    "natuur", "cultuur", "overig",
)
DAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
PARTS_OF_DAY = ("ochtend", "middag", "avond")
#: "ma-ochtend", "ma-middag", ... "zo-avond".
DAGDELEN = tuple(f"{d}-{p}" for d in DAYS for p in PARTS_OF_DAY)

RESPONSE_STATES = ("interested", "accepted", "matched", "completed", "not_completed",
                   "declined", "withdrawn")
CHANNELS = ("online", "desk", "phone")
MATCH_KINDS = ("persoon-persoon", "persoon-organisatie", "organisatie-organisatie")
MATCH_MADE = ("online", "brokered")
DURABLE_ANSWERS = ("yes", "no", "unknown")
APPROVAL_STATUSES = ("pending", "approved", "rejected")

#: Columns of :class:`Person` that identify a resident. Never shown publicly, wiped on erasure.
PERSON_PRIVATE_FIELDS = ("full_name", "postcode", "phone", "email", "date_of_birth")
#: Columns of :class:`VolunteerListing` that may hold personal data of a help seeker or of the
#: organisation's contact person; only released after acceptance.
LISTING_PRIVATE_FIELDS = ("contact_name", "contact_email", "contact_phone", "consent_text")


class Person(Base):
    """A resident on the volunteer platform: volunteer, help seeker, or both."""

    __tablename__ = "volunteer_person"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    #: The login, if any (role ``deelnemer``). None for a client represented by a professional.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    # -- private ---------------------------------------------------------------------------
    full_name: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(320))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    # -- public ----------------------------------------------------------------------------
    #: First name or an alias; what other participants see.
    alias: Mapped[str] = mapped_column(String(80))
    #: The kern (village or town) the person lives in, and its centre (not their address).
    kern: Mapped[str | None] = mapped_column(String(100), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # -- volunteer profile -----------------------------------------------------------------
    #: Theme codes from :data:`VOLUNTEER_THEMES`.
    interests: Mapped[list] = mapped_column(JSON, default=list)
    #: Free words ("rijbewijs", "Excel", "koken voor groepen").
    skills: Mapped[list] = mapped_column(JSON, default=list)
    #: Codes from :data:`DAGDELEN`.
    dagdelen: Mapped[list] = mapped_column(JSON, default=list)
    travel_km: Mapped[int] = mapped_column(Integer, default=5)
    has_car: Mapped[bool] = mapped_column(Boolean, default=False)
    has_licence: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Who the person is, for the "suitable for" filters: codes from :data:`SUITABLE_FOR`.
    suitable_for: Mapped[list] = mapped_column(JSON, default=list)
    vog_status: Mapped[str] = mapped_column(String(20), default="none")
    vog_expires_on: Mapped[date | None] = mapped_column(Date)
    vog_reminder_sent_at: Mapped[datetime | None] = mapped_column()
    #: May organisations and the coordinator ask this volunteer for a listing?
    ask_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    is_volunteer: Mapped[bool] = mapped_column(Boolean, default=True)
    digest_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    #: sha256 of the one-click unsubscribe token (the token itself is only in the e-mail).
    digest_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    digest_last_sent_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_active_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User | None] = relationship(lazy="joined")  # noqa: F821


class VolunteerListing(Base):
    """A vacature, hulpvraag or hulpaanbod."""

    __tablename__ = "volunteer_listing"
    __table_args__ = (Index("ix_volunteer_listing_type_status", "type", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(20))
    #: The kaart organisation behind a vacature or an organisation's hulpaanbod.
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    #: The person a hulpvraag or a person's hulpaanbod belongs to.
    owner_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteer_person.id", ondelete="SET NULL"), index=True)
    #: Who typed it in (a deelnemer, a provider, a consultant, the coordinator).
    posted_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    #: Set when posted on someone else's behalf (a professional for a client).
    on_behalf_of_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteer_person.id", ondelete="SET NULL"))
    consent_text: Mapped[str | None] = mapped_column(Text)
    consent_at: Mapped[datetime | None] = mapped_column()
    # -- what ------------------------------------------------------------------------------
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Codes from :data:`VOLUNTEER_THEMES`.
    themes: Mapped[list] = mapped_column(JSON, default=list)
    #: Ids of the kaart's taxonomy terms, optional.
    taxonomy_term_ids: Mapped[list] = mapped_column(JSON, default=list)
    # -- where (never a street address) ----------------------------------------------------
    kern: Mapped[str | None] = mapped_column(String(100), index=True)
    wijk: Mapped[str | None] = mapped_column(String(100))
    municipality: Mapped[str | None] = mapped_column(String(100))
    #: The centre of the kern, not of an address.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    mode: Mapped[str] = mapped_column(String(20), default="in_kern")
    # -- when ------------------------------------------------------------------------------
    schedule_kind: Mapped[str] = mapped_column(String(20), default="flexibel")
    date_on: Mapped[date | None] = mapped_column(Date)
    dagdelen: Mapped[list] = mapped_column(JSON, default=list)
    hours_per_week: Mapped[float | None] = mapped_column(Float)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    # -- requirements ----------------------------------------------------------------------
    requires_vog: Mapped[bool] = mapped_column(Boolean, default=False)
    requires_licence: Mapped[bool] = mapped_column(Boolean, default=False)
    requires_car: Mapped[bool] = mapped_column(Boolean, default=False)
    min_age: Mapped[int | None] = mapped_column(Integer)
    #: Codes from :data:`SUITABLE_FOR`.
    suitable_for: Mapped[list] = mapped_column(JSON, default=list)
    volunteers_needed: Mapped[int] = mapped_column(Integer, default=1)
    urgency: Mapped[str] = mapped_column(String(20), default="normaal")
    needed_by: Mapped[date | None] = mapped_column(Date)
    #: The last day the listing is shown; after it the listing leaves public pages by itself.
    list_until: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    #: Codes of what the free-text check found ("phone", "email", "address"), for the warning
    #: and the coordinator's queue.
    privacy_warnings: Mapped[list] = mapped_column(JSON, default=list)
    # -- contact, released to the other side only after acceptance --------------------------
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    # -- timestamps ------------------------------------------------------------------------
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    published_at: Mapped[datetime | None] = mapped_column()
    reviewed_at: Mapped[datetime | None] = mapped_column()
    reviewed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    review_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column()
    archived_at: Mapped[datetime | None] = mapped_column()
    #: Set when the retention rule wiped the personal data of a closed hulpvraag.
    anonymised_at: Mapped[datetime | None] = mapped_column()
    # -- brokering (coordinator) -----------------------------------------------------------
    #: The help seeker asks the coordinator to help search.
    wants_help_searching: Mapped[bool] = mapped_column(Boolean, default=False)
    brokering_since: Mapped[datetime | None] = mapped_column()
    #: None, "open", "in_progress", "done".
    brokering_status: Mapped[str | None] = mapped_column(String(20))
    brokering_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    #: The coordinator decided volunteers should not take this on (debts, care, safety).
    not_for_volunteers: Mapped[bool] = mapped_column(Boolean, default=False)
    routing_note: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization | None] = relationship(lazy="joined")  # noqa: F821
    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_person_id], lazy="joined")
    responses: Mapped[list[Response]] = relationship(
        back_populates="listing", cascade="all, delete-orphan",
        order_by="Response.id")

    @property
    def is_person_listing(self) -> bool:
        return self.organization_id is None


class Response(Base):
    """A volunteer (person) or an organisation reacting to a listing."""

    __tablename__ = "volunteer_response"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_listing.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteer_person.id", ondelete="SET NULL"), index=True)
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"))
    #: The account that responded (a deelnemer, or a provider for their organisation).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(20), default="interested", index=True)
    channel: Mapped[str] = mapped_column(String(10), default="online")
    message: Mapped[str | None] = mapped_column(Text)
    #: The coordinator who entered a desk or phone response.
    entered_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    interested_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column()
    matched_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    not_completed_at: Mapped[datetime | None] = mapped_column()
    declined_at: Mapped[datetime | None] = mapped_column()
    withdrawn_at: Mapped[datetime | None] = mapped_column()
    #: Follow-up e-mail "did this contact become a match?"
    followup_sent_at: Mapped[datetime | None] = mapped_column()
    followup_answered_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    listing: Mapped[VolunteerListing] = relationship(back_populates="responses")
    person: Mapped[Person | None] = relationship(lazy="joined")
    organization: Mapped[Organization | None] = relationship(lazy="joined")  # noqa: F821


class Match(Base):
    """A contact that became a match, online or brokered by the coordinator."""

    __tablename__ = "volunteer_match"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteer_response.id", ondelete="SET NULL"), unique=True)
    listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteer_listing.id", ondelete="SET NULL"), index=True)
    volunteer_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteer_person.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    #: "online" or "brokered".
    made: Mapped[str] = mapped_column(String(10), default="online")
    channel: Mapped[str] = mapped_column(String(10), default="online")
    entered_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    #: Copied from the listing so the figures survive its anonymisation.
    listing_type: Mapped[str | None] = mapped_column(String(20))
    kern: Mapped[str | None] = mapped_column(String(100))
    themes: Mapped[list] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column()
    followup_sent_at: Mapped[datetime | None] = mapped_column()
    followup_answered_at: Mapped[datetime | None] = mapped_column()
    #: 3-month check: does it still run?
    durable_check_sent_at: Mapped[datetime | None] = mapped_column()
    durable_answered_at: Mapped[datetime | None] = mapped_column()
    durable: Mapped[str] = mapped_column(String(10), default="unknown")
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    response: Mapped[Response | None] = relationship()
    listing: Mapped[VolunteerListing | None] = relationship()


class ContactLogEntry(Base):
    """A coordinator's note on a case (a listing), optionally with a follow-up date."""

    __tablename__ = "volunteer_contact_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_listing.id", ondelete="CASCADE"), index=True)
    coordinator_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    channel: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text)
    follow_up: Mapped[bool] = mapped_column(Boolean, default=False)
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    follow_up_done_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrganisationApproval(Base):
    """An organisation's admission to the platform: its vacancies go public once approved."""

    __tablename__ = "volunteer_org_approval"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column()
    approved_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)


class VolunteerInvitation(Base):
    """An organisation or the coordinator asking an opted-in volunteer about a listing."""

    __tablename__ = "volunteer_invitation"
    __table_args__ = (UniqueConstraint("listing_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_listing.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_person.id", ondelete="CASCADE"), index=True)
    invited_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column()


class DigestLog(Base):
    """One weekly digest e-mail sent to one volunteer, so a rerun sends nothing twice."""

    __tablename__ = "volunteer_digest_log"
    __table_args__ = (Index("ix_volunteer_digest_log_person_sent", "person_id", "sent_on"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_person.id", ondelete="CASCADE"))
    sent_on: Mapped[date] = mapped_column(Date)
    listing_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
