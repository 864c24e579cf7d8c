"""Every model, imported so that the metadata is complete (Alembic, create_all)."""

from webapp.models.audit import AuditEvent
from webapp.models.ballots import BallotBox, BallotCount, CouncilSession
from webapp.models.calendar_days import CalendarException
from webapp.models.documents import GeneratedDocument
from webapp.models.dossier import Attachment, Dossier, Movement, Nominee
from webapp.models.exports import ExportFile
from webapp.models.jobs import JobSchedule
from webapp.models.letterhead import Letterhead
from webapp.models.moves import InstanceMove
from webapp.models.notifications import (
    MailOutbox,
    Notification,
    NotificationOnce,
    NotificationPreference,
)
from webapp.models.org import ApiToken, OrgUnit, Role, RoleAssignment, User
from webapp.models.process import ProcessInstance, ProcessVersion
from webapp.models.process_map import ProcessMapRefresh, ProcessMapVisit
from webapp.models.registers import DocumentRegister, IssuedNumber, SignatureCheck
from webapp.models.rounds import (
    MessageSubscription,
    Round,
    RoundEntry,
    RoundEvent,
    RoundInstance,
    RoundListItem,
)
from webapp.models.rules import DocumentRequirement, RepeatAwardPeriod, RuleSetBasis, SimplifiedCase
from webapp.models.setting import AppSetting
from webapp.models.templates import VersionTemplate
from webapp.models.work import Event, WorkItem

__all__ = [
    "ApiToken",
    "AppSetting",
    "Attachment",
    "AuditEvent",
    "BallotBox",
    "BallotCount",
    "CalendarException",
    "CouncilSession",
    "DocumentRegister",
    "DocumentRequirement",
    "Dossier",
    "Event",
    "ExportFile",
    "GeneratedDocument",
    "InstanceMove",
    "IssuedNumber",
    "JobSchedule",
    "Letterhead",
    "MailOutbox",
    "MessageSubscription",
    "Movement",
    "Nominee",
    "Notification",
    "NotificationOnce",
    "NotificationPreference",
    "OrgUnit",
    "ProcessInstance",
    "ProcessMapRefresh",
    "ProcessMapVisit",
    "ProcessVersion",
    "RepeatAwardPeriod",
    "Role",
    "RoleAssignment",
    "Round",
    "RoundEntry",
    "RoundEvent",
    "RoundInstance",
    "RoundListItem",
    "RuleSetBasis",
    "SignatureCheck",
    "SimplifiedCase",
    "User",
    "VersionTemplate",
    "WorkItem",
]
