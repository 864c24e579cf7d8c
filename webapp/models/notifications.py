"""Notifications in the app, each user's e-mail choice, and the outbox of mail to send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, UTCDateTime, utcnow


class Notification(Base):
    """One line of a user's bell: what happened (kind and its parameters) and where to look."""

    __tablename__ = "notification"
    __table_args__ = (
        # The bell counts a user's unread rows; the list pages them newest first.
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("ix_notification_user_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    # new_step | returned | decision | reminder | overdue | overdue_summary
    kind: Mapped[str] = mapped_column(String(30))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("award_round.id"))
    work_item_id: Mapped[int | None] = mapped_column(ForeignKey("work_item.id"), index=True)
    # Text parameters (code, title, step, due ...) the sentence of `kind` is filled with.
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    link: Mapped[str | None] = mapped_column(String(300))  # a path inside the application
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationPreference(Base):
    """A user's choice for e-mail; no row means "immediately"."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    email_mode: Mapped[str] = mapped_column(String(20), default="immediate")  # |digest|off
    # The last daily digest: the next one carries the unread notifications made after it.
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationOnce(Base):
    """A key per notice that must go out once (an item's reminder, its overdue notice, the
    Office's summary of a day): inserted with ON CONFLICT DO NOTHING, so several workers
    never send it twice."""

    __tablename__ = "notification_once"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailOutbox(Base):
    """A mail to send, written in the transaction of its event; a worker claims, sends and
    marks it (queued -> sending -> sent, or back to queued with back-off, then failed)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        # Workers take the due rows: status and next attempt, oldest first.
        Index("ix_mail_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # sending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When a worker may take it (again): due time while queued, lease end while sending.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
