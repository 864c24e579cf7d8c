"""The security audit trail: record an event (a cheap insert) and list the newest for an
administrator, a page at a time (keyset paging: the table only grows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from webapp.models import AuditEvent, User
from webapp.permissions import Actor, can_manage_processes
from webapp.services.errors import PermissionDeniedError

LOGIN = "login"
LOGOUT = "logout"
LOGIN_REFUSED = "login_refused"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event kind, not a password
USER_DEACTIVATED = "user_deactivated"
KINDS = (LOGIN, LOGOUT, LOGIN_REFUSED, PASSWORD_CHANGED, USER_DEACTIVATED)
EVENTS_PER_PAGE = 50
USERNAME_MAX = 80
ADDRESS_MAX = 64


@dataclass(frozen=True)
class AuditLine:
    """One event as the audit page shows it, with the names of the people involved."""

    event: AuditEvent
    user_name: str | None
    actor_name: str | None


@dataclass(frozen=True)
class AuditPage:
    """The newest events older than `before` (None: the newest of all); `older` continues."""

    lines: list[AuditLine]
    older: int | None


def record_event(
    session: Session,
    kind: str,
    *,
    username: str | None = None,
    user_id: int | None = None,
    actor: Actor | None = None,
    address: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the trail (never updated nor deleted)."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit event kind {kind!r}")
    event = AuditEvent(
        kind=kind,
        username=username[:USERNAME_MAX] if username else None,
        user_id=user_id,
        actor_id=actor.user_id if actor is not None else None,
        address=address[:ADDRESS_MAX] if address else None,
        detail=detail or None,
    )
    session.add(event)
    session.flush()
    return event


def record_refused_login(
    session: Session, username: str | None, *, address: str | None, detail: dict[str, Any]
) -> AuditEvent:
    """A burst of failed logins refused with a 429, under the account tried when it exists."""
    user_id = session.scalar(select(User.id).where(User.username == username)) if username else None
    return record_event(
        session,
        LOGIN_REFUSED,
        username=username,
        user_id=user_id,
        address=address,
        detail=detail,
    )


def list_events(
    session: Session, actor: Actor, *, before: int | None = None, per_page: int = EVENTS_PER_PAGE
) -> AuditPage:
    """The newest events first, `per_page` at a time; administrators only."""
    if not can_manage_processes(actor):
        raise PermissionDeniedError("only administrators read the security audit trail")
    subject, acting = aliased(User), aliased(User)
    query = (
        select(AuditEvent, subject.full_name, acting.full_name)
        .outerjoin(subject, subject.id == AuditEvent.user_id)
        .outerjoin(acting, acting.id == AuditEvent.actor_id)
        .order_by(AuditEvent.id.desc())
        .limit(per_page + 1)
    )
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = session.execute(query).all()
    lines = [AuditLine(event, user_name, actor_name) for event, user_name, actor_name in rows]
    older = lines[per_page - 1].event.id if len(lines) > per_page else None
    return AuditPage(lines[:per_page], older)
