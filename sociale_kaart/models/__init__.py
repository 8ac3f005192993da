"""SQLAlchemy models, named after the HSDS 3 objects they hold."""

from .account import ROLE_LABELS, ROLES, AuthToken, Membership, User
from .audit import ChangeRecord, PendingChange
from .base import Base, utcnow
from .contact import Contact, Phone, Url
from .duplicate import DECISIONS, MERGE_STATUSES, MergeProposal, SourceDecision
from .embedding import Embedding, ServiceEmbedding
from .insight import CourseParticipation, Opgave, SearchClick, SearchEvent
from .job import JOB_STATUSES, Job, RateLimitCounter
from .location import Accessibility, Address, Location, ServiceAtLocation
from .metadata import Metadata
from .organization import Organization, OrganizationIdentifier
from .professional import PROFESSIONAL_FIELDS, ServiceProfessional
from .provenance import SOURCE_KINDS, ServiceSource
from .rebuild import SearchRebuild, SearchRebuildChange
from .reminder import Reminder
from .report import REPORT_REASONS, Report
from .schedule import Schedule
from .service import CostOption, Language, Service, ServiceArea
from .taxonomy import Attribute, Taxonomy, TaxonomyTerm
from .volunteer import (
    ContactLogEntry,
    DigestLog,
    Match,
    OrganisationApproval,
    Person,
    Response,
    VolunteerInvitation,
    VolunteerListing,
)

__all__ = [
    "Accessibility",
    "Address",
    "Attribute",
    "AuthToken",
    "ChangeRecord",
    "Base",
    "Contact",
    "DECISIONS",
    "Embedding",
    "MERGE_STATUSES",
    "MergeProposal",
    "SourceDecision",
    "CostOption",
    "Language",
    "Location",
    "Membership",
    "Metadata",
    "Organization",
    "OrganizationIdentifier",
    "PendingChange",
    "Phone",
    "PROFESSIONAL_FIELDS",
    "REPORT_REASONS",
    "ROLES",
    "ROLE_LABELS",
    "Reminder",
    "Report",
    "Schedule",
    "Service",
    "ServiceArea",
    "ServiceAtLocation",
    "SearchRebuild",
    "SearchRebuildChange",
    "ServiceEmbedding",
    "SOURCE_KINDS",
    "ServiceSource",
    "ServiceProfessional",
    "Taxonomy",
    "TaxonomyTerm",
    "Url",
    "User",
    "utcnow",
    # issue 10: insight
    "CourseParticipation",
    "Opgave",
    "SearchClick",
    "SearchEvent",
    # issue 9: volunteer platform
    "ContactLogEntry",
    "DigestLog",
    "Match",
    "OrganisationApproval",
    "Person",
    "Response",
    "VolunteerInvitation",
    "VolunteerListing",
    # issue 12: job queue, shared rate-limit counters
    "JOB_STATUSES",
    "Job",
    "RateLimitCounter",
]
