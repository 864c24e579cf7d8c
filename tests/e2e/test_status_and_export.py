"""Issue 9, finding 8 and the status sentence, in a real browser.

The inbox, the tracking list and the dossier page say where a dossier stands in one Vietnamese
sentence; a search that matched a nominee names them under the dossier; the export buttons make
a whole file (CSV and XLSX) with a "creating the file…" state. Screenshots at desktop and phone
width go to tests/e2e/artifacts/.
"""

from __future__ import annotations

import io

from flask import Flask
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.e2e.conftest import log_in, shot
from tests.e2e.test_dossier_walk import create_dossier
from webapp.db import utcnow
from webapp.jobs.passes import run_pass
from webapp.request_db import database

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def both_widths(page: Page, name: str) -> None:
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        shot(page, f"{name}-{label}")
    page.set_viewport_size(DESKTOP)


def test_sentences_on_inbox_list_and_dossier_page_and_a_matched_nominee(
    page: Page, base_url: str, tmp_path
):
    code = create_dossier(page, base_url, "Khen thưởng chuyên đề quyết toán 2026", tmp_path)
    # The unit head's inbox says who it waits for and how long is left, in working days.
    log_in(page, base_url, "truongphong_ns")
    page.goto(f"{base_url}/work")
    sentence = page.locator(f"#inbox tr[data-dossier='{code}'] .status-sentence")
    expect(sentence).to_contain_text("Đang chờ Lãnh đạo đơn vị")
    expect(sentence).to_contain_text("ngày làm việc")
    both_widths(page, "finding08-inbox")
    # The tracking list says the same on every row, at both widths.
    page.goto(f"{base_url}/dossiers")
    row_sentence = page.locator(f"#tracking tr[data-dossier='{code}'] .tracking-sentence")
    expect(row_sentence).to_contain_text("Đang chờ Lãnh đạo đơn vị")
    both_widths(page, "finding08-tracking")
    # A search on a nominee's name without diacritics names the nominee it matched.
    page.goto(f"{base_url}/dossiers?q=nguyen+thi+hang")
    match = page.locator(f"#tracking tr[data-dossier='{code}'] .tracking-match")
    expect(match).to_contain_text("Nguyễn Thị Hằng")
    both_widths(page, "finding08-search")
    # A search on the title names nobody.
    page.goto(f"{base_url}/dossiers?q=quyet+toan")
    expect(page.locator(f"#tracking tr[data-dossier='{code}'] .tracking-match")).to_have_count(0)
    # The dossier page opens with the same sentence under its title.
    page.locator(f"#tracking tr[data-dossier='{code}'] a").first.click()
    expect(page.locator("#dossier-sentence")).to_contain_text("Đang chờ Lãnh đạo đơn vị")


def test_the_export_buttons_make_whole_files(page: Page, base_url: str, tmp_path):
    code = create_dossier(page, base_url, "Hồ sơ để xuất tệp", tmp_path)
    page.goto(f"{base_url}/dossiers")
    with page.expect_download() as waiting:
        page.locator("#export-xlsx").click()
    expect(page.locator("#export-progress")).to_contain_text("Tệp đã sẵn sàng")
    download = waiting.value
    assert download.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True)
    assert book.sheetnames == ["Hồ sơ", "Người được đề nghị"]
    codes = [row[0] for row in book["Hồ sơ"].iter_rows(min_row=2, values_only=True)]
    assert code in codes
    names = [row[5] for row in book["Người được đề nghị"].iter_rows(min_row=2, values_only=True)]
    assert "Nguyễn Thị Hằng" in names
    book.close()
    with page.expect_download() as waiting:
        page.locator("#export-csv-nominees").click()
    text = waiting.value.path().read_text(encoding="utf-8-sig")
    assert "Nguyễn Thị Hằng" in text
    both_widths(page, "finding08-export")


def test_a_list_too_long_to_wait_for_is_prepared_then_downloaded(
    page: Page, base_url: str, e2e_app: Flask, tmp_path
):
    """Past EXPORT_DIRECT_ROWS the Excel button leads to the page that has the file prepared by
    the job queue; the user's list of files then offers it for download."""
    code = create_dossier(page, base_url, "Hồ sơ trong tệp chuẩn bị sẵn", tmp_path)
    limit = e2e_app.config.get("EXPORT_DIRECT_ROWS")
    e2e_app.config["EXPORT_DIRECT_ROWS"] = 0
    try:
        page.goto(f"{base_url}/dossiers")
        page.locator("#export-xlsx").click()
        expect(page.locator("h1")).to_have_text("Chuẩn bị tệp Excel")
        page.locator("#export-request").click()
        expect(page.locator("h1")).to_have_text("Tệp Excel danh sách hồ sơ")
        expect(page.locator("#exports tbody tr").first).to_contain_text("Đang chờ")
        with e2e_app.app_context():
            run_pass(database(e2e_app), utcnow())
        page.reload()
        row = page.locator("#exports tbody tr").first
        expect(row).to_contain_text("Sẵn sàng")
        expect(row.locator("a.export-download")).to_contain_text(" KB)")
        both_widths(page, "exports-ready")
        with page.expect_download() as waiting:
            row.locator("a.export-download").click()
    finally:
        e2e_app.config["EXPORT_DIRECT_ROWS"] = limit
    download = waiting.value
    assert download.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True)
    codes = [row[0] for row in book["Hồ sơ"].iter_rows(min_row=2, values_only=True)]
    book.close()
    assert code in codes
