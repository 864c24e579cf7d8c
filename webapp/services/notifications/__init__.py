"""Notifications: the bell's use cases (count, list, mark read), each user's e-mail choice, and
the administrator's failed mail. Writers live inside: events (the services' hooks), deadlines
(reminders, overdue, the Office's summary), digest, outbox and smtp (the delivery)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webapp.models import Notification, NotificationPreference
from webapp.permissions import Actor
from webapp.services.errors import InvalidDataError, NotFoundError
from webapp.services.notifications.fanout import EMAIL_MODES, IMMEDIATE

# The bell shows at most this (then "99+"): the count stays one bounded index read.
BELL_LIMIT = 100
PER_PAGE = 30


def unread_count(session: Session, actor: Actor) -> int:
    """The actor's unread notifications, counted up to BELL_LIMIT."""
    bounded = (
        select(Notification.id)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        .limit(BELL_LIMIT)
        .subquery()
    )
    return int(session.scalar(select(func.count()).select_from(bounded)) or 0)


def my_notifications(
    session: Session, actor: Actor, *, before_id: int | None = None, limit: int = PER_PAGE
) -> list[Notification]:
    """The actor's notifications newest first, `limit` of them before `before_id` (keyset)."""
    query = select(Notification).where(Notification.user_id == actor.user_id)
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def mark_read(session: Session, actor: Actor, notification_id: int, now: datetime) -> Notification:
    """Mark one of the actor's notifications read (another's is not found)."""
    notice = session.get(Notification, notification_id)
    if notice is None or notice.user_id != actor.user_id:
        raise NotFoundError(f"notification {notification_id} not found")
    if notice.read_at is None:
        notice.read_at = now
    session.flush()
    return notice


def mark_all_read(session: Session, actor: Actor, now: datetime) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def email_mode_of(session: Session, actor: Actor) -> str:
    """immediate, digest or off (immediate when never chosen)."""
    preference = session.get(NotificationPreference, actor.user_id)
    return preference.email_mode if preference is not None else IMMEDIATE


def set_email_mode(session: Session, actor: Actor, mode: str) -> None:
    """The actor's choice of e-mail: immediately, a daily digest, or none."""
    if mode not in EMAIL_MODES:
        raise InvalidDataError("email_mode: must be one of immediate, digest, off")
    preference = session.get(NotificationPreference, actor.user_id)
    if preference is None:
        session.add(NotificationPreference(user_id=actor.user_id, email_mode=mode))
    else:
        preference.email_mode = mode
    session.flush()
