"""Fire due timers: load each dossier whose next timer is due, refresh, save."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from webapp.db import utcnow
from webapp.models import Dossier, ProcessInstance
from webapp.services.dossier_effects import apply_automated, apply_status
from webapp.services.history import record_automated
from webapp.services.instances import load_process, save_process
from webapp.services.work_item_sync import sync_work_items
from workflows import ProcessRuntimeError

BATCH = 100
# A dossier whose timer the diagram cannot fire (a bound or budget refused it) is tried again
# after this, instead of every run: one bad diagram must not hold up the others' timers.
RETRY_FAILED_TIMER_AFTER = timedelta(hours=1)
log = logging.getLogger(__name__)


def run_due_timers(session: Session, now: datetime | None = None) -> int:
    """Advance every running instance whose next timer is due; return how many moved."""
    now = now or utcnow()
    due = list(
        session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.status == "running", ProcessInstance.next_timer_at <= now)
            .order_by(ProcessInstance.next_timer_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    moved = 0
    for instance in due:
        dossier = session.get_one(Dossier, instance.dossier_id)
        process = load_process(session, instance)
        try:
            steps = process.refresh_timers()
        except ProcessRuntimeError as exc:
            log.warning("dossier %s: timer at %s refused: %s", dossier.id, exc.element_id, exc)
            instance.next_timer_at = now + RETRY_FAILED_TIMER_AFTER
            continue
        save_process(instance, process, now)
        record_automated(session, dossier, steps, now)
        apply_automated(dossier, steps)
        apply_status(dossier, None, process.status(), now)
        sync_work_items(session, dossier, instance, process.ready_human_tasks(), now)
        moved += 1
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        return 0
    return moved
