"""The Office's movement report in a real browser: the Chart.js charts draw under the strict
Content-Security-Policy (the page fixture fails on any console error), the totals row matches
the rows, and the public recognition page opens without login. Screenshots under artifacts/."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import log_in, shot
from tests.e2e.test_dossier_walk import create_dossier


def test_report_charts_draw_and_public_page_opens(page: Page, base_url: str, tmp_path):
    create_dossier(page, base_url, "Khen thưởng báo cáo phong trào", tmp_path)
    log_in(page, base_url, "vanphong")
    page.get_by_role("link", name="Báo cáo phong trào thi đua").click()
    expect(page.locator("#report-totals [data-total='proposed']")).not_to_have_text("0")
    # Chart.js drew both charts: a canvas it sized has a non-zero drawing buffer with pixels.
    for chart in ("#chart-outcomes", "#chart-units"):
        painted = page.locator(chart).evaluate(
            "c => c.width > 0 && c.getContext('2d').getImageData(0, 0, c.width, c.height)"
            ".data.some(v => v !== 0)"
        )
        assert painted, chart
    shot(page, "movement-report")
    # The Excel link is offered; the award history look-up opens from the navigation.
    expect(page.locator("#report-xlsx")).to_be_visible()
    page.get_by_role("link", name="Quá trình khen thưởng").click()
    page.get_by_label("Tên cá nhân hoặc tập thể").fill("nguyen thi hang")
    page.get_by_role("button", name="Tìm kiếm").click()
    expect(page.locator("#award-history-none")).to_be_visible()

    anonymous = page.context.browser.new_context()
    public = anonymous.new_page()
    public.goto(f"{base_url}/vinh-danh")
    expect(public.get_by_role("heading", name="Tập thể, cá nhân được khen thưởng")).to_be_visible()
    shot(public, "public-recognition")
    anonymous.close()
