"""Who may see and do what: pure predicates over an Actor, no database access here."""

from __future__ import annotations

from dataclasses import dataclass, field

from webapp.models import Dossier, WorkItem

ADMIN_ROLE = "administrator"
CREATOR_ROLE = "unit_officer"
COUNCIL_CHAIR_ROLE = "council_chair"


@dataclass(frozen=True)
class Actor:
    """The person acting, with each role's reach: the units where they hold it and below."""

    user_id: int
    username: str
    full_name: str
    unit_id: int
    is_admin: bool = False
    # role -> the units (assignment unit and all its descendants) where the role applies
    scopes: dict[str, frozenset[int]] = field(default_factory=dict)
    # role -> the units where the role was granted (not expanded)
    grants: dict[str, frozenset[int]] = field(default_factory=dict)

    @property
    def visible_units(self) -> frozenset[int]:
        """Every unit whose dossiers this actor may see."""
        units: set[int] = set()
        for reach in self.scopes.values():
            units |= reach
        return frozenset(units)

    def has_role(self, role: str) -> bool:
        """Whether the actor holds `role` anywhere."""
        return bool(self.scopes.get(role))


def can_see_dossier(actor: Actor, dossier: Dossier) -> bool:
    """Administrators see everything; others see dossiers of units within their roles' reach."""
    return actor.is_admin or dossier.unit_id in actor.visible_units


def can_do_work_item(actor: Actor, item: WorkItem) -> bool:
    """The actor holds the item's role for the dossier's unit and it is theirs to take."""
    if item.role is None or item.unit_id not in actor.scopes.get(item.role, frozenset()):
        return False
    if item.assignee_id is not None and item.assignee_id != actor.user_id:
        return False
    return item.claimed_by_id in (None, actor.user_id)


def can_close_votes(actor: Actor, dossier: Dossier) -> bool:
    """The council's chair for the dossier's unit (or an administrator) closes its votes."""
    return actor.is_admin or dossier.unit_id in actor.scopes.get(COUNCIL_CHAIR_ROLE, frozenset())


def can_start_dossier(actor: Actor) -> bool:
    """Unit officers start dossiers for their unit."""
    return actor.has_role(CREATOR_ROLE)


def can_manage_processes(actor: Actor) -> bool:
    """Only administrators change diagrams, users and roles."""
    return actor.is_admin
