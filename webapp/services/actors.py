"""Build the Actor of a user: their roles and how far each reaches down the organisation tree."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import CTE, Select, bindparam, select
from sqlalchemy.orm import Session

from webapp.models import OrgUnit, RoleAssignment, User
from webapp.permissions import Actor
from webapp.services.shared_aliases import shared_alias


def unit_parents(session: Session) -> dict[int, int | None]:
    """unit id -> parent id for the whole tree, read once per session (one request)."""
    parents = session.info.get("unit_parents")
    if parents is None:
        parents = dict(session.execute(select(OrgUnit.id, OrgUnit.parent_id)).all())
        session.info["unit_parents"] = parents
    return parents


def unit_children(session: Session) -> dict[int | None, list[int]]:
    """parent id -> child ids for the whole organisation tree."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for unit_id, parent_id in unit_parents(session).items():
        children[parent_id].append(unit_id)
    return children


def descendants(children: dict[int | None, list[int]], unit_id: int) -> set[int]:
    """`unit_id` and every unit below it."""
    found = {unit_id}
    todo = [unit_id]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


CHILD_UNIT = shared_alias(OrgUnit, "child_unit")


def units_below(unit_id: int) -> Select[tuple[int]]:
    """SQL for `unit_id` and every unit under it: choosing a department means its divisions too."""
    tree = select(OrgUnit.id).where(OrgUnit.id == unit_id).cte(recursive=True)
    child = CHILD_UNIT
    tree = tree.union_all(select(child.id).join(tree, child.parent_id == tree.c.id))
    return select(tree.c.id)


def ancestors(session: Session, unit_id: int) -> list[int]:
    """`unit_id` and its parents, nearest first."""
    parents = unit_parents(session)
    chain: list[int] = []
    current: int | None = unit_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def actor_for_user(session: Session, user: User) -> Actor:
    """The Actor for `user`, with every role assignment expanded to the units below it."""
    reach = session.execute(_USER_REACH, {"user_id": user.id}).all()
    return actor_of(user.id, user.username, user.full_name, user.unit_id, user.is_admin, reach)


def assignments_reach(seed: Select[str, int, int]) -> CTE:
    """(role, granted, unit_id) of each assignment `seed` selects (role, unit as granted, the
    same unit) and of every unit below it, in SQL: a request reads its actor's own units
    rather than the whole organisation tree (UNION stops at a unit already reached)."""
    reach = seed.cte("reach", recursive=True)
    below = select(reach.c.role, reach.c.granted, OrgUnit.id).where(
        OrgUnit.parent_id == reach.c.unit_id
    )
    return reach.union(below)


# A user's reach, built once: each page request reads its actor through it.
_USER_REACH_CTE = assignments_reach(
    select(
        RoleAssignment.role, RoleAssignment.unit_id.label("granted"), RoleAssignment.unit_id
    ).where(RoleAssignment.user_id == bindparam("user_id"))
)
_USER_REACH = select(_USER_REACH_CTE.c.role, _USER_REACH_CTE.c.granted, _USER_REACH_CTE.c.unit_id)


def actor_of(
    user_id: int,
    username: str,
    full_name: str,
    unit_id: int,
    is_admin: bool,
    reach: Iterable[tuple[str, int, int]],
) -> Actor:
    """The Actor of a user given by its columns and its reach: (role, unit where it was
    granted, a unit at or below that one) for every unit each role reaches."""
    scopes: dict[str, set[int]] = defaultdict(set)
    grants: dict[str, set[int]] = defaultdict(set)
    for role, granted, unit in reach:
        grants[role].add(granted)
        scopes[role].add(unit)
    return Actor(
        user_id=user_id,
        username=username,
        full_name=full_name,
        unit_id=unit_id,
        is_admin=is_admin,
        scopes={role: frozenset(units) for role, units in scopes.items()},
        grants={role: frozenset(units) for role, units in grants.items()},
    )
