"""Gunicorn settings of `make run`: the job queue's consumer starts inside the server.

`gunicorn -c python:webapp.jobs.gunicorn_hooks wsgi:app` starts one consumer per worker process
(make run has one); `JOBS_EMBEDDED=0` leaves it out (e.g. when `flask jobs-worker` runs beside).
Only this config file starts it: tests, `flask run` and other gunicorn invocations do not.
"""

from __future__ import annotations

import os
from typing import Any

from webapp.jobs.worker import start_embedded, stop_embedded

_consumers: dict[int, Any] = {}


def post_worker_init(worker: Any) -> None:
    """Start the embedded consumer once the worker has loaded the app."""
    if os.environ.get("JOBS_EMBEDDED", "1") == "0":
        return
    _consumers[os.getpid()] = start_embedded(worker.wsgi)
    worker.log.info("job queue started in worker %s: a pass every minute", os.getpid())


def worker_exit(_server: Any, _worker: Any) -> None:
    """Let the consumer finish (or roll back) its pass when the server stops."""
    consumer = _consumers.pop(os.getpid(), None)
    if consumer is not None:
        stop_embedded(consumer)
