"""Notices of a dossier's events, written by the services in the event's own transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Dossier, WorkItem
from webapp.services.notifications.fanout import item_takers, notify, one_user

FINAL_STATUSES = frozenset({"awarded", "partly_awarded", "refused", "withdrawn"})


def dossier_params(dossier: Dossier) -> dict[str, Any]:
    """What every sentence about a dossier names: its code (or number) and title."""
    return {"code": dossier.code or f"#{dossier.id}", "title": dossier.title}


def item_link(item: WorkItem) -> str:
    """The step's page."""
    return f"/work/{item.id}"


def dossier_link(dossier: Dossier) -> str:
    """The dossier's page."""
    return f"/dossiers/{dossier.id}"


def notify_new_items(
    session: Session,
    dossier: Dossier,
    items: Sequence[WorkItem],
    now: datetime,
    *,
    exclude_user_id: int | None = None,
) -> None:
    """Tell those who may take each new step (but `exclude_user_id`); a step back with the unit
    says "returned"."""
    if not items:
        return
    session.flush()  # the new items' ids, for their links
    kind = "returned" if dossier.status == "returned" else "new_step"
    for item in items:
        recipients = item_takers(session, item)
        if recipients is None:
            continue
        if exclude_user_id is not None:
            takers = recipients.subquery()
            recipients = select(takers.c.user_id).where(takers.c.user_id != exclude_user_id)
        notify(
            session,
            recipients,
            kind,
            {**dossier_params(dossier), "step": item.title},
            item_link(item),
            now,
            dossier_id=dossier.id,
            work_item_id=item.id,
        )


def notify_decision(session: Session, dossier: Dossier, result: str, now: datetime) -> None:
    """Tell the dossier's author of a decision on it (its outcome, or the round's results)."""
    notify(
        session,
        one_user(dossier.created_by_id),
        "decision",
        {**dossier_params(dossier), "result": result},
        dossier_link(dossier),
        now,
        dossier_id=dossier.id,
    )


def notify_if_decided(session: Session, dossier: Dossier, now: datetime) -> None:
    """After a turn: a dossier closed by it has its outcome told to its author."""
    if dossier.closed_at == now and dossier.status in FINAL_STATUSES:
        notify_decision(session, dossier, dossier.status, now)
