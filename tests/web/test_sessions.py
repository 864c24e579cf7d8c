"""Sessions that end: forged cookies open nothing, logout / password change / deactivation end
every session and remember cookie of the user on the server side, and the cookies carry their
configured lifetimes and flags."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete, select

import config
from tests.conftest import actor_named
from tests.web.pages import csrf_token, login
from webapp import create_app
from webapp.models import ApiToken, AuditEvent, User
from webapp.request_db import database
from webapp.services import people

ROOT = Path(__file__).resolve().parents[2]
# The keys this repository ever shipped (git history); none may open anything.
OLD_KEYS = ["dev-only-secret-key-change-me", "testing-secret-key"]
PAGE = "/work"


def remember_login(client: FlaskClient, username: str, password: str = "demo") -> None:
    """Log in through the page with "keep me logged in" ticked."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "username": username,
            "password": password,
            "remember": "y",
        },
    )
    assert response.status_code == 302, response.status_code


def logout(client: FlaskClient) -> None:
    page = client.get(PAGE)
    response = client.post("/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 302
    assert response.location == "/login"


def opens(client: FlaskClient) -> bool:
    """Whether the client's cookies open the inbox (else: redirected to the login page)."""
    response = client.get(PAGE)
    if response.status_code == 200:
        return True
    assert response.status_code == 302, response.status_code
    assert response.location.startswith("/login"), response.location
    return False


def with_cookies(app: Flask, **cookies: str) -> FlaskClient:
    """A fresh browser holding only these cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value, domain="localhost")
    return client


def cookie(client: FlaskClient, name: str) -> str:
    found = client.get_cookie(name, domain="localhost")
    assert found is not None, f"no {name} cookie"
    return found.value


@pytest.fixture
def person(app: Flask) -> Iterator[str]:
    """A user of our own (the demo users are shared by every test), removed afterwards."""
    username = f"t_sess_{uuid.uuid4().hex[:8]}"
    with database(app).transaction() as session:
        admin = actor_named(session, "admin")
        unit_id = session.scalars(select(User.unit_id).where(User.username == "canbo_ns")).one()
        people.create_user(
            session,
            admin,
            people.UserData(username, "Người thử phiên", None, unit_id),
            password="mat-khau-1",
        )
    yield username
    with database(app).transaction() as session:
        user_id = session.scalars(select(User.id).where(User.username == username)).one()
        session.execute(delete(AuditEvent).where(AuditEvent.user_id == user_id))
        session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
        session.execute(delete(User).where(User.id == user_id))


def user_id_of(app: Flask, username: str) -> int:
    with database(app).transaction() as session:
        return session.scalars(select(User.id).where(User.username == username)).one()


# --- secrets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", OLD_KEYS)
def test_a_remember_cookie_signed_with_an_old_repository_key_opens_nothing(app, client, key):
    admin_id = user_id_of(app, "admin")
    forger = Flask("forger")
    forger.secret_key = key
    with forger.app_context():
        for payload in (str(admin_id), f"{admin_id}:0", f"{admin_id}:1"):
            forged = with_cookies(app, remember_token=encode_cookie(payload))
            assert not opens(forged)
            assert forged.get("/admin/users").status_code == 302


@pytest.mark.parametrize("key", OLD_KEYS)
def test_a_session_cookie_signed_with_an_old_repository_key_opens_nothing(app, client, key):
    admin_id = user_id_of(app, "admin")
    forger = Flask("forger")
    forger.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    for user_id in (str(admin_id), f"{admin_id}:0"):
        forged = serializer.dumps({"_user_id": user_id, "_fresh": True})
        assert not opens(with_cookies(app, session=forged))


def test_the_right_key_is_what_opens_a_remember_cookie(app, client):
    # The forging above fails for the key, not for the cookie's form: with the app's own key the
    # same construction opens the inbox.
    with database(app).transaction() as session:
        user = session.scalars(select(User).where(User.username == "vanphong")).one()
        payload = f"{user.id}:{user.session_generation}"
    with app.app_context():
        genuine = with_cookies(app, remember_token=encode_cookie(payload))
    assert opens(genuine)


def test_no_secret_key_in_the_repository():
    git = shutil.which("git")
    assert git is not None
    tracked = subprocess.run(  # noqa: S603 - git with fixed arguments
        [git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    assert config.Config.SECRET_KEY is None
    assert config.DevelopmentConfig.SECRET_KEY is None
    testing_key = config.TestingConfig.SECRET_KEY
    assert testing_key
    assert len(testing_key) >= 64
    for name in filter(None, tracked):
        path = ROOT / name.decode()
        if path.is_file() and path.stat().st_size < 2_000_000:
            text = path.read_bytes()
            assert testing_key.encode() not in text, name
            assert b"dev-only-secret-key" not in text or name.startswith(b"tests/"), name


# --- sessions that end ----------------------------------------------------------------------


def test_a_session_cookie_copied_before_logout_opens_nothing_after_it(app, client):
    login(client, "vanphong")
    copied = cookie(client, "session")
    assert opens(with_cookies(app, session=copied))  # the copy works while logged in
    logout(client)
    assert not opens(client)
    assert not opens(with_cookies(app, session=copied))


def test_a_remember_cookie_alone_opens_nothing_after_logout(app, client):
    remember_login(client, "vanphong")
    remembered = cookie(client, "remember_token")
    assert opens(with_cookies(app, remember_token=remembered))  # alone it logs in
    logout(client)
    assert not opens(with_cookies(app, remember_token=remembered))


def test_logout_ends_the_user_s_sessions_on_other_devices_too(app, client):
    other = app.test_client()
    login(client, "vanphong")
    remember_login(other, "vanphong")
    logout(client)
    assert not opens(other)
    # Logging in again works, and the new session is the one that counts.
    login(client, "vanphong")
    assert opens(client)


def test_logout_keeps_api_tokens_that_a_password_change_revokes(app, client, person):
    token = client.post("/api/v1/tokens", json={"username": person, "password": "mat-khau-1"})
    headers = {"Authorization": f"Bearer {token.json['token']}"}
    login(client, person, "mat-khau-1")
    logout(client)
    assert client.get("/api/v1/work-items", headers=headers).status_code == 200
    user_id = user_id_of(app, person)
    with database(app).transaction() as session:
        people.set_password(session, actor_named(session, "admin"), user_id, password="mat-khau-2")
    assert client.get("/api/v1/work-items", headers=headers).status_code == 401


def test_a_password_change_ends_the_user_s_sessions_and_remember_cookies(app, client, person):
    remember_login(client, person, "mat-khau-1")
    remembered = cookie(client, "remember_token")
    assert opens(client)
    user_id = user_id_of(app, person)
    with database(app).transaction() as session:
        people.set_password(session, actor_named(session, "admin"), user_id, password="mat-khau-2")
    assert not opens(client)
    assert not opens(with_cookies(app, remember_token=remembered))
    login(client, person, "mat-khau-2")
    assert opens(client)


def test_deactivation_ends_sessions_and_reactivation_does_not_bring_them_back(app, client, person):
    remember_login(client, person, "mat-khau-1")
    copied, remembered = cookie(client, "session"), cookie(client, "remember_token")
    user_id = user_id_of(app, person)
    with database(app).transaction() as session:
        people.deactivate_user(session, actor_named(session, "admin"), user_id)
    assert not opens(client)
    with database(app).transaction() as session:
        people.reactivate_user(session, actor_named(session, "admin"), user_id)
    assert not opens(with_cookies(app, session=copied))
    assert not opens(with_cookies(app, remember_token=remembered))


def test_the_audit_trail_records_logins_logouts_password_changes_and_deactivations(
    app, client, person
):
    remember_login(client, person, "mat-khau-1")
    logout(client)
    user_id = user_id_of(app, person)
    with database(app).transaction() as session:
        admin = actor_named(session, "admin")
        people.set_password(session, admin, user_id, password="mat-khau-2")
        people.deactivate_user(session, admin, user_id)
    with database(app).transaction() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.user_id == user_id).order_by(AuditEvent.id)
        ).all()
        admin_id = actor_named(session, "admin").user_id
    assert [e.kind for e in events] == ["login", "logout", "password_changed", "user_deactivated"]
    assert events[0].detail == {"via": "page", "remember": True}
    assert events[0].address == "127.0.0.1"
    assert events[0].username == person
    assert [e.actor_id for e in events] == [None, None, admin_id, admin_id]


def test_strong_session_protection_still_ends_a_session_moved_to_another_browser(app, client):
    remember_login(client, "vanphong")
    assert opens(client)
    moved = client.get(PAGE, headers={"User-Agent": "a different browser"})
    assert moved.status_code == 302
    assert moved.location.startswith("/login")


# --- cookie lifetimes and flags -------------------------------------------------------------


def set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def expires_in(header: str) -> timedelta:
    expires = next(
        part.split("=", 1)[1] for part in header.split("; ") if part.startswith("Expires=")
    )
    return parsedate_to_datetime(expires) - datetime.now(UTC)


def login_response(client: FlaskClient, **kwargs) -> object:
    page = client.get("/login", **kwargs)
    return client.post(
        "/login",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "username": "vanphong",
            "password": "demo",
            "remember": "y",
        },
        **kwargs,
    )


def test_the_configured_lifetimes_and_flags_apply_to_both_cookies(app, client):
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)
    cookies = set_cookies(login_response(client))
    session_cookie, remember = cookies["session"], cookies["remember_token"]
    # The session cookie ends with the browser (the server caps it: see below); the remember
    # cookie is kept for REMEMBER_LIFETIME.
    assert "Expires=" not in session_cookie
    assert timedelta(days=13, hours=23) < expires_in(remember) <= timedelta(days=14)
    for header in (session_cookie, remember):
        assert "HttpOnly" in header
        assert "SameSite=Lax" in header
        assert "Secure" not in header  # plain HTTP: a Secure cookie would never come back


def signed_hours_ago(app: Flask, data: dict, hours: float) -> str:
    """A session cookie signed with the app's own key, as if saved `hours` ago."""

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - hours * 3600)

    interface = SecureCookieSessionInterface()
    serializer = URLSafeTimedSerializer(
        app.secret_key,
        salt=interface.salt,
        serializer=interface.serializer,
        signer=Earlier,
        signer_kwargs={"key_derivation": "hmac", "digest_method": interface.digest_method},
    )
    return serializer.dumps(data)


def test_the_server_refuses_a_session_older_than_the_session_lifetime(app, client):
    login(client, "vanphong")
    data = (
        SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie(client, "session"))
    )
    assert "_user_id" in data
    assert opens(with_cookies(app, session=signed_hours_ago(app, data, 7.9)))
    assert not opens(with_cookies(app, session=signed_hours_ago(app, data, 8.1)))


def test_a_remember_cookie_restores_a_session_that_strong_protection_keeps(app, client):
    remember_login(client, "vanphong")
    browser = with_cookies(app, remember_token=cookie(client, "remember_token"))
    for _ in range(3):  # not only the first request after the restore
        assert opens(browser)


def test_both_cookies_are_secure_over_https(app, client):
    cookies = set_cookies(login_response(client, base_url="https://localhost"))
    assert "; Secure" in cookies["session"]
    assert "; Secure" in cookies["remember_token"]


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.fixture
def proxied_app(app: Flask, database_url: str, client: FlaskClient) -> Iterator[Flask]:
    """The app behind one trusted reverse proxy (same database)."""
    settings = config.TestingConfig()
    settings.DATABASE_URL = database_url
    settings.TRUSTED_PROXIES = 1
    proxied = create_app(settings)
    yield proxied
    database(proxied).dispose()
    # The login limiter is one per process: give it back to the session's app.
    from webapp import login_limits

    login_limits.limiter.init_app(app)


def test_behind_a_trusted_proxy_forwarded_https_makes_cookies_secure(app, proxied_app, client):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    cookies = set_cookies(login_response(proxied_app.test_client(), headers=forwarded))
    assert "; Secure" in cookies["session"]
    assert "; Secure" in cookies["remember_token"]
    # Without a trusted proxy the same header is only a claim of the client: ignored.
    cookies = set_cookies(login_response(app.test_client(), headers=forwarded))
    assert "Secure" not in cookies["session"]
    assert "Secure" not in cookies["remember_token"]


def test_cookie_secure_always_marks_them(database_url, app, client):
    settings = config.TestingConfig()
    settings.DATABASE_URL = database_url
    settings.COOKIE_SECURE = True
    strict = create_app(settings)
    try:
        cookies = set_cookies(login_response(strict.test_client()))
        assert "; Secure" in cookies["session"]
        assert "; Secure" in cookies["remember_token"]
    finally:
        database(strict).dispose()
        from webapp import login_limits

        login_limits.limiter.init_app(app)
