"""Finding 12: axe-core (npm, pinned in package.json) on every page each demo role reaches, and
on the login page anonymously, with the WCAG 2 A and AA rules: no violation.

The app's Content-Security-Policy forbids inline scripts and stays as it is: axe is added to the
page by Playwright in a browser context created with bypass_csp=True, used for these checks only.
The app runs on its own database here, with dossiers put at every step so that each role has a
work item of each kind it handles.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conftest import ApiClient
from tests.e2e.conftest import ARTIFACTS, fresh_app, log_in, serving, shot

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
MEMBERS = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]
ROLES = [
    "canbo_ns",  # unit officer
    "truongphong_ns",  # unit head
    "vanphong",  # Department Office
    "hoidong1",  # council member
    "giamdoc",  # director, council chair and member
    "chuyenvien_bo",  # ministry officer
    "botruong",  # minister
    "admin",
]
ADMIN_PAGES = [
    "/admin/",
    "/admin/processes",
    "/admin/processes/award_nomination/versions/1",
    "/admin/processes/award_nomination/versions/1/forms",
    "/admin/processes/award_nomination/versions/1/forms/check_dossier.json",
    "/admin/processes/award_nomination/versions/1/rules/award_rules.dmn",
    "/admin/processes/award_nomination/versions/1/modeler",
    "/admin/processes/award_nomination/compare",
    "/admin/processes/award_nomination/moves",
    "/admin/users",
    "/admin/users/new",
    "/admin/units",
    "/admin/roles",
    "/admin/roles/office",
    "/admin/audit",
    "/admin/calendar",
]


def _path(nominee_ids: list[int]) -> list[tuple[str, str, dict[str, Any]]]:
    """The steps of the shipped process, in order, with what each user answers."""
    votes = {"votes": dict.fromkeys(map(str, nominee_ids), "agree")}
    return [
        ("canbo_ns", "prepare_dossier", {"decision": "submit"}),
        ("truongphong_ns", "approve_at_unit", {"decision": "approve"}),
        ("vanphong", "check_dossier", {"decision": "approve"}),
        *[(member, "council_vote", votes) for member in MEMBERS],
        ("giamdoc", "conclude_council", {"decision": "confirm"}),
        (
            "giamdoc",
            "sign_submission",
            {
                "decision": "approve",
                "submission_number": "12/TTr-STC",
                "submission_date": "2026-11-05",
            },
        ),
        ("chuyenvien_bo", "appraise_at_ministry", {"decision": "approve"}),
        ("chuyenvien_bo", "ministry_council", {"decision": "approve"}),
        (
            "botruong",
            "minister_decision",
            {"decision": "award", "decision_number": "345/QĐ-BTC", "decision_date": "2026-12-01"},
        ),
        ("vanphong", "publish_result", {"decision": "publish"}),
    ]


def dossiers_at_every_step(app: Flask) -> None:
    """One dossier stopped before each step of the path (and one at its end)."""
    api = ApiClient(app.test_client())
    stops = [0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14]
    for stop in stops:
        dossier = api.start(title=f"Hồ sơ kiểm tra trợ năng số {stop + 1}")
        ids = [n["id"] for n in dossier["nominees"]]
        for user, step, data in _path(ids)[:stop]:
            api.do(user, dossier["id"], step, data)


@pytest.fixture(scope="module")
def axe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = fresh_app(tmp_path_factory.mktemp("axe"))
    dossiers_at_every_step(app)
    with serving(app) as url:
        yield url


@pytest.fixture
def axe_context(browser: Browser) -> Iterator[BrowserContext]:
    """A context where Playwright may add axe's script despite the app's CSP (only here)."""
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN", bypass_csp=True)
    yield context
    context.close()


def violations(page: Page) -> list[str]:
    """axe's WCAG 2 A/AA violations on the page as it is now, one line per element."""
    expect(page.locator("main, form").first).to_be_attached()
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "rules => axe.run(document, "
        "{runOnly: {type: 'tag', values: rules}, resultTypes: ['violations']})",
        RULES,
    )
    found = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            found.append(
                f"{violation['id']}: {node['target']} {node['html'][:120]} — {summary[:300]}"
            )
    return found


def pages_of(page: Page, base: str, user: str) -> list[str]:
    """Every page the user reaches: the inbox, each of its work items (one per step kind), new
    dossier, tracking, a dossier page, the process map, the administration for the admin."""
    page.goto(f"{base}/work")
    urls = ["/work"]
    steps: set[str] = set()
    for row in page.locator("#inbox tbody tr").all():
        link = row.locator("a").first
        href = link.get_attribute("href") or ""
        step = row.get_attribute("data-step") or link.inner_text()
        if href.startswith("/work/") and step not in steps:
            steps.add(step)
            urls.append(href)
    if page.locator("nav a[href='/dossiers/new']").count():
        urls.append("/dossiers/new")
    urls += ["/dossiers", "/process-map"]
    page.goto(f"{base}/dossiers")
    first = page.locator("#tracking tbody tr a[href^='/dossiers/']").first
    if first.count():
        urls.append(first.get_attribute("href") or "")
    if user == "admin":
        urls += ADMIN_PAGES
    return urls


def test_the_login_page_has_no_violation(axe_context: BrowserContext, axe_url: str) -> None:
    page = axe_context.new_page()
    page.goto(f"{axe_url}/login")
    assert violations(page) == []
    page.set_viewport_size(PHONE)
    assert violations(page) == []
    shot(page, "finding12-anonymous-phone")
    page.set_viewport_size(DESKTOP)
    shot(page, "finding12-anonymous-desktop")


@pytest.mark.parametrize("user", ROLES)
def test_every_page_of_each_role_has_no_violation(
    axe_context: BrowserContext, axe_url: str, user: str
) -> None:
    page = axe_context.new_page()
    log_in(page, axe_url, user)
    urls = pages_of(page, axe_url, user)
    found: dict[str, list[str]] = {}
    for url in urls:
        response = page.goto(f"{axe_url}{url}")
        assert response is not None
        assert response.status == 200, url
        problems = violations(page)
        if problems:
            found[url] = problems
    # The phone width: the collapsed navigation bar and the stacked tables.
    page.set_viewport_size(PHONE)
    for url in urls[:2]:
        page.goto(f"{axe_url}{url}")
        problems = violations(page)
        if problems:
            found[f"{url} (phone)"] = problems
    page.goto(f"{axe_url}/work")
    shot(page, f"finding12-{user}-phone")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{axe_url}/work")
    shot(page, f"finding12-{user}-desktop")
    assert len(urls) >= 4
    (ARTIFACTS / f"finding12-{user}-pages.txt").write_text("\n".join(urls), encoding="utf-8")
    report = "\n".join(f"{url}:\n  " + "\n  ".join(v) for url, v in found.items())
    if found:  # the whole list, beside the screenshots (the assertion's text is cut short)
        (ARTIFACTS / f"finding12-{user}-violations.txt").write_text(report, encoding="utf-8")
    assert found == {}, report
