"""Fire due BPMN timers, each exactly once, however many workers run at the same time.

Exactly-once comes from the database, not from the job queue: one call claims a batch of
instances whose next timer is due (`FOR UPDATE SKIP LOCKED` on PostgreSQL: another worker skips
the rows this one holds; SQLite lets one writing transaction at a time, and the next one sees
the moved `next_timer_at`), fires them, saves each at `revision + 1` and records the history,
all in the caller's transaction. A worker killed before its commit leaves nothing: the rows
are unlocked, still due, and the next pass takes them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from webapp.db import utcnow
from webapp.models import Dossier, ProcessInstance, Round, RoundInstance
from webapp.services.dossier_effects import apply_automated, apply_status
from webapp.services.errors import ConflictError
from webapp.services.history import record_automated
from webapp.services.instances import load_process, save_process
from webapp.services.rounds.arrivals import round_event, sync_round_step
from webapp.services.rounds.messaging import after_turn
from webapp.services.rounds.round_instances import load_round_process, save_round_process
from webapp.services.work_item_sync import sync_work_items
from workflows import ProcessRuntimeError

BATCH = 100
# The round's history line for a timer of its own process that fired.
ROUND_TIMER_ACTION = "timer"
# A dossier whose timer the diagram cannot fire (a bound or budget refused it) is tried again
# after this, instead of every run: one bad diagram must not hold up the others' timers.
RETRY_FAILED_TIMER_AFTER = timedelta(hours=1)
log = logging.getLogger(__name__)


def run_due_timers(session: Session, now: datetime | None = None, limit: int = BATCH) -> int:
    """Claim up to `limit` running instances whose next timer is due at `now`, fire them and
    run what follows; return how many moved. The caller commits (one transaction a batch)."""
    now = now or utcnow()
    due = list(
        session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.status == "running", ProcessInstance.next_timer_at <= now)
            .order_by(ProcessInstance.next_timer_at, ProcessInstance.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    return _fire_each(session, due, _fire, now, "process instance", (StaleDataError, ConflictError))


def _fire_each(
    session: Session,
    holders: list[Any],
    fire: Callable[[Session, Any, datetime], int],
    now: datetime,
    label: str,
    spoiled: tuple[type[Exception], ...],
) -> int:
    """Fire each claimed holder in its own savepoint: one holder's failure (unreadable state, a
    stale revision) spoils only itself."""
    moved = 0
    for holder in holders:
        savepoint = session.begin_nested()
        try:
            fired = fire(session, holder, now)
            savepoint.commit()
        except spoiled as exc:
            savepoint.rollback()
            log.warning("%s %s: timer not fired: %s", label, holder.id, exc)
            continue
        moved += fired
    session.flush()
    return moved


def _fire(session: Session, instance: ProcessInstance, now: datetime) -> int:
    dossier = session.get_one(Dossier, instance.dossier_id)
    process = load_process(session, instance)
    try:
        steps = process.refresh_timers(now)
    except ProcessRuntimeError as exc:
        log.warning("dossier %s: timer at %s refused: %s", dossier.id, exc.element_id, exc)
        instance.next_timer_at = now + RETRY_FAILED_TIMER_AFTER
        session.flush()
        return 0
    save_process(instance, process, now)
    record_automated(session, dossier, steps, now)
    apply_automated(dossier, steps)
    status = process.status()
    if status.completed:
        apply_status(dossier, None, status, now)
    else:  # a reminder or an escalation beside the step: where the dossier is stays as it was
        dossier.updated_at = now
    sync_work_items(session, dossier, instance, process.ready_human_tasks(), now)
    session.flush()
    return 1


def run_due_round_timers(session: Session, now: datetime | None = None, limit: int = BATCH) -> int:
    """The same for the rounds' own processes (award_round, ministry_round): claim up to `limit`
    running round instances whose next timer is due, fire them, record a line in the round's
    history and deliver what the turn threw; return how many moved. The caller commits."""
    now = now or utcnow()
    due = list(
        session.scalars(
            select(RoundInstance)
            .where(RoundInstance.status == "running", RoundInstance.next_timer_at <= now)
            .order_by(RoundInstance.next_timer_at, RoundInstance.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    return _fire_each(
        session,
        due,
        _fire_round,
        now,
        "round instance",
        (StaleDataError, ConflictError, ProcessRuntimeError),
    )


def _fire_round(session: Session, holder: RoundInstance, now: datetime) -> int:
    round_ = session.get_one(Round, holder.round_id)
    process = load_round_process(session, holder)
    try:
        steps = process.refresh_timers(now)
    except ProcessRuntimeError as exc:
        log.warning("round %s: timer at %s refused: %s", round_.id, exc.element_id, exc)
        holder.next_timer_at = now + RETRY_FAILED_TIMER_AFTER
        session.flush()
        return 0
    save_round_process(holder, process, now)
    fired = [step.element_id for step in steps]
    round_event(
        session,
        round_,
        ROUND_TIMER_ACTION,
        step=fired[0] if fired else None,
        data={"steps": fired},
        at=now,
    )
    sync_round_step(round_, process)
    after_turn(session, holder, process, now)
    session.flush()
    return 1
