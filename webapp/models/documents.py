"""Generated papers (tờ trình, minutes, decision drafts, notices, opinion forms): which file,
made from which data, template and process version, and whether it is the signed copy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, UTCDateTime, utcnow


class GeneratedDocument(Base):
    """One generated file of a round or a dossier, stored under its content hash like the
    attachments; a signed one is never replaced by a later generation."""

    __tablename__ = "generated_document"
    __table_args__ = (
        Index("ix_generated_document_subject", "subject_kind", "subject_id", "doc_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(20))  # round | dossier
    subject_id: Mapped[int] = mapped_column(Integer)
    doc_kind: Mapped[str] = mapped_column(String(30))  # submission | minutes | decision | ...
    # The award form (tờ trình, decision), the unit (notice) or the member (opinion form).
    part: Mapped[str] = mapped_column(String(80), default="")
    file_format: Mapped[str] = mapped_column(String(10))  # docx | pdf
    file_name: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    mime_type: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the data the template was filled with, of the template, and the generator's
    # version: the same three give the same paper.
    data_hash: Mapped[str] = mapped_column(String(64))
    template_hash: Mapped[str] = mapped_column(String(64))
    generator_version: Mapped[str] = mapped_column(String(20))
    process_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | signed
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
