"""Issue 9, findings 1, 9 and 10 in a real browser, at desktop (1280×800) and phone (390×844)
width: completing a step never shows another dossier's form unless the user chooses it (the
inbox names it first); giving back a claimed step is not called "Trả lại"; a second tab is told
it was the same user, Back after a submission does not resubmit, a refused file is named."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.conftest import ApiClient
from tests.e2e.conftest import shot

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def api(e2e_app: Flask) -> ApiClient:
    return ApiClient(e2e_app.test_client())


def log_in(page: Page, base_url: str, username: str) -> None:
    """Log in as `username` afresh (the logout button is folded away at phone width: the
    session cookie is dropped instead)."""
    page.context.clear_cookies()
    page.goto(f"{base_url}/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu", exact=True).fill("demo")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#current-user")).to_contain_text(username)


def at_check(api: ApiClient, title: str) -> dict[str, Any]:
    """A new dossier waiting for the Department Office's check."""
    dossier = api.start(title=title)
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    return dossier


def open_from_inbox(page: Page, base_url: str, code: str) -> None:
    page.goto(f"{base_url}/work")
    page.locator(f"#inbox tr[data-dossier='{code}'] a").first.click()
    expect(page.locator("#work-dossier-code")).to_have_text(code)


def check_lands_on_the_inbox(page: Page, base_url: str, done_code: str) -> None:
    """After a step: the inbox, the step confirmed with the dossier's code as a link, no form;
    the next item (if any) is named, and opens only when chosen, as the dossier it named."""
    expect(page).to_have_url(f"{base_url}/work")
    notice = page.locator("#work-done")
    expect(notice).to_be_visible()
    expect(notice.get_by_role("link", name=done_code)).to_be_visible()
    expect(page.locator("#step-form")).to_have_count(0)
    following = page.locator("#next-item")
    if following.count():
        named = re.search(r"Việc tiếp theo: (\S+) — ", following.inner_text())
        assert named, following.inner_text()
        following.click()
        expect(page.locator("#work-dossier-code")).to_have_text(named.group(1))


@pytest.mark.parametrize("size", SIZES)
def test_finding01_a_step_done_never_opens_another_dossier(
    page: Page, base_url: str, api: ApiClient, size: str
) -> None:
    page.set_viewport_size(SIZES[size])
    first = at_check(api, f"Hồ sơ thứ nhất ({size})")
    second = at_check(api, f"Hồ sơ thứ hai ({size})")
    log_in(page, base_url, "vanphong")
    open_from_inbox(page, base_url, first["code"])
    # The dossier's code and title, large, beside the step's name, above the form.
    header = page.locator("#work-header")
    expect(header.locator("#work-step")).to_have_text("Kiểm tra hồ sơ")
    expect(header).to_contain_text(f"Hồ sơ thứ nhất ({size})")
    assert header.bounding_box()["y"] < page.locator("#step-form").bounding_box()["y"]
    shot(page, f"finding01-item-{size}")
    page.get_by_label("Hồ sơ hợp lệ, trình Hội đồng", exact=True).check()
    page.get_by_role("button", name="Gửi").click()
    expect(page).to_have_url(f"{base_url}/work")
    expect(page.locator("#work-done")).to_contain_text(first["code"])
    expect(page.locator("#next-item")).to_contain_text("Việc tiếp theo:")
    shot(page, f"finding01-{size}")
    check_lands_on_the_inbox(page, base_url, first["code"])

    # Council members: the same rule after a ballot.
    api.do("vanphong", second["id"], "check_dossier", {"decision": "approve"})
    log_in(page, base_url, "hoidong1")
    open_from_inbox(page, base_url, first["code"])
    rows = page.locator("table.nominee-choices tbody tr")
    for index in range(rows.count()):
        rows.nth(index).get_by_label("Đồng ý", exact=True).check()
    page.get_by_role("button", name="Gửi").click()
    expect(page.locator("#work-done")).to_contain_text(first["code"])
    shot(page, f"finding01-vote-{size}")
    check_lands_on_the_inbox(page, base_url, first["code"])


@pytest.mark.parametrize("size", SIZES)
def test_finding09_releasing_a_step_is_not_returning_the_dossier(
    page: Page, base_url: str, api: ApiClient, size: str
) -> None:
    page.set_viewport_size(SIZES[size])
    dossier = at_check(api, f"Hồ sơ nhận rồi bỏ nhận ({size})")
    log_in(page, base_url, "vanphong")
    open_from_inbox(page, base_url, dossier["code"])
    page.get_by_role("button", name="Nhận xử lý").click()
    release = page.get_by_role("button", name="Bỏ nhận xử lý")
    expect(release).to_be_visible()
    # "Trả lại" names one thing on the page: sending the dossier back to the unit.
    expect(page.get_by_role("button", name=re.compile("Trả lại"))).to_have_count(0)
    expect(page.get_by_label("Trả lại đơn vị để bổ sung", exact=True)).to_have_count(1)
    shot(page, f"finding09-{size}")
    release.click()
    expect(page.locator(".alert-info")).to_contain_text("Bạn đã bỏ nhận xử lý bước này")


@pytest.mark.parametrize("size", SIZES)
def test_finding10_second_tab_back_button_and_refused_file(
    page: Page, base_url: str, api: ApiClient, size: str, tmp_path
) -> None:
    page.set_viewport_size(SIZES[size])
    dossier = at_check(api, f"Hồ sơ hai thẻ ({size})")
    log_in(page, base_url, "vanphong")
    # A program renamed .pdf: refused, named, and why.
    open_from_inbox(page, base_url, dossier["code"])
    program = tmp_path / "bien-ban-hop.pdf"
    program.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00 this is a program")
    page.get_by_label("Hồ sơ hợp lệ, trình Hội đồng", exact=True).check()
    page.locator("#attachments").set_input_files(str(program))
    page.get_by_role("button", name="Gửi").click()
    expect(page.locator("#attachments ~ .invalid-feedback")).to_contain_text(
        "Không nhận tệp bien-ban-hop.pdf: nội dung không phải tệp PDF"
    )
    shot(page, f"finding10-file-{size}")

    # The same form open in two tabs; the first sends it.
    open_from_inbox(page, base_url, dossier["code"])
    other_tab = page.context.new_page()
    other_tab.set_viewport_size(SIZES[size])
    other_tab.goto(page.url)
    page.get_by_label("Hồ sơ hợp lệ, trình Hội đồng", exact=True).check()
    page.get_by_role("button", name="Gửi").click()
    expect(page.locator("#work-done")).to_contain_text(dossier["code"])
    # Back after the submission: the step's page again, saying it is done, no resubmission.
    page.go_back()
    expect(page.locator("#item-closed")).to_contain_text("Bạn đã hoàn thành bước này lúc")
    # The second tab sends the same step: told it was this user, with the dossier's link.
    other_tab.get_by_label("Hồ sơ hợp lệ, trình Hội đồng", exact=True).check()
    other_tab.get_by_role("button", name="Gửi").click()
    expect(other_tab.get_by_role("heading", level=1)).to_have_text("Bạn đã hoàn thành bước này rồi")
    expect(other_tab.locator("main")).not_to_contain_text("Người khác")
    shot(other_tab, f"finding10-{size}")
    other_tab.get_by_role("link", name=f"Mở hồ sơ {dossier['code']}").click()
    expect(other_tab).to_have_url(f"{base_url}/dossiers/{dossier['id']}")
    other_tab.close()
