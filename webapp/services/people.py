"""The administrator's people pages: organisation units, roles, users and their role assignments.

Rules kept here: a unit never goes under itself or its descendants; a unit or a user that left a
trace (dossiers, work, history) is deactivated, never deleted; administrators cannot lock
themselves out. Validation errors carry a stable `code` and the fields they concern, so the
pages can put a message in the page's language beside each field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp.db import Base, utcnow
from webapp.models import (
    ApiToken,
    Attachment,
    Dossier,
    Event,
    InstanceMove,
    OrgUnit,
    ProcessVersion,
    Role,
    RoleAssignment,
    User,
    WorkItem,
)
from webapp.permissions import Actor, can_manage_processes
from webapp.services.actors import descendants, unit_children, units_below
from webapp.services.auth import hash_password
from webapp.services.errors import (
    ConflictError,
    InvalidDataError,
    NotFoundError,
    PermissionDeniedError,
)
from webapp.services.history import record
from webapp.services.text_search import fold, search_terms

UNIT_KINDS = ("ministry", "department", "division")
# A unit's code starts every dossier code of the unit (BN-QLNS-2025-00012): short and plain.
UNIT_CODE = re.compile(r"^[A-Z0-9]+(?:[-_][A-Z0-9]+)*$")
UNIT_CODE_MAX = 20
UNIT_NAME_MAX = 200
# A lane names its role by code in the diagram: keep it an identifier.
ROLE_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
ROLE_CODE_MAX = 50
ROLE_NAME_MAX = 200
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
USERNAME_MAX = 80
FULL_NAME_MAX = 200
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX = 200
PASSWORD_MIN = 8
PASSWORD_MAX = 200  # the login form's limit
USERS_PER_PAGE = 50


# --- shared ---------------------------------------------------------------------------------


def _admin(actor: Actor) -> None:
    if not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators manage units, roles and users")


def _invalid(code: str, field_name: str, message: str) -> InvalidDataError:
    return InvalidDataError(message, {field_name: message}, code=code)


def _text(value: str | None) -> str:
    return " ".join((value or "").split())


def _required(value: str | None, field_name: str, max_length: int) -> str:
    text = _text(value)
    if not text:
        raise _invalid("required", field_name, "this field is required")
    if len(text) > max_length:
        raise _invalid("too_long", field_name, f"at most {max_length} characters")
    return text


@contextmanager
def _unique(session: Session, code: str, field_name: str, message: str) -> Iterator[None]:
    """Flush inside a savepoint: a value taken at the same moment by someone else becomes a
    field error, not a 500, and the rest of the transaction stays usable."""
    try:
        with session.begin_nested():
            yield
    except IntegrityError as exc:
        raise _invalid(code, field_name, message) from exc


def _forget_tree(session: Session) -> None:
    # actors.unit_parents caches the tree for the session; a change must not read the old one.
    session.info.pop("unit_parents", None)


# --- units ----------------------------------------------------------------------------------


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
    _admin(actor)
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
    _admin(actor)
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFoundError("no such unit")
    return unit


def subtree_ids(session: Session, unit_id: int) -> set[int]:
    """The unit and every unit below it."""
    _forget_tree(session)
    return descendants(unit_children(session), unit_id)


def _count(session: Session, model: type[Base], *conditions: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def unit_usage(session: Session, actor: Actor, unit_id: int) -> UnitUsage:
    """How much refers to the unit."""
    _admin(actor)
    return UnitUsage(
        dossiers=_count(session, Dossier, Dossier.unit_id == unit_id),
        work_items=_count(session, WorkItem, WorkItem.unit_id == unit_id),
        users=_count(session, User, User.unit_id == unit_id),
        active_users=_count(session, User, User.unit_id == unit_id, User.active.is_(True)),
        assignments=_count(session, RoleAssignment, RoleAssignment.unit_id == unit_id),
        children=_count(session, OrgUnit, OrgUnit.parent_id == unit_id),
        active_children=_count(
            session, OrgUnit, OrgUnit.parent_id == unit_id, OrgUnit.active.is_(True)
        ),
    )


def unit_assignments(session: Session, actor: Actor, unit_id: int) -> list[RoleAssignment]:
    """The roles granted within the unit, with their holders."""
    _admin(actor)
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
    code = _text(value).upper()
    if not code:
        raise _invalid("required", "code", "this field is required")
    if len(code) > UNIT_CODE_MAX or not UNIT_CODE.match(code):
        raise _invalid(
            "unit_code_format",
            "code",
            f"capital letters, digits, '-' or '_', at most {UNIT_CODE_MAX} characters",
        )
    return code


def _unit_kind(kind: str | None) -> str:
    if kind not in UNIT_KINDS:
        raise _invalid("unit_kind", "kind", f"one of {', '.join(UNIT_KINDS)}")
    return kind


def _active_unit(session: Session, unit_id: int | None, field_name: str) -> OrgUnit:
    unit = session.get(OrgUnit, unit_id) if unit_id is not None else None
    if unit is None:
        raise _invalid("unit_unknown", field_name, "no such unit")
    if not unit.active:
        raise _invalid("unit_inactive", field_name, "this unit is deactivated")
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
    _admin(actor)
    unit_code = _unit_code(code)
    unit_name = _required(name, "name", UNIT_NAME_MAX)
    unit_kind = _unit_kind(kind)
    if parent_id is not None:
        _active_unit(session, parent_id, "parent_id")
    if session.scalar(select(OrgUnit.id).where(OrgUnit.code == unit_code)) is not None:
        raise _invalid("unit_code_taken", "code", "another unit has this code")
    unit = OrgUnit(code=unit_code, name=unit_name, kind=unit_kind, parent_id=parent_id)
    with _unique(session, "unit_code_taken", "code", "another unit has this code"):
        session.add(unit)
        session.flush()
    _forget_tree(session)
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
    _admin(actor)
    unit = get_unit(session, actor, unit_id)
    unit_code = _unit_code(code)
    unit_name = _required(name, "name", UNIT_NAME_MAX)
    unit_kind = _unit_kind(kind)
    if unit_code != unit.code:
        if _count(session, Dossier, Dossier.unit_id == unit.id):
            # Dossier codes start with the unit's code; they must keep pointing at it.
            raise _invalid("unit_code_locked", "code", "the unit's dossiers carry this code")
        if session.scalar(select(OrgUnit.id).where(OrgUnit.code == unit_code)) is not None:
            raise _invalid("unit_code_taken", "code", "another unit has this code")
    if parent_id is not None and parent_id != unit.parent_id:
        if parent_id in subtree_ids(session, unit.id):
            raise _invalid(
                "unit_cycle", "parent_id", "a unit cannot go under itself or its sub-units"
            )
        _active_unit(session, parent_id, "parent_id")
    with _unique(session, "unit_code_taken", "code", "another unit has this code"):
        unit.code, unit.name, unit.kind, unit.parent_id = unit_code, unit_name, unit_kind, parent_id
        session.flush()
    _forget_tree(session)
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
    _forget_tree(session)


# --- roles ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleRow:
    """A role and how many assignments of it exist (to active users, and in all)."""

    role: Role
    holders: int
    assignments: int


def list_roles(session: Session, actor: Actor) -> list[RoleRow]:
    """Every role by code, with who holds it."""
    _admin(actor)
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
    _admin(actor)
    role = session.get(Role, code)
    if role is None:
        raise NotFoundError("no such role")
    return role


def role_assignments(session: Session, actor: Actor, code: str) -> list[RoleAssignment]:
    """Who holds the role, and where."""
    _admin(actor)
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
    _admin(actor)
    role_code = (code or "").strip()
    if not role_code:
        raise _invalid("required", "code", "this field is required")
    if len(role_code) > ROLE_CODE_MAX or not ROLE_CODE.match(role_code):
        raise _invalid(
            "role_code_format",
            "code",
            "lower-case letters, digits and '_', starting with a letter",
        )
    role_name = _required(name, "name", ROLE_NAME_MAX)
    if session.get(Role, role_code) is not None:
        raise _invalid("role_code_taken", "code", "this role exists already")
    role = Role(code=role_code, name=role_name)
    with _unique(session, "role_code_taken", "code", "this role exists already"):
        session.add(role)
        session.flush()
    return role


def rename_role(session: Session, actor: Actor, code: str, *, name: str | None) -> Role:
    """Change the name people read; the code that diagrams use stays."""
    role = get_role(session, actor, code)
    role.name = _required(name, "name", ROLE_NAME_MAX)
    session.flush()
    return role


# --- users ----------------------------------------------------------------------------------


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
    _admin(actor)
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
    _admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("no such user")
    return user


def user_roles(session: Session, actor: Actor, user_id: int) -> list[RoleAssignment]:
    """The user's role assignments, by role then unit."""
    _admin(actor)
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
    _admin(actor)
    return UserActivity(
        events=_count(session, Event, Event.actor_id == user_id),
        dossiers_created=_count(session, Dossier, Dossier.created_by_id == user_id),
        items_completed=_count(session, WorkItem, WorkItem.completed_by_id == user_id),
        items_held=_count(
            session,
            WorkItem,
            (WorkItem.claimed_by_id == user_id) | (WorkItem.assignee_id == user_id),
        ),
        files_uploaded=_count(session, Attachment, Attachment.uploaded_by_id == user_id),
        versions=_count(
            session,
            ProcessVersion,
            (ProcessVersion.created_by_id == user_id) | (ProcessVersion.deployed_by_id == user_id),
        ),
        moves=_count(
            session,
            InstanceMove,
            (InstanceMove.moved_by_id == user_id) | (InstanceMove.undone_by_id == user_id),
        ),
    )


def _username(value: str | None) -> str:
    username = (value or "").strip()
    if not username:
        raise _invalid("required", "username", "this field is required")
    if len(username) > USERNAME_MAX or not USERNAME.match(username):
        raise _invalid(
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
        raise _invalid("email_format", "email", "not an e-mail address")
    return email


def _password(value: str | None) -> str:
    password = value or ""
    if len(password) < PASSWORD_MIN:
        raise _invalid("password_short", "password", f"at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise _invalid("password_long", "password", f"at most {PASSWORD_MAX} characters")
    return password


def _check_user(session: Session, data: UserData, user: User | None) -> tuple[str, str, str | None]:
    username = _username(data.username)
    full_name = _required(data.full_name, "full_name", FULL_NAME_MAX)
    email = _email(data.email)
    if user is None or data.unit_id != user.unit_id:
        _active_unit(session, data.unit_id, "unit_id")
    if user is None or username != user.username:
        taken = session.scalar(select(User.id).where(User.username == username))
        if taken is not None:
            raise _invalid("username_taken", "username", "another user has this username")
    return username, full_name, email


def create_user(session: Session, actor: Actor, data: UserData, *, password: str | None) -> User:
    """A new active user with the password the administrator chose (stored hashed)."""
    _admin(actor)
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
    with _unique(session, "username_taken", "username", "another user has this username"):
        session.add(user)
        session.flush()
    return user


def update_user(session: Session, actor: Actor, user_id: int, data: UserData) -> User:
    """Change a user's details; administrators cannot take their own administrator flag."""
    _admin(actor)
    user = get_user(session, actor, user_id)
    username, full_name, email = _check_user(session, data, user)
    if user.id == actor.user_id and user.is_admin and not data.is_admin:
        raise _invalid("self_admin", "is_admin", "you cannot remove your own administrator rights")
    with _unique(session, "username_taken", "username", "another user has this username"):
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


def set_password(session: Session, actor: Actor, user_id: int, *, password: str | None) -> User:
    """Set a new password; the user's API tokens stop working (they were made with the old)."""
    user = get_user(session, actor, user_id)
    user.password_hash = hash_password(_password(password))
    _revoke_tokens(session, user.id)
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
    _revoke_tokens(session, user.id)
    held = session.scalars(
        select(WorkItem)
        .where(WorkItem.claimed_by_id == user.id, WorkItem.status == "open")
        .options(joinedload(WorkItem.dossier))
    )
    for item in held:
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
            data={"released_for": user.username, "reason": "user_deactivated"},
        )
    session.flush()
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


# --- role assignments -----------------------------------------------------------------------


def add_assignment(
    session: Session, actor: Actor, user_id: int, *, role: str | None, unit_id: int | None
) -> RoleAssignment:
    """Grant `role` to the user within `unit_id` (and the units below it)."""
    _admin(actor)
    user = get_user(session, actor, user_id)
    if not role or session.get(Role, role) is None:
        raise _invalid("role_unknown", "role", "no such role")
    unit = _active_unit(session, unit_id, "unit_id")
    duplicate = session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.user_id == user.id,
            RoleAssignment.role == role,
            RoleAssignment.unit_id == unit.id,
        )
    )
    message = "the user already holds this role in this unit"
    if duplicate is not None:
        raise _invalid("assignment_duplicate", "role", message)
    assignment = RoleAssignment(user_id=user.id, role=role, unit_id=unit.id)
    with _unique(session, "assignment_duplicate", "role", message):
        session.add(assignment)
        session.flush()
    return assignment


def remove_assignment(session: Session, actor: Actor, user_id: int, assignment_id: int) -> None:
    """Take a role assignment away from the user."""
    _admin(actor)
    assignment = session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.user_id != user_id:
        raise NotFoundError("no such role assignment")
    session.delete(assignment)
    session.flush()
