"""Rule lists an administrator edits: simplified-procedure cases, required documents,
repeat-award periods, and the legal basis and effective date of each rule set."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, UTCDateTime, utcnow


class SimplifiedCase(Base):
    """One case in which the simplified procedure applies (Law 06/2022 Art. 85)."""

    __tablename__ = "simplified_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(500))
    legal_basis: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # A retired case stays readable on the dossiers that chose it; new dossiers cannot.
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DocumentRequirement(Base):
    """A kind of document a dossier of a procedure (and award form) must carry at the check."""

    __tablename__ = "document_requirement"
    __table_args__ = (UniqueConstraint("procedure", "award_form", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure: Mapped[str] = mapped_column(String(20))
    # "*" applies to every award form.
    award_form: Mapped[str] = mapped_column(String(20), default="*")
    kind: Mapped[str] = mapped_column(String(40))
    per_nominee: Mapped[bool] = mapped_column(Boolean, default=False)
    # Enforced: the Office's check cannot approve without it; otherwise a warning only.
    enforced: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_basis: Mapped[str] = mapped_column(String(300), default="")


class RepeatAwardPeriod(Base):
    """How many years must pass before a nominee may receive the same award form again."""

    __tablename__ = "repeat_award_period"

    award_form: Mapped[str] = mapped_column(String(20), primary_key=True)
    years: Mapped[int] = mapped_column(Integer)
    legal_basis: Mapped[str] = mapped_column(String(300), default="")


class RuleSetBasis(Base):
    """The legal basis and effective date shown with a rule set on the administration pages."""

    __tablename__ = "rule_set_basis"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    legal_basis: Mapped[str] = mapped_column(String(500), default="")
    effective_from: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
