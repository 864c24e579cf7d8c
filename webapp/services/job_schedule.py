"""The schedule of periodic jobs that run at most once per period across all workers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import JobSchedule

MAX_RESULT_CHARS = 1000


def add_row(session: Session, name: str, now: datetime) -> None:
    """The job's row, due at once, unless it exists (a concurrent insert fails at flush)."""
    if session.get(JobSchedule, name) is None:
        session.add(JobSchedule(name=name, next_run_at=now))
        session.flush()


def claim(session: Session, name: str, now: datetime, every: timedelta) -> bool:
    """Take the job's run due at `now`: True when this transaction runs it (its row is moved a
    period on and stays locked until commit); False when it is not due or another worker has it."""
    row = session.scalar(
        select(JobSchedule).where(JobSchedule.name == name).with_for_update(skip_locked=True)
    )
    if row is None or row.next_run_at > now:
        return False
    row.last_started_at = now
    row.next_run_at = now + every
    session.flush()
    return True


def finish(session: Session, name: str, at: datetime, result: object) -> None:
    """Record that the job claimed in this transaction finished, with what it returned."""
    row = session.get_one(JobSchedule, name)
    row.last_finished_at = at
    row.last_result = None if result is None else str(result)[:MAX_RESULT_CHARS]
    session.flush()
