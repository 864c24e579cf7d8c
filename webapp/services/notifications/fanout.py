"""Who is told, and the rows that tell them: one INSERT … SELECT for the notifications and one
for the mail, whatever the number of people (no loop over users in Python)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, Select, String, func, insert, literal, select
from sqlalchemy.orm import Session

from webapp.db import UTCDateTime
from webapp.models import (
    MailOutbox,
    Notification,
    NotificationPreference,
    OrgUnit,
    RoleAssignment,
    User,
    WorkItem,
)
from webapp.services.notifications.wording import mail_of
from webapp.services.settings import settings_of

IMMEDIATE = "immediate"
DIGEST = "digest"
OFF = "off"
EMAIL_MODES = (IMMEDIATE, DIGEST, OFF)


def unit_chain(session: Session, unit_id: int) -> list[int]:
    """The unit and every unit above it (a role granted there reaches the unit)."""
    cache: dict[int, list[int]] = session.info.setdefault("notification_unit_chain", {})
    if unit_id not in cache:
        chain: list[int] = []
        current: int | None = unit_id
        while current is not None and current not in chain:
            chain.append(current)
            unit = session.get(OrgUnit, current)
            current = unit.parent_id if unit is not None else None
        cache[unit_id] = chain
    return cache[unit_id]


def holders_of(session: Session, role: str, unit_id: int) -> Select[Any]:
    """Active users holding `role` in the unit or above it: those the inbox offers its items."""
    return (
        select(RoleAssignment.user_id.label("user_id"))
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            RoleAssignment.role == role,
            RoleAssignment.unit_id.in_(unit_chain(session, unit_id)),
            User.active.is_(True),
        )
        .distinct()
    )


def one_user(user_id: int) -> Select[Any]:
    """The user, if active."""
    return select(User.id.label("user_id")).where(User.id == user_id, User.active.is_(True))


def item_takers(session: Session, item: WorkItem) -> Select[Any] | None:
    """Who may take the item now: its claimer, its named assignee, or its role's holders."""
    if item.claimed_by_id is not None:
        return one_user(item.claimed_by_id)
    if item.assignee_id is not None:
        return one_user(item.assignee_id)
    if item.role is None:
        return None
    return holders_of(session, item.role, item.unit_id)


def absolute(session: Session, link: str | None) -> str | None:
    """The link as an address outside the application (mail)."""
    if link is None:
        return None
    return settings_of(session).app_base_url + link


def notify(
    session: Session,
    recipients: Select[Any],
    kind: str,
    params: dict[str, Any],
    link: str | None,
    now: datetime,
    *,
    dossier_id: int | None = None,
    work_item_id: int | None = None,
    round_id: int | None = None,
    mail: bool = True,
) -> None:
    """A notification for each recipient and, when mail is on, an outbox row for each one who
    chose mail at once; both in the caller's transaction."""
    users = recipients.subquery()
    session.execute(
        insert(Notification).from_select(
            [
                "user_id",
                "kind",
                "dossier_id",
                "work_item_id",
                "round_id",
                "params",
                "link",
                "created_at",
            ],
            select(
                users.c.user_id,
                literal(kind, String),
                literal(dossier_id, Integer),
                literal(work_item_id, Integer),
                literal(round_id, Integer),
                literal(params, JSON),
                literal(link, String),
                literal(now, UTCDateTime),
            ),
        )
    )
    if mail and settings_of(session).mail_enabled:
        subject, body = mail_of(kind, params, absolute(session, link))
        queue_mail(session, select(users.c.user_id), kind, subject, body, now)


def queue_mail(
    session: Session,
    user_ids: Select[Any],
    kind: str,
    subject: str,
    body: str,
    now: datetime,
    *,
    modes: tuple[str, ...] = (IMMEDIATE,),
) -> None:
    """One outbox row per user of `user_ids` with an address whose e-mail choice is in `modes`."""
    session.execute(
        insert(MailOutbox).from_select(
            [
                "user_id",
                "recipient",
                "kind",
                "subject",
                "body",
                "status",
                "attempts",
                "next_attempt_at",
                "created_at",
            ],
            select(
                User.id,
                User.email,
                literal(kind, String),
                literal(subject, String),
                literal(body, String),
                literal("queued", String),
                literal(0, Integer),
                literal(now, UTCDateTime),
                literal(now, UTCDateTime),
            )
            .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
            .where(
                User.id.in_(user_ids),
                User.email.is_not(None),
                User.email != "",
                func.coalesce(NotificationPreference.email_mode, IMMEDIATE).in_(modes),
            ),
        )
    )
