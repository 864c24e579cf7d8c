"""Gunicorn settings for `make run` and production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Read from the environment: BIND (default 127.0.0.1:5000, or 127.0.0.1:$PORT), WEB_WORKERS
(processes, default 1), WEB_THREADS (threads per process, default 8 with one process, 1 with
several), WEB_TIMEOUT (seconds a request may take before its worker is restarted, default 60).
Gunicorn's access log is off: the app writes one JSON line per request itself (logger
`webapp.requests`, see the README).

Each worker process warms up before its first request (webapp/warm_up.py), then starts the
job queue's consumer (the hooks of webapp/jobs/gunicorn_hooks.py) unless JOBS_EMBEDDED=0, e.g.
when `flask jobs-worker` runs as its own service (deploy/awards-worker.service).
"""

from __future__ import annotations

import os
from typing import Any

from webapp.jobs import gunicorn_hooks
from webapp.jobs.gunicorn_hooks import worker_exit
from webapp.memory_release import release_free_memory
from webapp.warm_up import warm_up

bind = [os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '5000')}"]
workers = int(os.environ.get("WEB_WORKERS", "1"))
# Threads per worker: 8 for a single worker (make run: a slow request must not hold the rest);
# 1 with several. Several workers also take a connection only when a thread of theirs is free
# (worker_connections = threads, no keep-alive): by default gunicorn's threaded worker keeps
# each kept-alive connection and takes new ones while its threads are busy, so a request
# waited behind a slow one in its worker while others sat idle. So set, 4 workers answered the
# load test's think-time p95 2-6 times faster than 4 of 2 threads (README, "Load test"). The
# threaded worker, not the sync one: a sync worker is killed when one request outlasts
# WEB_TIMEOUT (a CSV of 100,000 dossiers streams for about ten seconds). A slow client holds a
# worker's thread either way: production puts nginx in front, which buffers them.
threads = int(os.environ.get("WEB_THREADS") or (8 if workers == 1 else 1))
worker_class = "gthread"
worker_connections = 1000 if workers == 1 else threads
keepalive = 5 if workers == 1 else 0
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# A client's X-Forwarded-* are trusted only from the proxy in front (TRUSTED_PROXIES in the app).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker: Any) -> None:
    """Before the worker's first request: warm it up (webapp/warm_up.py), then start its
    job-queue consumer."""
    worker.log.info("worker %s warmed up (ms): %s", os.getpid(), warm_up(worker.wsgi))
    gunicorn_hooks.post_worker_init(worker)


def post_request(_worker: Any, _req: Any, _environ: Any, _resp: Any) -> None:
    """Once the answer is sent, hand the memory the request freed back to the system (a large
    upload would otherwise keep the worker's resident memory high for its whole life)."""
    release_free_memory()


__all__ = ["post_request", "post_worker_init", "worker_exit"]
