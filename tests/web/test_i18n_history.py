"""A dossier's history reads in Vietnamese: every kind of event the code can write is a sentence
with its details (who, which step, which decision, which versions and why), and no English
shows outside the marked technical details."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from tests.conftest import actor_named
from tests.web.council import MEMBERS, vote
from tests.web.pages import csrf_token, login
from tests.web.test_admin_processes import MOVES, add_version, instances
from tests.web.test_api_paths import to_ministry
from tests.web.test_i18n import _VisibleText, english_on
from tests.workflows.variants import with_deputy_review, without_ministry_council
from webapp.history_text import SENTENCES, event_line
from webapp.models import Dossier, Event
from webapp.request_db import database
from webapp.services import work_items
from webapp.services.history import EVENT_KINDS, record

ROOT = Path(__file__).resolve().parents[2]
MOVE_REASON = "Áp dụng Nghị định mới về thi đua, khen thưởng"
UNDO_REASON = "Chuyển nhầm đợt, trả lại phiên bản cũ"
CLOSE_REASON = "Hai thành viên đi công tác dài ngày, không tham gia biểu quyết."
TECHNICAL = re.compile(r'<div class="event-technical[^"]*">.*?</div>', re.S)
# A literal kind passed to record(session, dossier, "<kind>", ...).
RECORD_CALL = re.compile(r'record\(\s*session,\s*[\w.]+,\s*"(\w+)"')
# The kinds record_automated writes for the engine's own steps.
AUTOMATED_KINDS = {"automated", "ended"}


def kinds_the_code_writes() -> set[str]:
    """Every event kind some service writes, read from the code itself."""
    found = set(AUTOMATED_KINDS)
    for path in (ROOT / "webapp").rglob("*.py"):
        found |= set(RECORD_CALL.findall(path.read_text(encoding="utf-8")))
    return found


def english_words() -> set[str]:
    """The English words of the history's sentences (msgids), and the event codes."""
    source = (ROOT / "webapp" / "history_text.py").read_text(encoding="utf-8")
    msgids = re.findall(r'_l?\(\s*((?:"[^"]*"\s*)+)', source)
    words = set()
    for msgid in msgids:
        text = re.sub(r"%\(\w+\)s", " ", "".join(re.findall(r'"([^"]*)"', msgid)))
        words |= {w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)}
    return words | EVENT_KINDS


def timeline_of(client, dossier_id: int) -> str:
    html = client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    return html[html.index('id="timeline"') : html.index('id="nominees-heading"')]


def visible(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.texts


def lines_of(timeline: str) -> dict[str, list[str]]:
    """The text of each timeline line (technical details included), by event kind."""
    lines: dict[str, list[str]] = {}
    for match in re.finditer(
        r'<li class="list-group-item" data-action="(\w+)".*?(?=<li class="list-group-item"|</ol>)',
        timeline,
        re.S,
    ):
        text = " ".join(" ".join(visible(match.group(0))).split())
        lines.setdefault(match.group(1), []).append(unescape(text))
    return lines


def move_through_the_page(admin, data: dict) -> str:
    page = admin.get(MOVES).get_data(as_text=True)
    response = admin.post(MOVES, data={"csrf_token": csrf_token(page), **data})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def every_kind_of_event(api, app: Flask) -> tuple[int, int]:
    """A dossier whose history holds every kind of event, each written by the real services."""
    dossier = api.start()
    dossier_id = dossier["id"]
    [prepare] = api.items("canbo_ns", dossier_id, "prepare_dossier")
    for action in ("claim", "release"):
        response = api.post(f"/api/v1/work-items/{prepare['id']}/{action}", "canbo_ns")
        assert response.status_code == 200, response.json
    with database(app).transaction() as session:
        work_items.save_dossier_draft(
            session,
            actor_named(session, "canbo_ns"),
            prepare["id"],
            {"title": "Đề nghị tặng Bằng khen (bản nháp đã sửa)"},
        )
    api.do("canbo_ns", dossier_id, "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", dossier_id, "approve_at_unit", {"decision": "approve"})

    # Moved to a new version with a reason, then the move undone, both through the page.
    number = add_version(app, with_deputy_review(), deploy=True)
    admin = app.test_client()
    login(admin, "admin")
    selection = {"from": "1", "to": str(number), "select": "step", "step": "check_dossier"}
    html = move_through_the_page(admin, {**selection, "reason": MOVE_REASON, "action": "move"})
    batch = re.search(r'id="move-batch">([0-9a-f-]+)<', html).group(1)
    listed = admin.get(MOVES).get_data(as_text=True)
    undone = admin.post(
        f"{MOVES}/{batch}/undo",
        data={"csrf_token": csrf_token(listed), "reason": UNDO_REASON},
        follow_redirects=True,
    )
    assert undone.status_code == 200
    assert instances(app, [dossier_id]) == {dossier_id: 1}

    # The council: two vote against, the chair closes the vote, nobody passes, the end.
    dossier = api.do("vanphong", dossier_id, "check_dossier", {"decision": "approve"})
    vote(api, dossier, MEMBERS[1:3], opinion="disagree")
    response = api.post(
        f"/api/v1/dossiers/{dossier_id}/close-vote", "giamdoc", json={"comment": CLOSE_REASON}
    )
    assert response.status_code == 200, response.json
    api.do("giamdoc", dossier_id, "conclude_council", {"decision": "confirm"})
    assert api.dossier(dossier_id)["status"] == "refused"
    return dossier_id, number


def test_every_event_kind_reads_as_a_vietnamese_sentence_with_its_details(api, app, client):
    dossier_id, number = every_kind_of_event(api, app)
    login(client, "vanphong")
    timeline = timeline_of(client, dossier_id)
    lines = lines_of(timeline)

    # Every kind the code writes has a sentence, and this dossier shows each of them.
    assert kinds_the_code_writes() == EVENT_KINDS
    assert set(SENTENCES) == EVENT_KINDS
    assert set(lines) == EVENT_KINDS

    def one(kind: str, *parts: str) -> str:
        found = [line for line in lines[kind] if all(part in line for part in parts)]
        assert found, f"{kind}: no line with {parts} in {lines[kind]}"
        return found[0]

    one("started", "Trần Văn Nam đã tạo hồ sơ.")
    one("claimed", "Trần Văn Nam đã nhận xử lý bước “Lập hồ sơ đề nghị khen thưởng”.")
    one("released", "Trần Văn Nam đã trả lại bước “Lập hồ sơ đề nghị khen thưởng”")
    one("draft_saved", "Trần Văn Nam đã lưu nháp ở bước “Lập hồ sơ đề nghị khen thưởng”.")
    one("completed", "Lê Thị Thu Hà đã hoàn thành bước “Lãnh đạo đơn vị duyệt hồ sơ”.", "Đồng ý")
    one("completed", "đã bỏ phiếu tại bước “Thành viên Hội đồng bỏ phiếu”.")
    one("automated", "Hệ thống đã tự thực hiện “Xác định tỷ lệ biểu quyết”.", "Chi tiết kỹ thuật")
    one(
        "automated",
        "Hệ thống đã tự thực hiện “Kiểm phiếu”.",
        "2 trên 5 thành viên đã bỏ phiếu; 0 trường hợp đạt, 2 trường hợp không đạt.",
        "Số thành viên bỏ phiếu chưa đủ để cuộc biểu quyết có giá trị.",
    )
    one(
        "vote_closed",
        "đã kết thúc bỏ phiếu ở bước “Thành viên Hội đồng bỏ phiếu”.",
        "Vắng mặt:",
        CLOSE_REASON,
    )
    one("ended", "Quy trình kết thúc tại “Không có trường hợp đạt”.", "Kết quả: Không khen thưởng")
    one(
        "moved",
        f"Quản trị hệ thống đã chuyển hồ sơ từ phiên bản 1 sang phiên bản {number}.",
        f"Lý do: {MOVE_REASON}",
    )
    one(
        "move_undone",
        f"Quản trị hệ thống đã hoàn tác việc chuyển: hồ sơ trở lại từ phiên bản {number} "
        "về phiên bản 1.",
        f"Lý do: {UNDO_REASON}",
    )

    # No English outside the technical details: neither a sentence's words nor a kind's code.
    words = english_words()
    assert {"moved", "version", "dossier", "step"} <= words
    readable = visible(TECHNICAL.sub("", timeline))
    assert english_on(TECHNICAL.sub("", timeline)) == []
    leaked = {
        text for text in readable if {w.lower() for w in re.findall(r"[A-Za-z]+", text)} & words
    }
    assert leaked == set()


def test_a_mapped_move_names_the_steps_by_title(api, app, client):
    dossier = to_ministry(api, api.start())
    api.do("chuyenvien_bo", dossier["id"], "appraise_at_ministry", {"decision": "approve"})
    number = add_version(app, without_ministry_council(), deploy=True)
    login(client, "admin")
    move_through_the_page(
        client,
        {
            "from": "1",
            "to": str(number),
            "select": "step",
            "step": "ministry_council",
            "map-ministry_council": "minister_decision",
            "reason": MOVE_REASON,
            "action": "move",
        },
    )
    [moved] = lines_of(timeline_of(client, dossier["id"]))["moved"]
    assert (
        "Bước “Hội đồng TĐKT Bộ xét duyệt” chuyển thành bước “Bộ trưởng quyết định khen "
        f"thưởng” của phiên bản {number}."
    ) in moved
    assert "ministry_council" not in moved


def test_a_kind_without_a_sentence_still_reads_in_vietnamese(api, app, client):
    """A kind a later version adds, read by this one: a Vietnamese line, its code marked."""
    dossier = api.start()
    with database(app).transaction() as session:
        started = session.scalars(select(Event).where(Event.dossier_id == dossier["id"])).first()
        session.add(Event(dossier_id=dossier["id"], actor_id=started.actor_id, action="archived"))
    login(client, "vanphong")
    timeline = timeline_of(client, dossier["id"])
    [line] = lines_of(timeline)["archived"]
    assert "Trần Văn Nam: một sự kiện mà trang này chưa mô tả được." in line
    technical = TECHNICAL.search(timeline).group(0)
    assert 'lang="en">archived</code>' in technical
    assert "archived" not in " ".join(visible(TECHNICAL.sub("", timeline)))


def test_the_history_refuses_a_kind_it_has_no_sentence_for(api, app):
    dossier = api.start()
    with database(app).transaction() as session:
        loaded = session.get_one(Dossier, dossier["id"])
        with pytest.raises(ValueError, match="unknown history event kind"):
            record(session, loaded, "archived")


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (None, "Hệ thống đã trả lại bước “Kiểm tra hồ sơ” cho mọi người cùng vai trò."),
        (
            "user_deactivated",
            "Hệ thống đã khóa tài khoản của vanphong; bước “Kiểm tra hồ sơ” người này đang "
            "nhận xử lý được trả lại cho mọi người cùng vai trò.",
        ),
        (
            "role_removed",
            "Hệ thống đã bỏ một vai trò của vanphong; bước “Kiểm tra hồ sơ” người này đang "
            "nhận xử lý được trả lại cho mọi người cùng vai trò.",
        ),
    ],
)
def test_a_step_given_back_says_why(app, reason, expected):
    """A step goes back to the role when its taker gives it back, is deactivated or loses the
    role (the administrator's pages write the last two)."""
    from flask import session

    data = {"released_for": "vanphong", "reason": reason} if reason else None
    event = Event(action="released", step="check_dossier", step_title="Kiểm tra hồ sơ", data=data)
    with app.test_request_context("/"):
        session["lang"] = "vi"
        assert event_line(event).sentence == expected


def test_a_mapped_step_without_a_title_reads_its_id(app):
    from flask import session

    event = Event(
        action="moved",
        data={
            "from_version": 2,
            "to_version": 3,
            "batch": "b",
            "mapping": {"a": "b"},
            "steps": [{"from": "a", "from_title": None, "to": "b", "to_title": "Bước mới"}],
        },
    )
    with app.test_request_context("/"):
        session["lang"] = "vi"
        line = event_line(event)
    assert line.sentence == "Hệ thống đã chuyển hồ sơ từ phiên bản 2 sang phiên bản 3."
    assert line.details == ["Bước “a” chuyển thành bước “Bước mới” của phiên bản 3."]
