"""Production shape: /readyz, the structured request log line and the request id."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

import config
from tests.web.pages import login, submit
from webapp import create_app
from webapp.request_db import database


def test_readyz_is_200_when_database_migrations_and_uploads_are_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "migrations": "ok",
        "uploads": "ok",
    }


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    settings = config.TestingConfig()
    settings.DATABASE_URL = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    settings.UPLOAD_DIR = tmp_path
    response = create_app(settings).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["database"] != "ok"


def test_readyz_is_503_when_the_schema_is_not_migrated(tmp_path):
    settings = config.TestingConfig()
    settings.DATABASE_URL = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    settings.UPLOAD_DIR = tmp_path / "uploads"
    app = create_app(settings)
    try:
        with database(app).transaction() as session:
            session.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
            session.execute(text("INSERT INTO alembic_version VALUES ('0001')"))
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.json["database"] == "ok"
        assert response.json["migrations"].startswith("behind")
    finally:
        database(app).dispose()


def test_readyz_is_503_when_the_upload_folder_cannot_be_made(app: Flask, client, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    previous = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = blocker / "uploads"
    try:
        response = client.get("/readyz")
    finally:
        app.config["UPLOAD_DIR"] = previous
    assert response.status_code == 503
    assert response.json["uploads"] == "not writable"


def _lines(caplog: pytest.LogCaptureFixture) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "webapp.requests"]


def test_one_json_line_per_request_with_user_route_status_duration_and_id(client, caplog):
    caplog.set_level(logging.INFO, logger="webapp.requests")
    response = client.get("/healthz")
    [line] = _lines(caplog)
    assert set(line) == {
        "time",
        "request_id",
        "user_id",
        "username",
        "method",
        "route",
        "status",
        "duration_ms",
    }
    assert line["route"] == "/healthz"
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert line["user_id"] is None
    assert line["username"] is None
    assert line["duration_ms"] >= 0
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert len(line["request_id"]) == 32

    caplog.clear()
    login(client, "canbo_ns")
    caplog.clear()
    client.get("/dossiers/999999?q=secret-query", headers={"X-Request-ID": "lb-42.a:b_c"})
    [line] = _lines(caplog)
    assert line["username"] == "canbo_ns"
    assert isinstance(line["user_id"], int)
    assert line["route"] == "/dossiers/<int:dossier_id>"  # the rule, not the URL or its query
    assert line["status"] == 404
    assert line["request_id"] == "lb-42.a:b_c"


def test_an_insane_request_id_is_replaced(client, caplog):
    caplog.set_level(logging.INFO, logger="webapp.requests")
    for given in ["", "x" * 65, "a b", 'a"}{"status":200', "<script>"]:
        caplog.clear()
        response = client.get("/healthz", headers={"X-Request-ID": given})
        [line] = _lines(caplog)
        assert line["request_id"] != given
        assert response.headers["X-Request-ID"] == line["request_id"]


def test_the_log_never_holds_passwords_tokens_or_form_data(client, api, caplog):
    caplog.set_level(logging.INFO, logger="webapp.requests")
    wrong = client.post("/api/v1/tokens", json={"username": "canbo_ns", "password": "pw-s3cret"})
    assert wrong.status_code == 401
    token = api.headers("canbo_ns")["Authorization"]
    api.get("/api/v1/work-items", "canbo_ns")
    submit(client, "/login", {"username": "giamdoc", "password": "demo"})
    client.get("/api/v1/work-items", headers={"Authorization": "Bearer not-a-token-xyz"})
    text_logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "webapp.requests")
    lines = _lines(caplog)
    assert any(line["username"] == "canbo_ns" for line in lines)  # the API's user is named
    for secret in ("pw-s3cret", token.split()[1], "demo", "not-a-token-xyz", "password"):
        assert secret not in text_logged
    # Unrouted URLs log with no route (never the raw path someone typed).
    caplog.clear()
    client.get("/no/such/page/with-a-token-in-it")
    [line] = _lines(caplog)
    assert line["route"] is None
    assert line["status"] == 404


def test_gunicorn_conf_keeps_the_job_queue_hooks_and_reads_the_environment(monkeypatch):
    import runpy

    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("BIND", "0.0.0.0:8123")
    monkeypatch.setenv("WEB_WORKERS", "3")
    monkeypatch.delenv("WEB_THREADS", raising=False)
    settings = runpy.run_path(str(root / "gunicorn.conf.py"))
    assert settings["bind"] == ["0.0.0.0:8123"]
    assert settings["workers"] == 3
    # Several workers: 1 thread each (a connection taken only when it is free); one worker alone
    # (make run) keeps 8; a set value wins.
    assert settings["threads"] == 1
    monkeypatch.setenv("WEB_WORKERS", "1")
    assert runpy.run_path(str(root / "gunicorn.conf.py"))["threads"] == 8
    monkeypatch.setenv("WEB_THREADS", "4")
    assert runpy.run_path(str(root / "gunicorn.conf.py"))["threads"] == 4
    assert settings["accesslog"] is None  # the app's JSON line instead
    from webapp.jobs import gunicorn_hooks

    # post_worker_init warms the worker up, then starts the job queue (tests/web/test_warm_up.py).
    assert settings["worker_exit"] is gunicorn_hooks.worker_exit
