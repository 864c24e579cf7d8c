"""Working days and diacritic folding."""

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from webapp.services.calendar import COUNTRY, WorkingCalendar, working_days_after
from webapp.services.text_search import fold, search_terms

VIETNAM = WorkingCalendar(ZoneInfo("Asia/Ho_Chi_Minh"), country=COUNTRY)


def test_weekends_and_tet_are_not_working_days():
    assert VIETNAM.is_working_day(date(2026, 11, 27))  # a Friday
    assert not VIETNAM.is_working_day(date(2026, 11, 28))  # Saturday
    assert not VIETNAM.is_working_day(date(2026, 2, 17))  # Tết Bính Ngọ
    # Friday 13/02/2026 + 1 working day jumps over the Tết holiday to Monday 23/02.
    assert VIETNAM.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert VIETNAM.add_working_days(date(2026, 11, 27), 5) == date(2026, 12, 4)


def test_due_time_is_the_end_of_the_working_day_in_vietnam():
    created = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội, a Sunday
    due = working_days_after(VIETNAM, created, 3)
    assert due.isoformat() == "2026-12-02T17:00:00+07:00"


def test_fold_removes_vietnamese_marks():
    assert fold("Nguyễn Thị Hằng") == "nguyen thi hang"
    assert fold("ĐẶNG  Văn   Đông") == "dang van dong"
    assert fold("Phòng Quản lý ngân sách") == "phong quan ly ngan sach"
    assert search_terms(" Hằng  nguyen ") == ["hang", "nguyen"]
    assert fold(None) == ""


def _fold_by_definition(text: str) -> str:
    """fold as its docstring defines it, character by character."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


def test_fold_agrees_with_its_definition_on_any_text():
    rnd = random.Random(14)
    texts = ["e\u0301\u0323 Ế", "ǅ ﬁ İ", "ᾈ ῼ", "Thị\u00a0Hằng\u3000Đức", "\U0001d400\u0e31"]
    texts += [
        "".join(chr(rnd.randrange(0x20, 0x30000)) for _ in range(rnd.randrange(1, 12)))
        for _ in range(5_000)
    ]
    assert [fold(t) for t in texts] == [_fold_by_definition(t) for t in texts]
