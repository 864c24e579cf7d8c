"""The working-day calendar the engine's timers count with (`working_days(n)` in a diagram).

Timers are armed inside any engine turn (a step completed, a dossier started, a timer fired),
far from a place that could hand the engine a session: the engine asks the function installed
here, which reads the calendar (`services.calendar`: Vietnam's holidays and the
administrator's exceptions) through its own short session and keeps it for a minute.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Any

from webapp.db import Database
from webapp.services import calendar as working_calendar
from workflows import clock

REREAD_AFTER_SECONDS = 60.0
log = logging.getLogger(__name__)


def install(db: Database) -> None:
    """Make the engine count working days with the calendar of `db`."""
    lock = threading.Lock()
    kept: dict[str, tuple[float, Any]] = {}

    def calendar() -> Any:
        # The hook: the calendar module's `load_calendar(session)` gives an object with
        # `working_days_after(start, days)`; without one, weekends are the only days off.
        load = getattr(working_calendar, "load_calendar", None)
        if load is None:
            return None
        with lock:
            hit = kept.get("calendar")
            if hit is not None and time.monotonic() - hit[0] < REREAD_AFTER_SECONDS:
                return hit[1]
            session = db.session()
            try:
                read = load(session)
            except Exception:  # no table yet (before the migrations ran)
                log.warning("working-day calendar unreadable; weekends only", exc_info=True)
                return None
            finally:
                session.close()
            kept["calendar"] = (time.monotonic(), read)
            return read

    def working_days_after(start: datetime, days: int) -> datetime:
        read = calendar()
        if read is None:
            return clock.weekends_only(start, days)
        moment: datetime = read.working_days_after(start, days)
        return moment

    clock.set_working_day_calendar(working_days_after)
