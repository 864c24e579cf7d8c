"""The append-only history of a dossier."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from webapp.db import utcnow
from webapp.models import Dossier, Event, WorkItem
from webapp.permissions import Actor
from webapp.services.history_chain import seal
from workflows import AutomatedStep

# Every kind of line the history holds; each has a sentence on the dossier page
# (webapp/history_text.py), and a kind not listed here is refused when written.
EVENT_KINDS = frozenset(
    {
        "started",
        "completed",
        "claimed",
        "released",
        "automated",
        "ended",
        "draft_saved",
        "vote_closed",
        "moved",
        "move_undone",
    }
)

# Engine steps worth a line in the history; gateways and plain events are not.
RECORDED_AUTOMATED_KINDS = frozenset(
    {"businessRuleTask", "serviceTask", "scriptTask", "sendTask", "endEvent", "boundaryEvent"}
)


def record(
    session: Session,
    dossier: Dossier,
    action: str,
    *,
    actor: Actor | None = None,
    step: str | None = None,
    step_title: str | None = None,
    work_item: WorkItem | None = None,
    decision: str | None = None,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    """Append one event to the dossier's history (`action` is one of EVENT_KINDS)."""
    if action not in EVENT_KINDS:
        raise ValueError(f"unknown history event kind {action!r}")
    event = Event(
        dossier_id=dossier.id,
        at=at or utcnow(),
        actor_id=actor.user_id if actor else None,
        action=action,
        step=step,
        step_title=step_title,
        work_item_id=work_item.id if work_item else None,
        decision=decision,
        comment=comment,
        data=data,
    )
    seal(session, event)
    session.add(event)
    return event


def record_automated(
    session: Session, dossier: Dossier, steps: list[AutomatedStep], at: datetime
) -> None:
    """A line for each rule, service task or end event the engine ran by itself."""
    for step in steps:
        if step.kind in RECORDED_AUTOMATED_KINDS:
            action = "ended" if step.kind == "endEvent" else "automated"
            record(
                session,
                dossier,
                action,
                step=step.element_id,
                step_title=step.name,
                data=step.updates or None,
                at=at,
            )


def history_of(session: Session, dossier_id: int) -> list[Event]:
    """Every event of a dossier, oldest first."""
    return list(
        session.scalars(
            select(Event)
            .where(Event.dossier_id == dossier_id)
            .options(joinedload(Event.actor))
            .order_by(Event.id)
        )
    )
