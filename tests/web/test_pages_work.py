"""The approvers' pages: log in, my work, a work item's form, the error pages."""

from __future__ import annotations

import io
import re

from flask import Flask

from tests.web.diagrams import deploy_new_version, failing_after_unit_approval
from tests.web.pages import csrf_token, login, submit

MEMBERS = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]


def at_check(api):
    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    return dossier, item


def test_login_page_shows_the_demo_notice_and_hides_which_part_was_wrong(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'id="demo-notice"' in page
    wrong_password = login(client, "vanphong", "nope")
    unknown_user = login(client, "nobody", "nope")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in wrong_password.get_data(as_text=True)
    assert "Sai tên đăng nhập hoặc mật khẩu." in unknown_user.get_data(as_text=True)


def test_login_refuses_a_missing_csrf_token(client):
    response = client.post("/login", data={"username": "vanphong", "password": "demo"})
    assert response.status_code == 401
    assert client.get("/work").status_code == 302


def test_pages_need_a_login_and_next_is_kept_safely(client):
    response = client.get("/work")
    assert response.status_code == 302
    assert "/login?next=" in response.location
    page = client.get("/login?next=/dossiers").get_data(as_text=True)
    response = client.post(
        "/login?next=/dossiers",
        data={"csrf_token": csrf_token(page), "username": "vanphong", "password": "demo"},
    )
    assert response.location == "/dossiers"
    client.post(
        "/logout", data={"csrf_token": csrf_token(client.get("/work").get_data(as_text=True))}
    )
    page = client.get("/login?next=//evil.example/x").get_data(as_text=True)
    response = client.post(
        "/login?next=//evil.example/x",
        data={"csrf_token": csrf_token(page), "username": "vanphong", "password": "demo"},
    )
    assert response.location == "/work"


def test_inbox_lists_the_items_and_counts_them(api, client):
    dossier, _item = at_check(api)
    login(client, "vanphong")
    page = client.get("/work").get_data(as_text=True)
    assert dossier["code"] in page
    assert 'id="nav-work-count">1<' in page
    assert "Kiểm tra hồ sơ" in page


def test_the_work_item_page_shows_what_earlier_steps_decided(api, client):
    _dossier, item = at_check(api)
    login(client, "vanphong")
    page = client.get(f"/work/{item['id']}").get_data(as_text=True)
    start = page.index('id="history"')
    history = " ".join(re.sub("<[^>]+>", " ", page[start : page.index("</ol>", start)]).split())
    assert "Trần Văn Nam đã hoàn thành bước “Lập hồ sơ đề nghị khen thưởng”. Đã trình" in history
    assert "Lê Thị Thu Hà đã hoàn thành bước “Lãnh đạo đơn vị duyệt hồ sơ”. Đồng ý" in history


def test_completing_check_dossier_from_its_page(api, client):
    dossier, item = at_check(api)
    login(client, "vanphong")
    response = submit(client, f"/work/{item['id']}", {"decision": "approve", "action": "submit"})
    assert response.status_code == 302
    assert response.location == "/work"
    after = api.dossier(dossier["id"])
    assert [c["step"] for c in after["current"]] == ["council_vote"] * 5
    followed = client.get(response.location).get_data(as_text=True)
    assert dossier["code"] in followed  # the confirmation names the dossier


def test_return_without_comment_shows_the_message_beside_the_field(api, client):
    dossier, item = at_check(api)
    login(client, "vanphong")
    response = submit(client, f"/work/{item['id']}", {"decision": "return", "comment": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    comment_block = page[page.index('id="comment"') :]
    assert "invalid-feedback" in comment_block[:1500]
    assert api.dossier(dossier["id"])["current"][0]["step"] == "check_dossier"


def test_council_vote_page_has_one_row_per_nominee(api, client):
    dossier, _item = at_check(api)
    api.do("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
    [ballot] = api.items("hoidong1", dossier["id"], "council_vote")
    login(client, "hoidong1")
    page = client.get(f"/work/{ballot['id']}").get_data(as_text=True)
    for nominee in dossier["nominees"]:
        assert f'name="votes-n{nominee["id"]}"' in page
        assert nominee["name"] in page
    data = {f"votes-n{n['id']}": "agree" for n in dossier["nominees"]}
    response = submit(client, f"/work/{ballot['id']}", data)
    assert response.status_code == 302
    assert not api.items("hoidong1", dossier["id"], "council_vote")


def test_wrong_role_gets_the_403_page(api, client):
    _dossier, item = at_check(api)
    login(client, "hoidong1")
    response = client.get(f"/work/{item['id']}")
    assert response.status_code == 403
    assert "Bạn không được làm việc này" in response.get_data(as_text=True)


def test_other_department_gets_the_404_page(api, client):
    dossier, item = at_check(api)
    login(client, "vanphong_hn")
    assert client.get(f"/work/{item['id']}").status_code == 404
    assert client.get(f"/dossiers/{dossier['id']}").status_code == 404


def test_stale_form_gets_the_409_page(api, client):
    dossier, item = at_check(api)
    login(client, "vanphong")
    page = client.get(f"/work/{item['id']}").get_data(as_text=True)
    api.do("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
    response = client.post(
        f"/work/{item['id']}", data={"csrf_token": csrf_token(page), "decision": "approve"}
    )
    assert response.status_code == 409
    # The same person finished it elsewhere (the API here, another tab in life): told so.
    assert "Bạn đã hoàn thành bước này rồi" in response.get_data(as_text=True)


def test_prepare_dossier_saves_a_draft_and_corrects_nominees(api, client):
    dossier = api.start()
    [item] = api.items("canbo_ns", dossier["id"], "prepare_dossier")
    first, second = dossier["nominees"]
    login(client, "canbo_ns")
    data = {
        "action": "draft",
        "title": "Hồ sơ đã sửa",
        "track": "ad_hoc",
        "procedure": "regular",
        "nominees-0-id": str(first["id"]),
        "nominees-0-kind": "individual",
        "nominees-0-name": "Nguyễn Thị Hằng",
        "nominees-0-birth_date": "12/03/1985",
        "nominees-1-kind": "collective",
        "nominees-1-name": "Tổ công tác đặc biệt",
    }
    response = submit(client, f"/work/{item['id']}", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    after = api.dossier(dossier["id"])
    assert after["title"] == "Hồ sơ đã sửa"
    assert [n["name"] for n in after["nominees"]] == ["Nguyễn Thị Hằng", "Tổ công tác đặc biệt"]
    assert after["nominees"][0]["birth_date"] == "1985-03-12"
    assert second["id"] not in {n["id"] for n in after["nominees"]}
    assert after["current"][0]["step"] == "prepare_dossier"  # a draft does not submit
    page = client.get(f"/work/{item['id']}").get_data(as_text=True)
    assert 'value="12/03/1985"' in page


def test_a_wrong_file_type_shows_the_form_again_and_stores_nothing(api, client, app: Flask):
    dossier, item = at_check(api)
    login(client, "vanphong")
    data = {
        "decision": "approve",
        "attachments": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "virus.pdf"),
    }
    response = submit(client, f"/work/{item['id']}", data, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Không nhận tệp virus.pdf: nội dung không phải tệp PDF" in page
    after = api.dossier(dossier["id"])
    assert after["current"][0]["step"] == "check_dossier"
    assert not any(app.config["UPLOAD_DIR"].rglob("*"))


def test_a_pdf_is_stored_and_downloadable_by_those_who_see_the_dossier(api, client):
    dossier, item = at_check(api)
    login(client, "vanphong")
    pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
    data = {"decision": "approve", "attachments": (io.BytesIO(pdf), "bien-ban.pdf")}
    response = submit(client, f"/work/{item['id']}", data, content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(f"/dossiers/{dossier['id']}").get_data(as_text=True)
    # Listed with the dossier's files and under the step that attached it in the timeline.
    # (each listing links the name, and "Xem" says the name to screen readers)
    assert page.count("</i> bien-ban.pdf</a>") == 2
    link = page[page.index("/attachments/") :].split('"')[0]
    with client.get(link) as download:
        assert download.status_code == 200
        assert download.data == pdf
        # A PDF opens in the browser, sandboxed.
        assert download.headers["Content-Disposition"].startswith("inline")
        assert "sandbox" in download.headers["Content-Security-Policy"]
    other = client.application.test_client()
    login(other, "vanphong_hn")
    assert other.get(link).status_code == 404


def test_a_diagram_failing_at_run_time_says_so_in_vietnamese_and_changes_nothing(api, client):
    deploy_new_version(api, failing_after_unit_approval())
    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    [item] = api.items("truongphong_ns", dossier["id"], "approve_at_unit")
    login(client, "truongphong_ns")
    response = submit(client, f"/work/{item['id']}", {"decision": "approve"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Quy trình không thể tiếp tục sau bước này nên chưa có gì thay đổi" in page
    assert "flag_nobody_sets" in page
    assert api.items("truongphong_ns", dossier["id"], "approve_at_unit")
