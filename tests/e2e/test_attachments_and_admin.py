"""Finding 7: roles by name on the people pages and in the modeler, whose labels speak Vietnamese.
Finding 11: a dossier's PDFs and pictures open in a new tab, sandboxed; Word files download.
Finding 13: /admin is the administration home and the menu leads there; due dates read the same
on the process map as elsewhere (date only)."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from flask import Flask
from playwright.sync_api import Page, expect

from tests.conftest import ApiClient, actor_named
from tests.e2e.conftest import log_in, shot
from webapp.models import Dossier
from webapp.request_db import database
from webapp.services import attachments
from webapp.services.attachments import Upload

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
DOCX = b"PK\x03\x04" + b"\x00" * 64
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def png(width: int, height: int) -> bytes:
    """A real, decodable PNG of one colour (so the browser's rendering can be checked)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x1f\x5f\xaf" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def dossier_with_files(app: Flask) -> dict[str, Any]:
    api = ApiClient(app.test_client())
    dossier = api.start(title="Hồ sơ có tệp đính kèm để xem")
    with database(app).transaction() as session:
        row = session.get_one(Dossier, dossier["id"])
        attachments.store_attachments(
            session,
            actor_named(session, "canbo_ns"),
            row,
            [
                Upload("to-trinh.pdf", PDF, kind="submission"),
                Upload("anh-bang-khen.png", png(120, 80)),
                Upload("bao-cao.docx", DOCX, kind="achievement_report"),
            ],
        )
    return dossier


def test_pdfs_and_pictures_open_in_a_new_tab_word_files_download(
    page: Page, base_url: str, e2e_app: Flask
) -> None:
    dossier = dossier_with_files(e2e_app)
    log_in(page, base_url, "canbo_ns")
    page.goto(f"{base_url}/dossiers/{dossier['id']}")
    files = page.locator("#attachments")
    pdf_item = files.locator("li", has_text="to-trinh.pdf")
    png_item = files.locator("li", has_text="anh-bang-khen.png")
    docx_item = files.locator("li", has_text="bao-cao.docx")
    expect(pdf_item.get_by_role("link", name="Xem to-trinh.pdf (mở trong thẻ mới)")).to_be_visible()
    expect(docx_item.get_by_role("link", name="Tải về bao-cao.docx")).to_be_visible()

    # The picture opens in a new tab, shown by the browser (decoded: it has its real size).
    with page.context.expect_page() as opened:
        png_item.get_by_role("link", name="Xem anh-bang-khen.png (mở trong thẻ mới)").click()
    picture = opened.value
    picture.wait_for_load_state()
    expect(picture.locator("img")).to_be_visible()
    size = picture.locator("img").evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert size == [120, 80]
    picture.close()

    # The PDF answers inline, in a sandbox, without sniffing (header checks on the real answer).
    with page.context.expect_page() as opened:
        pdf_item.get_by_role("link", name="Xem to-trinh.pdf (mở trong thẻ mới)").click()
    viewer = opened.value
    viewer.wait_for_load_state()
    href = pdf_item.get_by_role("link").first.get_attribute("href")
    assert viewer.url == f"{base_url}{href}"
    response = page.request.get(f"{base_url}{href}")
    headers = response.headers
    assert headers["content-type"] == "application/pdf"
    assert headers["content-disposition"].startswith("inline")
    assert "sandbox" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert response.body() == PDF
    # Chromium's own PDF viewer shows it (top level, so the sandbox does not block the viewer).
    expect(viewer.locator("embed, body").first).to_be_attached()
    shot(viewer, "finding11-pdf-viewer")
    viewer.close()

    # The Word file downloads under its name.
    with page.expect_download() as got:
        docx_item.get_by_role("link", name="Tải về bao-cao.docx").click()
    assert got.value.suggested_filename == "bao-cao.docx"

    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        files.scroll_into_view_if_needed()
        shot(page, f"finding11-{name}")


def test_admin_home_lists_the_sections_and_the_menu_leads_there(page: Page, base_url: str) -> None:
    log_in(page, base_url, "admin")
    page.get_by_role("link", name="Quản trị").first.click()
    expect(page).to_have_url(f"{base_url}/admin/")
    expect(page.get_by_role("heading", name="Quản trị", level=1)).to_be_visible()
    sections = page.locator("#admin-sections a")
    expect(sections).to_have_count(7)
    for name in (
        "Quy trình",
        "Người dùng",
        "Đơn vị",
        "Vai trò",
        "Nhật ký bảo mật",
        "Kiểm tra toàn vẹn lịch sử hồ sơ",
        "Thư không gửi được",
    ):
        expect(page.locator("#admin-sections").get_by_role("heading", name=name)).to_be_visible()
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        shot(page, f"finding13-{name}")
    page.set_viewport_size(DESKTOP)
    sections.filter(has_text="Người dùng").click()
    expect(page).to_have_url(f"{base_url}/admin/users")
    page.goto(f"{base_url}/admin")
    expect(page).to_have_url(f"{base_url}/admin/")


def test_roles_read_by_name_and_the_modeler_speaks_vietnamese(page: Page, base_url: str) -> None:
    log_in(page, base_url, "admin")
    page.goto(f"{base_url}/admin/users")
    row = page.locator("#users-table tr[data-username='canbo_ns']")
    expect(row.first).to_contain_text("Cán bộ đơn vị")
    expect(row.first).not_to_contain_text("unit_officer")
    expect(row.first).not_to_contain_text("BN-QLNS")
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        shot(page, f"finding07-users-{name}")
    page.set_viewport_size(DESKTOP)

    page.goto(f"{base_url}/admin/processes/award_nomination/versions/1/modeler")
    expect(page.locator("#modeler-page[data-ready='true']")).to_be_attached(timeout=20_000)
    # Select the Office's lane as a click would (the modeler is exposed for tests).
    page.locator("#modeler-page").evaluate(
        "root => root.modeler.get('selection').select("
        "root.modeler.get('elementRegistry').get('lane_office'))"
    )
    panel = page.locator("#modeler-properties")
    role = panel.locator("select[name='award-role']")
    expect(role).to_have_value("office")
    options = role.locator("option").all_inner_texts()
    assert "Văn phòng Sở" in options
    assert "Cán bộ đơn vị" in options
    assert not {"office", "unit_officer", "council_chair"} & set(options)
    # The documentation field's pop-up button, drawn without the panel's translate service.
    popup = panel.locator(".bio-properties-panel-open-feel-popup").first
    expect(popup).to_have_attribute("title", "Mở trình soạn thảo trong cửa sổ riêng")
    assert not panel.locator("[title='Open pop-up editor']").count()
    panel.scroll_into_view_if_needed()
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        shot(page, f"finding07-modeler-{name}")
