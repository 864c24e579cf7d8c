"""Dossiers moved from one process version to another, kept so that a move can be undone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, UTCDateTime, utcnow


class InstanceMove(Base):
    """One dossier's move to another version: its state before, to put it back on undo."""

    __tablename__ = "instance_move"
    __table_args__ = (Index("ix_instance_move_batch", "batch"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[str] = mapped_column(String(36))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    from_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    to_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    previous_state: Mapped[bytes] = mapped_column(LargeBinary)
    previous_revision: Mapped[int] = mapped_column(Integer)
    new_revision: Mapped[int] = mapped_column(Integer)
    mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    moved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
