"""The periodic jobs of the job queue, beside the built-in ones (due BPMN timers, rounds'
intake deadlines): other packages register theirs here, e.g. notifications' mail delivery.

    from webapp.jobs.registry import periodic_job

    @periodic_job("deliver_outbox")                          # every pass (once a minute)
    def deliver_outbox(session: Session, now: datetime) -> int: ...

    @periodic_job("daily_digest", every=timedelta(hours=1))  # at most once an hour
    def send_digests(session: Session, now: datetime) -> int: ...

A job is a function (session, now) -> anything (its result is logged). Each run has its own
transaction, committed when the function returns and rolled back when it raises (the error is
logged, the next pass tries again); `now` is the pass's time (tests pass any time).

- `every=None` (default): run on every pass of every worker. The job must claim its own rows
  (`FOR UPDATE SKIP LOCKED`, or an UPDATE … WHERE state = 'due') so that workers running it at
  the same time share the work instead of doing it twice; it may commit as it goes with
  `session.commit()` when one piece of work must not wait for the others (a mail sent).
- `every=timedelta(...)`: run at most once per period across all workers: the worker that
  moves the job's row in `job_schedule` forward (under its lock, in the job's transaction)
  runs it; a worker killed mid-job rolls that back, and the next pass runs it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

JobFunction = Callable[[Session, datetime], Any]


@dataclass(frozen=True)
class PeriodicJob:
    """A registered job: its name, its function and how often it may run (None: every pass)."""

    name: str
    run: JobFunction
    every: timedelta | None = None


_JOBS: dict[str, PeriodicJob] = {}


def register(name: str, run: JobFunction, every: timedelta | None = None) -> PeriodicJob:
    """Register `run` under `name` (registering the same name again replaces it)."""
    if every is not None and every <= timedelta(0):
        raise ValueError("a periodic job's period must be positive")
    job = PeriodicJob(name, run, every)
    _JOBS[name] = job
    return job


def periodic_job(name: str, every: timedelta | None = None) -> Callable[[JobFunction], JobFunction]:
    """Decorator form of `register`."""

    def decorate(run: JobFunction) -> JobFunction:
        register(name, run, every)
        return run

    return decorate


def unregister(name: str) -> None:
    """Forget a job (tests)."""
    _JOBS.pop(name, None)


def registered() -> list[PeriodicJob]:
    """Every registered job, by name."""
    return [_JOBS[name] for name in sorted(_JOBS)]
