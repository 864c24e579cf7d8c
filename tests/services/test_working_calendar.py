"""The working-day calendar and the step clocks, with a frozen clock: Tết 2026, the
government's announced exceptions, the clock that pauses while a dossier is returned, and an
administrator's extra day off shifting due dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.conftest import actor_named
from webapp.models import CalendarException, WorkItem
from webapp.services import calendar as working_calendar
from webapp.services import calendar_admin, dossiers, work_items
from webapp.services.errors import InvalidDataError, PermissionDeniedError

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NEW = {
    "title": "Đề nghị khen thưởng đột xuất",
    "award_form": "bk_btc",
    "track": "ad_hoc",
    "procedure": "regular",
    "nominees": [{"kind": "individual", "name": "Nguyễn Thị Hằng"}],
}


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(UTC)


def due(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 17, tzinfo=ZONE)


class Clock:
    """The services' clock, frozen and moved by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: datetime) -> None:
        self.now = start
        for module in (dossiers, work_items):
            monkeypatch.setattr(module, "utcnow", lambda: self.now)

    def set(self, day: date, hour: int = 9) -> None:
        self.now = at(day, hour)


def open_item(db, dossier, step):
    return db.scalars(
        select(WorkItem).where(
            WorkItem.dossier_id == dossier.id, WorkItem.step == step, WorkItem.status == "open"
        )
    ).one()


def complete(db, username, dossier, step, data):
    item = open_item(db, dossier, step)
    work_items.complete_work_item(db, actor_named(db, username), item.id, data)
    db.commit()


def to_office_check(db, clock, day):
    """A dossier created, submitted and approved by its unit on `day`: at the Office's check."""
    clock.set(day)
    dossier = dossiers.start_dossier(db, actor_named(db, "canbo_ns"), NEW)
    db.commit()
    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
    complete(db, "truongphong_ns", dossier, "approve_at_unit", {"decision": "approve"})
    return dossier


def test_ten_working_days_after_thursday_12_02_2026_skip_tet(db):
    calendar_admin.ensure_shipped_exceptions(db)
    calendar_admin.install_shipped_exceptions(db)
    calendar = working_calendar.load_calendar(db)
    # The government's Tết Bính Ngọ: off from Saturday 14/02 to Sunday 22/02/2026.
    for offset in range(9):
        assert not calendar.is_working_day(date(2026, 2, 14) + timedelta(days=offset))
    assert calendar.is_working_day(date(2026, 2, 13))
    assert calendar.is_working_day(date(2026, 2, 23))
    # Friday 13/02, then 23/02 to 27/02, then 02/03 to 05/03: ten working days.
    start = at(date(2026, 2, 12), 15)
    assert working_calendar.working_days_after(db, start, 10) == due(date(2026, 3, 5))
    assert calendar.working_days(date(2026, 2, 12), date(2026, 3, 5)) == 10


def test_the_announced_new_year_swap_of_2026_is_shipped(db):
    calendar_admin.install_shipped_exceptions(db)
    calendar = working_calendar.load_calendar(db)
    assert not calendar.is_working_day(date(2026, 1, 2))  # Friday, off
    assert calendar.is_working_day(date(2026, 1, 10))  # Saturday, worked in exchange
    # Wednesday 31/12/2025 + 2 working days: Monday 05/01, then the Saturday 10/01 counts.
    assert calendar.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)
    assert calendar.working_days(date(2026, 1, 9), date(2026, 1, 12)) == 2
    recorded = db.scalars(select(CalendarException).order_by(CalendarException.day)).all()
    assert [(e.day, e.kind) for e in recorded] == [
        (date(2026, 1, 2), "day_off"),
        (date(2026, 1, 10), "working_day"),
    ]
    assert all("25/12/2025" in e.basis for e in recorded)
    # The package's own swap (National Day 2026): Saturday 22/08 worked, Monday 31/08 off.
    assert calendar.is_working_day(date(2026, 8, 22))
    assert not calendar.is_working_day(date(2026, 8, 31))


def test_the_constant_time_count_agrees_with_walking_the_days(db):
    calendar_admin.install_shipped_exceptions(db)
    calendar = working_calendar.load_calendar(db)
    start, end = date(2025, 11, 3), date(2027, 3, 1)
    walked = sum(
        1
        for n in range(1, (end - start).days + 1)
        if calendar.is_working_day(start + timedelta(days=n))
    )
    assert calendar.working_days(start, end) == walked


def test_a_dossier_returned_for_4_working_days_is_due_4_working_days_later(db, monkeypatch):
    clock = Clock(monkeypatch, at(date(2026, 3, 2)))
    dossier = to_office_check(db, clock, date(2026, 3, 2))  # a Monday
    first = open_item(db, dossier, "check_dossier")
    assert first.due_at == due(date(2026, 3, 9))  # five working days
    # The Office returns it on Wednesday; the unit sends it back on Tuesday 10/03: it spent
    # Thursday, Friday, Monday and Tuesday (4 working days) with its unit.
    clock.set(date(2026, 3, 4))
    complete(db, "vanphong", dossier, "check_dossier", {"decision": "return", "comment": "Bổ sung"})
    clock.set(date(2026, 3, 10), 10)
    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
    complete(db, "truongphong_ns", dossier, "approve_at_unit", {"decision": "approve"})
    again = open_item(db, dossier, "check_dossier")
    assert again.id != first.id
    assert again.due_at == due(date(2026, 3, 13))  # 09/03 + 4 working days, not 17/03

    # Returned a second time for one working day: the pauses add up.
    clock.set(date(2026, 3, 11))
    complete(db, "vanphong", dossier, "check_dossier", {"decision": "return", "comment": "Thêm"})
    clock.set(date(2026, 3, 12))
    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
    complete(db, "truongphong_ns", dossier, "approve_at_unit", {"decision": "approve"})
    assert open_item(db, dossier, "check_dossier").due_at == due(date(2026, 3, 16))


def test_a_step_approved_before_starts_afresh(db, monkeypatch):
    clock = Clock(monkeypatch, at(date(2026, 3, 2)))
    dossier = to_office_check(db, clock, date(2026, 3, 2))
    # The unit head's step was approved, so when the Office returns the dossier the unit head's
    # next step is a new one with its own full limit (3 working days).
    clock.set(date(2026, 3, 4))
    complete(db, "vanphong", dossier, "check_dossier", {"decision": "return", "comment": "Bổ sung"})
    clock.set(date(2026, 3, 6))
    complete(db, "canbo_ns", dossier, "prepare_dossier", {"decision": "submit"})
    assert open_item(db, dossier, "approve_at_unit").due_at == due(date(2026, 3, 11))


def test_an_extra_day_off_added_by_the_administrator_shifts_due_dates(db, monkeypatch):
    admin = actor_named(db, "admin")
    clock = Clock(monkeypatch, at(date(2026, 3, 2)))
    before = to_office_check(db, clock, date(2026, 3, 2))
    assert open_item(db, before, "check_dossier").due_at == due(date(2026, 3, 9))
    recorded = calendar_admin.add_exception(
        db, admin, date(2026, 3, 4), "day_off", "Nghỉ bù", "Thông báo số 1/TB-BNV ngày 01/03/2026"
    )
    db.commit()
    assert recorded.created_by_id == admin.user_id
    # The step already open keeps its five working days: due one day later.
    assert open_item(db, before, "check_dossier").due_at == due(date(2026, 3, 10))
    after = to_office_check(db, clock, date(2026, 3, 2))
    assert open_item(db, after, "check_dossier").due_at == due(date(2026, 3, 10))
    assert working_calendar.working_days_after(db, at(date(2026, 3, 2)), 5) == due(
        date(2026, 3, 10)
    )
    # Removed, the day counts again.
    calendar_admin.remove_exception(db, admin, recorded.id)
    db.commit()
    assert working_calendar.working_days_after(db, at(date(2026, 3, 2)), 5) == due(date(2026, 3, 9))
    assert open_item(db, before, "check_dossier").due_at == due(date(2026, 3, 9))
    assert open_item(db, after, "check_dossier").due_at == due(date(2026, 3, 9))


def test_a_working_saturday_brings_open_due_dates_forward_and_others_stay(db, monkeypatch):
    admin = actor_named(db, "admin")
    clock = Clock(monkeypatch, at(date(2026, 3, 2)))
    running = to_office_check(db, clock, date(2026, 3, 2))  # due Monday 09/03
    later = to_office_check(db, clock, date(2026, 3, 10))  # opened after the Saturday
    assert open_item(db, later, "check_dossier").due_at == due(date(2026, 3, 17))
    calendar_admin.add_exception(db, admin, date(2026, 3, 7), "working_day", "Làm bù", "TB 2")
    db.commit()
    assert open_item(db, running, "check_dossier").due_at == due(date(2026, 3, 7))
    assert open_item(db, later, "check_dossier").due_at == due(date(2026, 3, 17))


@pytest.mark.parametrize(
    ("day", "kind", "name", "basis", "field", "code"),
    [
        (None, "day_off", "Nghỉ", "Thông báo", "day", None),
        (date(2026, 3, 4), "holiday", "Nghỉ", "Thông báo", "kind", None),
        (date(2026, 3, 4), "day_off", "  ", "Thông báo", "name", None),
        (date(2026, 3, 4), "day_off", "Nghỉ", "", "basis", None),
        (date(2026, 3, 4), "day_off", "Nghỉ\x00", "Thông báo", "name", None),
        (date(2026, 3, 4), "day_off", "Nghỉ", "x" * 1001, "basis", None),
        (date(2026, 3, 7), "day_off", "Nghỉ", "Thông báo", "day", "already_day_off"),
        (date(2026, 2, 17), "day_off", "Nghỉ", "Thông báo", "day", "already_day_off"),
        (date(2026, 3, 4), "working_day", "Làm bù", "Thông báo", "day", "already_working_day"),
    ],
)
def test_bad_exceptions_are_refused_naming_the_field(db, day, kind, name, basis, field, code):
    admin = actor_named(db, "admin")
    with pytest.raises(InvalidDataError) as refused:
        calendar_admin.add_exception(db, admin, day, kind, name, basis)
    assert field in refused.value.fields
    assert refused.value.code == (code or "invalid")
    assert db.scalars(select(CalendarException)).all() == []


def test_one_exception_per_day_and_administrators_only(db):
    admin = actor_named(db, "admin")
    calendar_admin.add_exception(db, admin, date(2026, 3, 7), "working_day", "Làm bù", "TB 1")
    with pytest.raises(InvalidDataError) as refused:
        calendar_admin.add_exception(db, admin, date(2026, 3, 7), "working_day", "Lại", "TB 2")
    assert refused.value.code == "day_taken"
    with pytest.raises(PermissionDeniedError):
        calendar_admin.add_exception(
            db, actor_named(db, "vanphong"), date(2026, 3, 4), "day_off", "Nghỉ", "TB"
        )


def test_the_year_grid_marks_each_kind_of_day(db):
    calendar_admin.install_shipped_exceptions(db)
    view = calendar_admin.year_calendar(db, actor_named(db, "admin"), 2026)
    cells = {c.day: c for m in view.months for w in m.weeks for c in w if c is not None}
    assert len(cells) == 365
    assert cells[date(2026, 2, 17)].kind == "holiday"
    assert cells[date(2026, 2, 17)].name == "Tết Nguyên Đán"
    assert cells[date(2026, 2, 14)].kind == "weekend"
    assert cells[date(2026, 1, 2)].kind == "extra_day_off"
    assert cells[date(2026, 1, 10)].kind == "working_weekend"
    assert cells[date(2026, 8, 22)].kind == "working_weekend"
    assert cells[date(2026, 3, 4)].kind == "work"
    assert view.working_days == sum(1 for c in cells.values() if c.working)


def test_an_extra_day_off_added_by_the_administrator_moves_the_reminder(db, monkeypatch):
    """The reminder two working days before a due date counts on the administrator's calendar:
    with Friday 06/03/2026 announced as a day off, a step due Tuesday 10/03 is reminded on
    Thursday 05/03 (Vietnam's public holidays alone would have waited until the day off)."""
    from webapp.models import Notification
    from webapp.services.notifications import deadlines

    clock = Clock(monkeypatch, at(date(2026, 3, 2)))
    dossier = to_office_check(db, clock, date(2026, 3, 2))
    item = open_item(db, dossier, "check_dossier")
    assert item.due_at == due(date(2026, 3, 9))
    calendar_admin.add_exception(
        db,
        actor_named(db, "admin"),
        date(2026, 3, 6),
        "day_off",
        "Nghỉ bù",
        "Thông báo số 2/TB-BNV ngày 01/03/2026",
    )
    db.commit()
    assert open_item(db, dossier, "check_dossier").due_at == due(date(2026, 3, 10))

    def reminders() -> list[int]:
        return list(
            db.scalars(
                select(Notification.user_id).where(
                    Notification.kind == "reminder", Notification.work_item_id == item.id
                )
            )
        )

    assert deadlines.notify_reminders(db, at(date(2026, 3, 4), 8)) == 0
    db.commit()
    assert reminders() == []
    assert deadlines.notify_reminders(db, at(date(2026, 3, 5), 8)) == 1
    db.commit()
    office = actor_named(db, "vanphong")
    assert office.user_id in reminders()
    # Once: the day off itself tells no one again.
    assert deadlines.notify_reminders(db, at(date(2026, 3, 6), 8)) == 0
