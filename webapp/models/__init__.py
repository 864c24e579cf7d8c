"""Every model, imported so that the metadata is complete (Alembic, create_all)."""

from webapp.models.audit import AuditEvent
from webapp.models.dossier import Attachment, Dossier, Movement, Nominee
from webapp.models.moves import InstanceMove
from webapp.models.org import ApiToken, OrgUnit, Role, RoleAssignment, User
from webapp.models.process import ProcessInstance, ProcessVersion
from webapp.models.setting import AppSetting
from webapp.models.work import Event, WorkItem

__all__ = [
    "ApiToken",
    "AppSetting",
    "Attachment",
    "AuditEvent",
    "Dossier",
    "Event",
    "InstanceMove",
    "Movement",
    "Nominee",
    "OrgUnit",
    "ProcessInstance",
    "ProcessVersion",
    "Role",
    "RoleAssignment",
    "User",
    "WorkItem",
]
