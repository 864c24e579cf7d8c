"""Work items (every human task, open and done) and the append-only event history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base, UTCDateTime, utcnow


class WorkItem(Base):
    """A human task of a dossier, denormalised so inboxes and lists are plain SQL."""

    __tablename__ = "work_item"
    __table_args__ = (
        # The inbox per scope, newest first, with what its count and filters read
        # (0023_inbox_scope_index).
        Index(
            "ix_work_item_inbox",
            "status",
            "role",
            "unit_id",
            "created_at",
            "id",
            "assignee_id",
            "claimed_by_id",
            "due_at",
        ),
        # A scope's overdue items (its count past the bound) and its items by due date, with
        # the columns that tell whether they are someone else's (0025_scope_due_index).
        Index(
            "ix_work_item_scope_due",
            "status",
            "role",
            "unit_id",
            "due_at",
            "assignee_id",
            "claimed_by_id",
        ),
        Index("ix_work_item_dossier_status", "dossier_id", "status"),
        Index("ix_work_item_assignee_status", "assignee_id", "status"),
        Index("ix_work_item_step_status", "step", "status"),
        Index("ix_work_item_instance_status", "instance_id", "status"),
        # The inbox's keyset orders, newest first and by due date (0020_keyset_indexes).
        Index("ix_work_item_open_created", "status", "created_at", "id"),
        Index("ix_work_item_open_due", "status", "due_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    task_id: Mapped[str] = mapped_column(String(36))
    step: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(50))
    form: Mapped[str | None] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | done | cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decision: Mapped[str | None] = mapped_column(String(50))

    dossier = relationship("Dossier")
    assignee = relationship("User", foreign_keys=[assignee_id])
    claimed_by = relationship("User", foreign_keys=[claimed_by_id])
    completed_by = relationship("User", foreign_keys=[completed_by_id])


class Event(Base):
    """One line of a dossier's history. Rows are only ever inserted."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_dossier_id", "dossier_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    action: Mapped[str] = mapped_column(String(30))
    step: Mapped[str | None] = mapped_column(String(100))
    step_title: Mapped[str | None] = mapped_column(String(300))
    work_item_id: Mapped[int | None] = mapped_column(ForeignKey("work_item.id"))
    decision: Mapped[str | None] = mapped_column(String(50))
    comment: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The hash chain (webapp/services/history_chain.py): the SHA-256 of the dossier's previous
    # event (None for its first) and of this event's content with that link.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    actor = relationship("User")
