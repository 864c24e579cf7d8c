"""Set-up commands and configuration, as `make run` uses them."""

from __future__ import annotations

import pytest

import config
from webapp import create_app


def test_upgrade_and_seed_on_an_empty_database(tmp_path):
    settings = config.TestingConfig()
    settings.DATABASE_URL = f"sqlite:///{tmp_path / 'fresh' / 'app.sqlite'}"
    app = create_app(settings)
    runner = app.test_cli_runner()
    assert "up to date" in runner.invoke(args=["db-upgrade"]).output
    first = runner.invoke(args=["seed-demo", "--if-empty", "--samples"])
    assert "demo data installed" in first.output, first.output
    second = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "not installed" in second.output
    assert "0 dossier(s)" in runner.invoke(args=["run-timers"]).output
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    token = client.post("/api/v1/tokens", json={"username": "vanphong", "password": "demo"})
    assert token.status_code == 201
    listing = client.get(
        "/api/v1/dossiers", headers={"Authorization": f"Bearer {token.json['token']}"}
    ).json
    statuses = sorted(d["status"] for d in listing["items"])
    assert statuses == ["awarded", "in_progress", "in_progress", "returned"]


def test_production_needs_a_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.from_env({"APP_ENV": "production"})
    settings = config.from_env(
        {"APP_ENV": "production", "SECRET_KEY": "s3cret", "DATABASE_URL": "sqlite:///x.sqlite"}
    )
    assert settings.DATABASE_URL == "sqlite:///x.sqlite"
    with pytest.raises(RuntimeError, match="APP_ENV"):
        config.from_env({"APP_ENV": "staging"})


def test_healthz_is_503_when_the_database_is_unreachable():
    settings = config.TestingConfig()
    settings.DATABASE_URL = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    response = create_app(settings).test_client().get("/healthz")
    assert response.status_code == 503
