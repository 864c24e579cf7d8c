"""After a step, where the approver lands and what the pages say: back to the inbox with the
dossier named (never another dossier's form), the next item named before it opens, the second
tab told it was the same person, post/redirect/get, refused files named with the reason."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, select

from tests.web.pages import csrf_token, login, submit
from webapp.models import OrgUnit, RoleAssignment, User
from webapp.request_db import database

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def at_check(api, title: str = "Hồ sơ khen thưởng") -> tuple[dict, dict]:
    dossier = api.start(title=title)
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    return dossier, item


def block(page: str, element_id: str) -> str:
    """The text of the element with `element_id` up to its closing section/div/a (roughly)."""
    start = page.index(f'id="{element_id}"')
    return page[start : start + 2000]


@contextmanager
def second_office_clerk(app) -> Iterator[str]:
    """hoidong1 also works in the Department Office for the length of the test."""
    with database(app).transaction() as session:
        user = session.scalars(select(User).where(User.username == "hoidong1")).one()
        unit = session.scalars(select(OrgUnit).where(OrgUnit.code == "BN")).one()
        user_id, unit_id = user.id, unit.id
        session.add(RoleAssignment(user_id=user_id, role="office", unit_id=unit_id))
    try:
        yield "hoidong1"
    finally:
        with database(app).transaction() as session:
            session.execute(
                delete(RoleAssignment).where(
                    RoleAssignment.user_id == user_id,
                    RoleAssignment.role == "office",
                    RoleAssignment.unit_id == unit_id,
                )
            )


def test_completing_a_step_goes_back_to_the_inbox_naming_the_dossier_and_the_next(api, client):
    first, first_item = at_check(api, "Hồ sơ thứ nhất")
    second, second_item = at_check(api, "Hồ sơ thứ hai")
    login(client, "vanphong")
    response = submit(client, f"/work/{first_item['id']}", {"decision": "approve"})
    assert response.status_code == 302
    assert response.location == "/work"  # never the next item's form
    inbox = client.get("/work").get_data(as_text=True)
    notice = block(inbox, "work-done")
    assert "Đã xong: “Kiểm tra hồ sơ” của hồ sơ" in notice
    assert f'href="/dossiers/{first["id"]}">{first["code"]}</a>' in notice
    assert "Hồ sơ thứ nhất" in notice
    next_button = block(inbox, "next-item")
    assert f'href="/work/{second_item["id"]}"' in next_button
    assert f"Việc tiếp theo: {second['code']} — Hồ sơ thứ hai (" in next_button
    assert "Phòng Quản lý ngân sách)" in next_button
    # Shown once: a reload of the inbox is the plain inbox.
    assert 'id="work-done"' not in client.get("/work").get_data(as_text=True)


def test_with_nothing_left_the_inbox_says_so(api, client):
    dossier, item = at_check(api)
    login(client, "vanphong")
    submit(client, f"/work/{item['id']}", {"decision": "approve"})
    inbox = client.get("/work").get_data(as_text=True)
    assert dossier["code"] in block(inbox, "work-done")
    assert 'id="next-item"' not in inbox
    assert "Không còn việc nào khác đang chờ bạn." in inbox


def test_a_council_member_who_voted_is_not_shown_the_next_ballot(api, client):
    first, _ = at_check(api, "Hồ sơ thứ nhất")
    second, _ = at_check(api, "Hồ sơ thứ hai")
    for dossier in (first, second):
        api.do("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
    [ballot] = api.items("hoidong1", first["id"], "council_vote")
    [other_ballot] = api.items("hoidong1", second["id"], "council_vote")
    login(client, "hoidong1")
    votes = {f"votes-n{n['id']}": "agree" for n in first["nominees"]}
    response = submit(client, f"/work/{ballot['id']}", votes)
    assert response.location == "/work"
    inbox = client.get("/work").get_data(as_text=True)
    assert first["code"] in block(inbox, "work-done")
    assert f'href="/work/{other_ballot["id"]}"' in block(inbox, "next-item")
    assert second["code"] in block(inbox, "next-item")


def test_the_work_item_page_names_the_dossier_beside_the_step(api, client):
    dossier, item = at_check(api, "Hồ sơ khen thưởng phòng ngân sách")
    login(client, "vanphong")
    page = client.get(f"/work/{item['id']}").get_data(as_text=True)
    heading = page[page.index("<h1") : page.index("</h1>")]
    assert 'id="work-step">Kiểm tra hồ sơ<' in heading
    assert f'id="work-dossier-code">{dossier["code"]}<' in heading
    assert "Hồ sơ khen thưởng phòng ngân sách" in heading
    assert page.count("<h1") == 1
    # The header comes before the form in the page (and so first on a phone).
    assert page.index('id="work-header"') < page.index('id="step-form"')


def test_the_same_user_in_a_second_tab_is_told_it_was_them(api, client):
    dossier, item = at_check(api)
    login(client, "vanphong")
    form = client.get(f"/work/{item['id']}").get_data(as_text=True)
    token = csrf_token(form)
    first = client.post(f"/work/{item['id']}", data={"csrf_token": token, "decision": "approve"})
    assert first.status_code == 302
    second = client.post(f"/work/{item['id']}", data={"csrf_token": token, "decision": "approve"})
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Bạn đã hoàn thành bước này rồi" in page
    assert "Người khác" not in page
    assert f'href="/dossiers/{dossier["id"]}"' in page
    assert f"Mở hồ sơ {dossier['code']}" in page
    # Back to the form afterwards: the page says the step is done, and by whom.
    again = client.get(f"/work/{item['id']}").get_data(as_text=True)
    assert "Bạn đã hoàn thành bước này lúc" in again


def test_someone_else_who_completed_or_took_the_step_is_named(api, client, app):
    dossier, item = at_check(api)
    with second_office_clerk(app) as clerk:
        login(client, clerk)
        form = client.get(f"/work/{item['id']}").get_data(as_text=True)
        token = csrf_token(form)
        colleague = client.application.test_client()
        login(colleague, "vanphong")
        claim_page = colleague.get(f"/work/{item['id']}").get_data(as_text=True)
        colleague.post(f"/work/{item['id']}/claim", data={"csrf_token": csrf_token(claim_page)})
        taken = client.post(
            f"/work/{item['id']}", data={"csrf_token": token, "decision": "approve"}
        )
        assert taken.status_code == 409
        assert "Ngô Thị Lan đã nhận xử lý bước này" in taken.get_data(as_text=True)
        api.do("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
        done = client.post(f"/work/{item['id']}", data={"csrf_token": token, "decision": "approve"})
        assert done.status_code == 409
        page = done.get_data(as_text=True)
        assert "Ngô Thị Lan đã hoàn thành bước này trước bạn" in page
        assert f'href="/dossiers/{dossier["id"]}"' in page


def test_every_successful_post_of_the_work_pages_redirects(api, client):
    _dossier, item = at_check(api)
    login(client, "vanphong")
    token = csrf_token(client.get(f"/work/{item['id']}").get_data(as_text=True))
    claimed = client.post(f"/work/{item['id']}/claim", data={"csrf_token": token})
    assert (claimed.status_code, claimed.location) == (302, f"/work/{item['id']}")
    released = client.post(f"/work/{item['id']}/release", data={"csrf_token": token})
    assert (released.status_code, released.location) == (302, "/work")
    # The step's own form: a redirect too (to the inbox), so that Back never resubmits.
    done = submit(client, f"/work/{item['id']}", {"decision": "approve", "action": "submit"})
    assert (done.status_code, done.location) == (302, "/work")


def test_releasing_a_step_is_not_called_returning(api, client):
    _dossier, item = at_check(api)
    login(client, "vanphong")
    page = client.get(f"/work/{item['id']}").get_data(as_text=True)
    client.post(f"/work/{item['id']}/claim", data={"csrf_token": csrf_token(page)})
    page = client.get(f"/work/{item['id']}").get_data(as_text=True)
    release_form = page[page.index('action="/work/') : page.index('id="step-form"')]
    assert "Bỏ nhận xử lý" in release_form
    assert "Trả lại" not in release_form
    # "Trả lại" is left to the one thing it means: sending the dossier back.
    assert "Trả lại đơn vị để bổ sung" in page
    response = client.post(f"/work/{item['id']}/release", data={"csrf_token": csrf_token(page)})
    inbox = client.get(response.location).get_data(as_text=True)
    assert "Bạn đã bỏ nhận xử lý bước này" in inbox
    assert "trả lại" not in inbox.lower().split("bạn đã bỏ nhận")[1][:200]


def test_a_renamed_program_is_refused_by_name_and_reason(api, client):
    dossier, item = at_check(api)
    login(client, "vanphong")
    data = {
        "decision": "approve",
        "attachments": [
            (io.BytesIO(b"MZ\x90\x00 a program"), "bien-ban.pdf"),
            (io.BytesIO(b"text"), "ghi-chu.txt"),
            (io.BytesIO(PDF), "to-trinh.pdf"),
        ],
    }
    response = submit(client, f"/work/{item['id']}", data, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    feedback = " ".join(re.findall(r'invalid-feedback d-block">([^<]*)<', page))
    assert "Không nhận tệp bien-ban.pdf: nội dung không phải tệp PDF" in feedback
    assert "Không nhận tệp ghi-chu.txt: Chỉ nhận tệp PDF, DOC, DOCX, PNG và JPEG." in feedback
    assert "to-trinh.pdf" not in feedback
    assert api.dossier(dossier["id"])["current"][0]["step"] == "check_dossier"
