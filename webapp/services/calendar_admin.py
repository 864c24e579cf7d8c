"""The administrator's side of the working-day calendar: a year's days at a glance (weekends,
public holidays, announced days off and working weekend days, with their names) and the
government's yearly announcements recorded as exceptions, each with its legal basis."""

from __future__ import annotations

import calendar as month_calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import AppSetting, WorkItem
from webapp.models.calendar_days import DAY_OFF, EXCEPTION_KINDS, WORKING_DAY, CalendarException
from webapp.permissions import Actor
from webapp.services.calendar import (
    END_OF_WORKING_DAY,
    FIRST_YEAR,
    LAST_YEAR,
    WorkingCalendar,
    forget_calendar,
    load_calendar,
    public_holidays,
)
from webapp.services.errors import InvalidDataError, NotFoundError, PermissionDeniedError

NAME_MAX, BASIS_MAX = 200, 1000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|[\ud800-\udfff]")

# What a day of the year's grid is.
WORK = "work"
WEEKEND = "weekend"
HOLIDAY = "holiday"  # a public holiday of the holidays package's Vietnam calendar
EXTRA_DAY_OFF = "extra_day_off"  # announced by the government, recorded here
WORKING_WEEKEND = "working_weekend"  # a Saturday or Sunday worked in exchange

# The announcements shipped with the application, installed once (an administrator may remove
# them). Tết Nguyên đán 2026 (off from Saturday 14/02 to Sunday 22/02/2026, 9 days) needs none:
# its weekdays 16–20/02 are the package's Tết days and the rest are weekends.
SHIPPED_FLAG = "calendar_exceptions_shipped"
NEW_YEAR_2026_BASIS = (
    "Văn bản của Văn phòng Chính phủ ngày 25/12/2025 truyền đạt ý kiến Phó Thủ tướng Phạm Thị "
    "Thanh Trà đồng ý phương án nghỉ Tết Dương lịch năm 2026 (từ 01/01 đến hết 04/01/2026) và "
    "thông báo của Bộ Nội vụ cùng ngày về việc hoán đổi ngày làm việc"
)
SHIPPED_EXCEPTIONS = (
    (
        date(2026, 1, 2),
        DAY_OFF,
        "Nghỉ Tết Dương lịch 2026 (hoán đổi, làm bù thứ Bảy 10/01/2026)",
        NEW_YEAR_2026_BASIS,
    ),
    (
        date(2026, 1, 10),
        WORKING_DAY,
        "Làm bù cho ngày nghỉ thứ Sáu 02/01/2026 (Tết Dương lịch)",
        NEW_YEAR_2026_BASIS,
    ),
)


def ensure_shipped_exceptions(session: Session) -> None:
    """Record the shipped announcements once per installation."""
    if session.get(AppSetting, SHIPPED_FLAG) is not None:
        return
    install_shipped_exceptions(session)
    session.add(AppSetting(key=SHIPPED_FLAG, value="true"))
    session.flush()


def install_shipped_exceptions(session: Session) -> None:
    """Add each shipped announcement whose day has no exception yet."""
    taken = set(session.scalars(select(CalendarException.day)))
    for day, kind, name, basis in SHIPPED_EXCEPTIONS:
        if day not in taken:
            session.add(CalendarException(day=day, kind=kind, name=name, basis=basis))
    session.flush()
    forget_calendar(session)


@dataclass(frozen=True)
class DayCell:
    """One day of the grid: what it is, and the holiday's or the announcement's name."""

    day: date
    kind: str
    name: str | None = None
    exception: CalendarException | None = None

    @property
    def working(self) -> bool:
        return self.kind in (WORK, WORKING_WEEKEND)


@dataclass(frozen=True)
class MonthGrid:
    month: int
    weeks: tuple[tuple[DayCell | None, ...], ...]  # Monday first; None outside the month


@dataclass(frozen=True)
class YearCalendar:
    year: int
    months: tuple[MonthGrid, ...]
    exceptions: tuple[CalendarException, ...]
    holidays: tuple[tuple[date, str], ...]
    working_days: int


def _admin_only(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDeniedError("only an administrator manages the working-day calendar")


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidDataError(
            "year out of range", {"year": f"must be from {FIRST_YEAR} to {LAST_YEAR}"}
        )


def year_calendar(session: Session, actor: Actor, year: int, language: str = "vi") -> YearCalendar:
    """The twelve months of `year`, each day with what it is and why."""
    _admin_only(actor)
    _check_year(year)
    names, package_worked = public_holidays(year, language)
    exceptions = tuple(
        session.scalars(
            select(CalendarException)
            .where(CalendarException.day.between(date(year, 1, 1), date(year, 12, 31)))
            .order_by(CalendarException.day)
        )
    )
    by_day = {e.day: e for e in exceptions}

    def cell(day: date) -> DayCell:
        recorded = by_day.get(day)
        if recorded is not None:
            kind = EXTRA_DAY_OFF if recorded.kind == DAY_OFF else WORKING_WEEKEND
            return DayCell(day, kind, recorded.name, recorded)
        if day in names:
            return DayCell(day, HOLIDAY, names[day])
        if day in package_worked:
            return DayCell(day, WORKING_WEEKEND, None)
        return DayCell(day, WORK if day.weekday() < 5 else WEEKEND)

    months = []
    count = 0
    for month in range(1, 13):
        weeks = []
        for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            row = tuple(cell(d) if d.month == month else None for d in week)
            count += sum(1 for c in row if c is not None and c.working)
            weeks.append(row)
        months.append(MonthGrid(month, tuple(weeks)))
    return YearCalendar(
        year=year,
        months=tuple(months),
        exceptions=exceptions,
        holidays=tuple(sorted(names.items())),
        working_days=count,
    )


def _clean(value: object, limit: int) -> str | None:
    """One line of text without control characters, at most `limit` characters, or None."""
    if not isinstance(value, str) or _CONTROL.search(value):
        return None
    text = " ".join(value.split())
    return text if 0 < len(text) <= limit else None


def add_exception(
    session: Session, actor: Actor, day: date | None, kind: str, name: object, basis: object
) -> CalendarException:
    """Record an announced day off (on a working day) or working day (on a day off)."""
    _admin_only(actor)
    fields: dict[str, str] = {}
    clean_name = _clean(name, NAME_MAX)
    clean_basis = _clean(basis, BASIS_MAX)
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        fields["day"] = f"must be a date from {FIRST_YEAR} to {LAST_YEAR}"
    if kind not in EXCEPTION_KINDS:
        fields["kind"] = "must be day_off or working_day"
    if clean_name is None:
        fields["name"] = f"is required, at most {NAME_MAX} characters"
    if clean_basis is None:
        fields["basis"] = f"is required, at most {BASIS_MAX} characters"
    if fields or day is None or clean_name is None or clean_basis is None:
        raise InvalidDataError("cannot record the exception", fields)
    if session.scalar(select(CalendarException.id).where(CalendarException.day == day)):
        raise InvalidDataError(
            "the day already has an exception",
            {"day": "already has an exception: remove it first"},
            code="day_taken",
        )
    names, package_worked = public_holidays(day.year)
    already_off = (day.weekday() >= 5 and day not in package_worked) or day in names
    if kind == DAY_OFF and already_off:
        raise InvalidDataError(
            "the day is already a day off",
            {"day": "is already a day off (a weekend or a public holiday)"},
            code="already_day_off",
        )
    if kind == WORKING_DAY and not already_off:
        raise InvalidDataError(
            "the day is already a working day",
            {"day": "is already a working day"},
            code="already_working_day",
        )
    exception = CalendarException(
        day=day,
        kind=kind,
        name=clean_name,
        basis=clean_basis,
        created_at=utcnow(),
        created_by_id=actor.user_id,
    )
    before = load_calendar(session)
    session.add(exception)
    session.flush()
    forget_calendar(session)
    shift_open_due_dates(session, before, load_calendar(session), day)
    return exception


def remove_exception(session: Session, actor: Actor, exception_id: int) -> CalendarException:
    """Remove a recorded exception (the day is again what the weekends and holidays say)."""
    _admin_only(actor)
    exception = session.get(CalendarException, exception_id)
    if exception is None:
        raise NotFoundError("no such calendar exception")
    before = load_calendar(session)
    session.delete(exception)
    session.flush()
    forget_calendar(session)
    shift_open_due_dates(session, before, load_calendar(session), exception.day)
    return exception


def shift_open_due_dates(
    session: Session, before: WorkingCalendar, after: WorkingCalendar, day: date
) -> int:
    """Move the due dates of the open steps whose time runs over `day`, now that the day
    changed: each keeps as many working days from its opening as it had; returns how many
    moved. (Steps due before the day, or opened after it, are not concerned.)"""
    midnight = datetime.combine(day, time(0, 0), before.zone)
    moved = 0
    for item in session.scalars(
        select(WorkItem).where(WorkItem.status == "open", WorkItem.due_at >= midnight)
    ):
        if item.due_at is None:
            continue
        opened, due = before.local_date(item.created_at), before.local_date(item.due_at)
        if not opened < day <= due:
            continue
        kept = after.add_working_days(opened, before.working_days(opened, due))
        if kept != due:
            item.due_at = datetime.combine(kept, END_OF_WORKING_DAY, after.zone)
            moved += 1
    session.flush()
    return moved
