"""A process version's own DOCX templates of the generated papers (one per document kind);
a kind without one uses the shipped template."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, UTCDateTime, utcnow


class VersionTemplate(Base):
    """The DOCX an administrator uploaded for one document kind of one process version. Like
    the version's forms and rules it changes only while the version is a draft, and a copy of
    the version carries it."""

    __tablename__ = "process_version_template"
    __table_args__ = (UniqueConstraint("version_id", "doc_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    doc_kind: Mapped[str] = mapped_column(String(30))  # submission | minutes | decision | ...
    file_name: Mapped[str] = mapped_column(String(200))
    # The file itself loads only when a paper is made from it or it is downloaded.
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
