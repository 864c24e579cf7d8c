"""Issue 9, finding 3: a returned dossier is corrected in the same editor as a new one, with the
return reason on top and a report upload per nominee; screenshots at desktop and phone width."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import log_in, shot
from tests.e2e.test_dossier_walk import PDF, act, create_dossier

REASON = "Thiếu báo cáo thành tích của tập thể, đề nghị bổ sung"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def test_a_returned_dossier_is_corrected_in_the_creation_editor(page: Page, base_url, tmp_path):
    code = create_dossier(page, base_url, "Hồ sơ trả lại để bổ sung báo cáo", tmp_path)
    act(page, base_url, "truongphong_ns", code, {"decision": "Đồng ý, trình Văn phòng Sở"})
    act(
        page,
        base_url,
        "vanphong",
        code,
        {"decision": "Trả lại đơn vị để bổ sung"},
        {"#comment": REASON},
    )

    log_in(page, base_url, "canbo_ns")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base_url}/work")
    page.locator(f"#inbox tr[data-dossier='{code}'] a").first.click()

    # The reason it came back, who returned it and at which step, above the editor.
    callout = page.locator("#return-reason")
    expect(callout).to_contain_text(REASON)
    expect(callout).to_contain_text("Kiểm tra hồ sơ")
    callout_box = callout.bounding_box()
    form_box = page.locator("#new-dossier").bounding_box()
    assert callout_box
    assert form_box
    assert callout_box["y"] < form_box["y"]
    expect(page.locator("#correct-heading")).to_contain_text(code)

    # The same rows as creating: named by nominee, each with its report upload; full width.
    expect(page.locator("#nominees-0-heading")).to_contain_text("Nguyễn Thị Hằng")
    expect(page.locator("#nominees-1-heading")).to_contain_text("Phòng Quản lý ngân sách")
    expect(page.get_by_text("Dòng 1")).to_have_count(0)
    expect(page.locator("#nominees-0-report")).to_be_attached()
    expect(page.locator("#nominees-1-report")).to_be_attached()
    current = page.locator("[data-nominee-row]").nth(0).locator("[data-current-report]")
    expect(current).to_contain_text("bao-cao-thanh-tich.pdf")
    expect(
        page.locator("[data-nominee-row]").nth(1).locator("[data-current-report]")
    ).to_have_count(0)
    assert form_box["width"] > 0.8 * DESKTOP["width"], form_box  # no longer half the page
    shot(page, "finding03-desktop")

    page.set_viewport_size(PHONE)
    report_box = page.locator("#nominees-1-report").bounding_box()
    assert report_box
    assert report_box["x"] >= 0
    assert report_box["x"] + report_box["width"] <= PHONE["width"]
    shot(page, "finding03-phone")
    page.set_viewport_size(DESKTOP)

    # A renamed row is named again as it is typed; the collective's report is given.
    page.locator("#nominees-1-name").fill("Phòng Quản lý ngân sách địa phương")
    expect(page.locator("#nominees-1-heading")).to_contain_text("địa phương")
    report = tmp_path / "bao-cao-tap-the.pdf"
    report.write_bytes(PDF)
    page.locator("#nominees-1-report").set_input_files(str(report))
    page.locator("#comment").fill("Đã bổ sung báo cáo thành tích của tập thể")
    dossier_url = page.locator("#correct-heading a").first.get_attribute("href")
    page.get_by_role("button", name="Trình lãnh đạo đơn vị").click()
    expect(page).to_have_url(re.compile(r"/work$"))

    # Sent on, with the new report under the nominee and the first report kept.
    page.goto(f"{base_url}{dossier_url}")
    expect(page.locator("body")).to_contain_text("bao-cao-tap-the.pdf")
    expect(page.locator("body")).to_contain_text("bao-cao-thanh-tich.pdf")
    expect(page.locator("body")).to_contain_text("Phòng Quản lý ngân sách địa phương")
    log_in(page, base_url, "truongphong_ns")
    page.goto(f"{base_url}/work")
    expect(page.locator(f"#inbox tr[data-dossier='{code}']")).to_have_count(1)
