"""Roles a diagram lane can name, and who holds them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from webapp.models import (
    Role,
    RoleAssignment,
    User,
)
from webapp.permissions import Actor
from webapp.services.errors import (
    NotFoundError,
)
from webapp.services.people.common import (
    invalid,
    require_admin,
    required_text,
    unique_flush,
)

# A lane names its role by code in the diagram: keep it an identifier.
ROLE_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
ROLE_CODE_MAX = 50
ROLE_NAME_MAX = 200


@dataclass(frozen=True)
class RoleRow:
    """A role and how many assignments of it exist (to active users, and in all)."""

    role: Role
    holders: int
    assignments: int


def list_roles(session: Session, actor: Actor) -> list[RoleRow]:
    """Every role by code, with who holds it."""
    require_admin(actor)
    holders = dict(
        session.execute(
            select(RoleAssignment.role, func.count(func.distinct(RoleAssignment.user_id)))
            .join(User, User.id == RoleAssignment.user_id)
            .where(User.active.is_(True))
            .group_by(RoleAssignment.role)
        ).all()
    )
    assignments = dict(
        session.execute(
            select(RoleAssignment.role, func.count()).group_by(RoleAssignment.role)
        ).all()
    )
    return [
        RoleRow(role, holders.get(role.code, 0), assignments.get(role.code, 0))
        for role in session.scalars(select(Role).order_by(Role.code))
    ]


def get_role(session: Session, actor: Actor, code: str) -> Role:
    """One role; NotFoundError when it does not exist."""
    require_admin(actor)
    role = session.get(Role, code)
    if role is None:
        raise NotFoundError("no such role")
    return role


def role_assignments(session: Session, actor: Actor, code: str) -> list[RoleAssignment]:
    """Who holds the role, and where."""
    require_admin(actor)
    return list(
        session.scalars(
            select(RoleAssignment)
            .where(RoleAssignment.role == code)
            .options(joinedload(RoleAssignment.user), joinedload(RoleAssignment.unit))
            .join(User, User.id == RoleAssignment.user_id)
            .order_by(User.username, RoleAssignment.id)
        )
    )


def create_role(session: Session, actor: Actor, *, code: str | None, name: str | None) -> Role:
    """A new role that diagram lanes may name from now on."""
    require_admin(actor)
    role_code = (code or "").strip()
    if not role_code:
        raise invalid("required", "code", "this field is required")
    if len(role_code) > ROLE_CODE_MAX or not ROLE_CODE.match(role_code):
        raise invalid(
            "role_code_format",
            "code",
            "lower-case letters, digits and '_', starting with a letter",
        )
    role_name = required_text(name, "name", ROLE_NAME_MAX)
    if session.get(Role, role_code) is not None:
        raise invalid("role_code_taken", "code", "this role exists already")
    role = Role(code=role_code, name=role_name)
    with unique_flush(session, "role_code_taken", "code", "this role exists already"):
        session.add(role)
        session.flush()
    return role


def rename_role(session: Session, actor: Actor, code: str, *, name: str | None) -> Role:
    """Change the name people read; the code that diagrams use stays."""
    role = get_role(session, actor, code)
    role.name = required_text(name, "name", ROLE_NAME_MAX)
    session.flush()
    return role
