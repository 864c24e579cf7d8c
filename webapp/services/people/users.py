"""Users and their role assignments: a user who acted is deactivated, never deleted, and
administrators cannot lock themselves out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp.db import utcnow
from webapp.models import (
    ApiToken,
    Attachment,
    Dossier,
    Event,
    InstanceMove,
    ProcessVersion,
    Role,
    RoleAssignment,
    User,
    WorkItem,
)
from webapp.permissions import Actor
from webapp.services import audit
from webapp.services.actors import actor_for_user, units_below
from webapp.services.auth import end_sessions, hash_password
from webapp.services.errors import (
    ConflictError,
    NotFoundError,
)
from webapp.services.history import record
from webapp.services.people.common import (
    count_rows,
    invalid,
    require_admin,
    required_text,
    unique_flush,
)
from webapp.services.people.units import active_unit
from webapp.services.text_search import fold, search_terms

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
USERNAME_MAX = 80
FULL_NAME_MAX = 200
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX = 200
PASSWORD_MIN = 8
PASSWORD_MAX = 200  # the login form's limit
USERS_PER_PAGE = 50


@dataclass(frozen=True)
class UserFilters:
    """The user list's search (diacritics and case ignored), unit (and below) and status."""

    q: str | None = None
    unit_id: int | None = None
    active: bool | None = None


@dataclass(frozen=True)
class UserPage:
    """One page of the user list."""

    users: list[User]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class UserData:
    """What the administrator enters about a user (the password goes separately)."""

    username: str | None
    full_name: str | None
    email: str | None
    unit_id: int | None
    is_admin: bool = False


@dataclass(frozen=True)
class UserActivity:
    """The traces a user left; any of them means the user can only be deactivated."""

    events: int
    dossiers_created: int
    items_completed: int
    items_held: int
    files_uploaded: int
    versions: int
    moves: int

    @property
    def acted(self) -> bool:
        """Whether the user did anything the history or the process versions remember."""
        return any(
            (
                self.events,
                self.dossiers_created,
                self.items_completed,
                self.items_held,
                self.files_uploaded,
                self.versions,
                self.moves,
            )
        )


def list_users(session: Session, actor: Actor, filters: UserFilters, *, page: int = 1) -> UserPage:
    """Users by username, filtered; the search matches name, username and e-mail."""
    require_admin(actor)
    query = select(User).options(
        joinedload(User.unit), selectinload(User.roles).joinedload(RoleAssignment.unit)
    )
    if filters.unit_id is not None:
        query = query.where(User.unit_id.in_(units_below(filters.unit_id)))
    if filters.active is not None:
        query = query.where(User.active.is_(filters.active))
    users = list(session.scalars(query.order_by(User.username)).unique())
    terms = search_terms(filters.q)
    if terms:
        # A few thousand people at most: folding in Python keeps the rule in one place.
        users = [
            user
            for user in users
            if all(
                term in fold(f"{user.full_name} {user.username} {user.email or ''}")
                for term in terms
            )
        ]
    total = len(users)
    pages = max((total + USERS_PER_PAGE - 1) // USERS_PER_PAGE, 1)
    page = min(max(page, 1), pages)
    start = (page - 1) * USERS_PER_PAGE
    return UserPage(users[start : start + USERS_PER_PAGE], total, page, pages)


def get_user(session: Session, actor: Actor, user_id: int) -> User:
    """One user; NotFoundError when they do not exist."""
    require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("no such user")
    return user


def user_roles(session: Session, actor: Actor, user_id: int) -> list[RoleAssignment]:
    """The user's role assignments, by role then unit."""
    require_admin(actor)
    return list(
        session.scalars(
            select(RoleAssignment)
            .where(RoleAssignment.user_id == user_id)
            .options(joinedload(RoleAssignment.unit))
            .order_by(RoleAssignment.role, RoleAssignment.unit_id)
        )
    )


def user_activity(session: Session, actor: Actor, user_id: int) -> UserActivity:
    """What the user did on dossiers and processes."""
    require_admin(actor)
    return UserActivity(
        events=count_rows(session, Event, Event.actor_id == user_id),
        dossiers_created=count_rows(session, Dossier, Dossier.created_by_id == user_id),
        items_completed=count_rows(session, WorkItem, WorkItem.completed_by_id == user_id),
        items_held=count_rows(
            session,
            WorkItem,
            (WorkItem.claimed_by_id == user_id) | (WorkItem.assignee_id == user_id),
        ),
        files_uploaded=count_rows(session, Attachment, Attachment.uploaded_by_id == user_id),
        versions=count_rows(
            session,
            ProcessVersion,
            (ProcessVersion.created_by_id == user_id) | (ProcessVersion.deployed_by_id == user_id),
        ),
        moves=count_rows(
            session,
            InstanceMove,
            (InstanceMove.moved_by_id == user_id) | (InstanceMove.undone_by_id == user_id),
        ),
    )


@dataclass(frozen=True)
class WaitingStep:
    """A step that waits for this one person (a council ballot): nobody else can take it."""

    dossier_id: int
    dossier_code: str | None
    title: str
    since: datetime


def steps_waiting_for(session: Session, actor: Actor, user_id: int) -> list[WaitingStep]:
    """Open steps assigned to the user by name, oldest first: a deactivated member's ballots
    stay open until the council's chair closes the vote."""
    require_admin(actor)
    rows = session.execute(
        select(WorkItem.dossier_id, Dossier.code, WorkItem.title, WorkItem.created_at)
        .join(Dossier, Dossier.id == WorkItem.dossier_id)
        .where(WorkItem.assignee_id == user_id, WorkItem.status == "open")
        .order_by(WorkItem.created_at, WorkItem.id)
    )
    return [WaitingStep(*row) for row in rows]


def _username(value: str | None) -> str:
    username = (value or "").strip()
    if not username:
        raise invalid("required", "username", "this field is required")
    if len(username) > USERNAME_MAX or not USERNAME.match(username):
        raise invalid(
            "username_format",
            "username",
            "lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return username


def _email(value: str | None) -> str | None:
    email = (value or "").strip()
    if not email:
        return None
    if len(email) > EMAIL_MAX or not EMAIL.match(email):
        raise invalid("email_format", "email", "not an e-mail address")
    return email


def _password(value: str | None) -> str:
    password = value or ""
    if len(password) < PASSWORD_MIN:
        raise invalid("password_short", "password", f"at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise invalid("password_long", "password", f"at most {PASSWORD_MAX} characters")
    return password


def _check_user(session: Session, data: UserData, user: User | None) -> tuple[str, str, str | None]:
    username = _username(data.username)
    full_name = required_text(data.full_name, "full_name", FULL_NAME_MAX)
    email = _email(data.email)
    if user is None or data.unit_id != user.unit_id:
        active_unit(session, data.unit_id, "unit_id")
    if user is None or username != user.username:
        taken = session.scalar(select(User.id).where(User.username == username))
        if taken is not None:
            raise invalid("username_taken", "username", "another user has this username")
    return username, full_name, email


def create_user(session: Session, actor: Actor, data: UserData, *, password: str | None) -> User:
    """A new active user with the password the administrator chose (stored hashed)."""
    require_admin(actor)
    username, full_name, email = _check_user(session, data, None)
    secret = _password(password)
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        unit_id=data.unit_id,
        is_admin=data.is_admin,
        active=True,
        password_hash=hash_password(secret),
    )
    with unique_flush(session, "username_taken", "username", "another user has this username"):
        session.add(user)
        session.flush()
    return user


def update_user(session: Session, actor: Actor, user_id: int, data: UserData) -> User:
    """Change a user's details; administrators cannot take their own administrator flag."""
    require_admin(actor)
    user = get_user(session, actor, user_id)
    username, full_name, email = _check_user(session, data, user)
    if user.id == actor.user_id and user.is_admin and not data.is_admin:
        raise invalid("self_admin", "is_admin", "you cannot remove your own administrator rights")
    with unique_flush(session, "username_taken", "username", "another user has this username"):
        user.username, user.full_name, user.email = username, full_name, email
        user.unit_id = data.unit_id if data.unit_id is not None else user.unit_id
        user.is_admin = data.is_admin
        session.flush()
    return user


def _revoke_tokens(session: Session, user_id: int) -> None:
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def _end_access(session: Session, actor: Actor, user: User, kind: str) -> None:
    """The user's API tokens, page sessions and remember cookies all stop working; the audit
    trail keeps who did it."""
    _revoke_tokens(session, user.id)
    end_sessions(session, user.id)
    audit.record_event(
        session, kind, username=user.username, user_id=user.id, actor=actor, detail=None
    )


def set_password(session: Session, actor: Actor, user_id: int, *, password: str | None) -> User:
    """Set a new password; the user's API tokens and sessions stop working (they were made
    with the old one)."""
    user = get_user(session, actor, user_id)
    user.password_hash = hash_password(_password(password))
    session.flush()
    _end_access(session, actor, user, audit.PASSWORD_CHANGED)
    session.flush()
    return user


def deactivate_user(session: Session, actor: Actor, user_id: int) -> User:
    """The user can no longer log in nor use a token; steps they had taken go back to their
    colleagues (with a line in each dossier's history)."""
    user = get_user(session, actor, user_id)
    if user.id == actor.user_id:
        raise ConflictError("you cannot deactivate yourself", code="self_deactivate")
    if not user.active:
        return user
    user.active = False
    session.flush()
    _end_access(session, actor, user, audit.USER_DEACTIVATED)
    _release_claims(session, actor, user, "user_deactivated", still_reached={})
    return user


def reactivate_user(session: Session, actor: Actor, user_id: int) -> User:
    """Let a deactivated user log in again (old API tokens stay revoked)."""
    user = get_user(session, actor, user_id)
    user.active = True
    session.flush()
    return user


def delete_user(session: Session, actor: Actor, user_id: int) -> None:
    """Delete a user who never acted; one who did can only be deactivated."""
    user = get_user(session, actor, user_id)
    if user.id == actor.user_id:
        raise ConflictError("you cannot delete yourself", code="self_delete")
    if user_activity(session, actor, user_id).acted:
        raise ConflictError("this user acted on dossiers; deactivate instead", code="user_acted")
    try:
        with session.begin_nested():
            for assignment in list(user.roles):
                session.delete(assignment)
            session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
            session.delete(user)
            session.flush()
    except IntegrityError as exc:
        raise ConflictError(
            "this user acted on dossiers; deactivate instead", code="user_acted"
        ) from exc


# --- role assignments


def add_assignment(
    session: Session, actor: Actor, user_id: int, *, role: str | None, unit_id: int | None
) -> RoleAssignment:
    """Grant `role` to the user within `unit_id` (and the units below it)."""
    require_admin(actor)
    user = get_user(session, actor, user_id)
    if not role or session.get(Role, role) is None:
        raise invalid("role_unknown", "role", "no such role")
    unit = active_unit(session, unit_id, "unit_id")
    duplicate = session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.user_id == user.id,
            RoleAssignment.role == role,
            RoleAssignment.unit_id == unit.id,
        )
    )
    message = "the user already holds this role in this unit"
    if duplicate is not None:
        raise invalid("assignment_duplicate", "role", message)
    assignment = RoleAssignment(user_id=user.id, role=role, unit_id=unit.id)
    with unique_flush(session, "assignment_duplicate", "role", message):
        session.add(assignment)
        session.flush()
    return assignment


def remove_assignment(session: Session, actor: Actor, user_id: int, assignment_id: int) -> None:
    """Take a role assignment away from the user; steps they had taken and no longer reach go
    back to their colleagues (with a line in each dossier's history)."""
    require_admin(actor)
    assignment = session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.user_id != user_id:
        raise NotFoundError("no such role assignment")
    user = get_user(session, actor, user_id)
    session.delete(assignment)
    session.flush()
    # A claim the user can no longer act on would keep everyone else from the step.
    scopes = actor_for_user(session, user).scopes
    _release_claims(session, actor, user, "role_removed", still_reached=scopes)


def _release_claims(
    session: Session,
    actor: Actor,
    user: User,
    reason: str,
    still_reached: Mapping[str, frozenset[int]],
) -> None:
    """Give back the open steps `user` had taken, except those their remaining roles still
    reach (`still_reached`: role -> unit ids), with a line in each dossier's history."""
    held = session.scalars(
        select(WorkItem)
        .where(WorkItem.claimed_by_id == user.id, WorkItem.status == "open")
        .options(joinedload(WorkItem.dossier))
    )
    for item in held:
        if item.role is not None and item.unit_id in still_reached.get(item.role, frozenset()):
            continue
        item.claimed_by_id = None
        item.claimed_at = None
        record(
            session,
            item.dossier,
            "released",
            actor=actor,
            step=item.step,
            step_title=item.title,
            work_item=item,
            data={"released_for": user.username, "reason": reason},
        )
    session.flush()
