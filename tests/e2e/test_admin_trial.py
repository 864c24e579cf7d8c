"""Issue 10, "try before deploying": in Chromium an administrator runs the shipped version in the
sandbox by clicking decisions, sees the path lit on the diagram, then replays finished dossiers.
Nothing is stored: the page carries the choices itself."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from tests.e2e.conftest import log_in, shot
from tests.e2e.test_accessibility import DESKTOP, violations
from webapp.models import Dossier, Event, ProcessInstance
from webapp.request_db import database


def counts(app: Flask) -> tuple[int, int, int]:
    with database(app).transaction() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Dossier, Event, ProcessInstance)
        )


def test_an_administrator_tries_the_version_by_clicking_decisions(
    page: Page, base_url: str, e2e_app: Flask
) -> None:
    before = counts(e2e_app)
    log_in(page, base_url, "admin")
    page.goto(f"{base_url}/admin/processes/award_nomination/versions/1")
    page.locator("a[data-action='try']").click()
    expect(page.locator("#trial-current")).to_have_attribute("data-step", "prepare_dossier")
    diagram = page.locator("#trial-diagram.diagram-ready")
    expect(diagram).to_be_visible()
    expect(
        diagram.locator(".djs-shape.trail-current[data-element-id='prepare_dossier']")
    ).to_have_count(1)

    page.get_by_role("button", name="Trình lãnh đạo đơn vị").click()
    expect(page.locator("#trial-current")).to_have_attribute("data-step", "approve_at_unit")
    page.locator("#trial-choose button[value='approve']").click()
    page.locator("#trial-choose button[value='approve']").click()
    expect(page.locator("#trial-current")).to_have_attribute("data-step", "council_vote")
    page.locator("#agree-2").select_option("2")
    page.get_by_role("button", name="Bỏ phiếu").click()
    expect(page.locator("#trial-current")).to_have_attribute("data-step", "conclude_council")
    expect(page.locator("#trial-nominees li[data-nominee='2']")).to_have_attribute(
        "data-result", "failed"
    )
    diagram = page.locator("#trial-diagram.diagram-ready")
    expect(diagram.locator(".djs-shape.trail-done[data-element-id='council_vote']")).to_have_count(
        1
    )
    expect(
        diagram.locator(".djs-shape.trail-current[data-element-id='conclude_council']")
    ).to_have_count(1)
    shot(page, "trial_at_conclude_council")

    page.locator("#trial-back").click()
    expect(page.locator("#trial-current")).to_have_attribute("data-step", "council_vote")

    page.get_by_role("link", name="Phát lại các hồ sơ đã kết thúc").click()
    page.get_by_role("button", name="Phát lại").click()
    expect(page.locator("#replay-summary")).to_be_visible()
    shot(page, "replay_report")
    assert counts(e2e_app) == before


def test_the_trial_pages_have_no_accessibility_violation(browser: Browser, base_url: str) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN", bypass_csp=True)
    page = context.new_page()
    try:
        log_in(page, base_url, "admin")
        version = f"{base_url}/admin/processes/award_nomination/versions/1"
        page.goto(f"{version}/try")
        page.locator("#trial-choose button").first.click()
        expect(page.locator("#trial-diagram.diagram-ready")).to_be_visible()
        assert violations(page) == []
        page.goto(f"{version}/try?path=%5B%7B")
        assert violations(page) == []
        page.goto(f"{version}/replay?run=1&codes=KHONG-CO")
        expect(page.locator("#trial-errors")).to_be_visible()
        assert violations(page) == []
        page.goto(f"{version}/replay?run=1")
        expect(page.locator("#replay-summary")).to_be_visible()
        assert violations(page) == []
    finally:
        context.close()
