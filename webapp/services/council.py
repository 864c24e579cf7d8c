"""Who sits on the council that votes on a dossier."""

from __future__ import annotations

from sqlalchemy import Integer, Select, bindparam, literal, select
from sqlalchemy.orm import Session

from webapp.models import OrgUnit, RoleAssignment, User
from webapp.services.shared_aliases import shared_alias

COUNCIL_MEMBER_ROLE = "council_member"
# How many levels up the tree a council is looked for: a cycle in the tree stops there.
MAX_LEVELS = 32

_PARENT_UNIT = shared_alias(OrgUnit, "parent_unit")


def _members_by_level() -> Select[int, str]:
    """The active council members of `unit_id` and of each unit above it, with how many levels
    up their unit is: one statement, made once (every completed step reads it), where reading
    the whole organisation tree to walk it grew with the number of units."""
    chain = (
        select(OrgUnit.id, OrgUnit.parent_id, literal(0, Integer).label("level"))
        .where(OrgUnit.id == bindparam("unit_id", type_=Integer))
        .cte("unit_chain", recursive=True)
    )
    parent = _PARENT_UNIT
    chain = chain.union_all(
        select(parent.id, parent.parent_id, chain.c.level + 1)
        .join(chain, parent.id == chain.c.parent_id)
        .where(chain.c.level < MAX_LEVELS)
    )
    return (
        select(chain.c.level, User.username)
        .join(RoleAssignment, RoleAssignment.unit_id == chain.c.id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.role == COUNCIL_MEMBER_ROLE, User.active.is_(True))
    )


_MEMBERS_BY_LEVEL = _members_by_level()


def council_members(session: Session, unit_id: int) -> dict[str, str]:
    """The council of the nearest unit above `unit_id` that has one: username -> username."""
    rows = session.execute(_MEMBERS_BY_LEVEL, {"unit_id": unit_id}).all()
    if not rows:
        return {}
    nearest = min(level for level, _name in rows)
    return {name: name for name in sorted(name for level, name in rows if level == nearest)}
