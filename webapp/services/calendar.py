"""Working days: weekends and the configured public holidays do not count."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

END_OF_WORKING_DAY = time(17, 0)


@lru_cache(maxsize=8)
def load_holidays(path: str) -> frozenset[date]:
    """The holidays listed in a JSON file {"holidays": ["2026-02-16", ...]}."""
    file = Path(path)
    if not file.is_file():
        return frozenset()
    return frozenset(date.fromisoformat(d) for d in json.loads(file.read_text())["holidays"])


def is_working_day(day: date, holidays: frozenset[date]) -> bool:
    """Monday to Friday, not a holiday."""
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: frozenset[date]) -> date:
    """The date `days` working days after `start` (the start day itself does not count)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current, holidays):
            remaining -= 1
    return current


def due_at(
    created: datetime, days: int | None, holidays: frozenset[date], tz: str
) -> datetime | None:
    """End of the working day `days` working days after `created`, in the given time zone."""
    if not days:
        return None
    zone = ZoneInfo(tz)
    local_day = created.astimezone(zone).date()
    return datetime.combine(add_working_days(local_day, days, holidays), END_OF_WORKING_DAY, zone)
