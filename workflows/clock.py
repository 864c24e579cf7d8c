"""The engine's clock and its working-day calendar.

SpiffWorkflow reads `datetime.now()` when it arms a timer and when it asks whether one is due.
Here it reads `now()` instead: the current time, unless a caller fixed it with `at(moment)`.
A worker passes the time of its pass, and a test passes any time it likes (a frozen clock)
without sleeping or patching the system clock.

Diagrams count working days with `working_days(n)` in a timer expression, e.g.
`<bpmn:timeDate>working_days(10)</bpmn:timeDate>`: the end of the working day n working days
after the engine's now. What a working day is belongs to the application (holidays, swapped
Saturdays): it installs its calendar with `set_working_day_calendar`. Until then weekends are
the only days off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, time, timedelta, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

WorkingDayCalendar = Callable[[datetime, int], datetime]
"""(start, n) -> the moment n working days after start (aware)."""

MAX_WORKING_DAYS = 2600
"""About ten years of working days: the longest a timer may wait (workflows.bounds)."""

_fixed: ContextVar[datetime | None] = ContextVar("engine_now", default=None)


def now() -> datetime:
    """The engine's current time (aware, UTC)."""
    fixed = _fixed.get()
    return fixed if fixed is not None else datetime.now(UTC)


@contextmanager
def at(moment: datetime | None) -> Iterator[None]:
    """Run the engine as if it were `moment` (None: the real time)."""
    if moment is not None and moment.tzinfo is None:
        raise ValueError("the engine's time must be time-zone aware")
    token = _fixed.set(moment.astimezone(UTC) if moment is not None else None)
    try:
        yield
    finally:
        _fixed.reset(token)


def weekends_only(start: datetime, days: int) -> datetime:
    """n working days after `start` when only weekends are days off (17:00 of that day)."""
    current = start.date()
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return datetime.combine(current, time(17, 0), start.tzinfo or UTC)


_calendar: WorkingDayCalendar = weekends_only


def set_working_day_calendar(calendar: WorkingDayCalendar | None) -> None:
    """Install the application's "n working days after" (None: weekends only)."""
    global _calendar  # one calendar for the process, set at start-up
    _calendar = calendar or weekends_only


def working_day_calendar() -> WorkingDayCalendar:
    """The calendar in use (to put it back after a test replaced it)."""
    return _calendar


def working_days(days: int) -> str:
    """A timer value: the end of the working day `days` working days after now (ISO 8601)."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError("working_days takes a whole number of days")
    if not 0 <= days <= MAX_WORKING_DAYS:
        raise ValueError(f"working_days takes 0 to {MAX_WORKING_DAYS} days, not {days}")
    return _calendar(now(), days).isoformat()


class _EngineDatetime(datetime):
    """`datetime` whose now() is the engine's clock (SpiffWorkflow's timers use it)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _EngineDatetime:
        moment = now().astimezone(tz) if tz is not None else now().astimezone().replace(tzinfo=None)
        return cls.combine(moment.date(), moment.timetz())


# SpiffWorkflow's timer module names `datetime` once; its timers read the engine's clock.
_spiff_timer.datetime = _EngineDatetime
