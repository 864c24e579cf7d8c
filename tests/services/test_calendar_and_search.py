"""Working days and diacritic folding."""

from __future__ import annotations

from datetime import UTC, date, datetime

import config
from webapp.services.calendar import add_working_days, due_at, is_working_day, load_holidays
from webapp.services.text_search import fold, search_terms

HOLIDAYS = load_holidays(str(config.Config.HOLIDAYS_FILE))


def test_weekends_and_tet_are_not_working_days():
    assert is_working_day(date(2026, 11, 27), HOLIDAYS)  # a Friday
    assert not is_working_day(date(2026, 11, 28), HOLIDAYS)  # Saturday
    assert not is_working_day(date(2026, 2, 17), HOLIDAYS)  # Tết Bính Ngọ
    # Friday 13/02/2026 + 1 working day jumps over the Tết holiday to Monday 23/02.
    assert add_working_days(date(2026, 2, 13), 1, HOLIDAYS) == date(2026, 2, 23)
    assert add_working_days(date(2026, 11, 27), 5, HOLIDAYS) == date(2026, 12, 4)


def test_due_time_is_the_end_of_the_working_day_in_vietnam():
    created = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội, a Sunday
    due = due_at(created, 3, HOLIDAYS, "Asia/Ho_Chi_Minh")
    assert due is not None
    assert due.isoformat() == "2026-12-02T17:00:00+07:00"
    assert due_at(created, None, HOLIDAYS, "Asia/Ho_Chi_Minh") is None


def test_fold_removes_vietnamese_marks():
    assert fold("Nguyễn Thị Hằng") == "nguyen thi hang"
    assert fold("ĐẶNG  Văn   Đông") == "dang van dong"
    assert fold("Phòng Quản lý ngân sách") == "phong quan ly ngan sach"
    assert search_terms(" Hằng  nguyen ") == ["hang", "nguyen"]
    assert fold(None) == ""
