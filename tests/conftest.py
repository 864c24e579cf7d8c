"""Shared fixtures: a migrated, seeded database on each configured backend, and API helpers.

SQLite always runs. PostgreSQL runs too when TEST_POSTGRES_URL points at a server
(`.ci/run` sets it): a throw-away database is created for the session and dropped after.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import config
from webapp import create_app, login_limits
from webapp.cli import upgrade_database
from webapp.models import ApiToken, User
from webapp.permissions import Actor
from webapp.request_db import database
from webapp.services import seeding
from webapp.services.actors import actor_for_user

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_POSTGRES_URL") else [])
# Emptied after every test; the organisation, users, tokens and process versions stay.
PER_TEST_TABLES = [
    "export_file",
    "process_map_visit",
    "process_map_refresh",
    "process_version_template",
    "mail_outbox",
    "notification_once",
    "notification_preference",
    "notification",
    "calendar_exception",
    "job_schedule",
    "generated_document",
    "signature_check",
    "issued_number",
    "document_register",
    "message_subscription",
    "round_list_item",
    "round_event",
    "round_entry",
    "round_instance",
    "award_round",
    "ballot_count",
    "ballot_box",
    "council_session",
    "audit_event",
    "instance_move",
    "attachment",
    "event",
    "work_item",
    "process_instance",
    "nominee",
    "dossier",
]


# Tests that time themselves against the wall clock or load the machine on purpose (hostile
# uploads watched by a 0.5 s health probe, faults, the load run, CPU and time budgets): `make
# test` runs them after the others, alone, so that tests running beside them on the other core
# neither slow them past their bounds nor are slowed by them.
ALONE = (
    "tests/hostile/",
    "tests/faults/",
    "tests/bench/",
    "tests/workflows/test_budgets.py",
    "tests/workflows/test_bounds.py",
    "tests/workflows/test_xml_safety.py",
    "tests/web/test_api_budgets.py",
    "tests/web/test_api_bounds.py",
    "tests/web/test_api_processes.py",
    "tests/web/test_gunicorn_workers.py",
    "tests/services/test_form_schemas.py",
    "tests/services/test_version_templates.py",
    "tests/services/test_documents.py",
    "tests/services/test_jobs_workers.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark `alone` the tests of ALONE (`-m alone` selects them, `-m "not alone"` the rest)."""
    root = Path(str(config.rootpath))
    for item in items:
        where = Path(str(item.path)).relative_to(root).as_posix()
        if where.startswith(ALONE):
            item.add_marker(pytest.mark.alone)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        return
    server = make_url(os.environ["TEST_POSTGRES_URL"])
    name = f"awards_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    settings = config.TestingConfig()
    settings.DATABASE_URL = database_url
    settings.UPLOAD_DIR = tmp_path_factory.mktemp("uploads")
    flask_app = create_app(settings)
    upgrade_database(flask_app)
    with database(flask_app).transaction() as session:
        seeding.seed_demo(session, Path(settings.BPMN_DIR), settings.PROCESS_KEY)
    yield flask_app
    database(flask_app).dispose()


def _empty_tables(app: Flask) -> None:
    # Stored files go with their rows, so that "nothing was stored" holds whatever ran before.
    for stored in Path(app.config["UPLOAD_DIR"]).iterdir():
        shutil.rmtree(stored) if stored.is_dir() else stored.unlink()
    db = database(app)
    with db.transaction() as session:
        for table in PER_TEST_TABLES:
            session.execute(text(f"DELETE FROM {table}"))
        # Roles added by a test go too.
        seeded = ", ".join(f"'{code}'" for code in seeding.ROLES)
        session.execute(text(f"DELETE FROM role_assignment WHERE role NOT IN ({seeded})"))
        session.execute(text(f"DELETE FROM role WHERE code NOT IN ({seeded})"))
        # Versions added by a test go; the shipped version 1 stays deployed.
        session.execute(text("DELETE FROM process_version WHERE version > 1"))
        session.execute(text("UPDATE process_version SET status = 'deployed' WHERE version = 1"))
    # The failed-login counters (in memory) start afresh for each test as well.
    login_limits.limiter.reset()


def _forget_dead_tokens(app: Flask, cache: dict[str, str]) -> None:
    """Drop from the shared cache the tokens a test revoked (deactivation, password change) or
    whose user it left inactive, so that the next test asks for a fresh one."""
    if not cache:
        return
    digests = {
        hashlib.sha256(token.encode("utf-8")).hexdigest(): name for name, token in cache.items()
    }
    with database(app).transaction() as session:
        alive = session.scalars(
            select(ApiToken.token_hash)
            .join(User, User.id == ApiToken.user_id)
            .where(
                ApiToken.token_hash.in_(digests),
                ApiToken.revoked_at.is_(None),
                User.active.is_(True),
            )
        ).all()
    for digest, name in digests.items():
        if digest not in alive:
            cache.pop(name, None)


@pytest.fixture
def client(app: Flask, token_cache: dict[str, str]) -> Iterator[FlaskClient]:
    yield app.test_client()
    _empty_tables(app)
    _forget_dead_tokens(app, token_cache)


@pytest.fixture
def db(app: Flask, token_cache: dict[str, str]) -> Iterator[Session]:
    """A session for service tests; the test commits what it wants kept. Cleaned afterwards."""
    session = database(app).session(write=True)
    try:
        yield session
    finally:
        session.rollback()
        session.close()
        _empty_tables(app)
        _forget_dead_tokens(app, token_cache)


def actor_named(session: Session, username: str) -> Actor:
    """The Actor of a demo user."""
    user = session.scalars(select(User).where(User.username == username)).one()
    return actor_for_user(session, user)


@dataclass
class ApiClient:
    """Calls the JSON API as the demo users, logging each in once."""

    client: FlaskClient
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, username: str | None) -> dict[str, str]:
        if username is None:
            return {}
        if username not in self.tokens:
            response = self.client.post(
                "/api/v1/tokens", json={"username": username, "password": "demo"}
            )
            assert response.status_code == 201, response.json
            self.tokens[username] = response.json["token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def get(self, url: str, as_user: str | None) -> Any:
        return self.client.get(url, headers=self.headers(as_user))

    def post(self, url: str, as_user: str | None, json: Any = None, **kwargs: Any) -> Any:
        return self.client.post(url, headers=self.headers(as_user), json=json, **kwargs)

    def start(self, as_user: str = "canbo_ns", **overrides: Any) -> dict[str, Any]:
        body = {
            "title": "Đề nghị tặng Bằng khen của Bộ trưởng cho tập thể và cá nhân phòng QLNS",
            "award_form": "bk_btc",
            "track": "ad_hoc",
            "procedure": "regular",
            "simplified_reason": None,
            "nominees": [
                {
                    "kind": "individual",
                    "name": "Nguyễn Thị Hằng",
                    "position": "Chuyên viên",
                    "gender": "female",
                    "birth_date": "1985-03-12",
                    "posthumous": False,
                    "achievement": "Hoàn thành xuất sắc nhiệm vụ phòng, chống dịch",
                },
                {
                    "kind": "collective",
                    "name": "Phòng Quản lý ngân sách",
                    "achievement": "Tham mưu kịp thời kinh phí phòng, chống dịch",
                },
            ],
        }
        body.update(overrides)
        response = self.post("/api/v1/dossiers", as_user, json=body)
        assert response.status_code == 201, response.json
        return response.json

    def items(self, as_user: str, dossier_id: int, step: str | None = None) -> list[dict[str, Any]]:
        response = self.get("/api/v1/work-items", as_user)
        assert response.status_code == 200, response.json
        return [
            i
            for i in response.json
            if i["dossier_id"] == dossier_id and (step is None or i["step"] == step)
        ]

    def complete(self, as_user: str, dossier_id: int, step: str, data: dict[str, Any]) -> Any:
        items = self.items(as_user, dossier_id, step)
        assert items, f"{as_user} has no {step} item for dossier {dossier_id}"
        return self.post(
            f"/api/v1/work-items/{items[0]['id']}/complete", as_user, json={"data": data}
        )

    def do(self, as_user: str, dossier_id: int, step: str, data: dict[str, Any]) -> dict[str, Any]:
        response = self.complete(as_user, dossier_id, step, data)
        assert response.status_code == 200, response.json
        return response.json["dossier"]

    def dossier(self, dossier_id: int, as_user: str = "vanphong") -> dict[str, Any]:
        response = self.get(f"/api/v1/dossiers/{dossier_id}", as_user)
        assert response.status_code == 200, response.json
        return response.json


@pytest.fixture(scope="session")
def token_cache(app: Flask) -> dict[str, str]:
    """Tokens of the demo users, kept for the session: password checks are slow on purpose."""
    return {}


@pytest.fixture
def api(client: FlaskClient, token_cache: dict[str, str]) -> ApiClient:
    return ApiClient(client, token_cache)
