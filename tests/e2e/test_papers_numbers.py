"""The Director's signing step in Chromium: "Lấy số" fills the tờ trình number from the register
(take-number.js), the signed PDF attached there shows its signature check on the dossier page,
and the public look-up shows the step without logging in. Screenshots under tests/e2e/artifacts/."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.conftest import ApiClient, actor_named
from tests.e2e.conftest import log_in, shot
from tests.services.test_signed_pdfs import SIGNER, make_throw_away, signed_pdf
from tests.web.test_api_paths import MEMBERS, submit_to_council, vote
from webapp.request_db import database
from webapp.services import registers


@pytest.fixture
def api(e2e_app: Flask) -> ApiClient:
    return ApiClient(e2e_app.test_client())


def test_take_number_sign_with_a_signed_pdf_and_look_up(
    page: Page, base_url: str, e2e_app: Flask, api: ApiClient, tmp_path
):
    year = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).year
    with database(e2e_app).transaction() as session:
        registers.set_next_number(session, actor_named(session, "admin"), "TTr", "STC", year, 58)
    dossier = api.start()
    did = dossier["id"]
    first, second = (str(n["id"]) for n in dossier["nominees"])
    submit_to_council(api, did)
    vote(api, did, {m: {first: "agree", second: "agree"} for m in MEMBERS})
    api.do("giamdoc", did, "conclude_council", {"decision": "confirm"})
    [item] = api.items("giamdoc", did, "sign_submission")
    signed = tmp_path / "to-trinh-da-ky.pdf"
    # pyHanko signs through asyncio.run, which cannot run inside Playwright's event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        signed.write_bytes(pool.submit(lambda: signed_pdf(make_throw_away())).result())

    log_in(page, base_url, "giamdoc")
    page.goto(f"{base_url}/work/{item['id']}")
    field = page.locator("#submission_number")
    expect(field).to_have_value("")
    page.get_by_role("button", name="Lấy số").click()
    expect(field).to_have_value("58/TTr-STC")
    expect(page.locator("#take-number-status")).to_have_text("Đã lấy số 58/TTr-STC từ sổ đăng ký.")
    page.get_by_label("Ký tờ trình, gửi Bộ Tài chính").check()
    page.locator("#submission_date").fill("06/12/2026")
    page.locator("#attachments").set_input_files(str(signed))
    shot(page, "sign_step_take_number")
    page.locator("#step-form").get_by_role("button").last.click()
    expect(page).to_have_url(f"{base_url}/work")

    page.goto(f"{base_url}/dossiers/{did}")
    badge = page.locator('[data-signature="intact_untrusted"]').first
    expect(badge).to_contain_text("Chữ ký còn nguyên vẹn, người ký chưa được tin cậy")
    expect(badge).to_contain_text(f"Người ký: {SIGNER}")
    badge.scroll_into_view_if_needed()
    shot(page, "dossier_signed_pdf")

    anonymous = page.context.browser.new_page()
    try:
        anonymous.goto(f"{base_url}/tra-cuu")
        anonymous.get_by_label("Mã hồ sơ").fill(dossier["code"])
        anonymous.get_by_role("button", name="Tra cứu").click()
        expect(anonymous.locator("#lookup-state")).to_have_text("Đang được xử lý")
        expect(anonymous.locator("#lookup-result")).not_to_contain_text(
            dossier["nominees"][0]["name"]
        )
        shot(anonymous, "status_lookup")
    finally:
        anonymous.close()
