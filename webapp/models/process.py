"""Process versions (diagram, forms, rules, serialized spec) and the running instances."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base, UTCDateTime, utcnow


class ProcessVersion(Base):
    """One version of a process: its BPMN, its forms and DMN tables, and the parsed spec."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft|deployed|retired
    name: Mapped[str | None] = mapped_column(String(300))
    # The big columns load only when read: running dossiers use the in-memory parsed copy.
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    # Forms (forms/<name>.json) and rule tables (<name>.dmn) of this version, name -> text.
    files: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, deferred=True)
    spec_json: Mapped[str | None] = mapped_column(Text, deferred=True)
    serializer_version: Mapped[str | None] = mapped_column(String(20))
    source_hash: Mapped[str] = mapped_column(String(64))
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    comment: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deployed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class ProcessInstance(Base):
    """The engine state of one dossier, guarded by an optimistic revision."""

    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_process_instance_next_timer_at", "next_timer_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    serializer_version: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | completed
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[ProcessVersion] = relationship()

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012 - SQLAlchemy's declaration
