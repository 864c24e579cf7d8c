"""Step forms show only what applies (issue 9, findings 2 and 6), in Chromium.

- Finding 2: the Minister's form of a dossier whose council failed one nominee offers only the
  nominee still in play.
- Finding 6: required marks follow the form's JSON Schema and change live as the decision
  changes (static/step-form.js); the chair's conclusion, a decision with one option, is a button.

The dossiers are brought to the step through the services (fast); the step's page is then used
as its user would. Screenshots at desktop (1280x800) and phone (390x844) width go to
tests/e2e/artifacts/.
"""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.conftest import actor_named
from tests.e2e.conftest import log_in, shot
from webapp.models import Dossier, WorkItem
from webapp.request_db import database
from webapp.services import dossiers, work_items

MEMBERS = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
REJECTED = "Trần Văn Bình"
KEPT = "Phòng Quản lý ngân sách"
DOSSIER = {
    "title": "Đề nghị tặng Bằng khen của Bộ trưởng (biểu mẫu chỉ hiện điều áp dụng)",
    "award_form": "bk_btc",
    "track": "ad_hoc",
    "procedure": "regular",
    "nominees": [
        {"kind": "individual", "name": REJECTED},
        {"kind": "collective", "name": KEPT},
    ],
}


def _open_item(app: Flask, dossier_id: int, step: str) -> WorkItem:
    with database(app).transaction() as session:
        item = session.scalars(
            select(WorkItem).where(
                WorkItem.dossier_id == dossier_id, WorkItem.step == step, WorkItem.status == "open"
            )
        ).first()
        assert item is not None, f"dossier {dossier_id} has no open {step}"
        session.expunge(item)
        return item


def _complete(app: Flask, dossier_id: int, step: str, username: str, data: dict) -> None:
    item = _open_item(app, dossier_id, step)
    with database(app).transaction() as session:
        work_items.complete_work_item(session, actor_named(session, username), item.id, data)


def _start(app: Flask) -> tuple[int, str, str]:
    """A new dossier at the Office's check: its id and its two nominees' ids."""
    with database(app).transaction() as session:
        dossier = dossiers.start_dossier(session, actor_named(session, "canbo_ns"), DOSSIER)
        dossier_id = dossier.id
        first, second = (str(n.id) for n in dossier.nominees)
    _complete(app, dossier_id, "prepare_dossier", "canbo_ns", {"decision": "submit"})
    _complete(app, dossier_id, "approve_at_unit", "truongphong_ns", {"decision": "approve"})
    return dossier_id, first, second


def _vote(app: Flask, dossier_id: int, first: str, second: str) -> None:
    """3 of 5 agree with the first nominee (below two thirds: it fails), 5 of 5 with the second."""
    _complete(app, dossier_id, "check_dossier", "vanphong", {"decision": "approve"})
    for index, member in enumerate(MEMBERS):
        votes = {first: "agree" if index < 3 else "disagree", second: "agree"}
        _complete(app, dossier_id, "council_vote", member, {"votes": votes})


# How a dossier left open by a test is ended, step by step, so that the inboxes the other
# browser tests count are as they found them.
ENDINGS = {
    "check_dossier": ("vanphong", {"decision": "refuse", "comment": "Kết thúc dữ liệu thử"}),
    "sign_submission": ("giamdoc", {"decision": "approve", "submission_number": "99/TTr-STC"}),
    "appraise_at_ministry": (
        "chuyenvien_bo",
        {"decision": "refuse", "comment": "Kết thúc dữ liệu thử"},
    ),
}


def _end(app: Flask, dossier_id: int) -> None:
    for _ in range(len(ENDINGS)):
        with database(app).transaction() as session:
            steps = session.scalars(
                select(WorkItem.step).where(
                    WorkItem.dossier_id == dossier_id, WorkItem.status == "open"
                )
            ).all()
        if not steps:
            return
        username, data = ENDINGS[steps[0]]
        _complete(app, dossier_id, steps[0], username, data)
    raise AssertionError(f"dossier {dossier_id} did not end")


def _both_widths(page: Page, name: str) -> None:
    page.set_viewport_size(DESKTOP)
    shot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    shot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def test_the_ministers_form_lists_only_the_nominees_in_play(
    page: Page, base_url: str, e2e_app: Flask
):
    dossier_id, first, second = _start(e2e_app)
    _vote(e2e_app, dossier_id, first, second)
    _complete(e2e_app, dossier_id, "conclude_council", "giamdoc", {"decision": "confirm"})
    signed = {"decision": "approve", "submission_number": "21/TTr-STC"}
    _complete(e2e_app, dossier_id, "sign_submission", "giamdoc", signed)
    _complete(e2e_app, dossier_id, "appraise_at_ministry", "chuyenvien_bo", {"decision": "approve"})
    _complete(e2e_app, dossier_id, "ministry_council", "chuyenvien_bo", {"decision": "approve"})
    item = _open_item(e2e_app, dossier_id, "minister_decision")

    log_in(page, base_url, "botruong")
    page.goto(f"{base_url}/work/{item.id}")
    choices = page.locator("#refused_nominees input[type=checkbox]")
    expect(choices).to_have_count(1)
    expect(page.locator("#refused_nominees")).to_contain_text(KEPT)
    expect(page.get_by_role("checkbox", name=REJECTED)).to_have_count(0)
    expect(page.locator("#refused_nominees")).to_contain_text(
        f"Không liệt kê (đã bị loại ở cấp trước): {REJECTED}."
    )
    page.locator("#refused_nominees").scroll_into_view_if_needed()
    _both_widths(page, "finding02")

    # The Minister awards the one in play; the rejected nominee stays as the council left it.
    page.get_by_label("Quyết định khen thưởng", exact=True).check()
    page.locator("#decision_number").fill("345/QĐ-BTC")
    page.get_by_role("button", name="Gửi", exact=True).click()
    expect(page.locator(".alert-success")).to_be_visible()
    with database(e2e_app).transaction() as session:
        dossier = session.get_one(Dossier, dossier_id)
        assert {n.name: n.result for n in dossier.nominees} == {REJECTED: "failed", KEPT: "awarded"}


def test_required_marks_follow_the_schema_and_the_decision_live(
    page: Page, base_url: str, e2e_app: Flask
):
    dossier_id, _first, _second = _start(e2e_app)
    item = _open_item(e2e_app, dossier_id, "check_dossier")
    log_in(page, base_url, "vanphong")
    page.goto(f"{base_url}/work/{item.id}")

    decision_mark = page.locator("[data-required-mark=decision]")
    comment_mark = page.locator("[data-required-mark=comment]")
    comment = page.locator("#comment")
    # The schema requires the decision, and the comment only to return or refuse.
    expect(decision_mark).to_be_visible()
    expect(page.locator("#decision")).to_have_attribute("aria-required", "true")
    expect(comment_mark).to_be_hidden()
    expect(comment).not_to_have_attribute("aria-required", "true")
    expect(page.locator("#comment-help")).to_have_text(
        "Bắt buộc khi chọn “Trả lại đơn vị để bổ sung” hoặc “Không đủ điều kiện khen thưởng”."
    )
    expect(page.get_by_text("Bắt buộc khi trả lại hoặc không đồng ý")).to_have_count(0)

    page.get_by_label("Trả lại đơn vị để bổ sung", exact=True).check()
    expect(comment_mark).to_be_visible()
    expect(comment).to_have_attribute("aria-required", "true")
    expect(comment).to_have_attribute("required", "")
    page.locator("#comment").scroll_into_view_if_needed()
    _both_widths(page, "finding06")

    page.get_by_label("Hồ sơ hợp lệ, trình Hội đồng", exact=True).check()
    expect(comment_mark).to_be_hidden()
    expect(comment).not_to_have_attribute("aria-required", "true")
    page.get_by_label("Không đủ điều kiện khen thưởng", exact=True).check()
    expect(comment_mark).to_be_visible()

    # Submitting "return" without a comment: the page comes back with the comment marked.
    page.get_by_label("Trả lại đơn vị để bổ sung", exact=True).check()
    page.get_by_role("button", name="Gửi", exact=True).click()
    expect(page.locator("#comment")).to_have_class("form-control is-invalid")
    expect(comment_mark).to_be_visible()
    expect(comment).to_have_attribute("aria-required", "true")
    _end(e2e_app, dossier_id)


def test_the_chairs_conclusion_is_a_button(page: Page, base_url: str, e2e_app: Flask):
    dossier_id, first, second = _start(e2e_app)
    _vote(e2e_app, dossier_id, first, second)
    item = _open_item(e2e_app, dossier_id, "conclude_council")
    log_in(page, base_url, "giamdoc")
    page.goto(f"{base_url}/work/{item.id}")
    form = page.locator("#step-form")
    expect(form.locator("input[type=radio]")).to_have_count(0)
    expect(form.get_by_role("button", name="Gửi", exact=True)).to_have_count(0)
    confirm = form.get_by_role("button", name="Xác nhận kết quả kiểm phiếu", exact=True)
    expect(confirm).to_be_visible()
    # Its comment is optional: no mark.
    expect(page.locator("[data-required-mark=comment]")).to_have_count(0)
    page.locator("#comment").fill("Nhất trí với kết quả kiểm phiếu")
    confirm.scroll_into_view_if_needed()
    _both_widths(page, "finding06-chair")
    confirm.click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert _open_item(e2e_app, dossier_id, "sign_submission")
    _end(e2e_app, dossier_id)
