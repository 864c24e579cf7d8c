"""What follows every turn of the engine on a dossier, whoever made it turn.

Completing a step and closing a vote both hand tasks to the engine; afterwards the same things
must happen in the same order, or the history, the dossier and the inboxes drift apart.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from webapp.models import Dossier, ProcessInstance, WorkItem
from webapp.permissions import Actor
from webapp.services.dossier_effects import apply_automated, apply_status
from webapp.services.history import record_automated
from webapp.services.notifications.events import notify_if_decided
from webapp.services.rounds.messaging import after_turn
from webapp.services.work_item_sync import sync_work_items
from workflows import AutomatedStep, RunningProcess


def mark_done(item: WorkItem, actor: Actor, decision: str | None, now: datetime) -> None:
    """The work item is done, by `actor`, with `decision`."""
    item.status = "done"
    item.completed_at = now
    item.completed_by_id = actor.user_id
    item.decision = decision


def finish_turn(
    session: Session,
    dossier: Dossier,
    instance: ProcessInstance,
    process: RunningProcess,
    steps: list[AutomatedStep],
    decision: str | None,
    now: datetime,
) -> None:
    """Record the automated steps, take their results into the dossier, set its status after
    `decision`, open or cancel work items to match the tasks now waiting, and deliver the
    messages the turn threw."""
    record_automated(session, dossier, steps, now)
    apply_automated(dossier, steps)
    apply_status(dossier, decision, process.status(), now)
    notify_if_decided(session, dossier, now)
    sync_work_items(session, dossier, instance, process.ready_human_tasks(), now)
    # Messages the turn threw reach their round (or dossiers) in this same transaction.
    after_turn(session, instance, process, now)
