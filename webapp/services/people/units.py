"""Organisation units: the tree, creating, renaming, moving (never under itself), deactivating."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from webapp.models import (
    Dossier,
    OrgUnit,
    RoleAssignment,
    User,
    WorkItem,
)
from webapp.permissions import Actor
from webapp.services.actors import descendants, unit_children
from webapp.services.errors import (
    ConflictError,
    NotFoundError,
)
from webapp.services.people.common import (
    clean_text,
    count_rows,
    forget_tree,
    invalid,
    require_admin,
    required_text,
    unique_flush,
)
from webapp.services.text_search import fold

UNIT_KINDS = ("ministry", "department", "division")
# A unit's code starts every dossier code of the unit (BN-QLNS-2025-00012): short and plain.
UNIT_CODE = re.compile(r"^[A-Z0-9]+(?:[-_][A-Z0-9]+)*$")
UNIT_CODE_MAX = 20
UNIT_NAME_MAX = 200


@dataclass
class UnitNode:
    """A unit in the tree with its sub-units and how many active users it is home to."""

    unit: OrgUnit
    depth: int
    users: int
    children: list[UnitNode] = field(default_factory=list)


@dataclass(frozen=True)
class UnitUsage:
    """What refers to a unit: anything at all means it can only be deactivated."""

    dossiers: int
    work_items: int
    users: int
    active_users: int
    assignments: int
    children: int
    active_children: int

    @property
    def deletable(self) -> bool:
        """Never used: no dossier, work, user, role assignment or sub-unit."""
        return not (
            self.dossiers or self.work_items or self.users or self.assignments or self.children
        )


def _sort_key(unit: OrgUnit) -> tuple[int, str, str]:
    return (
        UNIT_KINDS.index(unit.kind) if unit.kind in UNIT_KINDS else 9,
        fold(unit.name),
        unit.code,
    )


def unit_tree(session: Session, actor: Actor) -> list[UnitNode]:
    """The whole organisation as nested nodes, roots first, each level by kind and name."""
    require_admin(actor)
    units = list(session.scalars(select(OrgUnit)))
    users = dict(
        session.execute(
            select(User.unit_id, func.count()).where(User.active.is_(True)).group_by(User.unit_id)
        ).all()
    )
    by_parent: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        by_parent.setdefault(unit.parent_id, []).append(unit)
    known = {unit.id for unit in units}

    def build(unit: OrgUnit, depth: int, seen: set[int]) -> UnitNode:
        node = UnitNode(unit, depth, users.get(unit.id, 0))
        seen.add(unit.id)
        for child in sorted(by_parent.get(unit.id, []), key=_sort_key):
            if child.id not in seen:
                node.children.append(build(child, depth + 1, seen))
        return node

    seen: set[int] = set()
    roots = [u for u in units if u.parent_id is None or u.parent_id not in known]
    return [build(root, 0, seen) for root in sorted(roots, key=_sort_key)]


def unit_outline(session: Session, actor: Actor) -> list[tuple[OrgUnit, int]]:
    """Every unit in tree order with its depth (for choice lists)."""

    def walk(nodes: list[UnitNode]) -> Iterator[tuple[OrgUnit, int]]:
        for node in nodes:
            yield node.unit, node.depth
            yield from walk(node.children)

    return list(walk(unit_tree(session, actor)))


def get_unit(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    """One unit; NotFoundError when it does not exist."""
    require_admin(actor)
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFoundError("no such unit")
    return unit


def subtree_ids(session: Session, unit_id: int) -> set[int]:
    """The unit and every unit below it."""
    forget_tree(session)
    return descendants(unit_children(session), unit_id)


def unit_usage(session: Session, actor: Actor, unit_id: int) -> UnitUsage:
    """How much refers to the unit."""
    require_admin(actor)
    return UnitUsage(
        dossiers=count_rows(session, Dossier, Dossier.unit_id == unit_id),
        work_items=count_rows(session, WorkItem, WorkItem.unit_id == unit_id),
        users=count_rows(session, User, User.unit_id == unit_id),
        active_users=count_rows(session, User, User.unit_id == unit_id, User.active.is_(True)),
        assignments=count_rows(session, RoleAssignment, RoleAssignment.unit_id == unit_id),
        children=count_rows(session, OrgUnit, OrgUnit.parent_id == unit_id),
        active_children=count_rows(
            session, OrgUnit, OrgUnit.parent_id == unit_id, OrgUnit.active.is_(True)
        ),
    )


def unit_assignments(session: Session, actor: Actor, unit_id: int) -> list[RoleAssignment]:
    """The roles granted within the unit, with their holders."""
    require_admin(actor)
    return list(
        session.scalars(
            select(RoleAssignment)
            .where(RoleAssignment.unit_id == unit_id)
            .join(User, User.id == RoleAssignment.user_id)
            .options(joinedload(RoleAssignment.user))
            .order_by(RoleAssignment.role, User.username)
        )
    )


def _unit_code(value: str | None) -> str:
    code = clean_text(value).upper()
    if not code:
        raise invalid("required", "code", "this field is required")
    if len(code) > UNIT_CODE_MAX or not UNIT_CODE.match(code):
        raise invalid(
            "unit_code_format",
            "code",
            f"capital letters, digits, '-' or '_', at most {UNIT_CODE_MAX} characters",
        )
    return code


def _unit_kind(kind: str | None) -> str:
    if kind not in UNIT_KINDS:
        raise invalid("unit_kind", "kind", f"one of {', '.join(UNIT_KINDS)}")
    return kind


def active_unit(session: Session, unit_id: int | None, field_name: str) -> OrgUnit:
    unit = session.get(OrgUnit, unit_id) if unit_id is not None else None
    if unit is None:
        raise invalid("unit_unknown", field_name, "no such unit")
    if not unit.active:
        raise invalid("unit_inactive", field_name, "this unit is deactivated")
    return unit


def create_unit(
    session: Session,
    actor: Actor,
    *,
    code: str | None,
    name: str | None,
    kind: str | None,
    parent_id: int | None,
) -> OrgUnit:
    """A new unit under `parent_id` (None: a new root, e.g. another ministry)."""
    require_admin(actor)
    unit_code = _unit_code(code)
    unit_name = required_text(name, "name", UNIT_NAME_MAX)
    unit_kind = _unit_kind(kind)
    if parent_id is not None:
        active_unit(session, parent_id, "parent_id")
    if session.scalar(select(OrgUnit.id).where(OrgUnit.code == unit_code)) is not None:
        raise invalid("unit_code_taken", "code", "another unit has this code")
    unit = OrgUnit(code=unit_code, name=unit_name, kind=unit_kind, parent_id=parent_id)
    with unique_flush(session, "unit_code_taken", "code", "another unit has this code"):
        session.add(unit)
        session.flush()
    forget_tree(session)
    return unit


def update_unit(
    session: Session,
    actor: Actor,
    unit_id: int,
    *,
    code: str | None,
    name: str | None,
    kind: str | None,
    parent_id: int | None,
) -> OrgUnit:
    """Rename a unit, change its kind, or move it under another parent (never into itself)."""
    require_admin(actor)
    unit = get_unit(session, actor, unit_id)
    unit_code = _unit_code(code)
    unit_name = required_text(name, "name", UNIT_NAME_MAX)
    unit_kind = _unit_kind(kind)
    if unit_code != unit.code:
        if count_rows(session, Dossier, Dossier.unit_id == unit.id):
            # Dossier codes start with the unit's code; they must keep pointing at it.
            raise invalid("unit_code_locked", "code", "the unit's dossiers carry this code")
        if session.scalar(select(OrgUnit.id).where(OrgUnit.code == unit_code)) is not None:
            raise invalid("unit_code_taken", "code", "another unit has this code")
    if parent_id is not None and parent_id != unit.parent_id:
        if parent_id in subtree_ids(session, unit.id):
            raise invalid(
                "unit_cycle", "parent_id", "a unit cannot go under itself or its sub-units"
            )
        active_unit(session, parent_id, "parent_id")
    with unique_flush(session, "unit_code_taken", "code", "another unit has this code"):
        unit.code, unit.name, unit.kind, unit.parent_id = unit_code, unit_name, unit_kind, parent_id
        session.flush()
    forget_tree(session)
    return unit


def deactivate_unit(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    """Stop offering a unit for new users and roles; its dossiers and history stay as they are."""
    unit = get_unit(session, actor, unit_id)
    if not unit.active:
        return unit
    usage = unit_usage(session, actor, unit_id)
    if usage.active_children:
        raise ConflictError("deactivate or move its sub-units first", code="unit_active_children")
    if usage.active_users:
        raise ConflictError(
            "move its users to another unit or deactivate them first", code="unit_active_users"
        )
    unit.active = False
    session.flush()
    return unit


def reactivate_unit(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    """Offer a deactivated unit again (its parent must be active)."""
    unit = get_unit(session, actor, unit_id)
    if unit.parent is not None and not unit.parent.active:
        raise ConflictError("reactivate its parent unit first", code="unit_parent_inactive")
    unit.active = True
    session.flush()
    return unit


def delete_unit(session: Session, actor: Actor, unit_id: int) -> None:
    """Delete a unit nothing ever referred to; anything else is deactivated instead."""
    unit = get_unit(session, actor, unit_id)
    if not unit_usage(session, actor, unit_id).deletable:
        raise ConflictError("this unit is in use; deactivate it instead", code="unit_in_use")
    try:
        with session.begin_nested():
            session.delete(unit)
            session.flush()
    except IntegrityError as exc:
        raise ConflictError(
            "this unit is in use; deactivate it instead", code="unit_in_use"
        ) from exc
    forget_tree(session)
