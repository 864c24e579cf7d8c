"""Document registers (sổ đăng ký văn bản): one running number per document type, issuing body
and year, every number issued recorded with what it was for; and what a signed PDF's signatures
were found to be when it was uploaded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, UTCDateTime, utcnow


class DocumentRegister(Base):
    """The register of one document type ("TTr"), issuing body ("STC") and year."""

    __tablename__ = "document_register"
    __table_args__ = (UniqueConstraint("doc_type", "body", "year", name="uq_document_register"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    # The number the next request gets; raised only by issuing or by the administrator.
    next_number: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IssuedNumber(Base):
    """One number given out of a register: never given again, never deleted."""

    __tablename__ = "issued_number"
    __table_args__ = (UniqueConstraint("register_id", "number", name="uq_issued_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("document_register.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(80))
    # What it was issued for: a dossier, a round, or a note when neither.
    subject_kind: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    purpose: Mapped[str | None] = mapped_column(String(300))
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignatureCheck(Base):
    """The signatures found in an uploaded PDF and what validating them said, kept with it."""

    __tablename__ = "signature_check"

    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("attachment.id", ondelete="CASCADE"), primary_key=True
    )
    # none | valid_trusted | intact_untrusted | invalid | unreadable
    status: Mapped[str] = mapped_column(String(30))
    signatures: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
