"""Dossiers (hồ sơ đề nghị khen thưởng), their nominees and their files."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base, UTCDateTime, utcnow


class Movement(Base):
    """An emulation movement (phong trào thi đua) that dossiers belong to."""

    __tablename__ = "movement"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    plan_number: Mapped[str | None] = mapped_column(String(60))
    plan_date: Mapped[date | None] = mapped_column(Date)
    issuing_level: Mapped[str | None] = mapped_column(String(20))  # ministry|department|unit
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    criteria: Mapped[str | None] = mapped_column(Text)
    award_forms: Mapped[list[str] | None] = mapped_column(JSON)


class Dossier(Base):
    """One proposal from a unit for one award form, with a list of nominees."""

    __tablename__ = "dossier"
    __table_args__ = (
        Index("ix_dossier_unit_status", "unit_id", "status"),
        Index("ix_dossier_created_at", "created_at"),
        # The tracking list's keyset by creation date (migration 0020_keyset_indexes).
        Index("ix_dossier_created_id", "created_at", "id"),
        # Every list, the inbox and the process map filter by movement.
        Index("ix_dossier_movement_status", "movement_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    award_form: Mapped[str] = mapped_column(String(20))
    track: Mapped[str] = mapped_column(String(20))
    procedure: Mapped[str] = mapped_column(String(20))
    simplified_reason: Mapped[str | None] = mapped_column(Text)
    # The Law 06/2022 Art. 85 case chosen (a SimplifiedCase code); older dossiers have only text.
    simplified_case: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("movement.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submission_number: Mapped[str | None] = mapped_column(String(50))
    submission_date: Mapped[date | None] = mapped_column(Date)
    # Code, title and nominee names folded to lower-case ASCII for diacritic-insensitive search.
    search_text: Mapped[str] = mapped_column(Text, default="")

    unit = relationship("OrgUnit")
    created_by = relationship("User")
    movement = relationship("Movement")
    nominees: Mapped[list[Nominee]] = relationship(
        back_populates="dossier", order_by="Nominee.position", cascade="all, delete-orphan"
    )


class Nominee(Base):
    """An individual or collective proposed for the award, with its results per level."""

    __tablename__ = "nominee"
    __table_args__ = (
        # The Office's check reads another dossier's same person newest first from these (a
        # name or a collective's unit, then the dossier): a bounded range, not every namesake.
        Index("ix_nominee_folded_dossier", "folded_name", "dossier_id"),
        Index("ix_nominee_unit_dossier", "org_unit_id", "dossier_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))  # individual | collective
    name: Mapped[str] = mapped_column(String(200))
    # The name folded like search text: the Office's check finds the same person typed without
    # diacritics through this index.
    folded_name: Mapped[str] = mapped_column(String(200), default="")
    job_title: Mapped[str | None] = mapped_column(String(300))
    gender: Mapped[str | None] = mapped_column(String(10))
    birth_date: Mapped[date | None] = mapped_column(Date)
    staff_category: Mapped[str | None] = mapped_column(String(20))
    posthumous: Mapped[bool] = mapped_column(Boolean, default=False)
    # For the report templates: an individual's unit, a posthumous award's date of death and the
    # relative who receives it, and the organisation unit a collective is.
    work_unit: Mapped[str | None] = mapped_column(String(300))
    death_date: Mapped[date | None] = mapped_column(Date)
    next_of_kin: Mapped[str | None] = mapped_column(String(300))
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    achievement: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str] = mapped_column(String(20), default="pending")
    council_agree: Mapped[int | None] = mapped_column(Integer)
    council_disagree: Mapped[int | None] = mapped_column(Integer)
    council_members: Mapped[int | None] = mapped_column(Integer)
    decision_number: Mapped[str | None] = mapped_column(String(50))
    decision_date: Mapped[date | None] = mapped_column(Date)
    decision_signer: Mapped[str | None] = mapped_column(String(200))
    decided_by: Mapped[str | None] = mapped_column(String(200))

    dossier: Mapped[Dossier] = relationship(back_populates="nominees")
    org_unit = relationship("OrgUnit")


class Attachment(Base):
    """A file of a dossier, stored outside the database under its content hash."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    nominee_id: Mapped[int | None] = mapped_column(ForeignKey("nominee.id", ondelete="SET NULL"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    kind: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    mime_type: Mapped[str] = mapped_column(String(100))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
