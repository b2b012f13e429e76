"""Imports every model so that the metadata (and Alembic) sees them all."""

from portal.accounts.models import Department, Enterprise, Role, SignInThrottle, User
from portal.applications.models import Application, ApplicationSubmission, Attachment
from portal.applications.tallies import ApplicationTally
from portal.core.audit import AuditEvent
from portal.letters.models import Letter, LetterExport, LetterSequence
from portal.notifications.models import Notification
from portal.payments.acceptance_models import AcceptanceAssignment, AcceptanceReview
from portal.payments.batch_models import PaymentBatch
from portal.payments.models import (
    Agreement,
    BankAccount,
    PostAwardDocument,
    PostAwardPlan,
    Tranche,
)
from portal.payments.money import MoneyTally, PaymentDaysTally
from portal.payments.recovery_models import CreditRecord, RecoveryCase, RecoveryFile, Repayment
from portal.payments.report_models import ProgressReport, ReportFile
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
from portal.review.overview_tallies import (
    ProgramScoreTally,
    ReviewerScoreTally,
    ReviewShortfallTally,
)
from portal.review.release_record_models import ReleaseRecord, ReleaseRecordEntry
from portal.review.sign_off import Proposal
from portal.review.tallies import ReviewDueTally, ReviewTally
from portal.tasks.models import (
    GoalTile,
    IndicatorReport,
    KeyTask,
    Milestone,
    SlipStep,
    SupervisionSlip,
    TaskFile,
    TaskIndicator,
    TaskStatusMonth,
)

__all__ = [
    "AcceptanceAssignment",
    "AcceptanceReview",
    "Agreement",
    "Application",
    "ApplicationSubmission",
    "ApplicationTally",
    "Assignment",
    "Attachment",
    "AuditEvent",
    "BankAccount",
    "ConflictDeclaration",
    "CreditRecord",
    "Department",
    "Enterprise",
    "EnterpriseRecognition",
    "EnterpriseYear",
    "GoalTile",
    "IndicatorReport",
    "KeyTask",
    "Letter",
    "LetterExport",
    "LetterSequence",
    "Milestone",
    "MoneyTally",
    "Notification",
    "Objection",
    "ObjectionEvidence",
    "ObjectorChallenge",
    "PaymentBatch",
    "PaymentDaysTally",
    "PostAwardDocument",
    "PostAwardPlan",
    "Program",
    "ProgramScoreTally",
    "ProgramVersion",
    "ProgressReport",
    "Proposal",
    "PublicityNotice",
    "RecoveryCase",
    "RecoveryFile",
    "ReleaseRecord",
    "ReleaseRecordEntry",
    "Repayment",
    "ReportFile",
    "ReviewDueTally",
    "ReviewShortfallTally",
    "ReviewTally",
    "ReviewerProfile",
    "ReviewerScoreTally",
    "Role",
    "SignInThrottle",
    "SlipStep",
    "SupervisionSlip",
    "TaskFile",
    "TaskIndicator",
    "TaskStatusMonth",
    "Tranche",
    "User",
]
