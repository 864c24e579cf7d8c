"""Who will do the work: who can take each waiting step, what a person's deactivation or the
removal of one role assignment would leave with nobody, and which lanes of a version have no
active holder of their role where dossiers of the process run.

A step waits for the active holders of its role in the dossier's unit or a unit above it; a
step assigned by name (a council ballot) waits for that person only, and a claimed step for
whoever claimed it. These are warnings for the administrator, not check problems: people change
without a new version of the process.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from webapp.models import (
    Dossier,
    OrgUnit,
    ProcessInstance,
    ProcessVersion,
    Role,
    RoleAssignment,
    User,
    WorkItem,
)
from webapp.permissions import Actor, can_manage_processes
from webapp.services.actors import actor_for_user, ancestors, descendants, unit_children
from webapp.services.errors import NotFoundError, PermissionDeniedError
from webapp.services.process_versions import get_version
from workflows import DiagramError
from workflows.diagram_info import read_diagram
from workflows.xml_loading import parse_xml

# The catalogue names at most this many dossiers per gap; the count says how many in all.
CODES_SHOWN = 20


def _require_admin(actor: Actor) -> None:
    if not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators see who will do the work")


@dataclass(frozen=True)
class Taker:
    """An active person who can take a step."""

    user_id: int
    full_name: str
    username: str


@dataclass(frozen=True)
class WaitingWork:
    """An open step of a running dossier, with who (else) can take it."""

    item_id: int
    dossier_id: int
    dossier_code: str | None
    title: str
    step: str
    role: str | None
    unit_id: int
    unit_name: str
    process_key: str
    version: int
    created_at: datetime
    due_at: datetime | None
    by_name: bool  # assigned to one person (a council ballot)
    claimed: bool  # taken by the person concerned
    takers: tuple[Taker, ...] = ()

    @property
    def left_alone(self) -> bool:
        """Nobody active can take it."""
        return not self.takers


@dataclass(frozen=True)
class ChangeImpact:
    """The steps a person could take now, each with who could still take it after the change."""

    user_id: int
    items: list[WaitingWork]

    @property
    def gaps(self) -> list[WaitingWork]:
        """The steps nobody could take after the change."""
        return [item for item in self.items if item.left_alone]

    @property
    def fingerprint(self) -> str:
        """The steps left with nobody, as the confirmation page showed them: a confirmation
        made on an older picture is shown the new one instead of acting."""
        return ",".join(str(item.item_id) for item in sorted(self.gaps, key=lambda i: i.item_id))


@dataclass(frozen=True)
class UnitGap:
    """A unit with running dossiers where nobody active holds a lane's role."""

    unit_id: int
    unit_name: str
    dossiers: int


@dataclass(frozen=True)
class LaneGap:
    """A lane whose role has no active holder in some units that have running dossiers."""

    lane_id: str
    lane_name: str | None
    role: str
    role_name: str | None  # None: the role does not exist
    steps: tuple[str, ...]
    units: tuple[UnitGap, ...]


@dataclass(frozen=True)
class Gaps:
    """The warnings of a process or a version: steps nobody can take, lanes without holders."""

    unstaffed: list[WaitingWork] = field(default_factory=list)
    lanes: list[LaneGap] = field(default_factory=list)

    @property
    def any(self) -> bool:
        """Whether there is anything to warn about."""
        return bool(self.unstaffed or self.lanes)

    @property
    def shown(self) -> list[WaitingWork]:
        """The first steps nobody can take (the page links their dossiers)."""
        return self.unstaffed[:CODES_SHOWN]


# --- who holds what --------------------------------------------------------------------------


class _Holders:
    """The active holders of each role in each unit, read once; reach goes down the tree."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_grant: dict[tuple[str, int], list[tuple[int, Taker]]] = defaultdict(list)
        rows = session.execute(
            select(
                RoleAssignment.id,
                RoleAssignment.role,
                RoleAssignment.unit_id,
                User.id,
                User.full_name,
                User.username,
            )
            .join(User, User.id == RoleAssignment.user_id)
            .where(User.active.is_(True))
            .order_by(User.full_name, User.id)
        )
        for assignment_id, role, unit_id, user_id, full_name, username in rows:
            self.by_grant[(role, unit_id)].append(
                (assignment_id, Taker(user_id, full_name, username))
            )

    def of(
        self,
        role: str | None,
        unit_id: int,
        *,
        without_user: int | None = None,
        without_assignment: int | None = None,
    ) -> list[Taker]:
        """Who holds `role` in `unit_id` or above, leaving out a person or one assignment."""
        if role is None:
            return []
        found: dict[int, Taker] = {}
        for unit in ancestors(self.session, unit_id):
            for assignment_id, taker in self.by_grant.get((role, unit), []):
                if taker.user_id == without_user or assignment_id == without_assignment:
                    continue
                found.setdefault(taker.user_id, taker)
        return sorted(found.values(), key=lambda t: (t.full_name, t.user_id))


def _takers(
    holders: list[Taker], assignee_id: int | None, claimed_by_id: int | None, leaving: int | None
) -> list[Taker]:
    """Who can take a step among the role's holders: the named person only; the claimer only,
    unless the claimer is the person leaving and no longer reaches it (the claim goes back)."""
    if assignee_id is not None:
        holders = [t for t in holders if t.user_id == assignee_id]
    if claimed_by_id is not None:
        claimer = [t for t in holders if t.user_id == claimed_by_id]
        if claimer or claimed_by_id != leaving:
            return claimer
    return holders


# --- open steps ------------------------------------------------------------------------------


def _open_items(session: Session, *conditions: ColumnElement[bool]) -> list[Any]:
    """Open steps of running dossiers, oldest first, as plain rows."""
    return list(
        session.execute(
            select(
                WorkItem.id,
                WorkItem.dossier_id,
                Dossier.code,
                WorkItem.title,
                WorkItem.step,
                WorkItem.role,
                WorkItem.unit_id,
                OrgUnit.name,
                ProcessVersion.process_key,
                ProcessVersion.version,
                WorkItem.created_at,
                WorkItem.due_at,
                WorkItem.assignee_id,
                WorkItem.claimed_by_id,
            )
            .join(Dossier, Dossier.id == WorkItem.dossier_id)
            .join(OrgUnit, OrgUnit.id == WorkItem.unit_id)
            .join(ProcessInstance, ProcessInstance.id == WorkItem.instance_id)
            .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
            .where(WorkItem.status == "open", ProcessInstance.status == "running", *conditions)
            .order_by(WorkItem.created_at, WorkItem.id)
        )
    )


def _waiting(row: Any, takers: list[Taker], concerned: int | None) -> WaitingWork:
    return WaitingWork(
        item_id=row[0],
        dossier_id=row[1],
        dossier_code=row[2],
        title=row[3],
        step=row[4],
        role=row[5],
        unit_id=row[6],
        unit_name=row[7],
        process_key=row[8],
        version=row[9],
        created_at=row[10],
        due_at=row[11],
        by_name=row[12] is not None,
        claimed=concerned is not None and row[13] == concerned,
        takers=tuple(takers),
    )


def who_can_take(session: Session, actor: Actor, item_ids: Iterable[int]) -> list[WaitingWork]:
    """Each of these open steps (of running dossiers) with the active people who can take it."""
    _require_admin(actor)
    wanted = list(item_ids)
    if not wanted:
        return []
    holders = _Holders(session)
    return [
        _waiting(row, _takers(holders.of(row[5], row[6]), row[12], row[13], None), None)
        for row in _open_items(session, WorkItem.id.in_(wanted))
    ]


def _reach(scopes: dict[str, frozenset[int]]) -> ColumnElement[bool]:
    clauses = [
        and_(WorkItem.role == role, WorkItem.unit_id.in_(units))
        for role, units in scopes.items()
        if units
    ]
    return or_(*clauses) if clauses else false()


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("no such user")
    return user


def deactivation_impact(session: Session, actor: Actor, user_id: int) -> ChangeImpact:
    """The steps the user could take now (or that wait for them by name), each with the other
    active people who could take it once the user is deactivated (their claims go back)."""
    _require_admin(actor)
    user = _user(session, user_id)
    if not user.active:
        return ChangeImpact(user.id, [])
    scopes = actor_for_user(session, user).scopes
    holders = _Holders(session)
    items = []
    for row in _open_items(session, or_(_reach(scopes), WorkItem.assignee_id == user.id)):
        role, unit_id, assignee_id, claimed_by_id = row[5], row[6], row[12], row[13]
        now = _takers(holders.of(role, unit_id), assignee_id, claimed_by_id, None)
        if assignee_id != user.id and user.id not in {t.user_id for t in now}:
            continue  # someone else's ballot or claim: not waiting for this person
        after = holders.of(role, unit_id, without_user=user.id)
        items.append(_waiting(row, _takers(after, assignee_id, claimed_by_id, user.id), user.id))
    return ChangeImpact(user.id, items)


def removal_impact(
    session: Session, actor: Actor, user_id: int, assignment_id: int
) -> ChangeImpact:
    """The steps the user reaches through this role assignment, each with who could take it
    once the assignment is removed (the user too, when another assignment still reaches it)."""
    _require_admin(actor)
    user = _user(session, user_id)
    assignment = session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.user_id != user.id:
        raise NotFoundError("no such role assignment")
    if not user.active:
        return ChangeImpact(user.id, [])
    reached = descendants(unit_children(session), assignment.unit_id)
    holders = _Holders(session)
    items = []
    for row in _open_items(session, _reach({assignment.role: frozenset(reached)})):
        role, unit_id, assignee_id, claimed_by_id = row[5], row[6], row[12], row[13]
        now = _takers(holders.of(role, unit_id), assignee_id, claimed_by_id, None)
        if user.id not in {t.user_id for t in now}:
            continue
        after = holders.of(role, unit_id, without_assignment=assignment.id)
        items.append(_waiting(row, _takers(after, assignee_id, claimed_by_id, user.id), user.id))
    return ChangeImpact(user.id, items)


def _unstaffed(
    session: Session, holders: _Holders, *conditions: ColumnElement[bool]
) -> list[WaitingWork]:
    return [
        _waiting(row, [], None)
        for row in _open_items(session, *conditions)
        if not _takers(holders.of(row[5], row[6]), row[12], row[13], None)
    ]


def unstaffed_work(
    session: Session, actor: Actor, process_key: str | None = None
) -> list[WaitingWork]:
    """Open steps of running dossiers that no active person can take, oldest first."""
    _require_admin(actor)
    conditions = [ProcessVersion.process_key == process_key] if process_key else []
    return _unstaffed(session, _Holders(session), *conditions)


# --- lanes without holders -------------------------------------------------------------------


def _running_units(session: Session, *conditions: ColumnElement[bool]) -> dict[int, int]:
    """Unit id -> how many running dossiers it has, for the process or version given."""
    return dict(
        session.execute(
            select(Dossier.unit_id, func.count())
            .join(ProcessInstance, ProcessInstance.dossier_id == Dossier.id)
            .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
            .where(ProcessInstance.status == "running", *conditions)
            .group_by(Dossier.unit_id)
        ).all()
    )


def _lane_gaps(
    session: Session, holders: _Holders, version: ProcessVersion, units: dict[int, int]
) -> list[LaneGap]:
    if not units:
        return []
    try:
        diagram = read_diagram(parse_xml(version.bpmn_xml, f"{version.process_key}.bpmn"))
    except DiagramError:
        return []  # an unreadable diagram is the check's business
    steps: dict[tuple[str, str], list[str]] = defaultdict(list)
    for element in diagram.human_steps():
        if element.role:
            steps[(element.lane_id or "", element.role)].append(element.name or element.element_id)
    if not steps:
        return []
    role_names = dict(session.execute(select(Role.code, Role.name)).all())
    unit_names = dict(
        session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(units))).all()
    )
    gaps = []
    for (lane_id, role), names in steps.items():
        missing = tuple(
            UnitGap(unit_id, unit_names.get(unit_id, str(unit_id)), count)
            for unit_id, count in sorted(units.items(), key=lambda u: unit_names.get(u[0], ""))
            if not holders.of(role, unit_id)
        )
        if missing:
            lane = diagram.lanes.get(lane_id)
            gaps.append(
                LaneGap(
                    lane_id,
                    lane.name if lane else None,
                    role,
                    role_names.get(role),
                    tuple(names),
                    missing,
                )
            )
    return gaps


def _deployed(session: Session) -> dict[str, ProcessVersion]:
    return {
        version.process_key: version
        for version in session.scalars(
            select(ProcessVersion).where(ProcessVersion.status == "deployed")
        )
    }


def process_gaps(session: Session, actor: Actor) -> dict[str, Gaps]:
    """For each process with something to warn about: the steps of its running dossiers that
    nobody active can take, and the lanes of its deployed version whose role has no active
    holder in a unit with running dossiers of the process."""
    _require_admin(actor)
    holders = _Holders(session)
    unstaffed: dict[str, list[WaitingWork]] = defaultdict(list)
    for item in _unstaffed(session, holders):
        unstaffed[item.process_key].append(item)
    deployed = _deployed(session)
    result = {}
    for key in sorted(set(unstaffed) | set(deployed)):
        lanes = []
        if key in deployed:
            units = _running_units(session, ProcessVersion.process_key == key)
            lanes = _lane_gaps(session, holders, deployed[key], units)
        gaps = Gaps(unstaffed.get(key, []), lanes)
        if gaps.any:
            result[key] = gaps
    return result


def version_gaps(session: Session, actor: Actor, process_key: str, number: int) -> Gaps:
    """The same warnings for one version: its dossiers' steps nobody can take; its lanes without
    a holder where the process's dossiers run (for a retired version, where its own run)."""
    _require_admin(actor)
    version = get_version(session, process_key, number)
    holders = _Holders(session)
    on_version = ProcessInstance.version_id == version.id
    if version.status == "retired":
        units = _running_units(session, on_version)
    else:
        units = _running_units(session, ProcessVersion.process_key == process_key)
    return Gaps(
        _unstaffed(session, holders, on_version),
        _lane_gaps(session, holders, version, units),
    )
