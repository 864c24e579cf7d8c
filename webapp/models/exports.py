"""Exports too large to be made while the user waits: the tracking list as an Excel workbook,
built by the job queue and kept for a few days for its owner to download."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, UTCDateTime, utcnow


class ExportFile(Base):
    """One requested workbook: the list's filters as the user chose them, where it stands
    (queued, running, ready, failed) and, once ready, the stored file (by content hash)."""

    __tablename__ = "export_file"
    __table_args__ = (
        # The job takes the oldest waiting request; a user's page lists theirs newest first.
        Index("ix_export_file_status", "status", "id"),
        Index("ix_export_file_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    # The services' filters (DossierFilters' fields) and the list's query string (for a link).
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    query: Mapped[dict[str, Any]] = mapped_column(JSON)
    sort: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    rows: Mapped[int | None] = mapped_column(Integer)  # dossiers in the file
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
