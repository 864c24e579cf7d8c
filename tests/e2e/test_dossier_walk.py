"""A bk_btc dossier from creation to the Minister's decision, and a second one through a
return-for-supplement round, driven in a real browser as each demo user in turn.

At each stage the test checks the inbox count in the navigation bar, the dossier's row on the
tracking page and the step highlighted on its diagram; screenshots go to tests/e2e/artifacts/.
The walk runs on a database of its own, so the counts hold whatever other browser tests left.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.conftest import fresh_app, log_in, nav_count, serving, shot


@pytest.fixture(scope="module")
def e2e_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return fresh_app(tmp_path_factory.mktemp("walk"))


@pytest.fixture(scope="module")
def base_url(e2e_app: Flask) -> Iterator[str]:
    with serving(e2e_app) as url:
        yield url


MEMBERS = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def create_dossier(page: Page, base_url: str, title: str, tmp_path) -> str:
    """canbo_ns creates a dossier with two nominees and a report, and submits it."""
    log_in(page, base_url, "canbo_ns")
    page.get_by_role("link", name="Tạo hồ sơ").first.click()
    page.locator("#title").fill(title)
    page.locator("#award_form").select_option("bk_btc")
    page.get_by_label("Thành tích đột xuất").check()
    page.get_by_label("Thủ tục thông thường").check()
    page.locator("#nominees-0-kind").select_option("individual")
    page.locator("#nominees-0-name").fill("Nguyễn Thị Hằng")
    page.locator("#nominees-0-birth_date").fill("12/03/1985")
    report = tmp_path / "bao-cao-thanh-tich.pdf"
    report.write_bytes(PDF)
    page.locator("#nominees-0-report").set_input_files(str(report))
    page.locator("[data-add-row]").click()
    page.locator("#nominees-1-kind").select_option("collective")
    page.locator("#nominees-1-name").fill("Phòng Quản lý ngân sách")
    page.get_by_role("button", name="Tạo và trình").click()
    expect(page.locator(".alert-success")).to_be_visible()
    shot(page, "inbox_after_creation")
    page.get_by_role("link", name="Theo dõi hồ sơ").click()
    row = page.locator("#tracking tbody tr", has_text=title)
    expect(row).to_have_count(1)
    return row.get_attribute("data-dossier") or ""


def open_item(page: Page, code: str) -> None:
    page.goto(page.url.split("/work")[0].split("/dossiers")[0] + "/work")
    page.locator(f"#inbox tr[data-dossier='{code}'] a").first.click()


def act(
    page: Page,
    base_url: str,
    user: str,
    code: str,
    choices: dict[str, str],
    fields: dict[str, str] | None = None,
    screenshot: str | None = None,
) -> None:
    """Log in as `user`, open the dossier's item from the inbox and submit the step's form."""
    log_in(page, base_url, user)
    assert nav_count(page) >= 1
    page.goto(f"{base_url}/work")
    page.locator(f"#inbox tr[data-dossier='{code}'] a").first.click()
    submit_label = "Gửi"
    for label in choices.values():
        if page.get_by_role("button", name=label, exact=True).count():
            submit_label = label  # a decision with one option is the submit button itself
        else:
            page.get_by_label(label, exact=True).check()
    for selector, value in (fields or {}).items():
        page.locator(selector).fill(value)
    if screenshot:
        shot(page, screenshot)
    page.get_by_role("button", name=submit_label, exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(code)


def tracking_step(page: Page, base_url: str, code: str) -> str:
    page.goto(f"{base_url}/dossiers?q={code}")
    return page.locator(f"#tracking tr[data-dossier='{code}'] .tracking-step").inner_text()


def dossier_page(page: Page, base_url: str, code: str) -> None:
    page.goto(f"{base_url}/dossiers?q={code}")
    page.locator(f"#tracking tr[data-dossier='{code}'] a").first.click()
    expect(page.locator("#dossier-diagram.diagram-ready")).to_be_visible()


def highlighted(page: Page, element_id: str, marker: str = "trail-current") -> None:
    element = page.locator(f"#dossier-diagram g.djs-element[data-element-id='{element_id}']")
    expect(element).to_have_class(re.compile(rf"\b{marker}\b"))


def test_a_bk_btc_dossier_from_creation_to_the_ministers_decision(page, base_url, tmp_path):
    code = create_dossier(page, base_url, "Đề nghị tặng Bằng khen của Bộ trưởng năm 2026", tmp_path)
    assert tracking_step(page, base_url, code).strip() == "Lãnh đạo đơn vị duyệt hồ sơ"

    log_in(page, base_url, "truongphong_ns")
    assert nav_count(page) == 1
    shot(page, "inbox_unit_head")
    act(page, base_url, "truongphong_ns", code, {"decision": "Đồng ý, trình Văn phòng Sở"})

    log_in(page, base_url, "vanphong")
    dossier_page(page, base_url, code)
    highlighted(page, "check_dossier")
    highlighted(page, "approve_at_unit", "trail-done")
    act(
        page,
        base_url,
        "vanphong",
        code,
        {"decision": "Hồ sơ hợp lệ, trình Hội đồng"},
        screenshot="work_item_check_dossier",
    )
    assert tracking_step(page, base_url, code).strip() == "Thành viên Hội đồng bỏ phiếu"

    for number, member in enumerate(MEMBERS):
        log_in(page, base_url, member)
        assert nav_count(page) == 1
        page.goto(f"{base_url}/work")
        page.locator(f"#inbox tr[data-dossier='{code}'] a").first.click()
        rows = page.locator("table.nominee-choices tbody tr")
        expect(rows).to_have_count(2)
        for index in range(2):
            # 3 of 5 for the first nominee (below 2/3 of the council), 5 of 5 for the second.
            choice = "Đồng ý" if number < 3 or index == 1 else "Không đồng ý"
            rows.nth(index).get_by_label(choice, exact=True).check()
        if number == 0:
            shot(page, "work_item_council_vote")
        page.get_by_role("button", name="Gửi").click()
        expect(page.locator(".alert-success")).to_contain_text(code)
        assert nav_count(page) == 0

    log_in(page, base_url, "giamdoc")
    dossier_page(page, base_url, code)
    highlighted(page, "conclude_council")
    highlighted(page, "council_vote", "trail-done")
    act(page, base_url, "giamdoc", code, {"decision": "Xác nhận kết quả kiểm phiếu"})
    act(
        page,
        base_url,
        "giamdoc",
        code,
        {"decision": "Ký tờ trình, gửi Bộ Tài chính"},
        {"#submission_number": "12/TTr-STC", "#submission_date": "29/11/2026"},
    )
    act(page, base_url, "chuyenvien_bo", code, {"decision": "Đạt, trình Hội đồng TĐKT Bộ"})
    act(page, base_url, "chuyenvien_bo", code, {"decision": "Hội đồng thông qua"})
    assert tracking_step(page, base_url, code).strip() == "Bộ trưởng quyết định khen thưởng"
    act(
        page,
        base_url,
        "botruong",
        code,
        {"decision": "Quyết định khen thưởng"},
        {"#decision_number": "345/QĐ-BTC", "#decision_date": "01/12/2026"},
    )

    log_in(page, base_url, "vanphong")
    dossier_page(page, base_url, code)
    highlighted(page, "publish_result")
    highlighted(page, "minister_decision", "trail-done")
    expect(page.locator("#nominees tr[data-result='awarded']")).to_contain_text("345/QĐ-BTC")
    expect(page.locator("#nominees tr[data-result='failed']")).to_contain_text("Nguyễn Thị Hằng")
    shot(page, "dossier_page")
    page.get_by_role("link", name="Bản đồ quy trình").click()
    expect(page.locator("#process-map-table, table").first).to_be_visible()
    shot(page, "process_map")
    act(page, base_url, "vanphong", code, {"decision": "Thông báo và công bố kết quả"})
    page.goto(f"{base_url}/dossiers?q={code}")
    expect(page.locator(f"#tracking tr[data-dossier='{code}']")).to_have_attribute(
        "data-status", "awarded"
    )


def test_a_dossier_returned_for_supplement_and_resubmitted(page, base_url, tmp_path):
    code = create_dossier(page, base_url, "Đề nghị khen thưởng cần bổ sung", tmp_path)
    act(page, base_url, "truongphong_ns", code, {"decision": "Đồng ý, trình Văn phòng Sở"})
    act(
        page,
        base_url,
        "vanphong",
        code,
        {"decision": "Trả lại đơn vị để bổ sung"},
        {"#comment": "Bổ sung báo cáo thành tích của tập thể"},
    )
    assert tracking_step(page, base_url, code).strip() == "Lập hồ sơ đề nghị khen thưởng"

    log_in(page, base_url, "canbo_ns")
    assert nav_count(page) >= 1
    page.goto(f"{base_url}/work")
    page.locator(f"#inbox tr[data-dossier='{code}'] a").first.click()
    # The correcting editor shows the return reason on top.
    expect(page.locator("#return-reason")).to_contain_text("Bổ sung báo cáo thành tích của tập thể")
    page.locator("#comment").fill("Đã bổ sung báo cáo")
    # The only decision of the preparing step is the submit button itself.
    page.get_by_role("button", name="Trình lãnh đạo đơn vị", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(code)

    act(page, base_url, "truongphong_ns", code, {"decision": "Đồng ý, trình Văn phòng Sở"})
    log_in(page, base_url, "vanphong")
    dossier_page(page, base_url, code)
    highlighted(page, "check_dossier")
    badge = page.locator("#dossier-diagram .trail-count", has_text="2")
    expect(badge.first).to_be_visible()
    shot(page, "dossier_page_after_return")
