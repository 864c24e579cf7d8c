"""Password guessing is slowed: failed logins are counted per account and per client address on
the login page and POST /api/v1/tokens together; over a limit the answer is a 429 with
Retry-After; successful logins count nothing; the window passes; each refused burst leaves one
line in the security audit trail."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import config
from tests.conftest import _empty_tables
from tests.web.pages import csrf_token
from tests.web.test_i18n import english_on
from webapp import create_app, login_limits
from webapp.models import AuditEvent, User
from webapp.request_db import database

ROOT = Path(__file__).resolve().parents[2]
MESSAGE = "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {} giây."
WRONG = "Sai tên đăng nhập hoặc mật khẩu."  # the flash of a refused login, whichever part was wrong


@pytest.fixture
def limits(app: Flask) -> Iterator[dict[str, str]]:
    """The product's limits, counters emptied before and after."""
    saved = {
        name: app.config[name] for name in ("LOGIN_LIMIT_PER_ACCOUNT", "LOGIN_LIMIT_PER_ADDRESS")
    }
    app.config.update(
        LOGIN_LIMIT_PER_ACCOUNT=config.Config.LOGIN_LIMIT_PER_ACCOUNT,
        LOGIN_LIMIT_PER_ADDRESS=config.Config.LOGIN_LIMIT_PER_ADDRESS,
    )
    login_limits.limiter.reset()
    yield app.config
    app.config.update(saved)
    _empty_tables(app)  # the audit lines too, also for the tests without a client


def address() -> str:
    """A client address of its own: 64 random bits in the IPv6 documentation range (a /24 drew
    the same address twice in one test once in 250 runs, holding the "other" address back)."""
    return str(ipaddress.IPv6Address(0x20010DB8 << 96 | secrets.randbits(64)))


def page_login(client: FlaskClient, username: str, password: str, addr: str):
    env = {"REMOTE_ADDR": addr}
    page = client.get("/login", environ_base=env)
    return client.post(
        "/login",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "username": username,
            "password": password,
        },
        environ_base=env,
    )


def api_login(client: FlaskClient, username: str, password: str, addr: str):
    return client.post(
        "/api/v1/tokens",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": addr},
    )


def retry_after(response) -> int:
    value = int(response.headers["Retry-After"])
    assert 1 <= value <= 60
    return value


def refusals(app: Flask) -> list[AuditEvent]:
    with database(app).transaction() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.kind == "login_refused").order_by(AuditEvent.id)
            )
        )


def test_thirty_wrong_passwords_on_the_page_get_429s(app, client, limits):
    addr = address()
    statuses = [page_login(client, "vanphong", "nope", addr).status_code for _ in range(30)]
    assert statuses == [401] * 10 + [429] * 20
    refused = page_login(client, "vanphong", "nope", addr)
    seconds = retry_after(refused)
    text = refused.get_data(as_text=True)
    assert MESSAGE.format(seconds) in text
    assert english_on(text) == []
    assert refused.mimetype == "text/html"
    # Even the right password waits: the guessing is slowed for the account, not the password.
    assert page_login(client, "vanphong", "demo", addr).status_code == 429
    # Another account from another address is not affected.
    assert page_login(client, "giamdoc", "demo", address()).status_code == 302


def test_thirty_wrong_passwords_through_the_api_get_429s(app, client, limits):
    addr = address()
    statuses = [api_login(client, "giamdoc", "nope", addr).status_code for _ in range(30)]
    assert statuses == [401] * 10 + [429] * 20
    refused = api_login(client, "giamdoc", "demo", addr)
    assert refused.status_code == 429
    retry_after(refused)
    assert refused.json["error"]["code"] == "too_many_attempts"
    assert set(refused.json["error"]) == {"code", "message", "fields"}
    assert api_login(client, "vanphong", "demo", address()).status_code == 201


def test_page_and_api_share_the_account_s_counter(app, client, limits):
    for _ in range(5):
        assert page_login(client, "hoidong1", "nope", address()).status_code == 401
    for _ in range(5):
        assert api_login(client, "hoidong1", "nope", address()).status_code == 401
    # Ten failures from ten addresses: the account's limit, whichever door is used next.
    assert api_login(client, "hoidong1", "demo", address()).status_code == 429
    assert page_login(client, "hoidong1", "demo", address()).status_code == 429


def test_unknown_usernames_are_limited_too_with_the_same_message(app, client, limits):
    addr = address()
    unknown = page_login(client, "khong_ton_tai", "nope", addr)
    wrong = page_login(client, "vanphong", "nope", address())
    assert unknown.status_code == wrong.status_code == 401
    assert WRONG in unknown.get_data(as_text=True)
    assert WRONG in wrong.get_data(as_text=True)
    for _ in range(9):
        page_login(client, "khong_ton_tai", "nope", addr)
    assert page_login(client, "khong_ton_tai", "nope", addr).status_code == 429


def test_the_account_key_is_the_normalised_username(app, client, limits):
    for variant in ["Vanphong", " vanphong ", "VANPHONG", "ｖａｎｐｈｏｎｇ"] * 3:
        api_login(client, variant, "nope", address())
    assert api_login(client, "vanphong", "demo", address()).status_code == 429


def test_one_address_trying_many_accounts_is_limited(app, client, limits):
    addr = address()
    statuses = [api_login(client, f"ghost{n}", "nope", addr).status_code for n in range(31)]
    assert statuses == [401] * 30 + [429]
    assert api_login(client, "vanphong", "demo", addr).status_code == 429
    # Another address (drawn again should it be the same one: 1 in 250).
    other = next(a for a in iter(address, None) if a != addr)
    assert api_login(client, "vanphong", "demo", other).status_code == 201


def test_successful_logins_count_nothing(app, client, limits):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "2 per minute"
    addr = address()
    for _ in range(6):
        assert page_login(client, "vanphong", "demo", addr).status_code == 302
        client.delete_cookie("session", domain="localhost")
        assert api_login(client, "vanphong", "demo", addr).status_code == 201


def test_after_the_window_the_right_password_works(app, client, limits):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per 2 seconds"
    addr = address()
    for _ in range(3):
        assert page_login(client, "vanphong", "nope", addr).status_code == 401
    refused = page_login(client, "vanphong", "demo", addr)
    assert refused.status_code == 429
    time.sleep(retry_after(refused))
    assert page_login(client, "vanphong", "demo", addr).status_code == 302


def test_each_refused_burst_leaves_one_audit_line(app, client, limits):
    addr = address()
    for _ in range(25):  # 10 failures, then 15 refusals: one burst
        page_login(client, "vanphong", "nope", addr)
    for _ in range(12):  # 10 failures, then 2 refusals on an account that does not exist
        api_login(client, "ghost_audit", "nope", addr)
    lines = refusals(app)
    assert [(e.username, e.detail["limit"], e.detail["via"]) for e in lines] == [
        ("vanphong", "account", "page"),
        ("ghost_audit", "account", "api"),
    ]
    with database(app).transaction() as session:
        vanphong = session.scalars(select(User.id).where(User.username == "vanphong")).one()
    assert [e.user_id for e in lines] == [vanphong, None]
    assert {e.address for e in lines} == {addr}
    assert lines[0].detail["attempts"] == 10
    assert lines[0].detail["window_seconds"] == 60
    assert 1 <= lines[0].detail["retry_after"] <= 60
    # The address's own limit: 20 failures so far, 10 more from it breach it (a third line).
    for n in range(11):
        api_login(client, f"other{n}", "nope", addr)
    assert [e.detail["limit"] for e in refusals(app)] == ["account", "account", "address"]


def test_the_audit_page_lists_the_burst_in_vietnamese(app, client, limits):
    addr = address()
    for _ in range(12):
        page_login(client, "vanphong", "nope", addr)
    admin_addr = address()
    assert page_login(client, "admin", "demo", admin_addr).status_code == 302
    page = client.get("/admin/audit", environ_base={"REMOTE_ADDR": admin_addr})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Nhật ký bảo mật" in html
    assert "Từ chối đăng nhập: sai quá nhiều lần" in html
    assert 'data-kind="login_refused"' in html
    assert addr in html
    assert "giới hạn theo tài khoản: 10 lần sai trong 60 giây" in html
    assert english_on(html) == []
    assert 'href="/admin/audit"' in html  # the admin navigation links to it


def test_the_audit_page_is_for_administrators_only(app, client, limits):
    assert client.get("/admin/audit").status_code == 302
    addr = address()
    assert page_login(client, "vanphong", "demo", addr).status_code == 302
    assert client.get("/admin/audit", environ_base={"REMOTE_ADDR": addr}).status_code == 403


# --- a shared store for several workers --------------------------------------------------------

WORKER = """
import os, sys
sys.path.insert(0, os.environ["ROOT"])
import config
from webapp import create_app
settings = config.TestingConfig()
settings.DATABASE_URL = os.environ["DATABASE_URL"]
settings.RATELIMIT_STORAGE_URI = os.environ["RATELIMIT_STORAGE_URI"]
client = create_app(settings).test_client()
response = client.post(
    "/api/v1/tokens",
    json={"username": os.environ["USERNAME_TRIED"], "password": "nope"},
    environ_base={"REMOTE_ADDR": os.environ["ADDRESS"]},
)
print(response.status_code)
"""


def redis_is_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url("redis://127.0.0.1:6379", socket_timeout=1).ping())
    except Exception:
        return False


@pytest.mark.skipif(not redis_is_up(), reason="no Redis on 127.0.0.1:6379")
def test_workers_sharing_redis_share_the_counters(app, database_url, limits):
    settings = config.TestingConfig()
    settings.DATABASE_URL = database_url
    settings.RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379"
    first_worker = create_app(settings)
    username, addr = f"ghost-{uuid.uuid4().hex[:10]}", address()
    try:
        client = first_worker.test_client()
        for _ in range(10):
            assert api_login(client, username, "nope", addr).status_code == 401
        env = {
            **os.environ,
            "ROOT": str(ROOT),
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
            "USERNAME_TRIED": username,
            "ADDRESS": address(),
        }
        second_worker = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
            [sys.executable, "-c", WORKER], env=env, capture_output=True, text=True, check=True
        )
        assert second_worker.stdout.strip().splitlines()[-1] == "429", second_worker.stderr
    finally:
        database(first_worker).dispose()
        login_limits.limiter.init_app(app)  # one limiter per process: back to memory


def test_an_unreachable_store_falls_back_to_memory_not_to_errors(app, database_url, limits):
    settings = config.TestingConfig()
    settings.DATABASE_URL = database_url
    settings.RATELIMIT_STORAGE_URI = "redis://127.0.0.1:1"
    worker = create_app(settings)
    try:
        client = worker.test_client()
        addr = address()
        statuses = [api_login(client, "vanphong", "nope", addr).status_code for _ in range(12)]
        assert statuses[:10] == [401] * 10
        assert statuses[10:] == [429, 429]
    finally:
        database(worker).dispose()
        login_limits.limiter.init_app(app)


def test_a_limit_that_does_not_parse_stops_the_start(database_url):
    settings = config.TestingConfig()
    settings.DATABASE_URL = database_url
    settings.LOGIN_LIMIT_PER_ACCOUNT = "ten a minute"
    with pytest.raises(RuntimeError, match="LOGIN_LIMIT_PER_ACCOUNT"):
        create_app(settings)


def test_the_openapi_document_names_the_429(app):
    document = json.loads((ROOT / "webapp" / "api" / "openapi.json").read_text(encoding="utf-8"))
    assert "429" in document["paths"]["/tokens"]["post"]["responses"]
