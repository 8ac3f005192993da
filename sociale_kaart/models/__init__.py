"""SQLAlchemy models, named after the HSDS 3 objects they hold."""

from .account import ROLE_LABELS, ROLES, AuthToken, Membership, User
from .audit import ChangeRecord, PendingChange
from .base import Base, utcnow
from .contact import Contact, Phone, Url
from .duplicate import DECISIONS, MERGE_STATUSES, MergeProposal, SourceDecision
from .location import Accessibility, Address, Location, ServiceAtLocation
from .metadata import Metadata
from .organization import Organization, OrganizationIdentifier
from .professional import PROFESSIONAL_FIELDS, ServiceProfessional
from .provenance import SOURCE_KINDS, ServiceSource
from .reminder import Reminder
from .report import REPORT_REASONS, Report
from .schedule import Schedule
from .service import CostOption, Language, Service, ServiceArea
from .taxonomy import Attribute, Taxonomy, TaxonomyTerm

__all__ = [
    "Accessibility",
    "Address",
    "Attribute",
    "AuthToken",
    "ChangeRecord",
    "Base",
    "Contact",
    "DECISIONS",
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
    "SOURCE_KINDS",
    "ServiceSource",
    "ServiceProfessional",
    "Taxonomy",
    "TaxonomyTerm",
    "Url",
    "User",
    "utcnow",
]
