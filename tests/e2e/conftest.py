"""Browser tests: Debian's chromium driven by Playwright against the app on a loopback port.

The app runs in a thread of the test process on a fresh SQLite database (migrated, seeded with the
demo data). Playwright never downloads a browser here: it launches /usr/lib/chromium/chromium,
which `.ci/run` (or `make browser`) installs from Debian's packages.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from werkzeug.serving import make_server

import config
from webapp import create_app
from webapp.cli import upgrade_database
from webapp.request_db import database
from webapp.services import seeding

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_CANDIDATES = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]


def chromium_path() -> str:
    """The Debian chromium binary (CHROMIUM overrides)."""
    for candidate in [os.environ.get("CHROMIUM"), *CHROMIUM_CANDIDATES]:
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("chromium is not installed: run `make browser` (apt) or set CHROMIUM")


def fresh_app(folder: Path) -> Flask:
    """The app on a new SQLite database in `folder`, migrated and seeded with the demo data."""
    settings = config.TestingConfig()
    settings.DATABASE_URL = f"sqlite:///{folder / 'e2e.sqlite'}"
    settings.UPLOAD_DIR = folder / "uploads"
    app = create_app(settings)
    upgrade_database(app)
    with database(app).transaction() as session:
        seeding.seed_demo(session, Path(settings.BPMN_DIR), settings.PROCESS_KEY)
    return app


def responses_closed_before_sending(app: WSGIApplication) -> WSGIApplication:
    """`app` with each response read into memory and closed before the server sends it.

    Werkzeug's development server closes a response only after draining the client's socket;
    when the browser resets the connection first (a tab closed mid-load), that read raises and
    the response, holding an open static file, is never closed. The app's responses are finite
    (nothing streams), so reading them whole here costs nothing and leaks nothing.
    """

    def wrapped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wrapped


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve `app` on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, responses_closed_before_sending(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def e2e_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return fresh_app(tmp_path_factory.mktemp("e2e"))


@pytest.fixture(scope="session")
def base_url(e2e_app: Flask) -> Iterator[str]:
    with serving(e2e_app) as url:
        yield url


def fresh_artifacts() -> None:
    """Empty what an earlier run left in the artifacts folder, once per run: under pytest-xdist
    the first worker to start a browser does it, the others (same run id) keep its files."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"process-{os.getpid()}"
    with (ARTIFACTS.parent / ".artifacts.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        mark = ARTIFACTS / ".run"
        if mark.exists() and mark.read_text(encoding="ascii") == run:
            return
        if ARTIFACTS.exists():
            shutil.rmtree(ARTIFACTS)
        ARTIFACTS.mkdir(parents=True)
        mark.write_text(run, encoding="ascii")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    fresh_artifacts()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    opened = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # A refused form answers 422 (or an error page 403/404/409) on purpose, and Chromium logs
        # that document as a failed load; anything else at error level (a CSP violation, a script
        # error, a missing asset) fails the test.
        document = message.location.get("url") == opened.url
        if message.type == "error" and not (document and "Failed to load" in message.text):
            problems.append(f"{message.text} ({message.location.get('url')})")

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    yield opened
    # The last screen of every test, to see where a failing one stopped.
    shot(opened, f"last_{request.node.name}")
    context.close()
    assert problems == [], problems


def log_in(page: Page, base_url: str, username: str) -> None:
    """Log out whoever is logged in (with the button), then log in through the login form."""
    if page.url.startswith(base_url) and page.locator("#current-user").count():
        page.get_by_role("button", name="Đăng xuất").click()
        expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
    else:
        page.goto(f"{base_url}/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu", exact=True).fill("demo")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#current-user")).to_contain_text(username)


def nav_count(page: Page) -> int:
    """The number beside "Việc của tôi" in the navigation bar."""
    return int(page.locator("#nav-work-count").inner_text())


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot under tests/e2e/artifacts/."""
    page.screenshot(
        path=str(ARTIFACTS / f"{re.sub(r'[^a-z0-9_-]', '_', name)}.png"), full_page=True
    )
