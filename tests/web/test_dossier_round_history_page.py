"""The dossier page puts its rounds' steps among its own events: the council's conclusion, its
tờ trình, the Ministry's appraisal and the Minister's decision, each with who, the paper's number
and a link to its round; nothing of the other dossiers or the other Department."""

from __future__ import annotations

import re

from tests.services.round_history_support import hanoi, walk
from tests.web.pages import login

ROUND_LINE = re.compile(
    r'<li class="[^"]*round-event" data-round-action="(\w+)" data-round-level="(\w+)">(.*?)</li>',
    re.S,
)


def _timeline(app, username, dossier_id):
    browser = app.test_client()
    login(browser, username)
    page = browser.get(f"/dossiers/{dossier_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return html[html.index('id="timeline"') : html.index('id="nominees-heading"')]


def _round_lines(timeline):
    """Each round line's text, by (level, action)."""
    lines: dict[tuple[str, str], list[str]] = {}
    for action, level, body in ROUND_LINE.findall(timeline):
        text = " ".join(re.sub(r"<[^>]+>", " ", body).split())
        lines.setdefault((level, action), []).append(text)
    return lines


def test_the_dossier_page_shows_its_rounds_steps(app, db):
    with hanoi(db):
        w = walk(db)
    timeline = _timeline(app, "canbo_ns", w.a.id)
    lines = _round_lines(timeline)
    # The council's conclusion, by the chair, on the Department round.
    [concluded] = lines[("department", "concluded")]
    assert "Đợt xét của Sở" in concluded
    assert "Đã ghi kết luận của Hội đồng" in concluded
    assert "Nguyễn Văn Đức" in concluded
    # Its own award form's tờ trình with its number; not the other form's.
    [signed] = lines[("department", "signed")]
    assert "Đã ký tờ trình" in signed
    assert "Bằng khen của Bộ trưởng Bộ Tài chính 10/TTr-STC" in signed
    assert "11/TTr-STC" not in timeline
    # The Ministry round: the submission received, appraisal, council, the Minister's decision.
    assert "Đã nhận tờ trình của một Sở" in lines[("ministry", "department_submission")][0]
    assert "Kết thúc thẩm định" in lines[("ministry", "appraised")][0]
    assert "Đã ghi kết luận của Hội đồng Bộ" in lines[("ministry", "council_decided")][0]
    [minister] = lines[("ministry", "minister_decided")]
    assert "Đợt xét của Bộ" in minister
    assert "Bộ trưởng đã ký" in minister
    assert "Phan Minh Khoa" in minister
    assert "1/QĐ-BTC" in minister
    # Each line links to its round's page.
    assert f'href="/rounds/{w.bn.id}"' in timeline
    assert f'href="/ministry-rounds/{w.moh.id}"' in timeline
    # Nothing of Hà Nội's returned submission, of the other dossier, of a member's ballot.
    assert ("ministry", "submission_returned") not in lines
    assert "Thiếu biên bản họp Hội đồng" not in timeline
    assert w.b.code not in timeline
    assert ("department", "voted") not in lines
    # The dossier's own events are still there, in the same list, each round line in its place:
    # the round notes the dossier joined after it was created; the Minister signs before the
    # decision reaches the dossier.
    order = re.findall(r'data-(?:round-)?action="(\w+)"(?: data-step="(\w+)")?', timeline)
    marks = [step or action for action, step in order]
    assert marks.index("started") < marks.index("joined")
    assert marks.index("minister_decided") < marks.index("wait_final_decision")
