"""Browser: the unit picks the simplified procedure's case from the Art. 85 list and gives a
posthumous nominee's data and a collective's unit; the Office sees the rules' checklist and
warnings at its check; the administrator's rules page. axe (WCAG 2 A/AA) on each page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conftest import ApiClient
from tests.e2e.conftest import fresh_app, log_in, serving, shot
from tests.e2e.test_accessibility import DESKTOP, violations

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def rules_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return fresh_app(tmp_path_factory.mktemp("rules"))


@pytest.fixture(scope="module")
def rules_url(rules_app: Flask) -> Iterator[str]:
    with serving(rules_app) as url:
        yield url


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    """A page where axe's script may be added despite the app's CSP (only here)."""
    context: BrowserContext = browser.new_context(viewport=DESKTOP, locale="vi-VN", bypass_csp=True)
    yield context.new_page()
    context.close()


def test_a_simplified_posthumous_dossier_through_the_check(
    axe_page: Page, rules_app: Flask, rules_url: str, tmp_path: Path
):
    page = axe_page
    log_in(page, rules_url, "canbo_ns")
    page.goto(f"{rules_url}/dossiers/new")
    page.locator("#title").fill("Đề nghị truy tặng Huân chương Lao động hạng Ba")
    page.locator("#award_form").select_option("hcld_3")
    page.get_by_label("Thành tích đột xuất").check()
    case = page.locator("#simplified_case")
    expect(case).to_be_hidden()
    page.get_by_label("Thủ tục đơn giản", exact=True).check()
    expect(case).to_be_visible()
    case.select_option("art85_ad_hoc")
    page.locator("#nominees-0-name").fill("Lê Văn Tâm")
    page.locator("#nominees-0-position").fill("Chuyên viên")
    page.locator("#nominees-0-unit").fill("Phòng Quản lý ngân sách")
    page.locator("#nominees-0-birth_date").fill("02/09/1978")
    page.locator("#nominees-0-posthumous").check()
    page.locator("#nominees-0-death_date").fill("01/08/2021")
    page.locator("#nominees-0-next_of_kin").fill("Lê Thị Mai (vợ)")
    expect(page.locator("#nominees-0-org_unit_id")).to_be_hidden()
    report = tmp_path / "bao-cao-tom-tat.pdf"
    report.write_bytes(PDF)
    page.locator("#nominees-0-report").set_input_files(str(report))
    page.locator("[data-add-row]").click()
    page.locator("#nominees-1-kind").select_option("collective")
    page.locator("#nominees-1-name").fill("Phòng Quản lý ngân sách")
    expect(page.locator("#nominees-1-unit")).to_be_hidden()
    page.locator("#nominees-1-org_unit_id").select_option(label="Phòng Quản lý ngân sách")
    assert violations(page) == []
    shot(page, "rules_new_dossier_simplified_case")
    page.get_by_role("button", name="Tạo và trình").click()
    expect(page.locator(".alert-success")).to_be_visible()

    api = ApiClient(rules_app.test_client())
    [dossier] = api.get("/api/v1/dossiers", "vanphong").json["items"]
    api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    log_in(page, rules_url, "vanphong")
    page.goto(f"{rules_url}/work")
    page.locator(f"#inbox tr[data-dossier='{dossier['code']}'] a").first.click()
    warnings = page.locator("#check-warnings")
    expect(warnings).to_contain_text("Tờ trình chưa được đính kèm")
    expect(warnings).to_contain_text("Báo cáo thành tích của Phòng Quản lý ngân sách")
    expect(page.locator("body")).to_contain_text("Thành tích xuất sắc đột xuất")
    # The nominee list gives the position and unit the report templates need.
    expect(page.locator("body")).to_contain_text("Chuyên viên, Phòng Quản lý ngân sách")
    assert violations(page) == []
    shot(page, "rules_check_warnings")


def test_the_rules_page_reads_and_passes_axe(axe_page: Page, rules_url: str):
    page = axe_page
    log_in(page, rules_url, "admin")
    page.goto(f"{rules_url}/admin/award-rules")
    expect(page.locator("#cases")).to_contain_text("Luật Thi đua, khen thưởng số 06/2022/QH15")
    expect(page.locator("#documents")).to_contain_text("01/01/2024")
    assert violations(page) == []
    shot(page, "rules_admin_page")
