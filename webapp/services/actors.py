"""Build the Actor of a user: their roles and how far each reaches down the organisation tree."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from webapp.models import OrgUnit, RoleAssignment, User
from webapp.permissions import Actor


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


CHILD_UNIT = aliased(OrgUnit, name="child_unit")


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


def actor_for_user(
    session: Session, user: User, assignments: Iterable[tuple[str, int]] | None = None
) -> Actor:
    """The Actor for `user`, with every role assignment expanded to the units below it.

    `assignments` are the user's (role, unit) rows when the caller read them already;
    otherwise they are read here.
    """
    if assignments is None:
        assignments = session.execute(
            select(RoleAssignment.role, RoleAssignment.unit_id).where(
                RoleAssignment.user_id == user.id
            )
        ).all()
    return actor_of(
        session, user.id, user.username, user.full_name, user.unit_id, user.is_admin, assignments
    )


def actor_of(
    session: Session,
    user_id: int,
    username: str,
    full_name: str,
    unit_id: int,
    is_admin: bool,
    assignments: Iterable[tuple[str, int]],
) -> Actor:
    """The Actor of a user given by its columns and its (role, unit) assignments, each
    expanded to the units below it (the token's lookup reads them all in one query)."""
    children = unit_children(session)
    scopes: dict[str, set[int]] = defaultdict(set)
    grants: dict[str, set[int]] = defaultdict(set)
    for role, assigned in assignments:
        grants[role].add(assigned)
        scopes[role] |= descendants(children, assigned)
    return Actor(
        user_id=user_id,
        username=username,
        full_name=full_name,
        unit_id=unit_id,
        is_admin=is_admin,
        scopes={role: frozenset(units) for role, units in scopes.items()},
        grants={role: frozenset(units) for role, units in grants.items()},
    )
