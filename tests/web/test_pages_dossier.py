"""The dossier page: header, current steps, the diagram's data, the timeline, nominees, files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from tests.conftest import actor_named
from tests.web.council import at_vote, vote
from tests.web.diagrams import SHIPPED_BPMN, deploy_new_version
from tests.web.pages import csrf_token, login
from webapp.models import Dossier, Event
from webapp.request_db import database
from webapp.services.attachments import Upload, store_attachments

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
VENDOR = "/vendor/bpmn-js/dist/"


@pytest.fixture
def stored_files(app: Flask) -> Iterator[None]:
    """Remove the files a test stores: other tests check a refused upload leaves none."""
    root = Path(app.config["UPLOAD_DIR"])
    before = set(root.rglob("*"))
    yield
    for path in sorted(set(root.rglob("*")) - before, reverse=True):
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink()


def returned_once(api):
    """A dossier sent back by the Office once, corrected and submitted again: at the check."""
    dossier = api.start()
    for _round in range(2):
        api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
        api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
        if _round == 0:
            api.do(
                "vanphong",
                dossier["id"],
                "check_dossier",
                {"decision": "return", "comment": "Thiếu báo cáo thành tích của tập thể"},
            )
    return dossier


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_page_has_the_header_current_step_and_diagram_container(api, client):
    dossier = returned_once(api)
    login(client, "vanphong")
    html = page(client, f"/dossiers/{dossier['id']}")
    assert dossier["code"] in html
    assert "Đề nghị tặng Bằng khen của Bộ trưởng" in html
    assert "Bằng khen của Bộ trưởng Bộ Tài chính" in html
    current = html[html.index('id="current-steps"') : html.index('id="diagram-heading"')]
    assert 'data-step="check_dossier"' in current
    assert "Kiểm tra hồ sơ" in current
    assert "Văn phòng Sở" in current
    diagram = re.search(r'<div class="dossier-diagram" id="dossier-diagram"[^>]*>', html)
    assert diagram
    assert f'data-diagram-url="/dossiers/{dossier["id"]}/diagram.json"' in diagram.group(0)
    assert f'src="{VENDOR}bpmn-navigated-viewer.production.min.js"' in html
    for css in (
        "assets/diagram-js.css",
        "assets/bpmn-js.css",
        "assets/bpmn-font/css/bpmn-embedded.css",
    ):
        assert f'href="{VENDOR}{css}"' in html
    assert 'src="/static/dossier-diagram.js"' in html
    assert 'href="/static/diagram.css"' in html
    # The Content-Security-Policy allows no inline script or style attribute.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html
    assert (
        "script-src 'self'"
        in client.get(f"/dossiers/{dossier['id']}").headers["Content-Security-Policy"]
    )


def test_the_static_and_vendor_files_of_the_page_are_served(client):
    for url in (
        "/static/dossier-diagram.js",
        "/static/diagram.css",
        f"{VENDOR}bpmn-navigated-viewer.production.min.js",
        f"{VENDOR}assets/bpmn-font/css/bpmn-embedded.css",
    ):
        with client.get(url) as response:
            assert response.status_code == 200, url


def test_the_timeline_lists_every_event_with_who_decision_and_comment(api, client):
    dossier = returned_once(api)
    login(client, "vanphong")
    html = page(client, f"/dossiers/{dossier['id']}")
    timeline = html[html.index('id="timeline"') : html.index('id="nominees-heading"')]
    actions = re.findall(r'<li class="list-group-item" data-action="([a-z_]+)"', timeline)
    assert actions == ["started"] + ["completed"] * 5
    assert timeline.count('data-step="prepare_dossier"') == 2
    assert "Thiếu báo cáo thành tích của tập thể" in timeline
    assert "Trả lại, yêu cầu bổ sung" in timeline  # the Office's decision
    assert "Ngô Thị Lan" in timeline
    assert "(truongphong_ns)" in timeline
    nominees = html[html.index('id="nominees"') :]
    assert "Nguyễn Thị Hằng" in nominees
    assert "Phòng Quản lý ngân sách" in nominees
    assert nominees.count('data-result="pending"') == 2


@pytest.mark.usefixtures("stored_files")
def test_files_attached_at_an_event_show_there_and_all_files_are_listed(api, client, app: Flask):
    dossier = returned_once(api)
    with database(app).transaction() as session:
        event = session.scalars(
            select(Event).where(Event.dossier_id == dossier["id"], Event.decision == "return")
        ).one()
        loaded = session.get_one(Dossier, dossier["id"])
        actor = actor_named(session, "vanphong")
        store_attachments(
            session, actor, loaded, [Upload("phieu-tra-lai.pdf", PDF)], event_id=event.id
        )
        store_attachments(session, actor, loaded, [Upload("ghi-chu.pdf", PDF + b" ")])
    login(client, "vanphong")
    html = page(client, f"/dossiers/{dossier['id']}")
    timeline = html[html.index('id="timeline"') : html.index('id="nominees-heading"')]
    [returned] = [e for e in timeline.split('<li class="list-group-item"') if "Thiếu báo" in e]
    assert "phieu-tra-lai.pdf" in returned
    assert "ghi-chu.pdf" not in timeline
    files = html[html.index('id="attachments"') :]
    assert "phieu-tra-lai.pdf" in files
    assert "ghi-chu.pdf" in files
    link = re.search(r'href="(/attachments/\d+)"[^>]*><i[^>]*></i> phieu-tra-lai.pdf', files)
    assert link
    with client.get(link.group(1)) as download:
        assert download.status_code == 200
        assert download.data == PDF
    other = client.application.test_client()
    login(other, "vanphong_hn")
    assert other.get(link.group(1)).status_code == 404


def test_diagram_json_has_the_xml_current_step_done_steps_and_loop_counts(api, client):
    dossier = returned_once(api)
    login(client, "vanphong")
    response = client.get(f"/dossiers/{dossier['id']}/diagram.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.json
    assert data["xml"].lstrip().startswith("<?xml")
    assert 'id="check_dossier"' in data["xml"]
    assert data["current"] == ["check_dossier"]
    completed = data["completed"]
    assert completed["prepare_dossier"] == 2
    assert completed["approve_at_unit"] == 2
    assert completed["check_dossier"] == 1
    assert "gw_procedure" not in completed
    assert data["finished"] is False
    assert data["complete"] is True
    flows = data["flows"]
    # The return went back from the Office's check, not from the unit head's approval.
    assert flows["f_check_return"] == 1
    assert flows["f_prepare"] == 2
    assert flows["f_check"] == 2
    assert "f_unit_return" not in flows
    assert "f_check_approve" not in flows


def test_a_council_vote_is_one_current_step_and_a_refusal_ends_the_trail(api, client):
    voting = api.start()
    refused = api.start()
    for dossier in (voting, refused):
        api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
        api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    api.do("vanphong", voting["id"], "check_dossier", {"decision": "approve"})
    api.do(
        "vanphong", refused["id"], "check_dossier", {"decision": "refuse", "comment": "Không đủ"}
    )
    login(client, "vanphong")
    vote = client.get(f"/dossiers/{voting['id']}/diagram.json").json
    assert vote["current"] == ["council_vote"]
    assert vote["completed"]["load_council_rules"] == 1
    assert "f_rules" in vote["flows"]
    html = page(client, f"/dossiers/{voting['id']}")
    assert html.count('data-step="council_vote"') == 5  # one line per member's ballot

    ended = client.get(f"/dossiers/{refused['id']}/diagram.json").json
    assert ended["current"] == []
    assert ended["finished"] is True
    assert ended["completed"]["end_refused_office"] == 1
    assert ended["flows"]["f_check_refuse"] == 1
    html = page(client, f"/dossiers/{refused['id']}")
    assert 'data-diagram-action="current"' not in html
    assert "Không đủ" in html


def test_other_departments_and_units_get_404(api, client):
    dossier = returned_once(api)
    hanoi = client.application.test_client()
    login(hanoi, "vanphong_hn")
    assert hanoi.get(f"/dossiers/{dossier['id']}").status_code == 404
    assert hanoi.get(f"/dossiers/{dossier['id']}/diagram.json").status_code == 404
    other_unit = client.application.test_client()
    login(other_unit, "canbo_dn")
    assert other_unit.get(f"/dossiers/{dossier['id']}").status_code == 404
    assert other_unit.get(f"/dossiers/{dossier['id']}/diagram.json").status_code == 404
    assert other_unit.get("/dossiers/999999/diagram.json").status_code == 404
    assert client.get(f"/dossiers/{dossier['id']}/diagram.json").status_code == 302


def test_the_chair_closes_a_stalled_vote_from_the_dossier_page(api, client):
    dossier = at_vote(api)
    vote(api, dossier, ["giamdoc", "hoidong1", "hoidong2", "hoidong3"])
    url = f"/dossiers/{dossier['id']}"
    member = client.application.test_client()
    login(member, "hoidong1")
    assert 'id="close-vote"' not in member.get(url).get_data(as_text=True)
    login(client, "giamdoc")
    page = client.get(url).get_data(as_text=True)
    assert "4/5 thành viên đã bỏ phiếu" in page
    assert "Đặng Thị Hoa" in page[page.index('id="close-vote"') :]
    action = f"{url}/close-vote"
    refused = client.post(action, data={"csrf_token": _token(client, url), "comment": ""})
    assert refused.status_code == 422
    assert "invalid-feedback" in refused.get_data(as_text=True)
    assert api.items("hoidong4", dossier["id"], "council_vote")
    done = client.post(
        action, data={"csrf_token": _token(client, url), "comment": "Thành viên nghỉ ốm dài ngày."}
    )
    assert done.status_code == 302
    after = client.get(url).get_data(as_text=True)
    assert 'id="close-vote"' not in after
    assert "Thành viên nghỉ ốm dài ngày." in after
    assert "Vắng mặt: Đặng Thị Hoa" in after
    assert [c["step"] for c in api.dossier(dossier["id"])["current"]] == ["conclude_council"]


def _token(client, url):
    return csrf_token(client.get(url).get_data(as_text=True))


def test_a_count_that_fails_when_the_vote_is_closed_is_a_page_not_a_500(api, client):
    # The tally's parameter names data nobody sets: the check cannot know, the count fails.
    failing = SHIPPED_BPMN.replace('value="nominee_ids"', 'value="nominee_ids_nobody_sets"')
    deploy_new_version(api, failing)
    dossier = at_vote(api)
    vote(api, dossier, ["giamdoc", "hoidong1", "hoidong2", "hoidong3"])
    url = f"/dossiers/{dossier['id']}"
    login(client, "giamdoc")
    response = client.post(
        f"{url}/close-vote", data={"csrf_token": _token(client, url), "comment": "Nghỉ ốm."}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Quy trình không thể tiếp tục sau bước này nên chưa có gì thay đổi" in page
    assert 'id="close-vote"' in page
    assert api.items("hoidong4", dossier["id"], "council_vote")


def path_stops(html: str) -> list[tuple[str, str, str]]:
    """(step, state, visible text) of each stop of the path strip, in order."""
    strip = html[html.index('id="path-strip"') : html.index("</ol>", html.index('id="path-strip"'))]
    stops = re.findall(
        r'<li class="path-stop[^"]*" data-path-step="([^"]+)" data-state="([^"]+)"[^>]*>(.*?)</li>',
        strip,
        re.S,
    )
    return [
        (step, state, " ".join(re.sub(r"<[^>]+>", " ", text).split()))
        for step, state, text in stops
    ]


def test_the_path_strip_lists_steps_done_current_and_to_come_in_order(api, client):
    dossier = returned_once(api)
    login(client, "vanphong")
    html = page(client, f"/dossiers/{dossier['id']}")
    # Above the diagram.
    assert html.index('id="path-strip"') < html.index('id="dossier-diagram"')
    stops = path_stops(html)
    assert [(step, state) for step, state, _text in stops] == [
        ("prepare_dossier", "done"),
        ("approve_at_unit", "done"),
        ("check_dossier", "done"),
        ("prepare_dossier", "done"),
        ("approve_at_unit", "done"),
        ("check_dossier", "current"),
        # Regular procedure, Certificate of Merit of the Minister: council, Director, Ministry.
        ("council_vote", "next"),
        ("conclude_council", "next"),
        ("sign_submission", "next"),
        ("appraise_at_ministry", "next"),
        ("ministry_council", "next"),
        ("minister_decision", "next"),
        ("publish_result", "next"),
    ]
    first, _approve, returned, *_rest = stops
    # Each step taken says who did it and when; a return says so.
    assert "Trần Văn Nam" in first[2]
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", first[2])
    assert "Ngô Thị Lan" in returned[2]
    assert "Trả lại" in returned[2]
    current = stops[5][2]
    assert "Đang ở bước này" in current
    assert html.count('aria-current="step"') == 1
    assert "Dự kiến tiếp theo" in stops[6][2]
    assert "Đã qua 5 bước · dự kiến còn 7 bước" in html


def test_the_path_strip_follows_the_dossiers_procedure_and_award_form(api, client):
    dossier = api.start(
        procedure="simplified", simplified_reason="Thành tích đột xuất", award_form="bk_ttg"
    )
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    login(client, "truongphong_ns")
    stops = path_stops(page(client, f"/dossiers/{dossier['id']}"))
    assert [(step, state) for step, state, _text in stops] == [
        ("prepare_dossier", "done"),
        ("approve_at_unit", "current"),
        ("check_dossier", "next"),
        ("sign_submission", "next"),
        ("appraise_at_ministry", "next"),
        ("ministry_council", "next"),
        ("sign_ministry_submission", "next"),
        ("record_central_result", "next"),
        ("publish_result", "next"),
    ]


def test_an_ended_dossier_has_no_step_to_come(api, client):
    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    api.do(
        "vanphong", dossier["id"], "check_dossier", {"decision": "refuse", "comment": "Không đủ"}
    )
    login(client, "vanphong")
    html = page(client, f"/dossiers/{dossier['id']}")
    states = [state for _step, state, _text in path_stops(html)]
    assert states == ["done", "done", "done"]
    assert 'data-state="end"' in html
    assert 'aria-current="step"' not in html
