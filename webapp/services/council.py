"""Who sits on the council that votes on a dossier."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import RoleAssignment, User
from webapp.services.actors import ancestors

COUNCIL_MEMBER_ROLE = "council_member"


def council_members(session: Session, unit_id: int) -> dict[str, str]:
    """The council of the nearest unit above `unit_id` that has one: username -> username."""
    for candidate in ancestors(session, unit_id):
        usernames = session.scalars(
            select(User.username)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.role == COUNCIL_MEMBER_ROLE,
                RoleAssignment.unit_id == candidate,
                User.active.is_(True),
            )
            .order_by(User.username)
        ).all()
        if usernames:
            return {name: name for name in usernames}
    return {}
