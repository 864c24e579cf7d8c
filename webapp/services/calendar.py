"""The working-day calendar: one function, "N working days after T", for every due date.

A day is a working day when it is Monday to Friday and not a public holiday of Vietnam (the
`holidays` package's calendar, lunar Tết included, with the compensatory days the Labour Code
gives), unless the government's yearly announcement, recorded by the administrator in
`calendar_exception`, says otherwise: an extra day off (a bridge, a compensatory day) or a
Saturday or Sunday worked in exchange. The administrator's word wins over the package's.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models.calendar_days import DAY_OFF, WORKING_DAY, CalendarException
from webapp.services.settings import settings_of

END_OF_WORKING_DAY = time(17, 0)
COUNTRY = "VN"
CACHE_KEY = "working_calendar"
# Years the package's calendar is asked about (dates outside count weekends only).
FIRST_YEAR, LAST_YEAR = 2000, 2099


@lru_cache(maxsize=256)
def public_holidays(year: int, language: str = "vi") -> tuple[dict[date, str], frozenset[date]]:
    """Vietnam's public holidays of `year` with their names, and the weekend days the package
    knows were worked in exchange for a day off (e.g. Saturday 22/08/2026)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return {}, frozenset()
    calendar = holidays.country_holidays(COUNTRY, years=year, language=language)
    days = {day: str(name) for day, name in sorted(calendar.items()) if day.year == year}
    worked = frozenset(day for day in calendar.weekend_workdays if day.year == year)
    return days, worked


@dataclass(frozen=True)
class WorkingCalendar:
    """Weekends, the country's public holidays (when `country` is set) and the announced
    exceptions: `days_off` are extra days off, `working_days_on` weekend days worked."""

    zone: ZoneInfo
    days_off: frozenset[date] = frozenset()
    working_days_on: frozenset[date] = frozenset()
    country: str | None = None
    _years: dict[int, tuple[tuple[date, ...], frozenset[date]]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def local_date(self, moment: datetime) -> date:
        """The calendar day of `moment` in the configured time zone."""
        return moment.astimezone(self.zone).date()

    def _special(self, year: int) -> tuple[tuple[date, ...], frozenset[date]]:
        """The days of `year` that differ from "Monday to Friday" (sorted), and which of them
        are working days (weekend days worked); the others are weekdays off."""
        cached = self._years.get(year)
        if cached is not None:
            return cached
        off: set[date] = {d for d in self.days_off if d.year == year}
        worked: set[date] = set()
        if self.country:
            names, package_worked = public_holidays(year)
            off |= set(names)
            worked |= package_worked
        worked = {d for d in worked if d not in off}
        worked |= {d for d in self.working_days_on if d.year == year}
        off -= worked
        special = {d for d in off if d.weekday() < 5} | {d for d in worked if d.weekday() >= 5}
        result = (tuple(sorted(special)), frozenset(d for d in special if d.weekday() >= 5))
        self._years[year] = result
        return result

    def is_working_day(self, day: date) -> bool:
        """Whether people work on `day`."""
        special, worked = self._special(day.year)
        index = bisect_right(special, day)
        if index and special[index - 1] == day:
            return day in worked
        return day.weekday() < 5

    def working_days(self, start: date, end: date) -> int:
        """How many working days d there are with start < d <= end (0 when end <= start).

        Counted without walking the days (whole weeks, then the remainder, then the few
        special days of the years in between): an export computes it for every open step.
        """
        if end <= start:
            return 0
        weeks, rest = divmod((end - start).days, 7)
        count = weeks * 5
        weekday = start.weekday()
        count += sum(1 for offset in range(1, rest + 1) if (weekday + offset) % 7 < 5)
        for year in range(start.year, end.year + 1):
            special, worked = self._special(year)
            for day in special[bisect_right(special, start) : bisect_right(special, end)]:
                count += 1 if day in worked else -1
        return count

    def add_working_days(self, start: date, days: int) -> date:
        """The day `days` working days after `start` (the start day itself does not count)."""
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_after(self, start: datetime, days: int) -> datetime:
        """The end of the working day (17:00 local) `days` working days after `start`."""
        day = self.add_working_days(self.local_date(start), max(days, 0))
        return datetime.combine(day, END_OF_WORKING_DAY, self.zone)


def load_calendar(session: Session) -> WorkingCalendar:
    """The calendar of the configured time zone, Vietnam's holidays and the recorded
    exceptions; read once per session (changing an exception forgets it)."""
    cached = session.info.get(CACHE_KEY)
    if isinstance(cached, WorkingCalendar):
        return cached
    rows = session.execute(select(CalendarException.day, CalendarException.kind)).all()
    calendar = WorkingCalendar(
        zone=ZoneInfo(settings_of(session).time_zone),
        days_off=frozenset(day for day, kind in rows if kind == DAY_OFF),
        working_days_on=frozenset(day for day, kind in rows if kind == WORKING_DAY),
        country=COUNTRY,
    )
    session.info[CACHE_KEY] = calendar
    return calendar


def forget_calendar(session: Session) -> None:
    """Read the calendar again on next use (after an exception was added or removed)."""
    session.info.pop(CACHE_KEY, None)


def working_days_after(source: Session | WorkingCalendar, start: datetime, days: int) -> datetime:
    """The end of the working day `days` working days after `start`: THE due-date rule."""
    calendar = source if isinstance(source, WorkingCalendar) else load_calendar(source)
    return calendar.working_days_after(start, days)
