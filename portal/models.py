"""Imports every model so that the metadata (and Alembic) sees them all."""

from portal.accounts.models import Enterprise, Role, SignInThrottle, User
from portal.applications.models import Application, ApplicationSubmission, Attachment
from portal.applications.tallies import ApplicationTally
from portal.core.audit import AuditEvent
from portal.letters.models import Letter, LetterExport, LetterSequence
from portal.notifications.models import Notification
from portal.payments.models import (
    Agreement,
    BankAccount,
    PostAwardDocument,
    PostAwardPlan,
    Tranche,
)
from portal.profiles.models import EnterpriseRecognition, EnterpriseYear
from portal.programs.models import Program, ProgramVersion
from portal.review.models import (
    Assignment,
    ConflictDeclaration,
    Objection,
    ObjectionEvidence,
    ObjectorChallenge,
    PublicityNotice,
    ReviewerProfile,
)
from portal.review.release_record_models import ReleaseRecord, ReleaseRecordEntry
from portal.review.sign_off import Proposal
from portal.review.tallies import ReviewDueTally, ReviewTally

__all__ = [
    "Agreement",
    "BankAccount",
    "PostAwardDocument",
    "PostAwardPlan",
    "Tranche",
    "Application",
    "ApplicationSubmission",
    "ApplicationTally",
    "Assignment",
    "Attachment",
    "AuditEvent",
    "ConflictDeclaration",
    "Enterprise",
    "EnterpriseRecognition",
    "EnterpriseYear",
    "Letter",
    "LetterExport",
    "LetterSequence",
    "Notification",
    "Objection",
    "ObjectionEvidence",
    "ObjectorChallenge",
    "Program",
    "ProgramVersion",
    "Proposal",
    "PublicityNotice",
    "ReleaseRecord",
    "ReleaseRecordEntry",
    "ReviewDueTally",
    "ReviewTally",
    "ReviewerProfile",
    "Role",
    "SignInThrottle",
    "User",
]
