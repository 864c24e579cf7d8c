"""One pass of the worker: due BPMN timers (of dossiers' and of rounds' own processes), rounds'
intake deadlines, then the registered jobs.

Every piece of work runs in its own transaction and is claimed in the database, so passes
running at the same time on any number of workers and machines share the work and never do a
piece twice; a pass killed mid-way leaves its uncommitted piece to the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.db import Database, utcnow
from webapp.jobs import catalogue, registry
from webapp.services import job_schedule, timers
from webapp.services.errors import ConflictError
from webapp.services.rounds.steps import close_due_intakes

log = logging.getLogger(__name__)
TIMER_BATCH = 20
"""Timers fired per transaction: a small batch keeps SQLite's write lock short for the pages."""
MAX_TIMER_BATCHES = 10_000


@dataclass
class PassReport:
    """What one pass did."""

    timers_fired: int = 0
    intakes_closed: list[int] = field(default_factory=list)
    jobs: dict[str, Any] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


def run_pass(
    db: Database, now: datetime | None = None, timer_batch: int = TIMER_BATCH
) -> PassReport:
    """Run one pass at `now` (default: the current time)."""
    now = now or utcnow()
    report = PassReport()
    report.timers_fired = fire_due_timers(db, now, timer_batch)
    try:
        with db.transaction() as session:
            report.intakes_closed = close_due_intakes(session, now)
    except ConflictError as exc:  # another worker closed it first: the next pass goes on
        log.info("round intakes: %s", exc)
    except Exception:
        log.exception("closing the intake of rounds past their deadline failed")
        report.failed.append("round_intakes")
    catalogue.register_jobs()
    for job in registry.registered():
        try:
            ran, result = _run_job(db, job, now)
        except Exception:
            log.exception("periodic job %s failed", job.name)
            report.failed.append(job.name)
            continue
        if ran:
            report.jobs[job.name] = result
    return report


def fire_due_timers(db: Database, now: datetime, batch: int = TIMER_BATCH) -> int:
    """Fire every timer due at `now`, a batch per transaction, until none is left to claim:
    the dossiers' processes, then the rounds' own."""
    fired = 0
    for run in (timers.run_due_timers, timers.run_due_round_timers):
        for _ in range(MAX_TIMER_BATCHES):
            with db.transaction() as session:
                moved = run(session, now, limit=batch)
            fired += moved
            if moved == 0:
                break
    return fired


def _run_job(db: Database, job: registry.PeriodicJob, now: datetime) -> tuple[bool, Any]:
    if job.every is not None:
        try:
            with db.transaction() as session:
                job_schedule.add_row(session, job.name, now)
        except IntegrityError:  # another worker added it at the same moment
            pass
    with _job_session(db) as session:
        if job.every is not None and not job_schedule.claim(session, job.name, now, job.every):
            return False, None
        result = job.run(session, now)
        if job.every is not None:
            job_schedule.finish(session, job.name, utcnow(), result)
    return True, result


@contextmanager
def _job_session(db: Database) -> Iterator[Session]:
    """A job's session: committed at the end, rolled back on error. A job may commit as it
    goes; on SQLite every transaction it begins then takes the write lock at BEGIN
    (BEGIN IMMEDIATE), as the first one does, so it waits its turn instead of failing."""
    if db.engine.dialect.name != "sqlite":
        with db.transaction() as session:
            yield session
        return
    with db.engine.connect() as connection:
        session = Session(
            bind=connection.execution_options(write_intent=True), expire_on_commit=False
        )
        session.info["settings"] = db.settings
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
