"""Where a dossier stands: each kind of sentence, working days, overdue; and the list's facts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from tests.conftest import actor_named
from webapp.services import dossiers
from webapp.services import status_sentence as ss

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# 2026-12-07 is a Monday; 2026-12-10 (Thursday) is a holiday in these tests.
HOLIDAY = date(2026, 12, 10)
CALENDAR = ss.WorkingCalendar(ZONE, frozenset({HOLIDAY}))


def local(day: int, hour: int = 9, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=ZONE).astimezone(UTC)


def step(created: datetime, due: datetime | None, **kw: str) -> ss.OpenStep:
    return ss.OpenStep(
        title=kw.get("title", "Kiểm tra hồ sơ"),
        role_name=kw.get("role", "Văn phòng Sở"),
        holder=kw.get("holder"),
        created_at=created,
        due_at=due,
    )


def test_working_days_skip_weekends_and_holidays():
    mon, fri, next_mon = date(2026, 12, 7), date(2026, 12, 11), date(2026, 12, 14)
    assert CALENDAR.working_days(mon, fri) == 3  # Tue, Wed, Fri (Thursday is a holiday)
    assert CALENDAR.working_days(fri, next_mon) == 1  # the weekend does not count
    assert CALENDAR.working_days(fri, fri) == 0
    assert CALENDAR.working_days(next_mon, mon) == 0
    # Constant-time count agrees with walking day by day over a long span.
    start, end = date(2026, 1, 1), date(2027, 3, 1)
    walked = sum(
        1
        for n in range(1, (end - start).days + 1)
        if (d := date.fromordinal(start.toordinal() + n)).weekday() < 5 and d != HOLIDAY
    )
    assert CALENDAR.working_days(start, end) == walked


def test_waiting_with_time_left_counts_working_days():
    # Created Monday, due Friday 17:00: three working days (Thursday is a holiday).
    item = step(local(7), local(11, 17))
    sentence = ss.status_sentence("in_progress", [item], ss.NO_OUTCOME, local(8), CALENDAR)
    assert sentence.kind == ss.WAITING
    assert sentence.waiting_for == ("Văn phòng Sở",)
    assert sentence.steps == ("Kiểm tra hồ sơ",)
    assert (sentence.limit_days, sentence.days_left, sentence.days_late) == (3, 2, None)
    assert sentence.tone == "primary"


def test_due_today_has_no_day_left_and_warns():
    item = step(local(7), local(11, 17))
    sentence = ss.status_sentence("in_progress", [item], ss.NO_OUTCOME, local(11, 16), CALENDAR)
    assert (sentence.kind, sentence.days_left, sentence.tone) == (ss.WAITING, 0, "warning")


def test_overdue_counts_working_days_past_the_limit():
    item = step(local(7), local(11, 17))
    # Friday evening: past the limit, no full working day yet.
    late_today = ss.status_sentence("in_progress", [item], ss.NO_OUTCOME, local(11, 18), CALENDAR)
    assert (late_today.kind, late_today.days_late) == (ss.OVERDUE, 0)
    # The next Monday: one working day late (the weekend does not count); Tuesday: two.
    monday = ss.status_sentence("in_progress", [item], ss.NO_OUTCOME, local(14), CALENDAR)
    assert (monday.kind, monday.days_late, monday.tone) == (ss.OVERDUE, 1, "danger")
    tuesday = ss.status_sentence("in_progress", [item], ss.NO_OUTCOME, local(15), CALENDAR)
    assert tuesday.days_late == 2


def test_the_earliest_due_step_decides_and_a_holder_is_named():
    ballots = [
        step(local(7), local(14, 17), title="Bỏ phiếu", role="Thành viên Hội đồng"),
        step(local(7), local(11, 17), title="Bỏ phiếu", role="Thành viên Hội đồng"),
        step(local(7), None, title="Bỏ phiếu", role="Thành viên Hội đồng"),
    ]
    sentence = ss.status_sentence("in_progress", ballots, ss.NO_OUTCOME, local(8), CALENDAR)
    assert sentence.people == 3
    assert sentence.steps == ("Bỏ phiếu",)
    assert sentence.due_at == local(11, 17)
    taken = step(local(7), None, holder="Ngô Thị Lan")
    named = ss.status_sentence("in_progress", [taken], ss.NO_OUTCOME, local(8), CALENDAR)
    assert named.waiting_for == ("Ngô Thị Lan",)
    assert named.limit_days is None
    assert named.days_left is None


def test_returned_and_processing():
    item = step(local(7), local(11, 17), title="Lập hồ sơ", role="Cán bộ đơn vị")
    returned = ss.status_sentence("returned", [item], ss.NO_OUTCOME, local(8), CALENDAR)
    assert (returned.kind, returned.days_left, returned.tone) == (ss.RETURNED, 2, "warning")
    idle = ss.status_sentence("in_progress", [], ss.NO_OUTCOME, local(8), CALENDAR)
    assert idle.kind == ss.PROCESSING


def test_outcomes_carry_the_decision():
    nominees = [
        SimpleNamespace(
            result="awarded", decision_number="345/QĐ-BTC", decision_date=date(2026, 11, 30)
        ),
        SimpleNamespace(result="refused", decision_number=None, decision_date=None),
    ]
    outcome = ss.outcome_of(nominees)
    assert outcome == ss.Outcome(2, 1, "345/QĐ-BTC", date(2026, 11, 30))
    partly = ss.status_sentence("partly_awarded", [], outcome, local(8), CALENDAR)
    assert (partly.kind, partly.awarded, partly.nominees) == (ss.PARTLY_AWARDED, 1, 2)
    assert partly.decision_number == "345/QĐ-BTC"
    refused = ss.status_sentence("refused", [], outcome, local(8), CALENDAR)
    assert refused.kind == ss.REFUSED
    assert refused.decision_number is None
    assert ss.status_sentence("withdrawn", [], outcome, local(8), CALENDAR).tone == "secondary"


def test_sentences_read_in_vietnamese(app):
    from webapp.status_text import status_text

    item = step(local(7), local(11, 17))
    cases = {
        "Đang chờ Văn phòng Sở: Kiểm tra hồ sơ — hạn 11/12/2026, còn 2 ngày làm việc": local(8),
        "Đang chờ Văn phòng Sở: Kiểm tra hồ sơ — hạn 11/12/2026, hết hạn cuối ngày hôm nay": local(
            11
        ),
        (
            "Đang chờ Văn phòng Sở: Kiểm tra hồ sơ — đã quá hạn 1 ngày làm việc (hạn 11/12/2026)"
        ): local(14),
    }
    awarded = ss.status_sentence(
        "awarded", [], ss.Outcome(1, 1, "345/QĐ-BTC", date(2026, 11, 30)), local(8), CALENDAR
    )
    with app.test_request_context():
        for text, now in cases.items():
            sentence = ss.status_sentence("in_progress", [item], ss.NO_OUTCOME, now, CALENDAR)
            assert status_text(sentence) == text
        assert status_text(awarded) == "Đã khen thưởng theo Quyết định 345/QĐ-BTC ngày 30/11/2026"
        refused = ss.StatusSentence(kind=ss.REFUSED)
        assert status_text(refused) == "Không được khen thưởng"
        returned = ss.StatusSentence(kind=ss.RETURNED)
        assert status_text(returned) == "Bị trả lại đơn vị để hoàn thiện"
        # The Director returns a dossier to the Office: the sentence names who holds it now.
        to_office = ss.status_sentence("returned", [item], ss.NO_OUTCOME, local(8), CALENDAR)
        assert status_text(to_office) == (
            "Bị trả lại Văn phòng Sở: Kiểm tra hồ sơ — hạn 11/12/2026, còn 2 ngày làm việc"
        )


NEW = {
    "title": "Đề nghị khen thưởng đột xuất",
    "award_form": "bk_btc",
    "track": "ad_hoc",
    "procedure": "regular",
    "nominees": [
        {"kind": "individual", "name": "Nguyễn Thị Hằng"},
        {"kind": "collective", "name": "Phòng Quản lý ngân sách"},
    ],
}


def test_the_list_reads_outcomes_and_matched_nominees_in_one_query_per_page(db):
    actor = actor_named(db, "canbo_ns")
    dossier = dossiers.start_dossier(db, actor, NEW)
    db.commit()
    page = dossiers.list_dossiers(db, actor, q="nguyen thi hang")
    assert [d.id for d in page.items] == [dossier.id]
    assert page.matched_nominees == {dossier.id: ["Nguyễn Thị Hằng"]}
    assert page.outcomes[dossier.id] == ss.Outcome(nominees=2, awarded=0)
    # A match on the title names no nominee.
    assert dossiers.list_dossiers(db, actor, q="dot xuat").matched_nominees == {}
