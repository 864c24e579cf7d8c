"""A web worker's warm-up, before it takes its first request (gunicorn.conf.py).

A fresh worker paid for its first requests what later ones find ready: the holiday package
imports every country's calendar when first asked (about 100 ms), each deployed process is
parsed on its first step, each page template compiled on its first showing. Under load right
after a start or a restart those first requests were the slowest of the run (a completed
step 500 ms instead of 50). Each part is bounded by what is deployed and shipped; one that
fails (the database not up yet) is logged and left to the first request, as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flask import Flask

from webapp.db import utcnow
from webapp.request_db import database
from webapp.services.calendar import public_holidays
from webapp.services.process_versions import parse_deployed

log = logging.getLogger(__name__)


def _holidays(_app: Flask) -> None:
    year = utcnow().year
    for asked in (year, year + 1):
        public_holidays(asked)


def _processes(app: Flask) -> None:
    with database(app).transaction(write=False) as session:
        parse_deployed(session)


def _templates(app: Flask) -> None:
    env = app.jinja_env
    for name in env.list_templates(extensions=("html", "txt")):
        env.get_template(name)


PARTS: tuple[tuple[str, Callable[[Flask], None]], ...] = (
    ("holidays", _holidays),
    ("processes", _processes),
    ("templates", _templates),
)


def warm_up(app: Flask) -> dict[str, float]:
    """Load what every worker needs into this process; returns milliseconds per part done."""
    done: dict[str, float] = {}
    for name, part in PARTS:
        began = time.perf_counter()
        try:
            part(app)
        except Exception:  # a worker starts even when its warm-up cannot finish
            log.warning("warm-up of %s left to the first request", name, exc_info=True)
            continue
        done[name] = round((time.perf_counter() - began) * 1000, 1)
    return done
