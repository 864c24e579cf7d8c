"""Rounds (đợt xét): many units' dossiers through one council session, with their own process.

A round's engine state lives in `round_instance` (a dossier's in `process_instance`); the two
talk through BPMN messages, routed by `message_subscription` rows kept on every save.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base, UTCDateTime, utcnow


class Round(Base):
    """A round of a movement, opened by the Office with a deadline for the units' proposals."""

    __tablename__ = "award_round"
    __table_args__ = (
        Index("ix_award_round_movement_status", "movement_id", "status"),
        # The inbox finds the rounds with open steps in the user's units.
        Index("ix_award_round_status_unit", "status", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[int] = mapped_column(ForeignKey("movement.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # so_ket | tong_ket | chuyen_de
    award_forms: Mapped[list[str]] = mapped_column(JSON, default=list)
    intake_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    # {"<unit id>": {"<award form>": n}}: at most n nominees per unit and award form.
    quota: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="intake")  # intake|closed|finished
    step: Mapped[str | None] = mapped_column(String(100))
    step_title: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    intake_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    movement = relationship("Movement")
    unit = relationship("OrgUnit")


class RoundInstance(Base):
    """The engine state of a round, guarded by an optimistic revision like a dossier's."""

    __tablename__ = "round_instance"
    __table_args__ = (Index("ix_round_instance_next_timer_at", "next_timer_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("award_round.id"), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    serializer_version: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="running")
    # When the round's next BPMN timer is due (the job queue fires it); None: no timer armed.
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version = relationship("ProcessVersion")

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012 - SQLAlchemy's declaration


class RoundEntry(Base):
    """A dossier that joined a round, or was refused or queued for a later one."""

    __tablename__ = "round_entry"
    __table_args__ = (Index("ix_round_entry_round_status", "round_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("award_round.id"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), unique=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="joined")  # joined|received|late
    reason: Mapped[str | None] = mapped_column(Text)

    dossier = relationship("Dossier")
    round = relationship("Round")


class RoundListItem(Base):
    """One line of a compiled list: a nominee under an award form, in order, with its unit."""

    __tablename__ = "round_list_item"
    __table_args__ = (Index("ix_round_list_item_round_form", "round_id", "award_form", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("award_round.id"))
    award_form: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    nominee_id: Mapped[int] = mapped_column(ForeignKey("nominee.id"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    result: Mapped[str | None] = mapped_column(String(20))  # passed | failed once concluded
    agree: Mapped[int | None] = mapped_column(Integer)
    disagree: Mapped[int | None] = mapped_column(Integer)
    members: Mapped[int | None] = mapped_column(Integer)

    nominee = relationship("Nominee")
    unit = relationship("OrgUnit")


class RoundEvent(Base):
    """One line of a round's history. Rows are only ever inserted."""

    __tablename__ = "round_event"
    __table_args__ = (Index("ix_round_event_round_id", "round_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("award_round.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    action: Mapped[str] = mapped_column(String(30))
    step: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The round's history as a hash chain (services/history_chain.py).
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    actor = relationship("User")


class MessageSubscription(Base):
    """An instance waits for a message with this correlation value (one row per key).

    Rewritten whenever the instance is saved, so routing a thrown message is an index lookup.
    """

    __tablename__ = "message_subscription"
    __table_args__ = (
        Index("ix_message_subscription_route", "message_name", "correlation_key", "value"),
        Index("ix_message_subscription_instance", "instance_kind", "instance_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_kind: Mapped[str] = mapped_column(String(10))  # dossier | round
    instance_id: Mapped[int] = mapped_column(Integer)
    message_name: Mapped[str] = mapped_column(String(100))
    correlation_key: Mapped[str] = mapped_column(String(100))
    value: Mapped[str] = mapped_column(String(300))
    # Every key the instance expects, to check a message sharing only one of them.
    correlations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
