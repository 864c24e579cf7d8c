"""The council's ballot boxes (secret votes) and its sessions (the minutes' data).

A ballot box holds counts only: no member, no time, no order. Nothing in it can be joined to
the member whose work item says "voted".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, UTCDateTime, utcnow


class BallotBox(Base):
    """One secret vote on one subject (a dossier today, a round later): open, then counted."""

    __tablename__ = "ballot_box"
    __table_args__ = (Index("ix_ballot_box_subject", "subject_kind", "subject_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(20))  # "dossier" | "round"
    subject_id: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | counted


class BallotCount(Base):
    """How many ballots gave `choice` on one nominee: a counter, incremented in place."""

    __tablename__ = "ballot_count"

    box_id: Mapped[int] = mapped_column(ForeignKey("ballot_box.id"), primary_key=True)
    nominee_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    choice: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class CouncilSession(Base):
    """A council meeting on a subject: when, where, who attended, and the minutes' data."""

    __tablename__ = "council_session"
    __table_args__ = (Index("ix_council_session_subject", "subject_kind", "subject_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | concluded
    meeting_date: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(300))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    # username -> "present" | "absent"
    attendance: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # username -> "vote" | "written": how each member took part, never what they chose
    participation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    minutes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    secretary_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
