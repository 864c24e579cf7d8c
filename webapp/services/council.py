"""Who sits on the council that votes on a dossier."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import RoleAssignment, User
from webapp.services.actors import ancestors

COUNCIL_MEMBER_ROLE = "council_member"


def council_members(session: Session, unit_id: int) -> dict[str, str]:
    """The council of the nearest unit above `unit_id` that has one: username -> username."""
    chain = ancestors(session, unit_id)
    rows = session.execute(
        select(RoleAssignment.unit_id, User.username)
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            RoleAssignment.role == COUNCIL_MEMBER_ROLE,
            RoleAssignment.unit_id.in_(chain),
            User.active.is_(True),
        )
    ).all()
    for candidate in chain:
        usernames = sorted(name for unit, name in rows if unit == candidate)
        if usernames:
            return {name: name for name in usernames}
    return {}
