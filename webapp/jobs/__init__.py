"""The job queue (Huey): a periodic pass every minute, run by a consumer embedded in `make run`
or by `flask jobs-worker` on any number of machines.

`JOBS_URL` chooses the queue's storage: `sqlite:///path` (the default, a file under instance/;
one machine), `redis://host:port/db` (several machines share one queue) or `memory://` (tests).
Which worker takes a task does not decide what runs once: the pass claims its work in the
application's database (webapp.jobs.passes).
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from webapp.db import utcnow
from webapp.jobs.passes import run_pass
from webapp.request_db import database

log = logging.getLogger(__name__)
QUEUE_NAME = "award-dossiers"
PASS_TASK = "jobs.pass"  # noqa: S105 - a task name, not a password


def make_queue(url: str) -> Huey:
    """The Huey instance for a JOBS_URL."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=str(path), utc=True)
    if scheme in {"redis", "rediss", "unix"}:
        return RedisHuey(QUEUE_NAME, url=url, utc=True)
    if scheme == "memory":
        return MemoryHuey(QUEUE_NAME, utc=True)
    raise RuntimeError(f"JOBS_URL must start with sqlite:///, redis:// or memory://, not {url!r}")


def queue(app: Flask) -> Huey:
    """The app's queue with its tasks, made on first use (a page never needs it)."""
    huey: Huey | None = app.extensions.get("jobs_queue")
    if huey is None:
        huey = make_queue(str(app.config["JOBS_URL"]))
        _add_tasks(huey, app)
        app.extensions["jobs_queue"] = huey
    return huey


def _add_tasks(huey: Huey, app: Flask) -> None:
    @huey.periodic_task(crontab(minute="*"), name=PASS_TASK)
    def every_minute() -> None:
        db = database(app)
        # Jobs that write files with the application's words need its context (tracking_exports).
        with app.app_context():
            report = run_pass(db, utcnow(), int(app.config["JOBS_TIMER_BATCH"]))
        db.optimize()  # SQLite's planner statistics stay fresh (PostgreSQL: autovacuum)
        if report.timers_fired or report.intakes_closed or report.jobs or report.failed:
            log.info(
                "pass: %s timer(s) fired, %s intake(s) closed, jobs %s, failed %s",
                report.timers_fired,
                len(report.intakes_closed),
                report.jobs,
                report.failed,
            )
